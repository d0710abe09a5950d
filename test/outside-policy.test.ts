// A policy defined outside src/policies/ (here, in the test, from the public API alone:
// the Policy type, WritebackDecision and PageCache's kernel operations) runs in both the
// engine (simulate(params, { policy })) and the checker (checkConfig({ policy })) with
// neither touched: a policy is one value.
//
// `myFollPin` re-states FOLL_PIN with unpin_user_pages_dirty_lock's release
// (mm/gup.c, v5.6 on: `if (!PageDirty(page)) set_page_dirty_lock(page)`, declared as
// { lock: "lock", dirty: "if-clean" }) written from scratch, so the engine and the checker
// must give exactly what they give for the built-in foll-pin (same seed, same events). `forgetful` drops the release's dirtying
// (a driver that never calls set_page_dirty): a DMA write into a page cleaned mid-pin is
// then never written back, which both the engine and the checker must report.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkConfig, simulate, WritebackDecision, type CheckConfig, type Policy } from "../src/index.js";

const calls = { afterGrab: 0, writebackDecision: 0 };

const myFollPin: Policy = {
  id: "my-foll-pin",
  era: "a test's own",
  summary: "FOLL_PIN; release: if (!PageDirty) set_page_dirty_lock",
  reference: "FOLL_PIN",
  reclaimGuardDefault: true,
  writebackConsultsDetector: false,
  bounces: false,
  keepsDirty: false,
  refuseGup: () => false,
  afterGrab: () => {
    calls.afterGrab++;
  },
  release: { lock: "lock", dirty: "if-clean" },
  writebackDecision: () => {
    calls.writebackDecision++;
    return WritebackDecision.CLEAR | WritebackDecision.WRITE;
  },
};

const forgetful: Policy = {
  ...myFollPin,
  id: "forgetful",
  summary: "FOLL_PIN; release: unpin only, never dirties",
  release: { lock: "none", dirty: "never" },
};

// 64 pages, two pinners holding pages for 60 s against the default flusher, ten minutes.
const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, seed: 1 };

test("engine: an outside policy runs through simulate(params, { policy }) and matches the built-in it re-states", () => {
  for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  const builtIn = simulate({ ...small, policy: "foll-pin" });
  const mine = simulate(small, { policy: myFollPin });
  assert.deepEqual(mine.metrics, builtIn.metrics);
  // Its hooks were the ones called: one afterGrab per page pinned, writebackDecision per page written.
  assert.equal(calls.afterGrab, builtIn.metrics.pinsTaken);
  assert.ok(calls.writebackDecision > 0);
  // Without the release's dirtying, data is lost (foll-pin loses none on this seed).
  assert.equal(builtIn.metrics.lostData, 0);
  assert.ok((simulate(small, { policy: forgetful }).metrics.lostData ?? 0) > 0);
});

// GUP-slow+WB (data/scenarios/GUP-slow+WB+dirty-at-gup.scenario): a pin with one device
// write against one writeback pass, page clean at the start.
const race = {
  page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
  knobs: { guard: null, fs: "ext4-warn", stable: false },
  actors: [
    { kind: "gup", name: "P0", path: "slow", dma: 1, longterm: true },
    { kind: "flusher", name: "P1", passes: 1, syncAll: [false] },
  ],
} as const satisfies Omit<CheckConfig, "policy">;

test("checker: an outside policy runs through checkConfig({ policy }) with the built-in's verdicts", () => {
  for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  const builtIn = checkConfig({ ...race, policy: "foll-pin" });
  const mine = checkConfig({ ...race, policy: myFollPin });
  assert.deepEqual(mine.verdicts, builtIn.verdicts);
  assert.equal(mine.states, builtIn.states);
  assert.ok(calls.afterGrab > 0 && calls.writebackDecision > 0, "the checker called the outside policy's hooks");
  // The seed's release check loses nothing (kernel-notes §6); forgetting it loses the write.
  assert.equal(builtIn.verdicts.lostData, "Never");
  assert.equal(checkConfig({ ...race, policy: forgetful }).verdicts.lostData, "Sometimes");
});

// i915 userptr's release (0d4bbe3d40, i915_gem_userptr_put_pages): `if (trylock_page)
// { set_page_dirty; unlock_page }`, nothing when the lock is busy (notebook 07), declared as
// { lock: "trylock", dirty: "always" }. A trylock never waits, so the checker runs the
// release as one step and it sees PG_locked as the other actors left it: held by the
// flusher between lock_page and unlock_page, the trylock fails and the device's write is
// lost. The engine never leaves PG_locked set between events, so there the trylock always
// succeeds.
const trylockRelease: Policy = {
  ...myFollPin,
  id: "trylock-release",
  summary: "FOLL_PIN; release: if (trylock_page) set_page_dirty, else nothing",
  release: { lock: "trylock", dirty: "always" },
};

test("a trylock release: the checker lets the hook meet a held page lock, the engine never does", () => {
  const notLongterm = { ...race, actors: [{ ...race.actors[0], longterm: false }, race.actors[1]] };
  const mine = checkConfig({ ...notLongterm, policy: trylockRelease });
  assert.equal(checkConfig({ ...notLongterm, policy: "foll-pin" }).verdicts.lostData, "Never");
  assert.equal(mine.verdicts.lostData, "Sometimes");
  assert.deepEqual(checkConfig({ ...notLongterm, policy: trylockRelease }, { reduce: false }).verdicts, mine.verdicts);
  // The witness's release runs while the flusher holds PG_locked (the page state's third flag).
  const steps = mine.witnesses.lostData!;
  const release = steps.filter((s) => s.actor === "P0").at(-1)!;
  assert.match(steps[release.n - 2]!.page!, /^..L/);
  for (const seed of [1, 2]) {
    assert.deepEqual(
      simulate({ ...small, seed }, { policy: trylockRelease }).metrics,
      simulate({ ...small, seed, policy: "foll-pin" }).metrics,
    );
  }
});
