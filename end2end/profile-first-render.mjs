// Where a widget's first render spends its time: renders the product grid for a real "desk lamp"
// search in headless Chromium (Debian's, as the suite uses), N times, with the CPU profiler on,
// and prints the milliseconds per function (the WASM keeps its names here: the template's
// WebAssembly is swapped for wasm-bindgen's unstripped output), per main-thread phase of the
// widget's renderer and the WASM functions V8 compiled lazily (a trace of the last run). Not a
// test; a tool for front-end work on the first-render budget (measured by first-render.mjs).
//
//   node end2end/profile-first-render.mjs http://127.0.0.1:8000 [runs=5] [--sandbox]
//
// Needs a running server (scripts/run.sh) and `cargo xtask widgets` output in target/widgets/.
// --sandbox renders in `<iframe sandbox="allow-scripts allow-forms">` like ChatGPT and the suite's
// hosts; on the 2-core machine that alone adds 70–120 ms (the sandboxed frame gets its own process).
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { McpClient, templateSrcdoc } from "./host/host-core.js";

const [base = "http://127.0.0.1:8000", runsArg = "5"] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const runs = Number(runsArg);
const sandbox = process.argv.includes("--sandbox");
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");

const result = await new McpClient(`${base}/mcp/all`, { clientName: "target-profile" }).callTool("search-target-products", {
  query: "desk lamp",
});
const named = readFileSync(join(target, "widgets/bindgen/product-grid/widgets-app_bg.wasm"));
const html = (await (await fetch(`${base}/widgets/product-grid.html`)).text()).replace(
  /(<script type="application\/gzip;base64" id="tw-wasm">)[^<]*/,
  (_, open) => open + gzipSync(named, { level: 9 }).toString("base64"),
);
const globals = {
  toolInput: { query: "desk lamp" }, toolOutput: result.structuredContent, toolResponseMetadata: result._meta,
  widgetState: null, theme: "light", displayMode: "inline", maxHeight: 640, locale: "en-US",
};
const srcdoc = templateSrcdoc(html, { globals });

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium" });
const page = await browser.newPage();
await page.setContent(`<iframe id="w" ${sandbox ? 'sandbox="allow-scripts allow-forms"' : ""} style="width:700px;height:900px"></iframe>`);
const cdp = await page.context().newCDPSession(page);
const selfTime = new Map();
let trace = null;
for (let run = 0; run < runs; run++) {
  await page.evaluate(() => document.getElementById("w").removeAttribute("srcdoc"));
  const last = run === runs - 1;
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
  await cdp.send("Profiler.start");
  if (last) await browser.startTracing(page, { categories: ["devtools.timeline", "blink", "loading", "v8", "v8.wasm", "blink.user_timing"] });
  const started = await page.evaluate((s) => ((document.getElementById("w").srcdoc = s), performance.now()), srcdoc);
  await page.frameLocator("#w").locator('[data-testid="product-card"]').first().waitFor();
  const shown = await page.evaluate(() => performance.now());
  if (last) trace = JSON.parse((await browser.stopTracing()).toString());
  const { profile } = await cdp.send("Profiler.stop");
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id).callFrame;
    const name = frame.functionName || `(${frame.url.split("/").pop() || "native"})`;
    selfTime.set(name, (selfTime.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  console.log(`run ${run + 1}: srcdoc set → first product card ${Math.round(shown - started)} ms (parent clock)`);
}
await browser.close();

console.log(`\nself time per function, ms per run (the first run is cold):`);
for (const [name, us] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${(us / 1000 / runs).toFixed(1).padStart(7)}  ${name.slice(0, 120)}`);
}
const threads = new Map(trace.traceEvents.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
// The widget's renderer: the process that logged the template's tw:boot mark (with --sandbox, the
// frame's own process; without, the page's).
const framePid = trace.traceEvents.find((e) => e.name === "tw:boot")?.pid;
const onFrameMain = (e) => e.pid === framePid && threads.get(`${e.pid}:${e.tid}`) === "CrRendererMain";
const phases = new Map();
for (const e of trace.traceEvents) {
  if (e.ph === "X" && e.dur && onFrameMain(e)) phases.set(e.name, (phases.get(e.name) ?? 0) + e.dur);
}
console.log(`\nthe widget's renderer main thread, last run (nested events overlap), ms:`);
for (const [name, us] of [...phases].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`${(us / 1000).toFixed(1).padStart(7)}  ${name}`);
}
// V8 compiles WebAssembly functions lazily, on their first call, on the calling thread.
const lazy = trace.traceEvents.filter((e) => e.name === "wasm.CompileLazy" && onFrameMain(e));
const lazyMs = lazy.reduce((sum, e) => sum + (e.dur ?? 0), 0) / 1000;
console.log(`\nWASM functions compiled lazily on the main thread, last run: ${lazy.length} in ${lazyMs.toFixed(1)} ms`);
