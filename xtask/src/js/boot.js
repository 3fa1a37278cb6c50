// First script of every widget template (classic, runs before the module): probes WebAssembly,
// installs the "never a blank frame" error screen, starts compiling the widget's WASM (inflated
// from the `#tw-wasm` element while the module script is still being parsed) and the MCP Apps
// handshake (see earlyHandshake), and runs the plain-JS fallback when the host refuses
// WebAssembly. Inlined by `cargo xtask widgets`; the two markers are filled in there.
(function () {
  "use strict";
  // Marks for performance tools and the e2e first-render report: tw:boot (this script runs),
  // tw:compiled (the WASM module is compiled), tw:started (start.js: the widget is mounted).
  if (window.performance && performance.mark) performance.mark("tw:boot");
  var root = document.getElementById("root");
  var wasm = false;
  try {
    wasm = typeof WebAssembly === "object" && typeof DecompressionStream === "function" &&
      new WebAssembly.Module(Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0)) instanceof WebAssembly.Module;
  } catch (e) {
    wasm = false; // CSP without 'wasm-unsafe-eval', or no WebAssembly at all
  }
  // Still showing the loading state = nothing has rendered yet.
  function waiting() { return !!(root && root.querySelector("[data-loading]")); }
  // Before the first render: the start-up failed, the error screen replaces the page. After it:
  // the widget's own error state with a retry (`onError`, set by the WASM in app.rs), so an
  // uncaught error or rejection never leaves a silently frozen widget.
  function fatal(reason) {
    if (!waiting()) return crashed(reason);
    if (window.console) console.error("Target widget did not start:", reason);
    root.innerHTML = /*FATAL_HTML*/;
  }
  function crashed(reason) {
    var text = reason && reason.message ? reason.message : String(reason);
    if (window.console) console.error("Target widget error:", reason);
    var onError = window.__targetWidget && window.__targetWidget.onError;
    if (typeof onError === "function") {
      try { onError(text); return; } catch (e) { /* the WASM cannot take it: the page-level screen below */ }
    }
    if (root) root.innerHTML = /*FATAL_HTML*/;
  }
  function bytesOf(base64) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(base64);
    var text = atob(base64), bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }
  // gzip + base64 → a compiled WebAssembly.Module; the compiler reads the inflating stream.
  function compile(element) {
    var packed = bytesOf(element.textContent);
    element.remove();
    var inflated = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
    var response = new Response(inflated, { headers: { "content-type": "application/wasm" } });
    if (typeof WebAssembly.compileStreaming === "function") return WebAssembly.compileStreaming(response);
    return response.arrayBuffer().then(function (bytes) { return WebAssembly.compile(bytes); });
  }
  // The `ui/initialize` request of widgets-app/src/bridge/protocol.rs (`InitializeParams::ours`,
  // id `EARLY_INITIALIZE_ID`; a widgets-app test keeps the two equal).
  var UI_INITIALIZE = {"jsonrpc":"2.0","id":0,"method":"ui/initialize","params":{"appCapabilities":{"availableDisplayModes":["inline","fullscreen","pip"]},"appInfo":{"name":"target-widgets","version":"0.1.0"},"protocolVersion":"2026-01-26"}};
  // MCP Apps: asks the host for `ui/initialize` now, while the WASM compiles, sends
  // `ui/notifications/initialized` as soon as it answers, and keeps every message from the host
  // until the bridge (widgets-app/src/bridge/mcp_apps.rs) calls `stop()` and handles them itself.
  // A host that never answers (a window.openai-only one) costs nothing: the bridge times out.
  function earlyHandshake() {
    var parent = window.parent;
    if (!parent || parent === window) return null;
    var early = { messages: [], initialized: false };
    function listen(e) {
      if (e.source !== parent) return;
      early.messages.push(e.data);
      var m = e.data;
      if (typeof m === "string") { try { m = JSON.parse(m); } catch (x) { return; } }
      if (!early.initialized && m && m.jsonrpc === "2.0" && m.id === UI_INITIALIZE.id && !m.method && m.result) {
        early.initialized = true;
        parent.postMessage({ jsonrpc: "2.0", method: "ui/notifications/initialized", params: {} }, "*");
      }
    }
    early.stop = function () {
      window.removeEventListener("message", listen);
      var messages = early.messages;
      early.messages = [];
      return messages;
    };
    window.addEventListener("message", listen);
    try {
      parent.postMessage(UI_INITIALIZE, "*");
    } catch (e) {
      window.removeEventListener("message", listen);
      return null;
    }
    return early;
  }
  window.__targetWidget = { wasm: wasm, fatal: fatal };
  window.addEventListener("error", function (e) { fatal(e.error || e.message); });
  window.addEventListener("unhandledrejection", function (e) { fatal(e.reason); });
  if (wasm) {
    try {
      window.__targetWidget.module = compile(document.getElementById("tw-wasm")).then(function (module) {
        if (window.performance && performance.mark) performance.mark("tw:compiled");
        return module;
      });
    } catch (e) {
      window.__targetWidget.module = Promise.reject(e);
    }
    window.__targetWidget.module.catch(fatal);
    window.__targetWidget.early = earlyHandshake();
  } else {
/*FALLBACK_JS*/
  }
})();
