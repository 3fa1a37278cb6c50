// Scenario 6: bad and hostile input. Markup in a product query, in an account's name and in what the
// shopper types is shown as text and never runs, in the WASM widgets and in the plain-JS fallback a
// host without WebAssembly gets. A session the server does not know (it answers unknown and expired
// sessions alike) gives a clear message instead of a broken widget.
import { randomBytes } from "node:crypto";
import { test, expect, MODES, DEMO, type HostPage } from "./fixtures/host";
import { ProductGridPage } from "./fixtures/product_grid_page";
import { TargetAuthPage } from "./fixtures/target_auth_page";
import { CartPage } from "./fixtures/cart_page";

/** Each part sets window.__xss in the widget's frame if it ever runs. */
const PAYLOAD = `<script>window.__xss="script"</script><img src=x onerror="window.__xss='img'">`;
/** The name of the hostile-name@example.com test account (end2end/accounts.json). */
const HOSTILE_NAME = `<script>window.__xss='script'</script><img src=x onerror="window.__xss='img'">`;
const EXPIRED = /expired or does not exist/i;

const unknownSession = () => `sess_${randomBytes(16).toString("hex")}`;

/** Nothing of the markup became elements or ran, in the widget's frame or the host page. */
async function expectNothingRan(host: HostPage) {
  const frame = await host.widgetFrame();
  const seen = await frame.evaluate(() => ({
    xss: (window as any).__xss ?? null,
    injectedImages: document.querySelectorAll('img[src="x"]').length,
    // (The host's window.openai shim carries the tool input as a JSON string; that is data, not this.)
    injectedScripts: [...document.scripts].filter((s) => s.textContent?.trim().startsWith("window.__xss")).length,
  }));
  expect(seen).toEqual({ xss: null, injectedImages: 0, injectedScripts: 0 });
  expect(await host.page.evaluate(() => (window as any).__xss ?? null)).toBeNull();
}

test.beforeEach(async ({ page }) => {
  page.on("dialog", (dialog) => {
    throw new Error(`a dialog opened: ${dialog.message()}`);
  });
});

for (const mode of MODES) {
  test(`hostile input, ${mode} host: markup as the product query is shown as text`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    const { result } = await host.render(mode, "search-target-products", { query: PAYLOAD, sessionId });
    expect(result.structuredContent.query, "the server hands the query back as it came").toBe(PAYLOAD);
    const grid = new ProductGridPage(host.widget);
    // Results or none, the query is quoted literally.
    const shown = result.structuredContent.products.length ? grid.heading : grid.empty;
    await expect(shown).toContainText(`“${PAYLOAD}”`);
    await expectNothingRan(host);
  });
}

test("hostile input, host without WebAssembly: the fallback shows the query as text", async ({ host, shop }) => {
  const sessionId = await shop.newSession();
  await host.render("openai", "search-target-products", { query: PAYLOAD, sessionId }, { wasm: false });
  await expect(host.widget.locator("#root")).toContainText(PAYLOAD);
  await expectNothingRan(host);
});

for (const mode of MODES) {
  test(`hostile input, ${mode} host: an account name with markup is shown as text after sign-in`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    await host.render(mode, "authenticate-target", { sessionId });
    const auth = new TargetAuthPage(host.widget);
    await auth.signIn("hostile-name@example.com", DEMO.password);
    await expect(auth.signedIn).toHaveText(`Signed in as ${HOSTILE_NAME} (hostile-name@example.com)`);
    const status = await shop.call("get-target-auth-status", { sessionId: await host.renewedSessionId(sessionId) });
    expect(status.structuredContent.user.name).toBe(HOSTILE_NAME);
    await expectNothingRan(host);
  });
}

test("hostile input: markup typed as the email is kept as typed and never runs", async ({ host, shop }) => {
  const sessionId = await shop.newSession();
  await host.render("mcp-apps", "authenticate-target", { sessionId });
  const auth = new TargetAuthPage(host.widget);
  const typed = `<img src=x onerror="window.__xss='email'">@example.com`;
  await auth.signIn(typed, "not-the-password");
  await expect(auth.error).toBeVisible();
  await expect(auth.signedIn).toHaveCount(0);
  await expect(auth.email).toHaveValue(typed);
  expect((await shop.call("get-target-auth-status", { sessionId })).structuredContent.authenticated).toBe(false);
  await expectNothingRan(host);
});

// In a window.openai host the error reaches the widget only through toolResponseMetadata (the
// server repeats the message under `target/error`): an error result has no structuredContent.
for (const mode of MODES) {
  test(`unknown session, ${mode} host: the cart says the session has expired`, async ({ host }) => {
    const { result } = await host.render(mode, "get-cart", { sessionId: unknownSession() });
    expect(result.isError).toBe(true);
    const cart = new CartPage(host.widget);
    await expect(cart.error).toBeVisible();
    await expect(cart.error).toContainText(EXPIRED);
    await expect(cart.error).toContainText("create-target-session");
    await expect(cart.checkout).toHaveCount(0);
  });

  test(`unknown session, ${mode} host without WebAssembly: the fallback says the session has expired`, async ({
    host,
  }) => {
    await host.render(mode, "get-cart", { sessionId: unknownSession() }, { wasm: false });
    await expect(host.widget.locator("#root.tw-fallback")).toContainText(EXPIRED);
  });
}

test("unknown session: signing in on a session the server no longer has says to start over", async ({ host, shop }) => {
  const sessionId = await shop.newSession();
  const { result } = await host.render("mcp-apps", "authenticate-target", { sessionId });
  const auth = new TargetAuthPage(host.widget);
  await expect(auth.email).toBeVisible();
  await host.initialized();
  // The host pushes the widget a result for a session the server does not know (one that expired
  // while the form was open looks the same to the server).
  await host.setGlobals({ toolOutput: { ...result.structuredContent, sessionId: unknownSession() } });
  await auth.signIn(DEMO.email, DEMO.password);
  await expect(auth.error).toHaveText("Your Target session has expired. Ask ChatGPT to start over, then sign in again.");
  await expect(auth.signedIn).toHaveCount(0);
  expect((await host.records()).followUps).toEqual([]);
  // Nothing was signed in: neither the unknown session nor the one the widget first showed.
  expect((await shop.call("get-target-auth-status", { sessionId })).structuredContent.authenticated).toBe(false);
});

test("unknown session: a cart change on a session the server no longer has shows the server's message", async ({
  host,
  shop,
}) => {
  const sessionId = await shop.newSession();
  const [product] = await shop.inStock("desk lamp", sessionId);
  await shop.call("add-to-cart", { sessionId, productId: product.id });
  const { result } = await host.render("mcp-apps", "get-cart", { sessionId });
  const cart = new CartPage(host.widget);
  await expect(cart.lines).toHaveCount(1);
  await host.initialized();
  await host.setGlobals({ toolOutput: { ...result.structuredContent, sessionId: unknownSession() } });
  await cart.increase(product.id).click();
  const call = await host.toolCall("update-cart-item");
  expect(call.result?.isError).toBe(true);
  await expect(cart.cartError).toContainText(EXPIRED);
  await expect(cart.quantity(product.id)).toHaveText("1");
  expect((await shop.cart(sessionId)).items[0].quantity, "the real session's cart is untouched").toBe(1);
});
