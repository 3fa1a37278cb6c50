// The host side of a widget, as ChatGPT (window.openai) or any MCP Apps host (ui/* postMessage)
// plays it. Plain ES module, no dependencies, shared by the Playwright host page
// (end2end/host/index.html) and the front-end dev host (widgets-app/dev/index.html).
//
// - McpClient: JSON-RPC over Streamable HTTP (POST, JSON or SSE answers) to the real server.
// - openaiShimSource(): the <script> prepended to the widget document that defines window.openai
//   and forwards its methods to the parent with postMessage (the iframe is sandboxed, so the
//   parent cannot reach into it).
// - WidgetHost: answers the widget: window.openai calls ("openai" mode) or the MCP Apps ui/*
//   JSON-RPC ("mcp-apps" mode, no window.openai), proxies tool calls to the server, and records
//   everything the widget asked for.
// - templateSrcdoc(): the template HTML with the shim, a first-render probe and a CSP <meta>
//   inserted at the top of <head>.

export const MCP_APPS_PROTOCOL_VERSION = "2026-01-26";
export const MCP_PROTOCOL_VERSION = "2025-11-25";

/** A minimal MCP client over Streamable HTTP. The server is stateless; a session id is kept if given. */
export class McpClient {
  constructor(url, { clientName = "target-test-host" } = {}) {
    this.url = url;
    this.clientName = clientName;
    this.nextId = 1;
    this.sessionId = null;
    this.ready = null;
    this.toolsCache = null;
  }

  async post(body) {
    const headers = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": MCP_PROTOCOL_VERSION,
    };
    if (this.sessionId) headers["mcp-session-id"] = this.sessionId;
    const response = await fetch(this.url, { method: "POST", headers, body: JSON.stringify(body) });
    const session = response.headers.get("mcp-session-id");
    if (session) this.sessionId = session;
    if (response.status === 202 || body.id === undefined) return null;
    const text = await response.text();
    if (!response.ok) throw new Error(`MCP ${body.method}: HTTP ${response.status} ${text.slice(0, 300)}`);
    const type = response.headers.get("content-type") || "";
    if (type.includes("text/event-stream")) {
      // One answer per request: the data line whose id matches.
      for (const block of text.split(/\r?\n\r?\n/)) {
        const data = block
          .split(/\r?\n/)
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trimStart())
          .join("\n");
        if (!data) continue;
        const message = JSON.parse(data);
        if (message.id === body.id) return message;
      }
      throw new Error(`MCP ${body.method}: no answer in the event stream`);
    }
    return JSON.parse(text);
  }

  initialize() {
    this.ready ??= (async () => {
      const answer = await this.post({
        jsonrpc: "2.0",
        id: this.nextId++,
        method: "initialize",
        params: {
          protocolVersion: MCP_PROTOCOL_VERSION,
          capabilities: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: ["text/html;profile=mcp-app"] } } },
          clientInfo: { name: this.clientName, version: "1.0.0" },
        },
      });
      if (answer.error) throw new Error(`MCP initialize: ${answer.error.message}`);
      await this.post({ jsonrpc: "2.0", method: "notifications/initialized" });
      return answer.result;
    })();
    return this.ready;
  }

  /** Sends a request and answers its `result`; a JSON-RPC error throws. */
  async request(method, params) {
    await this.initialize();
    const answer = await this.post({ jsonrpc: "2.0", id: this.nextId++, method, params });
    if (answer.error) {
      const error = new Error(`MCP ${method}: ${answer.error.message}`);
      error.rpc = answer.error;
      throw error;
    }
    return answer.result;
  }

  callTool(name, args = {}) {
    return this.request("tools/call", { name, arguments: args });
  }

  async tools() {
    this.toolsCache ??= this.request("tools/list", {}).then((r) => r.tools);
    return this.toolsCache;
  }

  async tool(name) {
    const tool = (await this.tools()).find((t) => t.name === name);
    if (!tool) throw new Error(`the server has no tool ${name}`);
    return tool;
  }

  /** The template of a tool, read the way the given host mode finds it. */
  async template(toolName, mode) {
    const tool = await this.tool(toolName);
    const meta = tool._meta || {};
    // ChatGPT's dialect names the template openai/outputTemplate; MCP Apps names it ui.resourceUri.
    const uri = mode === "mcp-apps" ? meta.ui?.resourceUri ?? meta["ui/resourceUri"] : meta["openai/outputTemplate"];
    if (!uri) throw new Error(`tool ${toolName} has no template for ${mode} hosts`);
    const result = await this.request("resources/read", { uri });
    const content = result.contents?.[0];
    if (!content || typeof content.text !== "string") throw new Error(`resources/read ${uri}: no text content`);
    return { uri, tool, html: content.text, mimeType: content.mimeType, meta: content._meta || {} };
  }
}

