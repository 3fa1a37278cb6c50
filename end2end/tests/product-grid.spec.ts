// product-grid: cards from a real search result; Add to cart goes through the host to the server.
import { test, expect, MODES, usd } from "./fixtures/host";
import { ProductGridPage } from "./fixtures/product_grid_page";

for (const mode of MODES) {
  test.describe(`product-grid, ${mode} host`, () => {
    test("shows the search results with prices, and Add to cart fills the real cart", async ({ host, shop }) => {
      const sessionId = await shop.newSession();
      const { result } = await host.render(mode, "search-target-products", { query: "desk lamp", sessionId });
      const products: any[] = result.structuredContent.products;
      expect(products.length).toBeGreaterThan(1);

      const grid = new ProductGridPage(host.widget);
      await expect(grid.cards.first()).toBeVisible();
      const shown = await grid.shownIds();
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.length).toBeLessThanOrEqual(products.length);
      for (const id of shown) {
        const product = products.find((p) => p.id === id);
        expect(product, `card ${id} is one of the results`).toBeTruthy();
        await expect(grid.card(id)).toContainText(product.title);
        await expect(grid.price(id)).toContainText(usd(product.priceCents));
      }

      const pick = products.find((p) => p.inStock && shown.includes(p.id));
      await grid.addToCart(pick.id).click();
      const call = await host.toolCall("add-to-cart");
      expect(call.args).toMatchObject({ sessionId, productId: pick.id });
      expect(call.result?.isError).toBeFalsy();
      await expect(grid.added(pick.id)).toBeVisible();

      // Another client sees the item in the session's cart.
      const cart = await shop.cart(sessionId);
      expect(cart.items).toEqual([expect.objectContaining({ quantity: 1, product: expect.objectContaining({ id: pick.id }) })]);
    });
  });
}

for (const mode of MODES) {
  test(`product-grid, ${mode} host: "View all" asks the host for fullscreen and shows every result`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    const { result } = await host.render(mode, "search-target-products", { query: "desk lamp", sessionId });
    const products: any[] = result.structuredContent.products;
    const grid = new ProductGridPage(host.widget);
    await expect(grid.cards.first()).toBeVisible();
    const inline = await grid.cards.count();
    expect(inline, "inline shows a first few of the results").toBeLessThan(products.length);

    await grid.viewAll.click();
    await expect.poll(async () => (await host.records()).displayModeRequests).toEqual(["fullscreen"]);
    await expect(grid.cards).toHaveCount(products.length);
    await expect(host.widget.locator("html")).toHaveAttribute("data-display-mode", "fullscreen");
  });
}
