// cart: lines and totals from a real get-cart result; a quantity change goes through the host to
// update-cart-item and the widget shows the server's new total.
import { test, expect, MODES, usd } from "./fixtures/host";
import { CartPage } from "./fixtures/cart_page";

for (const mode of MODES) {
  test.describe(`cart, ${mode} host`, () => {
    test("shows the lines and total; a quantity change updates the total", async ({ host, shop }) => {
      const sessionId = await shop.newSession();
      const product = await shop.firstProduct("desk lamp", sessionId);
      await shop.call("add-to-cart", { sessionId, productId: product.id });

      const { result } = await host.render(mode, "get-cart", { sessionId });
      const before = result.structuredContent.cart;
      expect(before.items).toHaveLength(1);

      const cart = new CartPage(host.widget);
      await expect(cart.lines).toHaveCount(1);
      await expect(cart.line(product.id)).toContainText(product.title);
      await expect(cart.quantity(product.id)).toHaveText("1");
      await expect(cart.total).toHaveText(usd(before.totalCents));

      await cart.increase(product.id).click();
      const call = await host.toolCall("update-cart-item");
      expect(call.args).toMatchObject({ sessionId, productId: product.id, quantity: 2 });

      const after = await shop.cart(sessionId);
      expect(after.items[0].quantity).toBe(2);
      expect(after.totalCents).toBeGreaterThan(before.totalCents);
      await expect(cart.quantity(product.id)).toHaveText("2");
      await expect(cart.total).toHaveText(usd(after.totalCents));
    });
  });
}

for (const mode of MODES) {
  test(`cart, ${mode} host: Check out places the order and "Continue on Target.com" opens through the host`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.signIn(await shop.newSession(), "shopper@example.com");
    const product = await shop.firstProduct("desk lamp", sessionId);
    await shop.call("add-to-cart", { sessionId, productId: product.id, quantity: 2 });
    await host.render(mode, "get-cart", { sessionId });

    const cart = new CartPage(host.widget);
    await expect(cart.lines).toHaveCount(1);
    await cart.checkout.click();
    const call = await host.toolCall("checkout");
    expect(call.args).toMatchObject({ sessionId });
    const order = call.result!.structuredContent.order;

    await expect(cart.confirmation).toBeVisible();
    await expect(cart.orderId).toHaveText(order.orderId);
    expect((await shop.cart(sessionId)).items, "the order empties the cart").toEqual([]);

    await cart.frame.getByTestId("continue-on-target").click();
    await expect.poll(async () => (await host.records()).openedLinks).toEqual([order.continueUrl]);
  });
}
