// Screenshots of each widget in light and dark (MCP Apps host, real tool results), so reviewers can
// see the UI without running anything. end2end/screenshots/<widget>-<theme>.png are committed;
// a run writes one only when it is missing or UPDATE_SCREENSHOTS=1 is set
// (`UPDATE_SCREENSHOTS=1 end2end/run.sh tests/screenshots.spec.ts`). Every run attaches the
// fresh pictures to the HTML report.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test, expect } from "./fixtures/host";
import { WIDGETS } from "./fixtures/widgets";

const DIR = fileURLToPath(new URL("../screenshots/", import.meta.url));
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";

for (const c of WIDGETS) {
  for (const theme of ["light", "dark"] as const) {
    test(`screenshot: ${c.widget}, ${theme}`, async ({ host, shop, page }) => {
      await host.render("mcp-apps", c.tool, await c.args(shop), { context: { theme } });
      await expect(host.widget.locator(c.ready).first()).toBeVisible();
      await expect(host.widget.locator("html")).toHaveAttribute("data-theme", theme);
      const frame = await host.widgetFrame();
      // Every picture loaded (or failed) and the widget reported its height to the host.
      await expect.poll(() => frame.evaluate(() => [...document.images].every((i) => i.complete))).toBe(true);
      await expect.poll(async () => (await host.records()).heights.length).toBeGreaterThan(0);
      const height = Math.min(Math.ceil((await host.records()).heights.at(-1)!), 1600);
      await page.locator("#widget").evaluate((f, h) => ((f as HTMLIFrameElement).style.height = `${h}px`), height);
      await expect(page.locator("#widget")).toHaveJSProperty("offsetHeight", height);

      const png = await page.locator("#widget").screenshot({ animations: "disabled" });
      await test.info().attach(`${c.widget}-${theme}.png`, { body: png, contentType: "image/png" });
      const file = `${DIR}${c.widget}-${theme}.png`;
      if (UPDATE || !existsSync(file)) {
        mkdirSync(DIR, { recursive: true });
        writeFileSync(file, png);
      }
    });
  }
}
