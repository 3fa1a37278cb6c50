// An MCP Apps host we did not write: the host side of the official `@modelcontextprotocol/ext-apps`
// package (AppBridge + PostMessageTransport) over the official MCP TypeScript SDK v2 client
// (`@modelcontextprotocol/client`, Streamable HTTP), against the real server. serve.mjs bundles this
// file with esbuild as /ext-apps-host.bundle.js; the page is ext-apps.html.
//
//   /ext-apps.html?server=http://127.0.0.1:8000
//   await window.__extHost.render({ tool: "get-cart", args: { sessionId } })
//
// The bridge answers ui/initialize, forwards the view's tools/call to the server through the client
// (AppBridge does that itself when given a connected client) and sends tool-input / tool-result
// once the view is initialized. What the view asked for is on window.__extHost.records().

import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { AppBridge, PostMessageTransport, getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";
import { templateCsp, templateSrcdoc, widgetFrame } from "./host-core.js";

const params = new URLSearchParams(location.search);
const server = (params.get("server") || "http://127.0.0.1:8000").replace(/\/$/, "");
const HOST_INFO = { name: "ext-apps-test-host", version: "1.0.0" };
const HOST_CAPABILITIES = { openLinks: {}, serverTools: {}, logging: {}, message: { text: {} }, updateModelContext: { text: {}, structuredContent: {} } };
const logEl = document.getElementById("log");

let client = null;
let tools = null;
let bridge = null;
let records = null;
let current = null;
let hostCtx = null;

function freshRecords() {
  return {
    toolCalls: [],
    followUps: [],
    openedLinks: [],
    displayModeRequests: [],
    heights: [],
    modelContext: [],
    appInfo: null,
    appCapabilities: null,
    initialized: false,
    log: [],
  };
}

function record(kind, detail = {}) {
  const entry = { kind, at: Math.round(performance.now()), ...detail };
  records.log.push(entry);
  logEl.textContent += `${String(entry.at).padStart(6)} ${kind} ${JSON.stringify(detail).slice(0, 300)}\n`;
  return entry;
}

async function connectClient() {
  if (client) return client;
  const c = new Client(HOST_INFO, {
    capabilities: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: ["text/html;profile=mcp-app"] } } },
  });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${server}/mcp/all`)));
  client = c;
  return c;
}

async function tool(name) {
  tools ??= (await (await connectClient()).listTools()).tools;
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`the server has no tool ${name}`);
  return found;
}

function hostContext(context = {}) {
  return {
    theme: context.theme ?? "light",
    displayMode: context.displayMode ?? "inline",
    availableDisplayModes: ["inline", "fullscreen", "pip"],
    containerDimensions: { maxHeight: context.maxHeight ?? 640 },
    locale: context.locale ?? "en-US",
    timeZone: "America/Chicago",
    platform: "web",
    userAgent: "ext-apps-test-host",
    deviceCapabilities: { touch: false, hover: true },
    safeAreaInsets: context.safeArea ?? { top: 0, right: 0, bottom: 0, left: 0 },
  };
}

/**
 * Calls `tool` on the server, reads its template from `_meta.ui.resourceUri` (getToolUiResourceUri),
 * and renders it in a fresh sandboxed srcdoc iframe driven by a new AppBridge.
 */
async function render({ tool: name, args = {}, context = {} }) {
  const c = await connectClient();
  if (bridge) {
    await bridge.close().catch(() => {});
    bridge = null;
  }
  records = freshRecords();
  const result = await c.callTool({ name, arguments: args });
  const descriptor = await tool(name);
  const uri = getToolUiResourceUri(descriptor);
  if (!uri) throw new Error(`tool ${name} has no ui resource`);
  const resource = await c.readResource({ uri });
  const content = resource.contents?.[0];
  if (!content || typeof content.text !== "string") throw new Error(`resources/read ${uri}: no text content`);

  const old = document.getElementById("widget");
  const frame = widgetFrame(name, uri);
  old.replaceWith(frame);

  hostCtx = { ...hostContext(context), toolInfo: { tool: descriptor } };
  const b = new AppBridge(c, HOST_INFO, HOST_CAPABILITIES, { hostContext: hostCtx });
  b.oninitialized = () => {
    records.initialized = true;
    records.appInfo = b.getAppVersion() ?? null;
    records.appCapabilities = b.getAppCapabilities() ?? null;
    record("initialized", { appInfo: records.appInfo });
    b.sendToolInput({ arguments: args });
    b.sendToolResult(result);
  };
  b.onmessage = async (p) => {
    const text = (p.content || []).filter((x) => x.type === "text").map((x) => x.text).join("\n");
    records.followUps.push(text);
    record("ui/message", { text });
    return {};
  };
  b.onopenlink = async ({ url }) => {
    records.openedLinks.push(url);
    record("ui/open-link", { url });
    return {};
  };
  b.onrequestdisplaymode = async ({ mode }) => {
    records.displayModeRequests.push(mode);
    record("ui/request-display-mode", { mode });
    setHostContext({ displayMode: mode });
    return { mode };
  };
  b.onupdatemodelcontext = async (p) => {
    records.modelContext.push(p);
    record("ui/update-model-context", { params: p });
    return {};
  };
  b.onsizechange = ({ height }) => {
    records.heights.push(height);
  };
  await b.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  // AppBridge forwards tools/call to the client itself; wrap that to record each call.
  const forward = b.oncalltool;
  b.oncalltool = async (p, extra) => {
    const entry = record("tools/call", { name: p.name, args: p.arguments ?? {} });
    records.toolCalls.push(entry);
    try {
      entry.result = await forward(p, extra);
      return entry.result;
    } catch (error) {
      entry.error = String(error?.message || error);
      throw error;
    }
  };
  bridge = b;
  current = { tool: name, args, uri, result };

  frame.srcdoc = templateSrcdoc(content.text, { csp: templateCsp(content._meta) });
  document.getElementById("what").textContent = `ext-apps AppBridge · ${name} ${JSON.stringify(args)} · ${uri}`;
  record("render", { tool: name, args, uri });
  return { result, uri, resourceMeta: content._meta ?? null };
}

/** AppBridge.setHostContext takes the whole context and sends the changed keys (host-context-changed). */
function setHostContext(partial) {
  hostCtx = { ...hostCtx, ...partial };
  bridge.setHostContext(hostCtx);
}

window.__extHost = {
  server,
  render,
  /** Changes the host context at run time (AppBridge.setHostContext sends host-context-changed). */
  setHostContext,
  records: () => JSON.parse(JSON.stringify(records)),
  current: () => current,
};
document.documentElement.dataset.ready = "true";
