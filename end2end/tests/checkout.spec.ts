// Scenario 3: the cart. A quantity change and a removal update the lines and the totals (and the
// server's cart); checking out signed out asks to sign in; after signing in (in the target-auth
// widget) checkout shows the order number and the server's cart is empty; a double click on
// "Check out" places exactly one order.
import { test, expect, MODES, DEMO, usd, type HostPage, type Mode, type Shop } from "./fixtures/host";
import { CartPage } from "./fixtures/cart_page";
import { TargetAuthPage } from "./fixtures/target_auth_page";

/** A session with one each of the first two in-stock "desk lamp" products in its cart. */
async function cartWithTwo(shop: Shop, sessionId: string) {
  const [a, b] = await shop.inStock("desk lamp", sessionId);
  await shop.call("add-to-cart", { sessionId, productId: a.id });
  await shop.call("add-to-cart", { sessionId, productId: b.id });
  return [a, b];
}

/** Renders the cart widget for `sessionId`, once it shows the two lines of `cartWithTwo`. */
async function renderCartOfTwo(host: HostPage, mode: Mode, sessionId: string) {
  await host.render(mode, "get-cart", { sessionId });
  const cart = new CartPage(host.widget);
  await expect(cart.lines).toHaveCount(2);
  return cart;
}

/** The totals the widget shows are the server's cart, row by row. */
async function expectTotals(cart: CartPage, server: any) {
  await expect(cart.subtotal).toHaveText(usd(server.subtotalCents));
  await expect(cart.tax).toHaveText(usd(server.estimatedTaxCents));
  await expect(cart.shipping).toHaveText(server.shippingCents === 0 ? "Free" : usd(server.shippingCents));
  await expect(cart.total).toHaveText(usd(server.totalCents));
}

for (const mode of MODES) {
  test(`cart, ${mode} host: a quantity change and a removal update the lines, the totals and the server's cart`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.newSession();
    const [a, b] = await cartWithTwo(shop, sessionId);
    const cart = await renderCartOfTwo(host, mode, sessionId);
    await expect(cart.count).toHaveText("2 items");
    await expectTotals(cart, await shop.cart(sessionId));

    await cart.increase(a.id).click();
    await host.toolCall("update-cart-item");
    await expect(cart.quantity(a.id)).toHaveText("2");
    let server = await shop.cart(sessionId);
    expect(server.items.find((l: any) => l.product.id === a.id).quantity).toBe(2);
    expect(server.subtotalCents).toBe(2 * a.priceCents + b.priceCents);
    await expect(cart.lineTotal(a.id)).toHaveText(usd(2 * a.priceCents));
    await expect(cart.count).toHaveText("3 items");
    await expectTotals(cart, server);

    await cart.remove(b.id).click();
    const removal = await host.toolCall("update-cart-item", 1);
    expect(removal.args).toMatchObject({ sessionId, productId: b.id, quantity: 0 });
    await expect(cart.lines).toHaveCount(1);
    await expect(cart.line(b.id)).toHaveCount(0);
    server = await shop.cart(sessionId);
    expect(server.items).toEqual([expect.objectContaining({ quantity: 2, product: expect.objectContaining({ id: a.id }) })]);
    expect(server.subtotalCents).toBe(2 * a.priceCents);
    await expect(cart.count).toHaveText("2 items");
    await expectTotals(cart, server);
  });
}

/** Checks out in the rendered cart widget and returns the order the server answered. */
async function checkOut(host: HostPage, cart: CartPage, nth: number) {
  await cart.checkout.click();
  const call = await host.toolCall("checkout", nth);
  expect(call.result?.isError, call.result?.content?.[0]?.text).toBeFalsy();
  return { args: call.args, order: call.result!.structuredContent.order };
}