/**
 * The ChatGPT-like CSP of a template, from its resource `_meta` (either dialect). `wasm: false`
 * leaves out 'wasm-unsafe-eval' (a host that refuses WebAssembly: the template's fallback runs).
 */
export function templateCsp(resourceMeta, { wasm = true } = {}) {
  const openai = resourceMeta?.["openai/widgetCSP"] || {};
  const ui = resourceMeta?.ui?.csp || {};
  const connect = [...(openai.connect_domains || []), ...(ui.connectDomains || [])];
  const resources = [...(openai.resource_domains || []), ...(ui.resourceDomains || [])];
  const uniq = (a) => [...new Set(a)].join(" ");
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline'${wasm ? " 'wasm-unsafe-eval'" : ""}`,
    `style-src 'unsafe-inline' ${uniq(resources)}`,
    `img-src data: blob: ${uniq(resources)}`,
    `font-src data: ${uniq(resources)}`,
    `media-src data: ${uniq(resources)}`,
    `connect-src ${uniq(connect) || "'none'"}`,
  ].join("; ");
}

/** Inserts `headHtml` at the top of the document's <head> (keeping the doctype first). */
export function insertIntoHead(html, headHtml) {
  const head = /<head(\s[^>]*)?>/i.exec(html);
  if (head) return html.slice(0, head.index + head[0].length) + headHtml + html.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(html);
  if (doctype) return doctype[0] + headHtml + html.slice(doctype[0].length);
  return headHtml + html;
}

function scriptTag(source) {
  return `<script>${source.replace(/<\/script/gi, "<\\/script")}</script>`;
}

/**
 * The window.openai the widget sees: the globals as plain properties, the methods forwarded to
 * the parent. `set_globals` from the parent assigns and dispatches `openai:set_globals`.
 */
export function openaiShimSource(globals) {
  return `(function () {
  "use strict";
  var pending = {}, seq = 0;
  function ask(method, args) {
    return new Promise(function (resolve, reject) {
      var id = ++seq;
      pending[id] = { resolve: resolve, reject: reject };
      window.parent.postMessage({ __openaiShim: true, t: "call", id: id, method: method, args: args }, "*");
    });
  }
  var openai = {
    callTool: function (name, args) { return ask("callTool", { name: name, args: args || {} }); },
    sendFollowUpMessage: function (args) { return ask("sendFollowUpMessage", args); },
    setWidgetState: function (state) { openai.widgetState = state; return ask("setWidgetState", state); },
    requestDisplayMode: function (args) { return ask("requestDisplayMode", args); },
    openExternal: function (args) { return ask("openExternal", args); },
    notifyIntrinsicHeight: function (height) { return ask("notifyIntrinsicHeight", { height: typeof height === "object" && height ? height.height : height }); },
    requestClose: function () { return ask("requestClose", {}); },
    requestModal: function (args) { return ask("requestModal", args || {}); },
    setOpenInAppUrl: function (args) { return ask("setOpenInAppUrl", args); }
  };
  var initial = ${JSON.stringify(globals)};
  for (var k in initial) openai[k] = initial[k];
  window.openai = openai;
  window.addEventListener("message", function (e) {
    var m = e.data;
    if (e.source !== window.parent || !m || m.__openaiHost !== true) return;
    if (m.t === "reply" && pending[m.id]) {
      var p = pending[m.id]; delete pending[m.id];
      if (m.error) p.reject(new Error(m.error)); else p.resolve(m.result);
    } else if (m.t === "set_globals") {
      for (var key in m.globals) openai[key] = m.globals[key];
      window.dispatchEvent(new CustomEvent("openai:set_globals", { detail: { globals: m.globals } }));
    }
  });
})();`;
}

/**
 * Harness instrumentation (not part of any protocol): reports, in the frame's own clock
 * (`performance.now()` from the frame's navigation start), when the load event fired and when an
 * element matching `selector` first became visible.
 */
