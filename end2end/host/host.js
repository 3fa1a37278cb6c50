// The Playwright host page: plays ChatGPT (mode "openai": window.openai injected into the widget)
// or a plain MCP Apps host (mode "mcp-apps": ui/* postMessage only) against the real server.
//
//   /index.html?server=http://127.0.0.1:8000
//   await window.__host.render({ tool: "get-cart", args: { sessionId }, mode: "openai" })
//
// Everything the widget asked for is on window.__host.records() for assertions.

import { McpClient, WidgetHost, templateCsp, templateSrcdoc, widgetFrame } from "./host-core.js";

const params = new URLSearchParams(location.search);
const server = (params.get("server") || "http://127.0.0.1:8000").replace(/\/$/, "");
const mcp = new McpClient(`${server}/mcp/all`);
const logEl = document.getElementById("log");
let current = null;

function log(entry) {
  const { kind, at, ...rest } = entry;
  logEl.textContent += `${String(at).padStart(6)} ${kind} ${JSON.stringify(rest).slice(0, 400)}\n`;
}

/**
 * Calls `tool` on the server like the model would, reads its template like the host would, and
 * renders it in a fresh sandboxed srcdoc iframe.
 * Options: mode ("openai" | "mcp-apps"), context ({theme, displayMode, maxHeight, locale}),
 * widgetState, probeSelector (first-render probe), csp (default true: the resource's declared
 * domains, like ChatGPT, plus 'wasm-unsafe-eval'), wasm (default true; false leaves
 * 'wasm-unsafe-eval' out, so the template's plain-JS fallback renders), result (an earlier tool
 * result to render instead of calling the tool).
 */
async function render({ tool, args = {}, mode = "openai", context, widgetState = null, probeSelector, csp = true, wasm = true, result: given }) {
  if (mode !== "openai" && mode !== "mcp-apps") throw new Error(`unknown host mode ${mode}`);
  current?.dispose();
  // `result`: render an earlier answer again (as ChatGPT does when it re-renders a widget).
  const result = given ?? (await mcp.callTool(tool, args));
  const template = await mcp.template(tool, mode);

  const old = document.getElementById("widget");
  const frame = widgetFrame(tool, template.uri);
  frame.dataset.mode = mode;

  current = new WidgetHost({
    mode,
    frame,
    toolName: tool,
    toolInput: args,
    toolResult: result,
    context,
    widgetState,
    callTool: (name, a) => mcp.callTool(name, a),
    onEvent: log,
  });
  const timing = current.records.timing;
  frame.addEventListener("load", () => (timing.parentLoad = performance.now()), { once: true });
  frame.srcdoc = templateSrcdoc(template.html, {
    csp: csp ? templateCsp(template.meta, { wasm }) : null,
    globals: mode === "openai" ? current.globals() : null,
    probeSelector,
  });
  timing.parentInsert = performance.now();
  old.replaceWith(frame);
  document.getElementById("what").textContent = `${mode} · ${tool} ${JSON.stringify(args)} · ${template.uri}`;
  current.record("render", { tool, args, mode, uri: template.uri });
  return { result, uri: template.uri, resourceMeta: template.meta };
}

window.__host = {
  server,
  mcp,
  render,
  /** Changes globals / host context / the tool result at run time (see WidgetHost.setGlobals). */
  setGlobals: (changes) => current.setGlobals(changes),
  /** A JSON copy of what the widget asked for. */
  records: () => JSON.parse(JSON.stringify(current?.records ?? null)),
  /** The tool result the widget was rendered with. */
  toolResult: () => current?.toolResult ?? null,
};
document.documentElement.dataset.ready = "true";
