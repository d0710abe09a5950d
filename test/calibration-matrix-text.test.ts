/**
 * The calibration matrix as text (`pinsim report DIR DIR DIR`, src/calibrate/lab/matrix.ts)
 * on the three example folders: mail text keeps to 72 columns, and what it says of a
 * differing cell is whole. (Before, the per-kernel lines and both sides of each difference
 * were cut at column 72 mid-word: "5 di", "the first read ba".)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCalibration } from "../src/calibrate/store.js";
import { matrixText } from "../src/calibrate/lab/matrix.js";
import { verdictCounts } from "../src/calibrate/compare.js";

const EX = fileURLToPath(new URL("../data/results/examples/", import.meta.url));
const cals = ["calibrate-6.1", "calibrate-6.12", "calibrate-6.18"].map((d) => loadCalibration(EX + d));
const text = matrixText(cals);
const lines = text.trimEnd().split("\n");
/** The text with line breaks and indents folded back into single spaces. */
const folded = text.replace(/\s+/g, " ");

test("every line of the matrix text is at most 72 columns", () => {
  for (const l of lines) assert.ok([...l].length <= 72, `${[...l].length} columns: ${l}`);
});

test("each kernel's summary and each differing cell's two sides are there whole", () => {
  for (const c of cals) {
    // verdictCounts is what the summary line counts; the line must end in "N differ".
    const { differ } = verdictCounts(c.comparison);
    assert.ok(
      folded.includes(`agree, ${verdictCounts(c.comparison).notRefuted} not refuted, ${differ} differ`) ||
        folded.includes(`agree, ${differ} differ`),
      c.machine.kernelRelease,
    );
    for (const r of c.comparison.filter((r) => r.agree === false)) {
      assert.ok(folded.includes(`kernel: ${r.kernel.replace(/\s+/g, " ").trim()}`), `kernel side cut: ${r.kernel}`);
      assert.ok(folded.includes(`model: ${r.model.replace(/\s+/g, " ").trim()}`), `model side cut: ${r.model}`);
    }
  }
});

test("the differences section lists exactly the cells marked DIF", () => {
  // One "kernel:" line per DIF mark in the matrix body (header to the first blank line; the key below it says DIF too).
  const body = lines.slice(1, lines.indexOf(""));
  const marks = body.filter((l) => / DIF( |$)/.test(l)).reduce((n, l) => n + (l.match(/ DIF\b/g) ?? []).length, 0);
  const sides = lines.filter((l) => l.startsWith("  kernel: ")).length;
  const differing = cals.reduce((n, c) => n + c.comparison.filter((r) => r.agree === false).length, 0);
  assert.equal(sides, marks);
  assert.equal(sides, differing);
});

test("the README's excerpt of the matrix is the report's text, line for line", () => {
  const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
  const at = readme.indexOf("<!-- excerpt of: pinsim report data/results/examples/calibrate-6.1");
  assert.ok(at >= 0, "README has no matrix excerpt");
  const start = readme.indexOf("```\n", at) + 4;
  const block = readme.slice(start, readme.indexOf("\n```", start));
  const excerpt = block.split("\n");
  assert.ok(excerpt.length >= 10, `${excerpt.length} lines`);
  // Each excerpt line is a line of the text, in the text's order.
  let from = 0;
  for (const l of excerpt) {
    const i = lines.indexOf(l, from);
    assert.ok(i >= 0, `not in the report's text (or out of order): ${l}`);
    from = i + 1;
  }
});

test("no two rows of the matrix read the same, and no label ends in punctuation", () => {
  // The tester's case: fork's copy threshold is measured twice on 6.18 (the page on the
  // LRU, 1022 plain references; in the lru_add batch, 1021), and both rows read "fork
  // copies an order-0 anon page"; "ext4 flusher period P," kept the comma of "P (s),".
  const body = lines.slice(1, lines.indexOf(""));
  const labels = body.map((l) => l.slice(0, 60).trimEnd());
  assert.equal(new Set(labels).size, labels.length, labels.filter((l, i) => labels.indexOf(l) !== i).join("; "));
  for (const l of labels) assert.doesNotMatch(l, /[,;:]$/, l);
  assert.ok(labels.includes("fork copies an order-0 anon page: on the LRU"));
});

test("report and plot refuse a calibration folder given twice (two identical kernel columns)", () => {
  const bin = fileURLToPath(new URL("../bin/pinsim.js", import.meta.url));
  for (const cmd of [["report"], ["plot", "--out", join(tmpdir(), "pinsim-twice")]]) {
    const r = spawnSync(
      process.execPath,
      [bin, ...cmd, EX + "calibrate-6.1", EX + "calibrate-6.12", `${EX}calibrate-6.1/`],
      {
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /^pinsim: .*calibrate-6\.1\/: the same calibration folder as .*calibrate-6\.1; give each kernel's folder once\n$/,
    );
    assert.equal(r.stdout, "");
  }
});
