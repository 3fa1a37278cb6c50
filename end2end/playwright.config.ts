// Playwright for the Target widgets. Debian's chromium, never a downloaded browser.
//
// end2end/run.sh starts the server on a free port and sets TARGET_SERVER_URL; without it this
// config starts target/debug/server itself on TARGET_SERVER_PORT (default 8765). The host page
// (host/index.html, served by host/serve.mjs) is always started here.
import { defineConfig } from "@playwright/test";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
// Where reports, traces and results go (run.sh sets it; default: end2end/ itself). Two runs at
// once on one checkout need two directories, or each deletes the other's traces.
const out = (process.env.E2E_OUT || here).replace(/\/$/, "");
process.env.E2E_OUT = out;
const serverPort = Number(process.env.TARGET_SERVER_PORT || 8765);
const hostPort = Number(process.env.HOST_PAGE_PORT || 8790);
const externalServer = process.env.TARGET_SERVER_URL;
const serverUrl = externalServer || `http://127.0.0.1:${serverPort}`;
process.env.TARGET_SERVER_URL = serverUrl;

// The host page, always; the server only when run.sh did not start one.
const hostPage = {
  command: `node host/serve.mjs ${hostPort}`,
  url: `http://127.0.0.1:${hostPort}/index.html`,
  reuseExistingServer: !process.env.CI,
  timeout: 15_000,
};
const server = {
  command: `${here}../target/debug/server`,
  url: `${serverUrl}/healthz`,
  reuseExistingServer: !process.env.CI,
  timeout: 30_000,
  env: {
    PORT: String(serverPort),
    HOST: "127.0.0.1",
    PUBLIC_BASE_URL: serverUrl,
    ALLOWED_ORIGINS: "null",
    ACCOUNTS_FILE: `${here}accounts.json`,
    LOG_FORMAT: "json",
    RUST_LOG: "warn",
  },
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: [
    ["list"],
    ["html", { outputFolder: `${out}/playwright-report`, open: "never" }],
    ["json", { outputFile: `${out}/results/report.json` }],
  ],
  outputDir: `${out}/test-results`,
  use: {
    browserName: "chromium",
    baseURL: `http://127.0.0.1:${hostPort}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: externalServer ? [hostPage] : [hostPage, server],
});
