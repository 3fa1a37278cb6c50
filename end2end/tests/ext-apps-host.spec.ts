// Scenario 7: each widget in an MCP Apps host we did not write, the official
// @modelcontextprotocol/ext-apps AppBridge (host/ext-apps.html): first render from a real tool
// result, then one action whose effect the server confirms.
import { test, expect } from "./fixtures/ext_apps_host";
import { DEMO, usd } from "./fixtures/host";
import { TargetAuthPage } from "./fixtures/target_auth_page";
import { ProductGridPage } from "./fixtures/product_grid_page";
import { CartPage } from "./fixtures/cart_page";
import { CirclePage } from "./fixtures/circle_page";

test("ext-apps host: the handshake is AppBridge's, and the view gets no window.openai", async ({ extHost, shop }) => {
  const sessionId = await shop.newSession();
  const { uri } = await extHost.render("authenticate-target", { sessionId });
  expect(uri).toMatch(/^ui:\/\/widget\/target-auth-/);
  await extHost.initialized();
  const records = await extHost.records();
  expect(records.appInfo?.name, "the view introduced itself in ui/initialize").toBeTruthy();
  // Through the frame's locator (it waits for the frame), not page.frame(), which can miss it.
  expect(await extHost.widget.locator("html").evaluate(() => typeof (window as any).openai)).toBe("undefined");
});

test("ext-apps host, target-auth: the sign-in form, and signing in tells the conversation", async ({ extHost, shop }) => {
  const sessionId = await shop.newSession();
  const { result } = await extHost.render("authenticate-target", { sessionId });
  expect(result.structuredContent).toMatchObject({ sessionId, status: "pending" });
  const auth = new TargetAuthPage(extHost.widget);
  await expect(auth.email).toBeVisible();
  await extHost.initialized();

  await auth.signIn(DEMO.email, DEMO.password);
  await expect(auth.signedIn).toContainText(DEMO.name);
  await expect.poll(async () => (await extHost.records()).followUps).toEqual([`I'm signed in to Target as ${DEMO.name}.`]);
  // Signing in renewed the session id; the view told the model the new one (ui/update-model-context).
  const renewed = await extHost.renewedSessionId(sessionId);
  const status = await shop.call("get-target-auth-status", { sessionId: renewed });
  expect(status.structuredContent).toMatchObject({ authenticated: true, user: { email: DEMO.email } });
});

test("ext-apps host, product-grid: the search results, and Add to cart fills the real cart", async ({ extHost, shop }) => {
  const sessionId = await shop.newSession();
  const { result } = await extHost.render("search-target-products", { query: "desk lamp", sessionId });
  const products: any[] = result.structuredContent.products;
  const grid = new ProductGridPage(extHost.widget);
  await expect(grid.cards.first()).toBeVisible();
  const shown = await grid.shownIds();
  for (const id of shown) {
    await expect(grid.price(id)).toContainText(usd(products.find((p) => p.id === id).priceCents));
  }
  await extHost.initialized();

  const pick = products.find((p) => p.inStock && shown.includes(p.id));
  await grid.addToCart(pick.id).click();
  const call = await extHost.toolCall("add-to-cart");
  expect(call.args).toMatchObject({ sessionId, productId: pick.id });
  await expect(grid.added(pick.id)).toBeVisible();
  const cart = await shop.cart(sessionId);
  expect(cart.items).toEqual([expect.objectContaining({ quantity: 1, product: expect.objectContaining({ id: pick.id }) })]);
  await expect(grid.added(pick.id)).toContainText(usd(cart.totalCents));
});

test("ext-apps host, cart: the lines and total, and a quantity change reaches the server", async ({ extHost, shop }) => {
  const sessionId = await shop.newSession();
  const [product] = await shop.inStock("desk lamp", sessionId);
  await shop.call("add-to-cart", { sessionId, productId: product.id });
  const { result } = await extHost.render("get-cart", { sessionId });
  const cart = new CartPage(extHost.widget);
  await expect(cart.lines).toHaveCount(1);
  await expect(cart.total).toHaveText(usd(result.structuredContent.cart.totalCents));
  await extHost.initialized();

  await cart.increase(product.id).click();
  const call = await extHost.toolCall("update-cart-item");
  expect(call.args).toMatchObject({ sessionId, productId: product.id, quantity: 2 });
  await expect(cart.quantity(product.id)).toHaveText("2");
  const after = await shop.cart(sessionId);
  expect(after.items[0].quantity).toBe(2);
  await expect(cart.total).toHaveText(usd(after.totalCents));
});

