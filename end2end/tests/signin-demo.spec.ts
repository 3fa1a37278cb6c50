// Issue 12, item 6: in session mode the sign-in form says when the server runs with its embedded
// demo accounts and names the account the tool result gives (`_meta["target/widget"].demoAccount`);
// a server with its own accounts file (this suite's) gives none, and the form shows no hint.
// (The server side, embedded accounts vs accounts file, is tested in server/tests/api/tools.rs.)
import { test, expect, MODES } from "./fixtures/host";

for (const mode of MODES) {
  test(`sign-in form, ${mode} host: the demo hint appears only when the result names a demo account`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    const { result } = await host.render(mode, "authenticate-target", { sessionId });
    expect(result._meta["target/widget"].demoAccount, "this suite's server has an accounts file").toBeUndefined();
    await expect(host.widget.getByTestId("signin-email")).toBeVisible();
    await expect(host.widget.getByTestId("signin-demo")).toHaveCount(0);

    // The same answer from a server with the embedded demo accounts: the hint names its account.
    const demo = { email: "demo-42@example.test", password: "from-the-result" };
    const withDemo = { ...result, _meta: { ...result._meta, "target/widget": { ...result._meta["target/widget"], demoAccount: demo } } };
    await host.render(mode, "authenticate-target", { sessionId }, { result: withDemo });
    const hint = host.widget.getByTestId("signin-demo");
    await expect(hint).toContainText("This server runs with demo accounts");
    await expect(hint).toContainText(demo.email);
    await expect(hint).toContainText(demo.password);
  });
}
