// Scenario 4: a shopper who is not a member joins Target Circle Card in the circle widget; the cart
// and the checkout afterwards show the 5% Circle Card saving, and the server stored it.
import { test, expect, MODES, usd } from "./fixtures/host";
import { CirclePage } from "./fixtures/circle_page";
import { CartPage } from "./fixtures/cart_page";

/** Whole-cent rounding of a percentage, half away from zero (what the server's pricing says it does). */
const percent = (cents: number, pct: number) => Math.round((cents * pct) / 100);

for (const mode of MODES) {
  test(`circle, ${mode} host: joining Circle Card in the widget gives the 5% saving at checkout`, async ({ host, shop }) => {
    const { sessionId } = await shop.nonMemberSession(`savings-${mode}`);
    const [product] = await shop.inStock("desk lamp", sessionId);
    await shop.call("add-to-cart", { sessionId, productId: product.id, quantity: 2 });
    const before = await shop.cart(sessionId);
    expect(before.circleSavingsCents, "no savings before joining").toBe(0);

    await host.render(mode, "check-circle-membership", { sessionId });
    const circle = new CirclePage(host.widget);
    await expect(circle.status).toContainText(/not a Target Circle member/i);
    await circle.join("circle-card").click();
    const signup = await host.toolCall("circle-signup");
    expect(signup.args).toMatchObject({ sessionId, tier: "circle-card" });
    await expect(circle.current("circle-card")).toBeVisible();
    await expect(circle.joined).toContainText("Welcome to");
    expect((await shop.membership(sessionId)).membership).toMatchObject({ tier: "circle-card" });

    // The saving from the server's own numbers: the product's Circle offer, then 5% off the rest.
    const after = await shop.cart(sessionId);
    const offers = percent(after.subtotalCents, product.circleOfferPercent ?? 0);
    const card = percent(after.subtotalCents - offers, 5);
    expect(card).toBeGreaterThan(0);
    expect(after.circleSavingsCents).toBe(offers + card);
    expect(after.totalCents).toBe(after.subtotalCents - after.circleSavingsCents + after.shippingCents + after.estimatedTaxCents);

    await host.render(mode, "get-cart", { sessionId });
    const cart = new CartPage(host.widget);
    await expect(cart.savings).toHaveText(`−${usd(after.circleSavingsCents)}`);
    await expect(cart.total).toHaveText(usd(after.totalCents));

    await cart.checkout.click();
    const call = await host.toolCall("checkout");
    const order = call.result!.structuredContent.order;
    await expect(cart.confirmation).toBeVisible();
    expect(order.circleSavingsCents).toBe(offers + card);
    await expect(cart.savings).toHaveText(`−${usd(order.circleSavingsCents)}`);
    await expect(cart.total).toHaveText(usd(order.totalCents));
    // The server added the order's saving to the membership.
    expect((await shop.membership(sessionId)).membership.lifetimeSavingsCents).toBe(order.circleSavingsCents);
  });
}
