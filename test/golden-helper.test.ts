// The golden-file helper (test/helpers/golden.ts): a missing golden fails (it used to be
// written and pass, so a new golden test could not fail the first time), a mismatch fails
// and leaves NAME-changed.EXT beside the golden, a match passes and clears a stale
// -changed file, update mode rewrites.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { changedPath, golden } from "./helpers/golden.js";

function inTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "pinsim-golden-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a missing golden fails and leaves the output as NAME-changed.EXT", () =>
  inTmp((dir) => {
    const path = join(dir, "figure.svg");
    assert.throws(() => golden(path, "<svg/>", { update: false }), /golden file .*figure\.svg is missing/);
    assert.equal(existsSync(path), false, "the golden itself is not written");
    assert.equal(readFileSync(join(dir, "figure-changed.svg"), "utf8"), "<svg/>");
  }));

test("a mismatch fails and writes -changed beside the golden; a match passes and clears it", () =>
  inTmp((dir) => {
    const path = join(dir, "table.txt");
    writeFileSync(path, "a 1\n");
    assert.throws(() => golden(path, "a 2\n", { update: false }), /table\.txt differs from the actual output/);
    assert.equal(readFileSync(changedPath(path), "utf8"), "a 2\n");
    golden(path, "a 1\n", { update: false });
    assert.equal(existsSync(changedPath(path)), false);
  }));

test("bytes compare byte for byte (a PNG differing in one byte fails)", () =>
  inTmp((dir) => {
    const path = join(dir, "f.png");
    writeFileSync(path, Uint8Array.from([137, 80, 78, 71]));
    assert.throws(() => golden(path, Uint8Array.from([137, 80, 78, 72]), { update: false }), /differs/);
    golden(path, Uint8Array.from([137, 80, 78, 71]), { update: false });
  }));

test("update mode writes the golden and passes", () =>
  inTmp((dir) => {
    const path = join(dir, "new.txt");
    golden(path, "fresh\n", { update: true });
    assert.equal(readFileSync(path, "utf8"), "fresh\n");
    golden(path, "fresh\n", { update: false });
  }));
