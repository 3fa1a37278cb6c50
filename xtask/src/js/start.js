// Last part of the module script of every widget template, after the wasm-bindgen glue (whose
// default export `__wbg_init` is in scope): instantiates the module boot.js compiled and starts
// the widget. Skipped when the probe in boot.js failed (the fallback runs instead). No top-level
// await: the frame's `load` event does not wait for the WASM, so a host sees the document loaded
// as soon as it is parsed, and the first render's time after `load` is all the widget's own.
if (window.__targetWidget && window.__targetWidget.wasm) {
  window.__targetWidget.module
    .then(function (module) { return __wbg_init({ module_or_path: module }); })
    .then(function () { if (window.performance && performance.mark) performance.mark("tw:started"); })
    .catch(function (e) { window.__targetWidget.fatal(e); });
}