export function probeSource(selector) {
  return `(function () {
  "use strict";
  var selector = ${JSON.stringify(selector)}, done = false, observer;
  function post(t, ms) { window.parent.postMessage({ __hostProbe: true, t: t, ms: ms }, "*"); }
  function check() {
    if (done || !selector) return;
    var el = document.querySelector(selector);
    if (!el) return;
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    done = true;
    post("first-content", performance.now());
    // The template's own marks (boot.js, start.js) so far, and when the document was parsed,
    // for the phase breakdown.
    performance.getEntriesByType("mark").forEach(function (m) {
      if (m.name.indexOf("tw:") === 0) post(m.name, m.startTime);
    });
    var nav = performance.getEntriesByType("navigation")[0];
    if (nav && nav.domInteractive > 0) post("dom-interactive", nav.domInteractive);
    observer.disconnect();
  }
  observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
  // Content can also become visible without a DOM change (layout, the frame's size): every frame too.
  (function frame() { check(); if (!done && selector) requestAnimationFrame(frame); })();
  window.addEventListener("load", function () { post("load", performance.now()); check(); });
})();`;
}

/** A new widget iframe (`#widget`), sandboxed like ChatGPT's: scripts and forms, no same-origin. */
export function widgetFrame(tool, templateUri) {
  const frame = document.createElement("iframe");
  frame.id = "widget";
  frame.title = `${tool} widget`;
  frame.setAttribute("sandbox", "allow-scripts allow-forms");
  frame.dataset.templateUri = templateUri;
  return frame;
}

/** The template as srcdoc: CSP meta, then the probe, then (openai mode) the window.openai shim. */
export function templateSrcdoc(html, { csp, globals, probeSelector } = {}) {
  let head = "";
  if (csp) head += `<meta http-equiv="Content-Security-Policy" content="${csp.replace(/"/g, "&quot;")}">`;
  if (probeSelector) head += scriptTag(probeSource(probeSelector));
  if (globals) head += scriptTag(openaiShimSource(globals));
  return insertIntoHead(html, head);
}

const DEFAULT_CONTEXT = {
  theme: "light",
  displayMode: "inline",
  maxHeight: 640,
  locale: "en-US",
  safeArea: { top: 0, right: 0, bottom: 0, left: 0 },
};

/**
 * One rendered widget and its host. Create it, then point the iframe at the document
 * (`frame.srcdoc = templateSrcdoc(...)`, or a same-origin URL plus `installShimInto`).
 *
 * Options: mode ("openai" | "mcp-apps"), frame (HTMLIFrameElement), callTool(name, args) →
 * CallToolResult (defaults to the McpClient), toolName, toolInput, toolResult, context
 * ({theme, displayMode, maxHeight, locale}), widgetState, onEvent(record), onHeight(px).
 */
export class WidgetHost {
  constructor(options) {
    this.mode = options.mode;
    this.frame = options.frame;
    this.callToolImpl = options.callTool;
    this.toolName = options.toolName;
    this.toolInput = options.toolInput ?? {};
    this.toolResult = options.toolResult ?? null;
    this.context = { ...DEFAULT_CONTEXT, ...(options.context || {}) };
    this.widgetState = options.widgetState ?? null;
    this.onEvent = options.onEvent || (() => {});
    this.onHeight = options.onHeight || (() => {});
    this.records = {
      toolCalls: [],
      followUps: [],
      widgetStates: [],
      openedLinks: [],
      displayModeRequests: [],
      heights: [],
      modelContext: [],
      uiInitialize: [],
      unanswered: [],
      log: [],
      timing: {},
    };
    this.initialized = false;
    this.listener = (e) => this.onMessage(e);
    window.addEventListener("message", this.listener);
  }

  dispose() {
    window.removeEventListener("message", this.listener);
  }

  get target() {
    return this.frame.contentWindow;
  }

  record(kind, detail) {
    const entry = { kind, at: Math.round(performance.now()), ...detail };
    this.records.log.push(entry);
    this.onEvent(entry);
    return entry;
  }

  /** window.openai's globals for the current state. */
  globals() {
    const r = this.toolResult || {};
    return {
      toolInput: this.toolInput,
      toolOutput: r.structuredContent ?? null,
      toolResponseMetadata: r._meta ?? null,
      widgetState: this.widgetState,
      theme: this.context.theme,
      displayMode: this.context.displayMode,
      maxHeight: this.context.maxHeight,
      locale: this.context.locale,
      safeArea: { insets: this.context.safeArea },
      userAgent: { device: { type: "desktop" }, capabilities: { hover: true, touch: false } },
      view: { mode: this.context.displayMode },
    };
  }

