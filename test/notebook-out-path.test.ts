/**
 * `notebook run --out`: an existing path that is not a regular file is refused before the
 * notebook runs (a tester's reproducer: `--out` on a copy of /dev/null made with mknod
 * ran the notebook, exit 0, and replaced the device node with a 0600 JSON file; as root,
 * `--out /dev/null` would have destroyed /dev/null). checkOutPath never writes to `out`,
 * so this test is safe on the real /dev/null even if the check regressed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkOutPath } from "../src/notebook/runner.js";

const dir = mkdtempSync(join(tmpdir(), "pinsim-nbout-"));

test("a character device, a FIFO or a directory as --out is one line naming what it is", () => {
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  for (const [out, kind] of [
    ["/dev/null", "a character device"],
    [fifo, "a FIFO"],
    [dir, "a directory"],
  ] as const) {
    assert.throws(
      () => checkOutPath(out),
      (e: Error) =>
        e.message === `invalid --out: "${out}" (allowed: a file in an existing, writable directory; ${out} is ${kind})`,
      out,
    );
  }
  assert.ok(statSync("/dev/null").isCharacterDevice());
  assert.ok(statSync(fifo).isFIFO(), "the FIFO is left as it was");
});

test("a regular file, or a new name in a writable folder, is accepted", () => {
  const file = join(dir, "old.ipynb");
  writeFileSync(file, "{}");
  checkOutPath(file);
  checkOutPath(join(dir, "new.ipynb"));
  assert.equal(existsSync(join(dir, "new.ipynb")), false, "the check creates nothing at out");
});
