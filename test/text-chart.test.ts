/**
 * Text charts that do not misstate (issue 24), on the rows of `pinsim sweep default` that
 * showed each defect (test/fixtures/plot/default-slices.json) and on small inputs: a series
 * drawn at one height, points lifted off the zero row listed with their real values, a
 * coincidence note naming exactly the x values whose markers share a cell, and x values
 * sharing a column said, with where their values are.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { renderFigure, textChart, SERIES_LINES, SERIES_MARKERS } from "../src/plot/index.js";
import { defaultSlices } from "./helpers/default-slices.js";

const slices = defaultSlices();

/** The chart's plot rows, top first: [label, cells] (cells = what follows the y axis). */
function plotRows(chart: string): { label: string; cells: string }[] {
  return chart
    .split("\n")
    .filter((l) => /^.{8}[┤┼]/.test(l))
    .map((l) => ({ label: l.slice(0, 8).trim(), cells: l.slice(9) }));
}

/** Labels of the rows on which any of `glyphs` appears. */
function rowsWith(chart: string, glyphs: string[]): string[] {
  return plotRows(chart)
    .filter((r) => [...r.cells].some((c) => glyphs.includes(c)))
    .map((r) => r.label);
}

test("double-writebacks of sweep default: keep-dirty (9.6, 9.05, 9.33) is drawn at one height, markers and joins", () => {
  const txt = renderFigure(slices, "double-writebacks", "txt");
  // keep-dirty is the fourth policy (policyOrder): marker □, join ':'. Its values are below
  // half a row (48.7 per row: 341 / 7), lifted to the 48.7 row; before, its joins were drawn
  // from the values, on the 0 row, under its markers on the 48.7 row.
  const i = 3;
  assert.equal(SERIES_MARKERS[i], "□");
  assert.deepEqual(rowsWith(txt, [SERIES_MARKERS[i]]), ["48.7"], txt);
  assert.deepEqual(rowsWith(txt, [SERIES_LINES[i]]), ["48.7"], txt);
  assert.match(txt.replace(/\n {2}/g, " "), /real values: keep-dirty 9\.6 at x = 1, 9\.05 at 5, 9\.33 at 30/);
});

test("lost-data per run of sweep default: legacy-put-page's 0.25–22 pages, lifted to the 121 row, are listed with their values", () => {
  const txt = renderFigure(slices, "lost-data", "txt", { y: "per-run" });
  // 847 over 7 rows: 121 a row; legacy-put-page's 22 pages (the most) round to the 0 row.
  const flat = txt.replace(/\n {2}/g, " ");
  assert.match(flat, /drawn on the 121 row \(lifted off the 0 row\)/);
  assert.match(flat, /legacy-put-page 0\.25 at x = 5, 2\.45 at 20, 6 at 30, 7\.45 at 35, 9\.6 at 45, 22 at 120/);
  // legacy-put-page (●, joins ·) is drawn on the 121 row only.
  assert.deepEqual(rowsWith(txt, ["●", "·"]), ["121"], txt);
});

test("false-positives of sweep default: foll-pin and keep-dirty coincide at 1, 256, 1020, not at 1021 (0 % against 94.7 %)", () => {
  const txt = renderFigure(slices, "false-positives", "txt");
  const flat = txt.replace(/\n {2}/g, " ");
  assert.match(flat, /# at x = 1, 256, 1020: policy foll-pin, policy keep-dirty coincide/);
  assert.doesNotMatch(flat, /# at x = [^:]*1021[^:]*: policy foll-pin, policy keep-dirty/);
  // 1020 and 1021 fall in one column of the log axis: the step there is in the table, and the chart says so.
  assert.match(flat, /x = 1020 and 1021 share a column: the chart cannot show a change between them; the table below/);
  assert.match(txt, /policy keep-dirty +1021 +1021 +94\.7 %/);
});

test("textChart: a # cell shared by different x values of two series names each with its x", () => {
  // 100 and 101 fall in one column; a at 100 and b at 101 share the cell, at no common x.
  const out = textChart({
    x: [1, 100, 101],
    logX: true,
    series: [
      { name: "a", values: [0, 5, null] },
      { name: "b", values: [0, null, 5] },
    ],
  });
  assert.match(out, /# in one cell: a at 100, b at 101/);
  assert.match(out, /# at x = 1: a, b coincide/);
  assert.match(out, /x = 100 and 101 share a column/);
});

test("textChart: a step series lifted off the zero row keeps its joins on the lifted row", () => {
  const out = textChart({
    x: [1, 2, 3],
    step: true,
    series: [
      { name: "big", values: [100, 100, 100] },
      { name: "small", values: [1, 1, 1] },
    ],
  });
  assert.deepEqual(rowsWith(out, [SERIES_MARKERS[1], SERIES_LINES[1]]), [plotRows(out).at(-2)!.label], out);
  assert.match(out.replace(/\n {2}/g, " "), /real values: small 1 at x = 1, 1 at 2, 1 at 3/);
  // Nothing sits on the 0 row: no value is 0.
  assert.equal(plotRows(out).at(-1)!.cells.trim(), "");
});