  hostContext() {
    return {
      toolInfo: { tool: { name: this.toolName } },
      theme: this.context.theme,
      displayMode: this.context.displayMode,
      availableDisplayModes: ["inline", "pip", "fullscreen"],
      containerDimensions: { maxHeight: this.context.maxHeight },
      locale: this.context.locale,
      timeZone: "America/Chicago",
      platform: "web",
      userAgent: "target-test-host",
      deviceCapabilities: { touch: false, hover: true },
      safeAreaInsets: this.context.safeArea,
    };
  }

  /**
   * Changes what the host shows at run time. Keys: theme, displayMode, maxHeight, locale (context),
   * toolOutput / toolResponseMetadata / toolResult (a new result), toolInput, widgetState.
   * openai mode: one `set_globals` with the changed globals. mcp-apps mode:
   * `host-context-changed` and/or `tool-input` / `tool-result`.
   */
  setGlobals(changes) {
    const contextKeys = ["theme", "displayMode", "maxHeight", "locale", "safeArea"];
    const context = {};
    for (const key of contextKeys) if (key in changes) context[key] = this.context[key] = changes[key];
    let newResult = false;
    if ("toolResult" in changes) {
      this.toolResult = changes.toolResult;
      newResult = true;
    }
    if ("toolOutput" in changes || "toolResponseMetadata" in changes) {
      this.toolResult = {
        ...(this.toolResult || { content: [] }),
        ...("toolOutput" in changes ? { structuredContent: changes.toolOutput } : {}),
        ...("toolResponseMetadata" in changes ? { _meta: changes.toolResponseMetadata } : {}),
      };
      newResult = true;
    }
    if ("toolInput" in changes) this.toolInput = changes.toolInput;
    if ("widgetState" in changes) this.widgetState = changes.widgetState;
    this.record("set-globals", { changes });

    if (this.mode === "openai") {
      const all = this.globals();
      const globals = {};
      for (const key of Object.keys(changes)) {
        if (key === "toolResult") {
          globals.toolOutput = all.toolOutput;
          globals.toolResponseMetadata = all.toolResponseMetadata;
        } else if (key in all) {
          globals[key] = all[key];
        }
      }
      if ("displayMode" in changes) globals.view = all.view;
      this.post({ __openaiHost: true, t: "set_globals", globals });
      return;
    }
    if (!this.initialized) return; // sent with the initial data once the view is initialized
    if (Object.keys(context).length) {
      const full = this.hostContext();
      const partial = {};
      if ("theme" in context) partial.theme = full.theme;
      if ("displayMode" in context) partial.displayMode = full.displayMode;
      if ("maxHeight" in context) partial.containerDimensions = full.containerDimensions;
      if ("locale" in context) partial.locale = full.locale;
      if ("safeArea" in context) partial.safeAreaInsets = full.safeAreaInsets;
      this.notify("ui/notifications/host-context-changed", partial);
    }
    if ("toolInput" in changes) this.notify("ui/notifications/tool-input", { arguments: this.toolInput });
    if (newResult) this.notify("ui/notifications/tool-result", this.toolResult);
  }

  post(message) {
    this.target?.postMessage(message, "*");
  }

  notify(method, params) {
    this.record("host-notification", { method });
    this.post({ jsonrpc: "2.0", method, params });
  }

  onMessage(event) {
    if (!this.frame || event.source !== this.frame.contentWindow) return;
    const m = event.data;
    if (!m || typeof m !== "object") return;
    if (m.__hostProbe === true) {
      this.records.timing[m.t] = m.ms;
      this.record("probe", { t: m.t, ms: m.ms });
      return;
    }
    if (m.__openaiShim === true && m.t === "call") {
      if (this.mode !== "openai") return;
      this.handleOpenai(m.method, m.args).then(
        (result) => this.post({ __openaiHost: true, t: "reply", id: m.id, result }),
        (error) => this.post({ __openaiHost: true, t: "reply", id: m.id, error: String(error?.message || error) }),
      );
      return;
    }
    if (m.jsonrpc === "2.0") this.handleJsonRpc(m);
  }

