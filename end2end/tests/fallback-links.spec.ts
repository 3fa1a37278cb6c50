// The plain-JS fallback's link check (issue 14 item 9, widgets-app/fallback.js `webUrl`): only
// http(s) URLs from a tool result become links, opened through the host (window.openai
// openExternal, or the MCP Apps ui/open-link request); anything else (`javascript:`, `data:`, a
// scheme-relative `//host`) would run in or navigate the widget's frame, so the link goes to
// Target.com instead: a product's to a Target.com search for its title, an order's to Target.com.
// The results are real ones; the refused URLs are put into copies of them, as a hostile or broken
// upstream would (the server's own results only carry https URLs).
import type { Locator } from "@playwright/test";
import { test, expect, MODES, DEMO, type HostPage, type ToolResult } from "./fixtures/host";

const TARGET = "https://www.target.com";
/** Each sets window.__ran in the widget's frame if it ever runs there. */
const REFUSED = [
  `javascript:window.__ran="javascript"`,
  `  JavaScript:window.__ran="spaced"`,
  `data:text/html,<script>parent.__ran="data"</script>`,
  `//evil.example/p/lamp`,
];

/** Clicks `link` and waits for the host to record `expected` as the next opened link. */
async function clickOpens(host: HostPage, link: Locator, expected: string) {
  const before = (await host.records()).openedLinks.length;
  await link.click();
  await expect.poll(async () => (await host.records()).openedLinks.slice(before)).toEqual([expected]);
}

async function expectNothingRan(host: HostPage) {
  const frame = await host.widgetFrame();
  expect(await frame.evaluate(() => (window as any).__ran ?? null)).toBeNull();
  expect(await host.page.evaluate(() => (window as any).__ran ?? null)).toBeNull();
  expect(frame.url(), "the widget's frame did not navigate").toBe("about:srcdoc");
}

for (const mode of MODES) {
  test(`fallback links, ${mode} host without WebAssembly: product links open through the host, non-http URLs go to a Target.com search`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.newSession();
    const args = { query: "lamp", sessionId };
    const { result } = await host.render(mode, "search-target-products", args, { wasm: false });
    const products: any[] = result.structuredContent.products.map((p: any) => p.product ?? p);
    const known: any[] = result._meta["target/widget"].products;
    expect(products.length, "enough products for one allowed and every refused URL").toBeGreaterThan(REFUSED.length);
    const url = (id: string) => known.find((k) => k.id === id)?.url;

    // The real result: each product links to its own https page, through the host.
    const links = host.widget.locator("#root.tw-fallback li a");
    await expect(links).toHaveCount(products.length);
    const first = url(products[0].id);
    expect(first).toMatch(/^https:\/\//);
    await expect(links.nth(0)).toHaveAttribute("href", first);
    await clickOpens(host, links.nth(0), first);

    // A copy whose products 1..n carry refused URLs: those link to a Target.com search instead.
    const tampered: ToolResult = structuredClone(result);
    REFUSED.forEach((bad, i) => {
      tampered._meta["target/widget"].products.find((k: any) => k.id === products[i + 1].id).url = bad;
    });
    await host.render(mode, "search-target-products", args, { wasm: false, result: tampered });
    await expect(links).toHaveCount(products.length);
    await expect(links.nth(0)).toHaveAttribute("href", first);
    for (const [i, bad] of REFUSED.entries()) {
      const product = products[i + 1];
      const search = `${TARGET}/s?searchTerm=${encodeURIComponent(product.title)}`;
      await expect(links.nth(i + 1), `the link for ${JSON.stringify(bad)}`).toHaveAttribute("href", search);
      await clickOpens(host, links.nth(i + 1), search);
    }
    const opened = (await host.records()).openedLinks;
    for (const bad of REFUSED) expect(opened).not.toContain(bad);
    await expectNothingRan(host);
  });
}

for (const mode of MODES) {
  test(`fallback links, ${mode} host without WebAssembly: an order's link opens through the host, a javascript: one goes to Target.com`, async ({
    host,
    shop,
  }) => {
    const sessionId = await shop.signIn(await shop.newSession(), DEMO.email);
    const product = await shop.firstProduct("desk lamp", sessionId);
    await shop.call("add-to-cart", { sessionId, productId: product.id });
    const order = await shop.call("checkout", { sessionId, idempotencyKey: `fallback-links-${mode}-${Date.now()}` });
    const continueUrl: string = order.structuredContent.order.continueUrl;
    expect(continueUrl).toMatch(/^https:\/\//);

    await host.render(mode, "checkout", { sessionId }, { wasm: false, result: order });
    const link = host.widget.locator("#root.tw-fallback").getByRole("link", { name: "View the order on Target.com" });
    await expect(link).toHaveAttribute("href", continueUrl);
    await clickOpens(host, link, continueUrl);

    const tampered: ToolResult = structuredClone(order);
    tampered.structuredContent.order.continueUrl = REFUSED[0];
    await host.render(mode, "checkout", { sessionId }, { wasm: false, result: tampered });
    await expect(link).toHaveAttribute("href", TARGET);
    await clickOpens(host, link, TARGET);
    expect((await host.records()).openedLinks).not.toContain(REFUSED[0]);
    await expectNothingRan(host);
  });
}
