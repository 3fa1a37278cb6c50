// circle: the membership of a signed-in shopper from a real check-circle-membership result; Join
// goes through the host to circle-signup. Memberships belong to accounts and outlive sessions, so
// each run of a test signs in a test account of its mode that has not joined yet
// (end2end/accounts.json has six per mode; run.sh starts a fresh server each time; Shop.nonMemberSession).
import { test, expect, MODES } from "./fixtures/host";
import { CirclePage } from "./fixtures/circle_page";

for (const mode of MODES) {
  test.describe(`circle, ${mode} host`, () => {
    test("shows the status of a signed-in shopper, and Join calls circle-signup", async ({ host, shop }) => {
      const { sessionId } = await shop.nonMemberSession(`circle-${mode}`, 6);

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
