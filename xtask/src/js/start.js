// Last part of the module script of every widget template, after the wasm-bindgen glue (whose
// default export `__wbg_init` is in scope): instantiates the module boot.js compiled and starts
// the widget. Skipped when the probe in boot.js failed (the fallback runs instead).
if (window.__targetWidget && window.__targetWidget.wasm) {
  try {
    await __wbg_init({ module_or_path: await window.__targetWidget.module });
  } catch (e) {
    window.__targetWidget.fatal(e);
  }
}
