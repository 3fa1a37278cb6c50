// First script of every widget template (classic, runs before the module): probes WebAssembly,
// installs the "never a blank frame" error screen, and runs the plain-JS fallback when the host
// refuses WebAssembly. Inlined by `cargo xtask widgets`; the two markers are filled in there.
(function () {
  "use strict";
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
  function fatal(reason) {
    if (!waiting()) return;
    if (window.console) console.error("Target widget did not start:", reason);
    root.innerHTML = /*FATAL_HTML*/;
  }
  window.__targetWidget = { wasm: wasm, fatal: fatal };
  window.addEventListener("error", function (e) { fatal(e.error || e.message); });
  window.addEventListener("unhandledrejection", function (e) { fatal(e.reason); });
  if (!wasm) {
/*FALLBACK_JS*/
  }
})();
