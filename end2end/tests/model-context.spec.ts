// Issue 12: the conversation stays true. Every widget action tells the model what the shopper did,
// in both dialects: MCP Apps `ui/update-model-context` (a sentence plus a structured summary) and
// the model-visible half of `window.openai` widget state (`{modelContent, privateContent}`). Only
// a placed order posts a follow-up message, exactly one.
import { test, expect, MODES, DEMO, usd, toldAfter, type Shop } from "./fixtures/host";
import { CartPage } from "./fixtures/cart_page";
import { CirclePage } from "./fixtures/circle_page";
import { ProductGridPage } from "./fixtures/product_grid_page";

async function cartWithTwo(shop: Shop, sessionId: string) {
  const [a, b] = await shop.inStock("desk lamp", sessionId);
  await shop.call("add-to-cart", { sessionId, productId: a.id });
  await shop.call("add-to-cart", { sessionId, productId: b.id });
  return [a, b];
}

for (const mode of MODES) {
  test(`model context, ${mode} host: Add to cart and a sort change in the grid`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    await host.render(mode, "search-target-products", { query: "desk lamp", sessionId });
    const grid = new ProductGridPage(host.widget);
    await expect(grid.cards.first()).toBeVisible();
    if (mode === "mcp-apps") await host.initialized();
    const shown = await grid.shownIds();
    const pick = (await shop.inStock("desk lamp")).find((p) => shown.includes(p.id));

    await grid.addToCart(pick.id).click();
    await expect(grid.added(pick.id)).toBeVisible();
    let now = await toldAfter(host, mode, `The shopper added ${pick.title} to their Target cart`);
    const cart = await shop.cart(sessionId);
    expect(now.structured).toMatchObject({
      sessionId,
      cart: { lines: [{ productId: pick.id, title: pick.title, quantity: 1 }], itemCount: 1, totalCents: cart.totalCents },
    });
    if (mode === "mcp-apps") {
      expect(now.text).toContain(`Cart now: 1 × ${pick.title} (1 item, total ${usd(cart.totalCents)}).`);
      expect(now.text).toContain(`Target session: ${sessionId}.`);
    } else {
      expect(now.privateContent, "the private half restores the grid").toEqual({ sort: "relevance" });
    }

    await grid.sort.selectOption("price-low");
    now = await toldAfter(host, mode, "sorted the Target products by price, low to high");
    expect(now.structured).toMatchObject({ sort: "price-low", cart: { itemCount: 1 } });
    if (mode === "openai") expect(now.privateContent).toEqual({ sort: "price-low" });
    expect(now.count, "one update per action").toBe(2);
    expect((await host.records()).followUps, "no follow-up message for clicks").toEqual([]);
  });

  test(`model context, ${mode} host: quantity, removal and checkout in the cart; one follow-up after the order`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.signIn(await shop.newSession(), DEMO.email);
    const [a, b] = await cartWithTwo(shop, sessionId);
    await host.render(mode, "get-cart", { sessionId });
    const cart = new CartPage(host.widget);
    await expect(cart.lines).toHaveCount(2);
    if (mode === "mcp-apps") await host.initialized();

    await cart.increase(a.id).click();
    await expect(cart.quantity(a.id)).toHaveText("2");
    let now = await toldAfter(host, mode, `changed the quantity of ${a.title} to 2`);
    expect(now.structured.cart.lines).toEqual([
      { productId: a.id, title: a.title, quantity: 2 },
      { productId: b.id, title: b.title, quantity: 1 },
    ]);
    expect(now.structured.cart.totalCents).toBe((await shop.cart(sessionId)).totalCents);

    await cart.remove(b.id).click();
    await expect(cart.lines).toHaveCount(1);
    now = await toldAfter(host, mode, `removed ${b.title} from their Target cart`);
    expect(now.structured.cart).toMatchObject({ lines: [{ productId: a.id, quantity: 2 }], itemCount: 2 });

    await cart.checkout.click();
    await expect(cart.confirmation).toBeVisible();
    const order = (await host.toolCall("checkout")).result!.structuredContent.order;
    now = await toldAfter(host, mode, `placed Target order ${order.orderId} for ${usd(order.totalCents)} (2 items)`);
    expect(now.structured.order).toEqual({ orderId: order.orderId, itemCount: 2, totalCents: order.totalCents, currency: "USD" });
    expect(now.structured.cart, "the emptied cart is no longer reported").toBeUndefined();
    if (mode === "openai") expect(now.privateContent).toMatchObject({ view: "confirmation", orderId: order.orderId });
    expect(now.count).toBe(3);
    await expect
      .poll(async () => (await host.records()).followUps)
      .toEqual([`I placed Target order ${order.orderId} for ${usd(order.totalCents)}.`]);
  });

  test(`model context, ${mode} host: a Circle join and a switch; the widget state restores the new tier`, async ({
    host,
    shop,
  }) => {
    const { sessionId } = await shop.nonMemberSession(`context-${mode}`, 2);
    const { result: first } = await host.render(mode, "check-circle-membership", { sessionId });
    const circle = new CirclePage(host.widget);
    await expect(circle.status).toContainText(/not a Target Circle member/i);
    if (mode === "mcp-apps") await host.initialized();

    await circle.join("circle-card").click();
    await expect(circle.current("circle-card")).toBeVisible();
    let now = await toldAfter(host, mode, "The shopper joined Target Circle Card.");
    expect(now.structured).toMatchObject({ sessionId, circle: { tier: "circle-card" } });

    await circle.join("circle-360").click();
    await expect(circle.current("circle-360")).toBeVisible();
    now = await toldAfter(host, mode, "switched from Target Circle Card to Target Circle 360");
    expect(now.structured.circle).toEqual({ tier: "circle-360", previousTier: "circle-card" });
    expect((await host.records()).followUps).toEqual([]);

    if (mode === "openai") {
      // ChatGPT renders the widget again with its first tool output and the saved widget state:
      // the widget shows the tier the shopper switched to, not the stale "not a member".
      const state = (await host.records()).widgetStates.at(-1);
      expect(state.privateContent.membership.tier).toBe("circle-360");
      await host.render("openai", "check-circle-membership", { sessionId }, { widgetState: state, result: first });
      const again = new CirclePage(host.widget);
      await expect(again.current("circle-360")).toBeVisible();
      await expect(again.status).toContainText("Target Circle 360 member");
      // Without the saved state the same output shows the stale "not a member".
      await host.render("openai", "check-circle-membership", { sessionId }, { result: first });
      await expect(new CirclePage(host.widget).status).toContainText(/not a Target Circle member/i);
    }
  });
}
