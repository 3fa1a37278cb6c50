// Collects the first-render measurements each spec wrote (results/first-render/*.json) into
// results/first-render.json and prints them. A report, not a test: nothing here fails the run.
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";

const BUDGET_MS = 200;

export default async function globalTeardown() {
  const dir = `${process.env.E2E_OUT}/results/first-render/`;
  if (!existsSync(dir)) return;
  const rows = readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(`${dir}${f}`, "utf8")))
    .sort((a, b) => `${a.widget} ${a.mode}`.localeCompare(`${b.widget} ${b.mode}`));
  if (!rows.length) return;
  const report = {
    budgetMs: BUDGET_MS,
    measuredAt: new Date().toISOString(),
    note:
      "afterLoadMs (the budget's measure): iframe load event -> first widget content visible (negative: the content was visible before the load event). " +
      "firstRenderMs: frame navigation start -> first widget content visible (frame clock, performance.now() in the srcdoc frame). Median of `runs` renders; coldMs is the first.",
    widgets: rows,
  };
  writeFileSync(`${process.env.E2E_OUT}/results/first-render.json`, JSON.stringify(report, null, 2) + "\n");
  // The budget (issue 3): first render within 200 ms after the iframe loads, i.e. from the frame's
  // load event. Frame navigation start -> first content is printed too: it adds the host's frame
  // set-up and the template's parsing, which come before the load event.
  console.log(
    `\nFirst render (budget ${BUDGET_MS} ms after the iframe's load event; median of runs; also frame start -> first content, and the cold first run)`,
  );
  for (const r of rows) {
    const verdict = r.afterLoadMs <= BUDGET_MS ? "within budget" : "OVER budget";
    console.log(
      `  ${r.widget.padEnd(13)} ${r.mode.padEnd(9)} after load ${String(r.afterLoadMs).padStart(6)} ms  ${verdict}  (frame start ${r.firstRenderMs} ms, cold ${r.coldMs} ms; from frame start: boot.js ${r.bootMs}, WASM compiled ${r.compiledMs}, load ${r.loadEventMs})`,
    );
  }
}
