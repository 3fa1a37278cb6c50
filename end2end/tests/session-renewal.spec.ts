// Issue 14, item 8: the defence against session fixation. Someone who planted a session id in the
// conversation must not end up holding a signed-in session, so signing in renews the id: the
// target-auth widget adopts the new id from the server's answer and tells the model (MCP Apps
// `ui/update-model-context`, or the `modelContent` of window.openai widget state) before it posts
// the sign-in message; the old id is refused from then on, and Sign out uses the new one.
import { test, expect, MODES, DEMO, SERVER } from "./fixtures/host";
import { TargetAuthPage } from "./fixtures/target_auth_page";

for (const mode of MODES) {
  test(`session renewal, ${mode} host: after signing in the model is told a new session id, and the old one is refused`, async ({
    host,
    shop,
  }) => {
    const planted = await shop.newSession();
    const [lamp] = await shop.inStock("desk lamp", planted);
    await shop.call("add-to-cart", { sessionId: planted, productId: lamp.id });
    await host.render(mode, "authenticate-target", { sessionId: planted });
    const auth = new TargetAuthPage(host.widget);
    await expect(auth.email).toBeVisible();
    if (mode === "mcp-apps") await host.initialized();

    await auth.signIn(DEMO.email, DEMO.password);
    await expect(auth.signedIn).toContainText(DEMO.name);
    const renewed = await host.renewedSessionId(planted);

    // What the model was told names the new id, and says the old one no longer works.
    const records = await host.records();
    if (mode === "mcp-apps") {
      const update = records.modelContext.at(-1);
      expect(update.structuredContent).toMatchObject({ sessionId: renewed, signedIn: true });
      expect(update.content[0].text).toContain(`signed in to Target as ${DEMO.name}`);
      expect(update.content[0].text).toContain("the previous id no longer works");
      expect(update.content[0].text).toContain(`Target session: ${renewed}.`);
      expect(update.content[0].text).not.toContain(planted);
    } else {
      const state = records.widgetStates.at(-1);
      expect(state.modelContent).toMatchObject({ sessionId: renewed, signedIn: true });
      expect(state.privateContent).toMatchObject({ signedIn: true, sessionId: renewed, user: { email: DEMO.email } });
    }
    // … before the sign-in message starts the model's next turn.
    const kinds = records.log.map((e) => e.kind);
    const toldAt = kinds.lastIndexOf(mode === "mcp-apps" ? "ui/update-model-context" : "setWidgetState");
    const messageAt = kinds.indexOf(mode === "mcp-apps" ? "ui/message" : "followUp");
    expect(messageAt, "the sign-in message was posted").toBeGreaterThanOrEqual(0);
    expect(toldAt, "the model hears the new id before the message").toBeLessThan(messageAt);

    // The new id is the signed-in session with the cart; the planted one is refused everywhere.
    expect((await shop.call("get-target-auth-status", { sessionId: renewed })).structuredContent).toMatchObject({
      authenticated: true,
      sessionId: renewed,
    });
    expect((await shop.cart(renewed)).items.map((l: any) => l.product.id)).toEqual([lamp.id]);
    const refusal = await shop.refused("get-cart", { sessionId: planted });
    expect(refusal).toContain("replaced by a new one when the shopper signed in");
    expect(refusal).not.toContain(renewed);
    await shop.refused("checkout", { sessionId: planted });
    const signOut = await fetch(`${SERVER}/api/session/signout`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sessionId: planted }),
    });
    expect(signOut.status).toBe(404);
    expect((await signOut.json()).error).toBe("session_renewed");

    // Sign out in the widget acts on the new id, which it keeps, and tells the model so.
    await auth.signOut.click();
    await expect(auth.form).toBeVisible();
    await expect
      .poll(async () => (await shop.call("get-target-auth-status", { sessionId: renewed })).structuredContent.authenticated)
      .toBe(false);
    expect(await host.toldSessionId()).toBe(renewed);
  });
}
