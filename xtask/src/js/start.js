// Last part of the module script of every widget template, after the wasm-bindgen glue (whose
// default export `__wbg_init` is in scope): inflates the gzipped WASM and starts the widget.
// Skipped when the probe in boot.js failed (the fallback runs instead).
const __targetWasmGzip = "/*WASM_GZIP_BASE64*/";
if (window.__targetWidget && window.__targetWidget.wasm) {
  try {
    const packed = Uint8Array.from(atob(__targetWasmGzip), (c) => c.charCodeAt(0));
    const inflated = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip"));
    const bytes = await new Response(inflated).arrayBuffer();
    await __wbg_init({ module_or_path: bytes });
  } catch (e) {
    window.__targetWidget.fatal(e);
  }
}
