// circle: the membership of a signed-in shopper from a real check-circle-membership result; Join
// goes through the host to circle-signup. Memberships belong to accounts and outlive sessions, so
// each run of a test signs in a test account of its mode that has not joined yet
// (end2end/accounts.json has six per mode; run.sh starts a fresh server each time).
import { test, expect, MODES, type Mode, type Shop } from "./fixtures/host";
import { CirclePage } from "./fixtures/circle_page";

const ACCOUNTS_PER_MODE = 6;

/** A new session signed in to a test account of `mode` that is not a Circle member yet. */
async function nonMemberSession(shop: Shop, mode: Mode) {
  for (let n = 0; n < ACCOUNTS_PER_MODE; n++) {
    const sessionId = await shop.newSession();
    await shop.signIn(sessionId, `circle-${mode}-${n}@example.com`);
    const status = await shop.call("check-circle-membership", { sessionId });
    if (!status.structuredContent.member) return sessionId;
  }
  throw new Error(`every circle-${mode}-N test account has joined already: restart the server (end2end/run.sh does)`);
}

for (const mode of MODES) {
  test.describe(`circle, ${mode} host`, () => {
    test("shows the status of a signed-in shopper, and Join calls circle-signup", async ({ host, shop }) => {
      const sessionId = await nonMemberSession(shop, mode);

      const { result } = await host.render(mode, "check-circle-membership", { sessionId });
      expect(result.structuredContent).toMatchObject({
        signedIn: true,
        member: false,
      });

      const circle = new CirclePage(host.widget);
      await expect(circle.status).toContainText(/not a Target Circle member/i);
      for (const tier of ["circle", "circle-card", "circle-360"] as const) {
        await expect(circle.tier(tier)).toBeVisible();
      }

      await circle.join("circle").click();
      const call = await host.toolCall("circle-signup");
      expect(call.args).toMatchObject({ sessionId, tier: "circle" });
      expect(call.result?.isError).toBeFalsy();

      await expect(circle.status).toContainText(/Target Circle member since/i);
      await expect(circle.current("circle")).toBeVisible();
      await expect(circle.join("circle")).toHaveCount(0);

      const after = await shop.call("check-circle-membership", { sessionId });
      expect(after.structuredContent).toMatchObject({ member: true, membership: { tier: "circle" } });
    });
  });
}

test("a shopper who is not signed in is offered sign-in, and cannot join", async ({ host, shop }) => {
  const sessionId = await shop.newSession();
  await host.render("mcp-apps", "check-circle-membership", { sessionId });
  const circle = new CirclePage(host.widget);
  await expect(circle.status).toContainText(/not signed in/i);
  await expect(circle.signInPrompt).toBeVisible();
  await expect(circle.join("circle")).toBeDisabled();
});
