// target-auth's two modes (issue 11 item 7), from real authenticate-target results:
// - linked: the tool called with an OAuth bearer token for a linked account answers `mode: "linked"`
//   and no sessionId; the widget shows the account ("Linked to <name> (<email>)") and a note that it
//   is unlinked in the app's settings. No password form, no Sign out, nothing asked of the host.
//   A stale widget state from an earlier session-mode widget (ChatGPT restores it) does not bring
//   the form back.
// - session, same account, no token: the tool answers `mode: "session"` with the session's id, and
//   the widget shows the signed-in view with its Sign out instead. (The pending session's form is
//   target-auth.spec.ts's.)
import { test, expect, MODES, DEMO, type HostPage } from "./fixtures/host";
import { TargetAuthPage } from "./fixtures/target_auth_page";
import { linkAccount, callLinked } from "./fixtures/linked_account";

const LINKED = `Linked to ${DEMO.name} (${DEMO.email})`;

/** The linked view and nothing of session mode's. */
async function expectLinkedView(host: HostPage) {
  const auth = new TargetAuthPage(host.widget);
  await expect(host.widget.getByTestId("linked-account")).toHaveText(LINKED);
  await expect(host.widget.getByRole("heading", { name: "Target account" })).toBeVisible();
  await expect(host.widget.getByTestId("linked-note")).toContainText("You can unlink it in the app's settings.");
  await expect(auth.form).toHaveCount(0);
  await expect(host.widget.locator('input[type="password"]')).toHaveCount(0);
  await expect(auth.signedIn).toHaveCount(0);
  await expect(auth.signOut).toHaveCount(0);
  await expect(host.widget.getByRole("button")).toHaveCount(0);
}

for (const mode of MODES) {
  test(`target-auth, ${mode} host: a linked account shows the account, no password form and no Sign out`, async ({ host }) => {
    const token = await linkAccount();
    const result = await callLinked(token, "authenticate-target");
    expect(result.structuredContent).toMatchObject({ mode: "linked", status: "authenticated", user: { email: DEMO.email, name: DEMO.name } });
    expect(result.structuredContent.sessionId, "a linked account has no session id").toBeUndefined();

    await host.render(mode, "authenticate-target", {}, { result });
    if (mode === "mcp-apps") await host.initialized();
    await expectLinkedView(host);

    // The view has nothing to do: no tool call, no message, no state, no link.
    const records = await host.records();
    expect(records.toolCalls).toEqual([]);
    expect(records.followUps).toEqual([]);
    expect(records.widgetStates).toEqual([]);
    expect(records.openedLinks).toEqual([]);
    if (mode === "mcp-apps") expect(records.unanswered, "an MCP Apps host answers every ui/* request").toEqual([]);

    if (mode === "openai") {
      // ChatGPT re-renders with a widget state a session-mode widget saved (signed out, with a
      // session id): linked wins, no form for that session.
      const stale = {
        modelContent: { signedIn: false, sessionId: "sess_0123456789abcdef0123456789abcdef" },
        privateContent: { signedIn: false, sessionId: "sess_0123456789abcdef0123456789abcdef" },
      };
      await host.render(mode, "authenticate-target", {}, { result, widgetState: stale });
      await expectLinkedView(host);
    }
  });
}

for (const mode of MODES) {
  test(`target-auth, ${mode} host: the same account in session mode (no token) is signed in, with Sign out`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.signIn(await shop.newSession(), DEMO.email);
    const { result } = await host.render(mode, "authenticate-target", { sessionId });
    expect(result.structuredContent).toMatchObject({ mode: "session", status: "authenticated", sessionId, user: { email: DEMO.email } });

    const auth = new TargetAuthPage(host.widget);
    await expect(auth.signedIn).toHaveText(`Signed in as ${DEMO.name} (${DEMO.email})`);
    await expect(auth.signOut).toBeVisible();
    await expect(host.widget.getByTestId("linked-account")).toHaveCount(0);
    await expect(host.widget.getByTestId("linked-note")).toHaveCount(0);
    await expect(auth.form).toHaveCount(0);
  });
}
