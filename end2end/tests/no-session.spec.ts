// Issue 12, item 2: no dead end without a session. The model often searches before anything else,
// so the grid's search carries no sessionId. Its first Add to cart goes without one: the server
// starts a session and answers its id; the grid adds to that session from then on (the other Add
// buttons wait for the first add, so one grid starts one session) and tells the model the id.
import type { Page, Route } from "@playwright/test";
import { test, expect, MODES, SESSION_ID, toldAfter } from "./fixtures/host";
import { test as extTest } from "./fixtures/ext_apps_host";
import { ProductGridPage } from "./fixtures/product_grid_page";

/** Holds the widget's next add-to-cart request at the server's door until `release` is called. */
async function holdNextAdd(page: Page) {
  let held: Route | undefined;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/mcp/all", async (route) => {
    if (held || !route.request().postData()?.includes('"add-to-cart"')) return route.fallback();
    held = route;
    await released;
    await route.fallback();
  });
  return {
    /** Waits until the request is held. */
    arrived: () => expect.poll(() => held !== undefined, { message: "the widget calls add-to-cart" }).toBe(true),
    release,
  };
}

/** Two in-stock products of `products` that the grid shows. */
async function twoShown(grid: ProductGridPage, products: any[]) {
  const shown = await grid.shownIds();
  const [first, second] = products.filter((p) => p.inStock && shown.includes(p.id));
  expect(second, "two in-stock products on the grid").toBeTruthy();
  return [first, second];
}

for (const mode of MODES) {
  test(`no session, ${mode} host: the first Add to cart starts a session that the grid and the model keep`, async ({
    host,
    shop,
  }) => {
    const { result } = await host.render(mode, "search-target-products", { query: "desk lamp" });
    expect(result.structuredContent.sessionId, "the search had no session").toBeUndefined();
    const grid = new ProductGridPage(host.widget);
    await expect(grid.cards.first()).toBeVisible();
    if (mode === "mcp-apps") await host.initialized();
    const [first, second] = await twoShown(grid, result.structuredContent.products);

    // While the first add (the one that starts the session) is on its way, no other card can add.
    const add = await holdNextAdd(host.page);
    await grid.addToCart(first.id).click();
    await add.arrived();
    await expect(grid.addToCart(second.id)).toBeDisabled();
    add.release();
    await expect(grid.added(first.id)).toBeVisible();
    await expect(grid.addToCart(second.id)).toBeEnabled();

    const call = await host.toolCall("add-to-cart");
    expect(call.args.sessionId, "the first add names no session").toBeUndefined();
    const started: string = call.result!.structuredContent.sessionId;
    expect(started).toMatch(SESSION_ID);
    const now = await toldAfter(host, mode, `That started Target session ${started}: pass sessionId ${started}`);
    expect(now.structured).toMatchObject({
      sessionId: started,
      cart: { lines: [{ productId: first.id, quantity: 1 }], itemCount: 1 },
    });
    if (mode === "openai") expect(now.privateContent).toEqual({ sort: "relevance", sessionId: started });

    // The next add goes to the same session, and get-cart with the returned id shows both lines.
    await grid.addToCart(second.id).click();
    await expect(grid.added(second.id)).toContainText("2 items");
    expect((await host.toolCall("add-to-cart", 1)).args).toMatchObject({ sessionId: started, productId: second.id });
    const cart = await shop.cart(started);
    expect(cart.items.map((l: any) => [l.product.id, l.quantity])).toEqual([
      [first.id, 1],
      [second.id, 1],
    ]);
    const last = await toldAfter(host, mode, `The shopper added ${second.title}`);
    expect(last.structured.lastAction, "the session is announced once").not.toContain("started");
    expect(last.structured.sessionId).toBe(started);

    if (mode === "openai") {
      // ChatGPT renders the grid again with the same result and the saved state: it keeps the session.
      const state = (await host.records()).widgetStates.at(-1);
      await host.render("openai", "search-target-products", { query: "desk lamp" }, { widgetState: state, result });
      const again = new ProductGridPage(host.widget);
      await again.addToCart(first.id).click();
      await expect(again.added(first.id)).toContainText("3 items");
      expect((await host.toolCall("add-to-cart")).args).toMatchObject({ sessionId: started, productId: first.id });
      expect((await shop.cart(started)).itemCount).toBe(3);
    }
  });
}

extTest("no session, ext-apps host: the first Add to cart starts a session, the view names it", async ({ extHost, shop }) => {
  const { result } = await extHost.render("search-target-products", { query: "desk lamp" });
  const grid = new ProductGridPage(extHost.widget);
  await expect(grid.cards.first()).toBeVisible();
  await extHost.initialized();
  const [first, second] = await twoShown(grid, result.structuredContent.products);

  await grid.addToCart(first.id).click();
  await expect(grid.added(first.id)).toBeVisible();
  const call = await extHost.toolCall("add-to-cart");
  expect(call.args.sessionId).toBeUndefined();
  const started: string = call.result!.structuredContent.sessionId;
  expect(started).toMatch(SESSION_ID);
  await expect
    .poll(async () => (await extHost.records()).modelContext.at(-1)?.structuredContent?.lastAction ?? "")
    .toContain(`That started Target session ${started}`);

  await grid.addToCart(second.id).click();
  await expect(grid.added(second.id)).toContainText("2 items");
  expect((await extHost.toolCall("add-to-cart", 1)).args).toMatchObject({ sessionId: started, productId: second.id });
  expect((await shop.cart(started)).itemCount).toBe(2);
});
