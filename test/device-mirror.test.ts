// The device mirror of mmu-notifier is a policy's declared hooks (Policy.deviceMirror), not
// a special case of the engine or the checker: a mirroring policy written here, outside
// src/policies/, from PageCache's mmu_interval_read_begin / mmu_interval_read_retry, gives
// exactly what the built-in mmu-notifier gives in both, and a policy whose reference kind
// and mirror disagree is refused by name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkConfig, getPolicy, simulate, type CheckConfig, type Policy } from "../src/index.js";
import { METRIC } from "../src/model/index.js";
import { deviceMirrorOf } from "../src/model/policy.js";
import { InputError } from "../src/errors.js";

const calls = { mirror: 0, invalidated: 0, refault: 0 };

const myMirror: Policy = {
  ...getPolicy("mmu-notifier"),
  id: "my-mirror",
  deviceMirror: {
    mirror: (pc, p) => {
      calls.mirror++;
      return pc.mmuIntervalReadBegin(p);
    },
    invalidated: (pc, p, seq) => {
      calls.invalidated++;
      return pc.mmuIntervalReadRetry(p, seq);
    },
    refault: (pc, p) => {
      calls.refault++;
      pc.count(METRIC.deviceRefaults);
      return pc.mmuIntervalReadBegin(p);
    },
  },
};

// 64 pages, two pinners writing for 60 s against the default flusher, ten minutes.
const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, dmaWriteRate: 1, seed: 1 };

test("engine: a mirroring policy from outside src/policies/ matches mmu-notifier and its hooks are the ones called", () => {
  for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  const builtIn = simulate({ ...small, policy: "mmu-notifier" });
  const mine = simulate(small, { policy: myMirror });
  assert.deepEqual(mine.metrics, builtIn.metrics);
  assert.equal(mine.events, builtIn.events);
  assert.equal(calls.mirror, builtIn.metrics.pinsTaken);
  assert.equal(calls.refault, builtIn.metrics.deviceRefaults);
  assert.ok((builtIn.metrics.deviceRefaults ?? 0) > 0, "the run has refaults to compare");
  assert.ok(calls.invalidated >= (builtIn.metrics.dmaWrites ?? 0));
});

// A device write against a flusher pass: the pass's page_mkclean invalidates the mirror.
const race = {
  page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
  knobs: { guard: null, fs: "ext4-warn", stable: false },
  actors: [
    { kind: "gup", name: "P0", path: "slow", dma: 2, longterm: true },
    { kind: "flusher", name: "P1", passes: 1, syncAll: [false] },
  ],
} as const satisfies Omit<CheckConfig, "policy">;

test("checker: a mirroring policy from outside src/policies/ gives mmu-notifier's verdicts", () => {
  for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] = 0;
  const builtIn = checkConfig({ ...race, policy: "mmu-notifier" });
  const mine = checkConfig({ ...race, policy: myMirror });
  assert.deepEqual(mine.verdicts, builtIn.verdicts);
  assert.equal(mine.states, builtIn.states);
  assert.ok(
    calls.mirror > 0 && calls.invalidated > 0 && calls.refault > 0,
    "the checker called the outside mirror's hooks",
  );
});

test("deviceMirrorOf: a reference kind and a mirror that disagree are refused, naming the policy", () => {
  const base = getPolicy("foll-pin");
  assert.equal(deviceMirrorOf(base), null);
  assert.equal(deviceMirrorOf(myMirror), myMirror.deviceMirror);
  const noMirror: Policy = { ...base, id: "half-mirror", reference: "none" };
  assert.throws(
    () => deviceMirrorOf(noMirror),
    (e: unknown) => e instanceof InputError && /half-mirror/.test(e.message),
  );
  assert.throws(() => simulate(small, { policy: noMirror }), InputError);
  const pinAndMirror: Policy = { ...myMirror, id: "pin-and-mirror", reference: "FOLL_PIN" };
  assert.throws(() => checkConfig({ ...race, policy: pinAndMirror }), /pin-and-mirror/);
});
