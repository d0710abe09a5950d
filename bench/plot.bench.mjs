// Plot toolkit: time to render every figure of the default sweep (svg, png, txt; target
// <= 5 s) and `pinsim report` as a user runs it (target <= 1 s). Printed, never asserted.
// Needs the default results (npm run sweep); falls back to the test fixture otherwise.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";

const root = new URL("..", import.meta.url).pathname;
let dir = root + "data/results/default";
if (!existsSync(dir + "/manifest.json")) {
  console.log("data/results/default missing (run npm run sweep); using test/fixtures/plot/grid");
  dir = root + "test/fixtures/plot/grid";
}
const t0 = performance.now();
const { availableFigures, renderFigure } = await import(root + "dist/plot/index.js");
const { loadResults } = await import(root + "dist/sweep/index.js");
const t1 = performance.now();
const table = loadResults(dir);
const t2 = performance.now();
console.log(
  `modules ${(t1 - t0).toFixed(0)} ms, loadResults ${(t2 - t1).toFixed(0)} ms (${table.runs.length} runs, ${table.summary.length} points)`,
);
let total = 0;
for (const f of availableFigures(table)) {
  const times = [];
  for (const fmt of ["svg", "png", "txt"]) {
    const s = performance.now();
    renderFigure(table, f.name, fmt);
    times.push(`${fmt} ${(performance.now() - s).toFixed(0)}`);
  }
  console.log(`  ${f.name.padEnd(18)} ${times.join(" ms, ")} ms`);
}
total = performance.now() - t0;
console.log(
  `all figures of ${dir.replace(root, "")}, every format, modules and load included: ${(total / 1000).toFixed(2)} s (target <= 5 s)`,
);

for (const cmd of [
  ["report", dir],
  ["plot", dir, "--out", "/tmp/pinsim-plot-bench"],
]) {
  const s = performance.now();
  const r = spawnSync(process.execPath, [root + "bin/pinsim.js", ...cmd], { encoding: "utf8" });
  const ms = performance.now() - s;
  console.log(
    `pinsim ${cmd[0]}: ${(ms / 1000).toFixed(2)} s wall, exit ${r.status}${cmd[0] === "report" ? " (target <= 1 s)" : ""}`,
  );
}
