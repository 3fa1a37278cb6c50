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
      "firstRenderMs: frame navigation start -> first widget content visible (frame clock, performance.now() in the srcdoc frame). " +
      "afterLoadMs: iframe load event -> first widget content (negative: content was visible before the load event). Median of `runs` renders; coldMs is the first.",
    widgets: rows,
  };
  writeFileSync(`${process.env.E2E_OUT}/results/first-render.json`, JSON.stringify(report, null, 2) + "\n");
  console.log(`\nFirst render (budget ${BUDGET_MS} ms; frame start -> first content, median of runs; cold = first run)`);
  for (const r of rows) {
    const verdict = r.firstRenderMs <= BUDGET_MS ? "within budget" : "OVER budget";
    console.log(
      `  ${r.widget.padEnd(13)} ${r.mode.padEnd(9)} ${String(r.firstRenderMs).padStart(7)} ms (cold ${r.coldMs} ms, after load ${r.afterLoadMs} ms) ${verdict}`,
    );
  }
}
