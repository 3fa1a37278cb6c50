// The host page itself: each mode gives the widget what that kind of host gives, and nothing else.
import { test, expect, MODES, SERVER } from "./fixtures/host";

test("openai mode: a sandboxed srcdoc frame with window.openai holding the real tool result", async ({ host, page }) => {
  const { result, uri } = await host.render("openai", "search-target-products", { query: "desk lamp" });
  const frame = page.locator("#widget");
  await expect(frame).toHaveAttribute("sandbox", "allow-scripts allow-forms");
  const tool = (await page.evaluate(() => (window as any).__host.mcp.tool("search-target-products"))) as any;
  expect(uri).toBe(tool._meta["openai/outputTemplate"]);

  const inFrame = await host.widgetFrame();
  const seen = await inFrame.evaluate(() => ({
    origin: window.origin,
    query: (window as any).openai?.toolOutput?.query,
    products: (window as any).openai?.toolOutput?.products?.length,
    input: (window as any).openai?.toolInput,
    theme: (window as any).openai?.theme,
    callTool: typeof (window as any).openai?.callTool,
  }));
  expect(seen).toEqual({
    origin: "null",
    query: "desk lamp",
    products: result.structuredContent.products.length,
    input: { query: "desk lamp" },
    theme: "light",
    callTool: "function",
  });

  // window.openai.callTool goes through the host to the real server.
  const viaShim = await inFrame.evaluate(() => (window as any).openai.callTool("create-target-session", {}));
  expect(viaShim.structuredContent.sessionId).toMatch(/^sess_[0-9a-f]{32}$/);
  expect((await host.records()).toolCalls.map((c) => c.name)).toContain("create-target-session");
});

test("mcp-apps mode: no window.openai; the view's ui/initialize is answered and the result pushed", async ({ host, page }) => {
  const { uri } = await host.render("mcp-apps", "search-target-products", { query: "desk lamp" });
  const tool = (await page.evaluate(() => (window as any).__host.mcp.tool("search-target-products"))) as any;
  expect(uri).toBe(tool._meta.ui.resourceUri);

  await expect.poll(async () => (await host.records()).log.map((e) => e.kind)).toContain("initialized");
  const records = await host.records();
  expect(records.uiInitialize[0].appInfo?.name, "ui/initialize carries appInfo").toBeTruthy();
  const pushed = records.log.filter((e) => e.kind === "host-notification").map((e) => e.method);
  expect(pushed.slice(0, 2)).toEqual(["ui/notifications/tool-input", "ui/notifications/tool-result"]);

  const inFrame = await host.widgetFrame();
  expect(await inFrame.evaluate(() => typeof (window as any).openai)).toBe("undefined");
});

test("the server answers the sandboxed (opaque-origin) frame's REST calls", async ({ shop }) => {
  // The sign-in widget posts from an origin of "null"; run.sh allows it with ALLOWED_ORIGINS=null.
  const sessionId = await shop.newSession();
  const response = await fetch(`${SERVER}/api/session/authenticate`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: "null" },
    body: JSON.stringify({ sessionId, email: "shopper@example.com", password: "bullseye-demo" }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("access-control-allow-origin")).toBe("null");
});

for (const mode of MODES) {
  test(`${mode} mode: theme and display mode changed at run time reach the widget`, async ({ host }) => {
    await host.render(mode, "search-target-products", { query: "desk lamp" }, { context: { theme: "light" } });
    const html = host.widget.locator("html");
    await expect(html).toHaveAttribute("data-theme", "light");
    await expect(html).toHaveAttribute("data-display-mode", "inline");

    // openai: one openai:set_globals; mcp-apps: ui/notifications/host-context-changed.
    await host.setGlobals({ theme: "dark", displayMode: "fullscreen" });
    await expect(html).toHaveAttribute("data-theme", "dark");
    await expect(html).toHaveAttribute("data-display-mode", "fullscreen");
  });
}

// ChatGPT mounts the widget while the tool still runs and sets the result later: a window.openai
// host's set_globals must apply at once, not after the MCP Apps handshake times out (1.5 s).
test("openai mode: a result the host sets right after load shows without waiting out the MCP Apps handshake", async ({
  host,
  shop,
}) => {
  const sessionId = await shop.newSession();
  const later = await shop.call("search-target-products", { query: "desk lamp", sessionId });
  await host.render("openai", "search-target-products", { query: "frame", sessionId });
  const heading = host.widget.locator("#tw-grid-heading");
  await expect(heading).toHaveText("Results for “frame”");
  await host.setGlobals({ toolResult: later });
  // Well under the 1.5 s handshake timeout; a connected bridge applies it in about 0.1 s.
  await expect(heading).toHaveText("Results for “desk lamp”", { timeout: 1_000 });
});
