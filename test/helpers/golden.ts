/**
 * The one golden-file helper of the test suite. A golden file is what a user sees (an SVG,
 * a text figure, a checker witness, CLI output), checked in under test/golden/.
 *
 * - A missing golden file FAILS the test (it is written, so that it can be looked at and
 *   checked in, but the run is red): a deleted golden must never pass silently.
 * - `UPDATE_GOLDEN=1 npm test` rewrites every golden file the run touches.
 * - A mismatch writes test/output/<dir>/<name> (the actual text) to diff against the golden.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** test/golden */
export const GOLDEN_DIR = join(ROOT, "test", "golden");
/** test/output: actual texts of mismatching goldens (ignored by git). */
export const OUTPUT_DIR = join(ROOT, "test", "output");

/** Whether this run rewrites golden files (UPDATE_GOLDEN=1). */
export function updatingGolden(): boolean {
  return !!process.env.UPDATE_GOLDEN && process.env.UPDATE_GOLDEN !== "0";
}

/**
 * Compare `actual` with test/golden/`path` (e.g. "plot/lost-data.svg"). Fails when the file
 * is missing or differs; UPDATE_GOLDEN=1 rewrites it instead.
 */
export function golden(path: string, actual: string): void {
  const file = join(GOLDEN_DIR, path);
  const shown = relative(ROOT, file);
  if (updatingGolden()) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    const out = join(OUTPUT_DIR, path);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, actual);
    assert.fail(`golden file ${shown} is missing (actual written to ${relative(ROOT, out)}; UPDATE_GOLDEN=1 npm test writes it)`);
  }
  const expected = readFileSync(file, "utf8");
  if (expected !== actual) {
    const out = join(OUTPUT_DIR, path);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, actual);
    assert.fail(`${shown} differs from the actual output; see ${relative(ROOT, out)} (UPDATE_GOLDEN=1 npm test rewrites it)`);
  }
}
