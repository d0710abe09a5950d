/**
 * The one golden-file helper of the test suite. A golden file is what a user sees (an SVG,
 * a text figure, a checker witness, CLI output), checked in under test/golden/, compared
 * byte for byte as Observable Plot's snapshot tests do.
 *
 * - A missing golden file FAILS the test: the actual output is written beside it as
 *   NAME-changed.EXT to look at, and the run is red (a deleted golden never passes silently,
 *   a new golden test cannot pass the first time).
 * - A mismatch writes NAME-changed.EXT beside the golden (ignored by git) and fails, so
 *   `diff NAME.EXT NAME-changed.EXT` shows what changed.
 * - `UPDATE_GOLDEN=1 npm test` (the one switch) rewrites every golden file the run touches.
 * - A match removes a stale NAME-changed.EXT.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** test/golden */
export const GOLDEN_DIR = join(ROOT, "test", "golden");

/** Whether this run rewrites golden files (UPDATE_GOLDEN=1, any value but "" and "0"). */
export function updatingGolden(): boolean {
  return !!process.env.UPDATE_GOLDEN && process.env.UPDATE_GOLDEN !== "0";
}

/** The file beside a golden that holds the actual output: `dir/name.svg` → `dir/name-changed.svg`. */
export function changedPath(file: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}-changed${ext}`);
}

/**
 * Compare `actual` with the golden file `path` (relative to test/golden, e.g.
 * "plot/lost-data.svg", or absolute). Fails when the file is missing or differs;
 * UPDATE_GOLDEN=1 (or `options.update`) rewrites it instead.
 */
export function golden(path: string, actual: string | Uint8Array, options: { update?: boolean } = {}): void {
  const file = isAbsolute(path) ? path : join(GOLDEN_DIR, path);
  const changed = changedPath(file);
  const shown = relative(ROOT, file);
  const bytes = typeof actual === "string" ? Buffer.from(actual, "utf8") : Buffer.from(actual);
  if (options.update ?? updatingGolden()) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
    rmSync(changed, { force: true });
    return;
  }
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(changed, bytes);
    assert.fail(
      `golden file ${shown} is missing (actual written to ${relative(ROOT, changed)}; UPDATE_GOLDEN=1 npm test writes it)`,
    );
  }
  const expected = readFileSync(file);
  if (!expected.equals(bytes)) {
    writeFileSync(changed, bytes);
    assert.fail(
      `${shown} differs from the actual output; see ${relative(ROOT, changed)} (UPDATE_GOLDEN=1 npm test rewrites it)`,
    );
  }
  rmSync(changed, { force: true });
}
