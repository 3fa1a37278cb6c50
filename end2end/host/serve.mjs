// A tiny static file server for the host pages (end2end/host/), started by playwright.config.ts.
// Usage: node host/serve.mjs [port]   (default: HOST_PAGE_PORT or 8790)
// /ext-apps-host.bundle.js is ext-apps-host.js bundled with esbuild from node_modules (the
// official @modelcontextprotocol/ext-apps and client packages), built once per start: no CDN.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const port = Number(process.argv[2] || process.env.HOST_PAGE_PORT || 8790);
const BUNDLE = "/ext-apps-host.bundle.js";
let bundle = null;
async function extAppsBundle() {
  bundle ??= import("esbuild").then(({ build }) =>
    build({
      entryPoints: [join(root, "ext-apps-host.js")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "warning",
    }).then((r) => r.outputFiles[0].contents),
  );
  return bundle;
}

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css" };

createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
  if (path === BUNDLE) {
    try {
      const body = await extAppsBundle();
      return res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(body);
    } catch (error) {
      bundle = null;
      console.error(error);
      return res.writeHead(500, { "content-type": "text/plain" }).end(String(error?.message || error));
    }
  }
  const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
  if (!file.startsWith(root)) return res.writeHead(403).end();
  try {
    const body = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  }
}).listen(port, "127.0.0.1", () => {
  console.log(`host page on http://127.0.0.1:${port}/ (ext-apps host: /ext-apps.html)`);
  extAppsBundle().catch((error) => console.error("ext-apps host bundle:", error?.message || error));
});
