// Scenario 2: search "desk lamp". The grid shows the products with the server's prices; sorting by
// price low→high really reorders the cards; two items added from the grid are in the server's cart
// with the right total.
import { test, expect, MODES, usd } from "./fixtures/host";
import { ProductGridPage } from "./fixtures/product_grid_page";

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

for (const mode of MODES) {
  test(`search, ${mode} host: prices shown, sort by price low→high reorders, two items added make the cart total`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.newSession();
    const { result } = await host.render(mode, "search-target-products", { query: "desk lamp", sessionId });
    const products: any[] = result.structuredContent.products;
    const byId = new Map(products.map((p) => [p.id, p]));

    const grid = new ProductGridPage(host.widget);
    await expect(grid.cards.first()).toBeVisible();
    await expect(grid.heading).toHaveText("Results for “desk lamp”");
    const before = await grid.shownIds();
    const pricesBefore = await grid.shownPrices();
    expect(pricesBefore, "each card shows the server's price").toEqual(before.map((id) => byId.get(id).priceCents));
    expect(ascending(pricesBefore), "the server's relevance order is not already by price (else sorting proves nothing)").toBe(false);

    await grid.sort.selectOption("price-low");
    // Inline, the grid shows the cheapest of all the results, cheapest first.
    const cheapest = [...products]
      .map((p, rank) => ({ p, rank }))
      .sort((a, b) => a.p.priceCents - b.p.priceCents || a.rank - b.rank)
      .slice(0, before.length)
      .map(({ p }) => p.id);
    await expect.poll(() => grid.shownIds(), { message: "the cards reorder by price" }).toEqual(cheapest);
    const pricesAfter = await grid.shownPrices();
    expect(ascending(pricesAfter)).toBe(true);
    expect(await grid.shownIds()).not.toEqual(before);
    await expect(grid.sort).toHaveValue("price-low");
    if (mode === "openai") {
      // ChatGPT keeps the chosen order as widget state.
      await expect.poll(async () => (await host.records()).widgetStates.at(-1)?.privateContent).toEqual({ sort: "price-low" });
    }

    // Add the first two in-stock cards of the sorted grid.
    const picks = (await grid.shownIds()).filter((id) => byId.get(id).inStock).slice(0, 2);
    expect(picks).toHaveLength(2);
    for (const [n, id] of picks.entries()) {
      await grid.addToCart(id).click();
      await host.toolCall("add-to-cart", n);
      await expect(grid.added(id)).toContainText(`cart: ${n + 1} item`);
    }

    const cart = await shop.cart(sessionId);
    expect(cart.items.map((l: any) => l.product.id).sort()).toEqual([...picks].sort());
    expect(cart.items.every((l: any) => l.quantity === 1)).toBe(true);
    // The total from the server's own numbers: prices from the search, then its savings, shipping and tax.
    const subtotal = picks.reduce((sum, id) => sum + byId.get(id).priceCents, 0);
    expect(cart.subtotalCents).toBe(subtotal);
    expect(cart.circleSavingsCents, "a shopper who is not signed in is no Circle member").toBe(0);
    expect(cart.totalCents).toBe(subtotal - cart.circleSavingsCents + cart.shippingCents + cart.estimatedTaxCents);
    // The second card's confirmation shows that same total.
    await expect(grid.added(picks[1])).toHaveText(`Added — cart: 2 items, ${usd(cart.totalCents)}`);
  });
}
