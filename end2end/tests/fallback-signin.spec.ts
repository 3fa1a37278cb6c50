// The plain-JS fallback's sign-in form: a host whose CSP refuses WebAssembly gets the template's
// fallback (widgets-app/fallback.js), whose form posts to the same REST endpoint as the Leptos
// widget. A wrong password shows the server's message and lets the shopper try again; the right
// one signs the session in under a new id, which the fallback tells the model (as the WASM widget
// does), as another client sees.
import { test, expect, MODES, DEMO } from "./fixtures/host";

for (const mode of MODES) {
  test(`fallback sign-in, ${mode} host without WebAssembly: a wrong password, then the right one`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.newSession();
    const { result } = await host.render(mode, "authenticate-target", { sessionId }, { wasm: false });
    expect(result.structuredContent).toMatchObject({ sessionId, status: "pending" });

    const root = host.widget.locator("#root.tw-fallback");
    const form = root.locator("form.tw-signin");
    const email = form.locator('input[name="email"]');
    const password = form.locator('input[name="password"]');
    const submit = form.getByRole("button", { name: "Sign in" });
    await expect(form).toBeVisible();

    await email.fill(DEMO.email);
    await password.fill("not-the-password");
    await submit.click();
    await expect(form.getByRole("status")).toContainText("don't match");
    await expect(submit).toBeEnabled();
    expect((await shop.call("get-target-auth-status", { sessionId })).structuredContent.authenticated).toBe(false);

    await password.fill(DEMO.password);
    await submit.click();
    await expect(root).toContainText(`Signed in as ${DEMO.name}.`);
    await expect(form).toHaveCount(0);
    const renewed = await host.renewedSessionId(sessionId);
    const status = await shop.call("get-target-auth-status", { sessionId: renewed });
    expect(status.structuredContent).toMatchObject({ authenticated: true, user: { email: DEMO.email } });
    // The id the form was shown with is retired.
    expect(await shop.refused("get-target-auth-status", { sessionId })).toContain("replaced by a new one");
  });
}
