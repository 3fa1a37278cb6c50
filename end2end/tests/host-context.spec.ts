// Issue 12: the host's context is honoured: maxHeight (the widget scrolls inside it), safe-area
// insets, the host's locale for money (prices stay USD), display mode changes; and an error after
// the first render shows the widget's error state with a retry instead of a frozen widget.
import { test, expect, MODES, type HostPage } from "./fixtures/host";
import { CartPage } from "./fixtures/cart_page";
import { ProductGridPage } from "./fixtures/product_grid_page";

/** The scroll box of the widget: its visible height, its content height and its overflow. */
async function scrollBox(host: HostPage) {
  const frame = await host.widgetFrame();
  return frame.evaluate(() => {
    const app = document.querySelector(".tw-app") as HTMLElement;
    return { client: app.clientHeight, scroll: app.scrollHeight, overflow: getComputedStyle(app).overflowY };
  });
}

for (const mode of MODES) {
  test(`host context, ${mode} host: a widget taller than maxHeight scrolls inside it; fullscreen lifts it`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    await host.render(mode, "search-target-products", { query: "desk lamp", sessionId }, { context: { maxHeight: 320 } });
    const grid = new ProductGridPage(host.widget);
    await expect(grid.cards.first()).toBeVisible();
    await expect.poll(async () => (await scrollBox(host)).client).toBeLessThanOrEqual(320);
    const box = await scrollBox(host);
    expect(box.overflow).toBe("auto");
    expect(box.scroll, "the content is taller than the host allows").toBeGreaterThan(box.client);
    // The last card can be scrolled to, inside the widget.
    await grid.cards.last().scrollIntoViewIfNeeded();
    await expect(grid.cards.last()).toBeInViewport();
    // The height reported to the host is the capped one (MCP Apps size-changed; window.openai
    // hears notifyIntrinsicHeight only on a resize after its bridge connected).
    if (mode === "mcp-apps") await expect.poll(async () => (await host.records()).heights.at(-1)).toBeLessThanOrEqual(320);

    // The host switches to fullscreen: no cap, every card shown.
    await host.setGlobals({ displayMode: "fullscreen" });
    await expect(host.widget.locator("html")).toHaveAttribute("data-display-mode", "fullscreen");
    await expect.poll(async () => { const b = await scrollBox(host); return b.scroll - b.client; }).toBeLessThanOrEqual(1);
    await expect(grid.viewAll).toHaveCount(0);
  });

  test(`host context, ${mode} host: safe-area insets pad the widget`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    const padding = async () => host.computed(["padding-top", "padding-bottom", "padding-left"], ".tw-app");
    await host.render(mode, "authenticate-target", { sessionId });
    await expect(host.widget.getByTestId("signin-email")).toBeVisible();
    const plain = await padding();
    await host.render(mode, "authenticate-target", { sessionId }, { context: { safeArea: { top: 44, right: 0, bottom: 34, left: 12 } } });
    await expect(host.widget.getByTestId("signin-email")).toBeVisible();
    const px = (v: string) => parseFloat(v);
    await expect.poll(async () => px((await padding())["padding-top"]) - px(plain["padding-top"])).toBe(44);
    const inset = await padding();
    expect(px(inset["padding-bottom"]) - px(plain["padding-bottom"])).toBe(34);
    expect(px(inset["padding-left"]) - px(plain["padding-left"])).toBe(12);
  });

  test(`host context, ${mode} host: money follows the host's locale and stays in US dollars`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    const [product] = await shop.inStock("desk lamp", sessionId);
    await shop.call("add-to-cart", { sessionId, productId: product.id, quantity: 2 });
    const server = await shop.cart(sessionId);
    await host.render(mode, "get-cart", { sessionId }, { context: { locale: "de-DE" } });
    const cart = new CartPage(host.widget);
    await expect(cart.lines).toHaveCount(1);
    const frame = await host.widgetFrame();
    const expected = await frame.evaluate(
      (cents) => new Intl.NumberFormat("de-DE", { style: "currency", currency: "USD" }).format(cents / 100),
      server.totalCents,
    );
    expect(expected).toMatch(/\$$/);
    await expect(cart.total).toHaveText(expected);
  });

  test(`errors, ${mode} host: an error or rejection after the first render shows the error state with a retry`, async ({ host, shop }) => {
    const sessionId = await shop.newSession();
    await host.render(mode, "search-target-products", { query: "desk lamp", sessionId });
    const grid = new ProductGridPage(host.widget);
    await expect(grid.cards.first()).toBeVisible();
    const frame = await host.widgetFrame();
    const error = host.widget.getByTestId("error");
    const retry = host.widget.getByTestId("retry");

    await frame.evaluate(() => setTimeout(() => { throw new Error("injected error"); }));
    await expect(error).toContainText("Something went wrong in this Target widget.");
    await expect(grid.cards).toHaveCount(0);
    await retry.click();
    await expect(grid.cards.first()).toBeVisible();
    await expect(error).toHaveCount(0);

    await frame.evaluate(() => setTimeout(() => Promise.reject(new Error("injected rejection"))));
    await expect(retry).toBeVisible();
    await retry.click();
    await expect(grid.cards.first()).toBeVisible();
  });
}