for (const mode of MODES) {
  test(`cart, ${mode} host: checkout signed out asks to sign in; signed in (target-auth widget) it places the order`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.newSession();
    const [a, b] = await cartWithTwo(shop, sessionId);
    let cart = await renderCartOfTwo(host, mode, sessionId);

    await cart.checkout.click();
    const refused = await host.toolCall("checkout");
    expect(refused.result?.isError).toBe(true);
    await expect(cart.signInPrompt).toContainText("Sign in to Target to check out.");
    await expect(cart.confirmation).toHaveCount(0);
    expect((await shop.cart(sessionId)).items, "nothing was ordered").toHaveLength(2);
    // Its button asks the conversation to sign the shopper in.
    await cart.frame.getByTestId("signin-prompt-button").click();
    await expect.poll(async () => (await host.records()).followUps).toEqual(["Sign me in to Target"]);

    // The shopper signs in where ChatGPT would show the form: the target-auth widget.
    await host.render(mode, "authenticate-target", { sessionId });
    const auth = new TargetAuthPage(host.widget);
    await auth.signIn(DEMO.email, DEMO.password);
    await expect(auth.signedIn).toContainText(DEMO.name);
    // Signing in renewed the session id; the conversation goes on with the one the widget reported.
    const signedIn = await host.renewedSessionId(sessionId);
    expect((await shop.call("get-target-auth-status", { sessionId: signedIn })).structuredContent.authenticated).toBe(true);

    await host.render(mode, "get-cart", { sessionId: signedIn });
    cart = new CartPage(host.widget);
    await expect(cart.lines).toHaveCount(2);
    const { args, order } = await checkOut(host, cart, 0);
    await expect(cart.confirmation).toBeVisible();
    await expect(cart.orderId).toHaveText(order.orderId);
    expect(order.orderId).toMatch(/^TGT-\d+$/);
    await expect(cart.orderLines).toHaveCount(2);
    expect(order.items.map((l: any) => l.product.id).sort()).toEqual([a.id, b.id].sort());
    await expect(cart.total).toHaveText(usd(order.totalCents));

    // The server: the cart is empty, and the order is stored under the widget's idempotency key.
    expect((await shop.cart(signedIn)).items).toEqual([]);
    const replay = await shop.call("checkout", { sessionId: signedIn, idempotencyKey: args.idempotencyKey });
    expect(replay.structuredContent).toMatchObject({ replayed: true, order: { orderId: order.orderId } });
  });
}

for (const mode of MODES) {
  test(`cart, ${mode} host: a double click on "Check out" places exactly one order`, async ({ host, shop }) => {
    // A Circle Card member: every order adds its savings to the account's lifetime savings, so the
    // server's own numbers tell how many orders were placed.
    const { sessionId } = await shop.nonMemberSession(`once-${mode}`);
    await shop.call("circle-signup", { sessionId, tier: "circle-card" });
    await cartWithTwo(shop, sessionId);
    const priced = await shop.cart(sessionId);
    expect(priced.circleSavingsCents).toBeGreaterThan(0);

    const cart = await renderCartOfTwo(host, mode, sessionId);
    await cart.checkout.dblclick();
    await expect(cart.confirmation).toBeVisible();

    const calls = (await host.records()).toolCalls.filter((c) => c.name === "checkout");
    const placed = calls.filter((c) => c.result && !c.result.isError).map((c) => c.result!.structuredContent);
    const orderIds = new Set(placed.map((p: any) => p.order.orderId));
    expect(orderIds.size, "every checkout answer names the same order").toBe(1);
    const [orderId] = orderIds;
    await expect(cart.orderId).toHaveText(orderId);
    expect(placed.filter((p: any) => !p.replayed), "one checkout placed the order").toHaveLength(1);

    const order = placed[0].order;
    expect(order.circleSavingsCents).toBe(priced.circleSavingsCents);
    const membership = (await shop.membership(sessionId)).membership;
    expect(membership.lifetimeSavingsCents, "the savings of exactly one order").toBe(order.circleSavingsCents);
    expect((await shop.cart(sessionId)).items).toEqual([]);
  });
}