test("ext-apps host, circle: the membership, and Join makes the shopper a member", async ({ extHost, shop }) => {
  const { sessionId } = await shop.nonMemberSession("circle-ext-apps");
  const { result } = await extHost.render("check-circle-membership", { sessionId });
  expect(result.structuredContent).toMatchObject({ signedIn: true, member: false });
  const circle = new CirclePage(extHost.widget);
  await expect(circle.status).toContainText(/not a Target Circle member/i);
  await extHost.initialized();

  await circle.join("circle").click();
  const call = await extHost.toolCall("circle-signup");
  expect(call.args).toMatchObject({ sessionId, tier: "circle" });
  await expect(circle.current("circle")).toBeVisible();
  expect((await shop.membership(sessionId)).membership).toMatchObject({ tier: "circle" });
});

test("ext-apps host: a theme change through AppBridge.setHostContext restyles the widget", async ({ extHost, shop }) => {
  const sessionId = await shop.newSession();
  await extHost.render("authenticate-target", { sessionId }, { theme: "light" });
  const html = extHost.widget.locator("html");
  await expect(extHost.widget.getByTestId("signin-email")).toBeVisible();
  await expect(html).toHaveAttribute("data-theme", "light");
  await extHost.initialized();
  const background = () => extHost.widget.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
  const light = await background();
  await extHost.setHostContext({ theme: "dark" });
  await expect(html).toHaveAttribute("data-theme", "dark");
  await expect.poll(background).not.toBe(light);
});

test("ext-apps host: cart changes and checkout reach the model (ui/update-model-context); one follow-up", async ({ extHost, shop }) => {
  const sessionId = await shop.signIn(await shop.newSession(), DEMO.email);
  const [product] = await shop.inStock("desk lamp", sessionId);
  await shop.call("add-to-cart", { sessionId, productId: product.id });
  await extHost.render("get-cart", { sessionId });
  const cart = new CartPage(extHost.widget);
  await expect(cart.lines).toHaveCount(1);
  await extHost.initialized();

  await cart.increase(product.id).click();
  await expect(cart.quantity(product.id)).toHaveText("2");
  await expect.poll(async () => (await extHost.records()).modelContext.length).toBe(1);
  let update = (await extHost.records()).modelContext[0];
  const server = await shop.cart(sessionId);
  expect(update.content[0].text).toContain(`changed the quantity of ${product.title} to 2`);
  expect(update.content[0].text).toContain(`total ${usd(server.totalCents)}`);
  expect(update.structuredContent.cart).toEqual({
    lines: [{ productId: product.id, title: product.title, quantity: 2 }],
    itemCount: 2,
    totalCents: server.totalCents,
    currency: "USD",
  });

  await cart.checkout.click();
  await expect(cart.confirmation).toBeVisible();
  const order = (await extHost.toolCall("checkout")).result!.structuredContent.order;
  await expect.poll(async () => (await extHost.records()).modelContext.length).toBe(2);
  update = (await extHost.records()).modelContext[1];
  expect(update.structuredContent.order).toMatchObject({ orderId: order.orderId, totalCents: order.totalCents });
  await expect
    .poll(async () => (await extHost.records()).followUps)
    .toEqual([`I placed Target order ${order.orderId} for ${usd(order.totalCents)}.`]);
});

test("ext-apps host: an error after the first render shows the error state, and Try again brings the widget back", async ({
  extHost,
  shop,
}) => {
  const sessionId = await shop.newSession();
  await extHost.render("search-target-products", { query: "desk lamp", sessionId });
  const grid = new ProductGridPage(extHost.widget);
  await expect(grid.cards.first()).toBeVisible();
  await extHost.widget.locator("html").evaluate(() => setTimeout(() => Promise.reject(new Error("injected rejection"))));
  await expect(extHost.widget.getByTestId("error")).toContainText("Something went wrong in this Target widget.");
  await expect(grid.cards).toHaveCount(0);
  await extHost.widget.getByTestId("retry").click();
  await expect(grid.cards.first()).toBeVisible();
});
