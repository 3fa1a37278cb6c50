// target-auth: the sign-in form from a real authenticate-target result; signing in goes to the
// server's REST API from inside the sandboxed frame and tells the conversation.
import { test, expect, MODES, DEMO } from "./fixtures/host";
import { TargetAuthPage } from "./fixtures/target_auth_page";

for (const mode of MODES) {
  test.describe(`target-auth, ${mode} host`, () => {
    test("shows the sign-in form and signs the demo shopper in", async ({ host, shop }) => {
      const sessionId = await shop.newSession();
      const { result } = await host.render(mode, "authenticate-target", { sessionId });
      expect(result.structuredContent).toMatchObject({ sessionId, status: "pending" });

      const auth = new TargetAuthPage(host.widget);
      await expect(auth.email).toBeVisible();
      await expect(auth.password).toBeVisible();
      await expect(auth.submit).toBeEnabled();

      await auth.signIn(DEMO.email, DEMO.password);
      await expect(auth.signedIn).toContainText(DEMO.name);
      await expect(auth.signedIn).toContainText(DEMO.email);
      await expect(auth.form).toHaveCount(0);

      // The conversation hears about it (sendFollowUpMessage / ui/message), without the password.
      await expect.poll(async () => (await host.records()).followUps).toHaveLength(1);
      const [message] = (await host.records()).followUps;
      expect(message).toContain(DEMO.name);
      expect(message).not.toContain(DEMO.password);

      // The server agrees, asked by another client, under the session's new id (signing in renews it).
      const renewed = await host.renewedSessionId(sessionId);
      const status = await shop.call("get-target-auth-status", { sessionId: renewed });
      expect(status.structuredContent).toMatchObject({ authenticated: true, user: { email: DEMO.email } });

      const records = await host.records();
      if (mode === "openai") {
        // ChatGPT keeps widget state, so a re-render shows the signed-in view (and signs out the new id).
        expect(records.widgetStates.at(-1).privateContent).toMatchObject({ signedIn: true, sessionId: renewed });
      } else {
        expect(records.unanswered, "an MCP Apps host answers every ui/* request").toEqual([]);
      }
    });
  });
}

test("a wrong password shows the server's answer and stays signed out", async ({ host, shop }) => {
  const sessionId = await shop.newSession();
  await host.render("openai", "authenticate-target", { sessionId });
  const auth = new TargetAuthPage(host.widget);
  await auth.signIn(DEMO.email, "not-the-password");
  await expect(auth.error).toBeVisible();
  await expect(auth.signedIn).toHaveCount(0);
  expect((await host.records()).followUps).toEqual([]);
  const status = await shop.call("get-target-auth-status", { sessionId });
  expect(status.structuredContent.authenticated).toBe(false);
});
