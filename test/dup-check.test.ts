// The duplicate-code scan CI runs (scripts/dup-check.mjs, jscpd): src/ as it is passes, with
// no clone between src/engine and src/checker; a near-copy of a kernel step planted in both
// (identifiers renamed, as a copy-paste drifts) fails it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SCRIPT = join(import.meta.dirname, "..", "scripts", "dup-check.mjs");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", timeout: 120_000 });

test("src/ has no clone between the engine and the checker", { timeout: 120_000 }, () => {
  const r = run();
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /no clone between src\/engine\/ and src\/checker\//);
});

// A clear_page_dirty_for_io written out twice, the second copy with its names changed.
const step = (pc: string, p: string, seen: string) => `
export function writeOne(${pc}: any, ${p}: number, ${seen}: number[]): boolean {
  if (!${pc}.locked[${p}]) throw new Error("page not locked");
  if (${pc}.writeback[${p}]) { ${seen}.push(${p}); return false; }
  if (!${pc}.dirty[${p}]) return false;
  ${pc}.pageMkclean(${p});
  const decision = ${pc}.policy.writebackDecision(${pc}, ${p}, false);
  if ((decision & 1) !== 0) { ${pc}.dirty[${p}] = 0; ${pc}.dirtyPages--; }
  if ((decision & 2) === 0) return false;
  ${pc}.writeback[${p}] = 1;
  ${pc}.io[${p}] = ${pc}.mem[${p}];
  ${seen}.push(${p});
  return true;
}
`;

test("a near-copy of a kernel step in both the engine and the checker fails the scan", { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "pinsim-dup-"));
  try {
    mkdirSync(join(root, "src", "engine"), { recursive: true });
    mkdirSync(join(root, "src", "checker"), { recursive: true });
    writeFileSync(join(root, "src", "engine", "a.ts"), step("pc", "p", "written"));
    writeFileSync(join(root, "src", "checker", "b.ts"), step("cache", "page", "out"));
    const r = run("--root", root);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /engine and checker share code \((renamed|similar)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
