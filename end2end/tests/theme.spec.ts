// Scenario 5: the host switches to the dark theme at run time and every widget restyles (computed
// colours, not only an attribute); a widget rendered again restores what it saved with
// setWidgetState (window.openai host: ChatGPT keeps widget state per message).
import { test, expect, MODES, DEMO } from "./fixtures/host";
import { WIDGETS } from "./fixtures/widgets";
import { ProductGridPage } from "./fixtures/product_grid_page";
import { TargetAuthPage } from "./fixtures/target_auth_page";

/** Relative luminance (0 black … 1 white) of a computed `rgb(r, g, b)` colour. */
function luminance(color: string): number {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color);
  if (!m) throw new Error(`not an rgb colour: ${color}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

for (const c of WIDGETS) {
  for (const mode of MODES) {
    test(`theme, ${mode} host: ${c.widget} restyles when the host switches to dark at run time`, async ({ host, shop }) => {
      await host.render(mode, c.tool, await c.args(shop), { context: { theme: "light" } });
      await expect(host.widget.locator(c.ready).first()).toBeVisible();
      const html = host.widget.locator("html");
      await expect(html).toHaveAttribute("data-theme", "light");
      const light = await host.computed(["background-color", "color"]);
      expect(luminance(light["background-color"]), "light background").toBeGreaterThan(0.5);
      expect(luminance(light.color), "dark text on it").toBeLessThan(0.5);

      await host.setGlobals({ theme: "dark" });
      await expect(html).toHaveAttribute("data-theme", "dark");
      await expect
        .poll(async () => luminance((await host.computed(["background-color"]))["background-color"]), {
          message: "the background turns dark",
        })
        .toBeLessThan(0.1);
      const dark = await host.computed(["background-color", "color"]);
      expect(dark["background-color"]).not.toBe(light["background-color"]);
      expect(luminance(dark.color), "light text on it").toBeGreaterThan(0.5);
      // The widget's own content restyles too, not just the page behind it.
      const inner = await host.computed(["color"], c.ready);
      expect(luminance(inner.color)).toBeGreaterThan(0.5);
      await expect(host.widget.locator(c.ready).first()).toBeVisible();

      await host.setGlobals({ theme: "light" });
      await expect
        .poll(async () => (await host.computed(["background-color"]))["background-color"])
        .toBe(light["background-color"]);
    });
  }
}

test("widget state, openai host: the product grid rendered again keeps the sort the shopper chose", async ({ host, shop }) => {
  const args = { query: "desk lamp", sessionId: await shop.newSession() };
  await host.render("openai", "search-target-products", args);
  let grid = new ProductGridPage(host.widget);
  await expect(grid.cards.first()).toBeVisible();
  const relevance = await grid.shownIds();
  await grid.sort.selectOption("price-high");
  await expect.poll(async () => (await host.records()).widgetStates.at(-1)?.privateContent).toEqual({ sort: "price-high" });
  await expect.poll(() => grid.shownIds()).not.toEqual(relevance);
  const chosen = await grid.shownIds();
  const prices = await grid.shownPrices();
  expect(prices.every((p, i) => i === 0 || prices[i - 1] >= p), "high to low").toBe(true);

  // ChatGPT renders the same message again with the state it kept.
  const state = (await host.records()).widgetStates.at(-1);
  await host.render("openai", "search-target-products", args, { widgetState: state });
  grid = new ProductGridPage(host.widget);
  await expect(grid.cards.first()).toBeVisible();
  await expect(grid.sort).toHaveValue("price-high");
  expect(await grid.shownIds()).toEqual(chosen);
});

test("widget state, openai host: the sign-in widget rendered again after signing in shows the signed-in view", async ({
  host,
  shop,
}) => {
  const sessionId = await shop.newSession();
  // The tool result is from before the sign-in (status pending) both times, as in a conversation.
  const { result } = await host.render("openai", "authenticate-target", { sessionId });
  expect(result.structuredContent.status).toBe("pending");
  let auth = new TargetAuthPage(host.widget);
  await auth.signIn(DEMO.email, DEMO.password);
  await expect(auth.signedIn).toContainText(DEMO.name);
  await expect.poll(async () => (await host.records()).widgetStates.at(-1)).toMatchObject({ privateContent: { signedIn: true } });
  const state = (await host.records()).widgetStates.at(-1);

  // ChatGPT renders it again from the stored result (whose sessionId the sign-in retired).
  await host.render("openai", "authenticate-target", { sessionId }, { widgetState: state, result });
  auth = new TargetAuthPage(host.widget);
  await expect(auth.signedIn).toHaveText(`Signed in as ${DEMO.name} (${DEMO.email})`);
  await expect(auth.form).toHaveCount(0);
  // The restored state kept the session's new id: Sign out acts on it.
  const renewed = state.privateContent.sessionId;
  expect(renewed).not.toBe(sessionId);
  await auth.signOut.click();
  await expect(auth.form).toBeVisible();
  expect((await shop.call("get-target-auth-status", { sessionId: renewed })).structuredContent.authenticated).toBe(false);
});