  async proxyToolCall(name, args) {
    const entry = this.record("callTool", { name, args });
    this.records.toolCalls.push(entry);
    try {
      const result = await this.callToolImpl(name, args);
      entry.result = result;
      return result;
    } catch (error) {
      entry.error = String(error?.message || error);
      throw error;
    }
  }

  async handleOpenai(method, args) {
    switch (method) {
      case "callTool":
        return this.proxyToolCall(args.name, args.args);
      case "sendFollowUpMessage":
        this.records.followUps.push(args?.prompt);
        this.record("followUp", { prompt: args?.prompt });
        return undefined;
      case "setWidgetState":
        this.widgetState = args;
        this.records.widgetStates.push(args);
        this.record("setWidgetState", { state: args });
        return undefined;
      case "requestDisplayMode": {
        this.records.displayModeRequests.push(args?.mode);
        this.record("requestDisplayMode", { mode: args?.mode });
        this.setGlobals({ displayMode: args?.mode });
        return { mode: args?.mode };
      }
      case "openExternal":
        this.records.openedLinks.push(args?.href);
        this.record("openExternal", { href: args?.href });
        return undefined;
      case "notifyIntrinsicHeight":
        this.records.heights.push(args?.height);
        this.onHeight(args?.height);
        return undefined;
      default:
        this.record("openai-call", { method, args });
        return undefined;
    }
  }

  answer(id, result) {
    this.post({ jsonrpc: "2.0", id, result });
  }

  fail(id, code, message) {
    this.post({ jsonrpc: "2.0", id, error: { code, message } });
  }

  async handleJsonRpc(m) {
    const isRequest = m.method && m.id !== undefined && m.id !== null;
    const isNotification = m.method && (m.id === undefined || m.id === null);
    if (!isRequest && !isNotification) return; // a response: the host sends no requests
    if (this.mode !== "mcp-apps") {
      // A window.openai host (old ChatGPT) does not speak ui/*: the view must time out and fall back.
      this.records.unanswered.push(m.method);
      this.record("unanswered", { method: m.method });
      return;
    }
    const p = m.params || {};
    if (isNotification) {
      switch (m.method) {
        case "ui/notifications/initialized":
          this.initialized = true;
          this.record("initialized", {});
          this.notify("ui/notifications/tool-input", { arguments: this.toolInput });
          if (this.toolResult) this.notify("ui/notifications/tool-result", this.toolResult);
          return;
        case "ui/notifications/size-changed":
          this.records.heights.push(p.height);
          this.onHeight(p.height);
          return;
        default:
          this.record("view-notification", { method: m.method, params: p });
          return;
      }
    }
    try {
      switch (m.method) {
        case "ui/initialize":
          this.initialized = false;
          this.records.uiInitialize.push(p);
          this.record("ui/initialize", { params: p });
          return this.answer(m.id, {
            protocolVersion: MCP_APPS_PROTOCOL_VERSION,
            hostInfo: { name: "target-test-host", version: "1.0.0" },
            hostCapabilities: {
              openLinks: {},
              serverTools: {},
              logging: {},
              message: { text: {} },
              updateModelContext: { text: {}, structuredContent: {} },
            },
            hostContext: this.hostContext(),
          });
        case "tools/call":
          return this.answer(m.id, await this.proxyToolCall(p.name, p.arguments || {}));
        case "ui/message": {
          const text = (p.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
          this.records.followUps.push(text);
          this.record("ui/message", { role: p.role, text });
          return this.answer(m.id, {});
        }
        case "ui/open-link":
          this.records.openedLinks.push(p.url);
          this.record("ui/open-link", { url: p.url });
          return this.answer(m.id, {});
        case "ui/request-display-mode":
          this.records.displayModeRequests.push(p.mode);
          this.record("ui/request-display-mode", { mode: p.mode });
          this.context.displayMode = p.mode;
          this.answer(m.id, { mode: p.mode });
          return this.notify("ui/notifications/host-context-changed", { displayMode: p.mode });
        case "ui/update-model-context":
          this.records.modelContext.push(p);
          this.record("ui/update-model-context", { params: p });
          return this.answer(m.id, {});
        case "ping":
          return this.answer(m.id, {});
        default:
          this.record("unsupported", { method: m.method });
          return this.fail(m.id, -32601, `method not supported by this host: ${m.method}`);
      }
    } catch (error) {
      this.fail(m.id, -32603, String(error?.message || error));
    }
  }
}
