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
      "firstRenderMs (the budget's measure): frame navigation start -> first widget content visible (frame clock, performance.now() in the srcdoc frame). " +
      "parsedMs, bootMs, compiledMs, loadEventMs: from frame start, the document parsed (domInteractive), boot.js running, the WASM compiled, the load event. " +
      "afterLoadMs: load event -> first content (negative: the content was visible before the load event). Median of `runs` renders; coldMs is the first.",
    widgets: rows,
  };
  writeFileSync(`${process.env.E2E_OUT}/results/first-render.json`, JSON.stringify(report, null, 2) + "\n");
  // The budget (issue 3): first render within 200 ms of the iframe loading, read strictly: from
  // the frame's navigation start. The iframe's load event is printed too but is not the measure:
  // the widget's own start-up can run before it fires (then "after load" is negative).
  console.log(
    `\nFirst render (budget ${BUDGET_MS} ms from frame navigation start; median of runs; phases from frame start)`,
  );
  for (const r of rows) {
    const verdict = r.firstRenderMs <= BUDGET_MS ? "within budget" : "OVER budget";
    console.log(
      `  ${r.widget.padEnd(13)} ${r.mode.padEnd(9)} ${String(r.firstRenderMs).padStart(6)} ms ${verdict}  (cold ${r.coldMs}; parsed ${r.parsedMs}, boot.js ${r.bootMs}, WASM compiled ${r.compiledMs}, load ${r.loadEventMs}, after load ${r.afterLoadMs})`,
    );
  }
}
