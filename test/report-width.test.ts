// Text for mail is at most 72 columns (counted in characters, not bytes), everywhere:
// `pinsim report` and every text figure of every preset's results and of the checked-in
// example, and every .txt figure in the repository. The issue found 73 and 78.
//
// The presets' results are made here at their real axes (what sets the widths: policy
// names, swept values, intervals) on a tiny system: 20 s runs of 16 pages, one seed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { presetNames, readSweepConfig, sweep, loadResults, type SweepConfig } from "../src/sweep/index.js";
import type { ResultsTable } from "../src/sweep/types.js";
import { availableFigures, renderFigure, report } from "../src/plot/index.js";
import { comparisonText, loadCalibration, resultsKind } from "../src/calibrate/index.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WIDTH = 72;

function tooWide(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => [...l].length > WIDTH)
    .map((l) => `${[...l].length}: ${l}`);
}

function everyText(table: ResultsTable): [string, string][] {
  const out: [string, string][] = [["report", report(table)]];
  for (const f of availableFigures(table)) out.push([`${f.name}.txt`, renderFigure(table, f.name, "txt")]);
  return out;
}

for (const name of presetNames()) {
  test(`preset ${name}: pinsim report and every text figure fit ${WIDTH} columns`, async () => {
    const config = readSweepConfig(name) as unknown as SweepConfig & { base: Record<string, unknown> };
    const table = await sweep(
      { ...config, base: { ...config.base, duration: 20, files: 2, pagesPerFile: 8, pinners: 1 }, seeds: 1 },
      { workers: 0 },
    );
    table.dir = `data/results/${name}`; // as `npm run sweep` places it: the report prints the path
    for (const [what, text] of everyText(table)) assert.deepEqual(tooWide(text), [], `${name}: ${what}`);
  });
}

test(`the checked-in example results: report and every text figure fit ${WIDTH} columns`, () => {
  const dir = join(ROOT, "data/results/examples");
  for (const ex of readdirSync(dir)) {
    // A pinsim calibrate folder (manifest kind "calibration"): its report is the comparison table.
    if (resultsKind(join(dir, ex)) === "calibration") {
      assert.deepEqual(tooWide(comparisonText(loadCalibration(join(dir, ex)))), [], `${ex}: pinsim report`);
      continue;
    }
    const table = loadResults(join(dir, ex));
    table.dir = `data/results/examples/${ex}`;
    for (const [what, text] of everyText(table)) assert.deepEqual(tooWide(text), [], `${ex}: ${what}`);
  }
});

test(`every .txt figure in the repository fits ${WIDTH} columns`, () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(".txt")) files.push(p);
    }
  };
  for (const d of ["docs/figures", "data/results/examples", "test/golden/plot"])
    if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  assert.ok(files.length >= 6, `found ${files.length} .txt figures`);
  for (const f of files) assert.deepEqual(tooWide(readFileSync(f, "utf8")), [], relative(ROOT, f));
});
