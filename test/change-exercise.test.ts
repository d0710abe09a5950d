// Change exercise 1 (issue 19): a new policy that dirties at GUP and again at release, run
// by both the engine and the checker, is ONE new file in src/policies/ plus its registration
// (one import and one list entry in src/policies/index.ts); nothing else in src/ changes.
//
// The test does the change for real on a copy of src/, runs the copy (tsx, no build), and
// compares the copy's files with src/: exactly one file added, one file changed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = join(import.meta.dirname, "..");

/** Every file under dir, relative to it, sorted. */
function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(join(dir, e.name), base) : [relative(base, join(dir, e.name))]))
    .sort();
}

const POLICY_FILE = `/**
 * The exercise's policy: FOLL_PIN, the page dirtied when GUP takes its reference (as
 * dirty-at-gup) and again at the release with set_page_dirty_lock (as legacy-put-page).
 */
import { SET_PAGE_DIRTY_LOCK } from "../model/release.js";
import { definePolicy, FOLL_PIN_BASE } from "./common.js";

export const dirtyTwice = definePolicy({
  ...FOLL_PIN_BASE,
  id: "dirty-twice",
  era: "change exercise 1",
  summary: "FOLL_PIN +bias, dirtied at GUP; release: set_page_dirty_lock always, unpin",
  afterGrab: (pc, p) => {
    pc.setPageDirty(p);
  },
  release: SET_PAGE_DIRTY_LOCK,
});
`;

const RUN = `
import { simulate, checkConfig, POLICY_IDS } from "./src/index.js";
const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, seed: 1 };
const engine = simulate({ ...small, policy: "dirty-twice" });
// GUP-slow+WB (data/scenarios/GUP-slow+WB+dirty-at-gup.scenario): one device write, one writeback pass.
const config = {
  page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
  knobs: { guard: null, fs: "ext4-warn", stable: false },
  actors: [
    { kind: "gup", name: "P0", path: "slow", dma: 1, longterm: true },
    { kind: "flusher", name: "P1", passes: 1, syncAll: [false] },
  ],
};
const checker = checkConfig({ ...config, policy: "dirty-twice" });
console.log(JSON.stringify({ ids: POLICY_IDS, policy: engine.params.policy, metrics: engine.metrics, verdicts: checker.verdicts, witness: checker.witnesses.writeToCleanPage?.map((s) => s.step) }));
`;

test("change exercise 1: a new policy is one file in src/policies/ plus its registration", { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "pinsim-exercise-"));
  try {
    cpSync(join(root, "src"), join(tmp, "src"), { recursive: true });
    cpSync(join(root, "package.json"), join(tmp, "package.json"));
    symlinkSync(join(root, "node_modules"), join(tmp, "node_modules"));
    // The change: the new file, and its registration in the one list.
    writeFileSync(join(tmp, "src/policies/dirty-twice.ts"), POLICY_FILE);
    const index = join(tmp, "src/policies/index.ts");
    let text = readFileSync(index, "utf8");
    text = text.replace(
      'import { mmuNotifier } from "./mmu-notifier.js";',
      'import { mmuNotifier } from "./mmu-notifier.js";\nimport { dirtyTwice } from "./dirty-twice.js";',
    );
    text = text.replace("  mmuNotifier,\n] as const", "  mmuNotifier,\n  dirtyTwice,\n] as const");
    writeFileSync(index, text);
    writeFileSync(join(tmp, "run.ts"), RUN);
    const out = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", join(tmp, "run.ts")], { cwd: tmp, encoding: "utf8" }),
    );

    // What changed in src/: one file added, one changed, nothing else.
    const before = files(join(root, "src")),
      after = files(join(tmp, "src"));
    assert.deepEqual(
      after.filter((f) => !before.includes(f)),
      ["policies/dirty-twice.ts"],
    );
    const changed = before.filter(
      (f) => readFileSync(join(root, "src", f), "utf8") !== readFileSync(join(tmp, "src", f), "utf8"),
    );
    assert.deepEqual(changed, ["policies/index.ts"]);

    // The engine and the checker both run it.
    assert.ok(out.ids.includes("dirty-twice"), "POLICY_IDS is derived from the registry");
    assert.equal(out.policy, "dirty-twice");
    assert.ok(out.metrics.pinsTaken > 0);
    // Dirtied at GUP, the page can still be cleaned mid-pin and written by the device while
    // clean (F2: writeToCleanPage Sometimes, as for dirty-at-gup); the release's
    // set_page_dirty_lock redirties it after the device's last write, so the sync writes it:
    // nothing is lost (F3 Never), as for legacy-put-page in this scenario.
    assert.equal(out.verdicts.writeToCleanPage, "Sometimes");
    assert.equal(out.verdicts.lostData, "Never");
    assert.equal(out.metrics.lostData, 0);
    assert.ok(out.witness.includes("TestClearPageDirty") && out.witness.includes("DMA write"), out.witness.join(" | "));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
