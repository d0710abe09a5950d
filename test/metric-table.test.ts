// The metrics table (src/model/metric-table.ts) is the one place a metric is described:
// per-group counts, the checker's incidents, the null rules and docs/model.md's tables all
// come from it. These tests pin what the code read before the table existed, so moving it
// there changed nothing, and check that the docs are generated from the current table.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { simulate } from "../src/engine/simulate.js";
import { FAILURE_ID, INCIDENTS } from "../src/checker/verdict.js";
import {
  GROUP_METRICS,
  METRICS,
  METRIC_NAMES,
  NULL_CONDITIONS,
  metricIsNull,
  metricsOf,
  type MetricName,
  type RunFacts,
} from "../src/model/metrics.js";
// @ts-expect-error: a plain .mjs script without types
import { metricBlocks, withBlocks } from "../scripts/metrics-doc.mjs";

const ROOT = join(import.meta.dirname, "..");
const nulls = (m: Record<string, number | null>) =>
  Object.keys(m)
    .filter((k) => m[k] === null)
    .sort();

test("per-group counts: the table's perGroup positions are 0..n-1, in the layout groups always had", () => {
  const positions = METRICS.filter((m) => m.perGroup !== undefined).map((m) => m.perGroup!);
  assert.deepEqual(
    [...positions].sort((a, b) => a - b),
    positions.map((_, i) => i),
  );
  // The order of GroupResult.counts before the table: engine/groups.ts's GROUP_METRICS.
  assert.deepEqual(GROUP_METRICS, [
    "pinsTaken",
    "pinsCompleted",
    "refusedPins",
    "releasesUnsaved",
    "writeToCleanPage",
    "modifiedUnderWriteback",
    "dmaWrites",
    "lostData",
  ]);
});

test("the checker's incidents and their ids are the table's checked rows, as verdict.ts listed them", () => {
  // Issue 21 added ext4's page-lock warning (F1u), btrfs's COW fixup (F1c) and the page-lock
  // deadlock of a release run from an MMU notifier (F11).
  assert.deepEqual(INCIDENTS, [
    "dirtyWithoutBuffers",
    "bufferlessWriteback",
    "dirtyWithoutLock",
    "cowFixups",
    "writeToCleanPage",
    "lostData",
    "truncatedWhilePinned",
    "modifiedUnderWriteback",
    "doubleWritebacks",
    "doubleWritebacksStrict",
    "falsePositives",
    "falseNegatives",
    "refusedPins",
    "keptDirty",
    "pageLockDeadlocks",
    // issue 22: anonymous memory, fork, O_DIRECT writes
    "wrongProcessWrites",
    "forkNeedlessCopies",
    "dioSourceModified",
  ]);
  assert.deepEqual(Object.values(FAILURE_ID), [
    "F1",
    "F1b",
    "F1u",
    "F1c",
    "F2",
    "F3",
    "F3t",
    "F4",
    "F5",
    "F5s",
    "F6",
    "F7",
    "F9",
    "F10",
    "F11",
    "F12",
    "F13",
    "F14",
  ]);
});

test("a rate's denominator is a count of the table, and a seconds metric is never a rate", () => {
  for (const m of METRICS) {
    if (m.per) assert.ok(METRIC_NAMES.includes(m.per), `${m.name} per ${m.per}`);
    if (m.unit === "seconds") assert.equal(m.per, undefined);
  }
});

test("metricIsNull: each condition alone nulls exactly the metrics that name it", () => {
  // Facts under which no condition holds: a detector, the guard, keep-dirty, bouncing, a
  // backing that writes back, private data, no crash; `mirror` and `noMirror` are
  // opposites, so one of them always holds, and so are `crashed` and `notCrashed`.
  const none: RunFacts = {
    detector: true,
    guard: true,
    keepsDirty: true,
    bounces: true,
    mirror: false,
    writesBack: true,
    privateData: true,
    crashed: false,
    lockWarning: true,
    cowFixup: true,
    anonymous: true,
    dioWrites: true,
  };
  const flips: Record<keyof typeof NULL_CONDITIONS, Partial<RunFacts>> = {
    noDetector: { detector: false },
    noGuard: { guard: false },
    notKeepDirty: { keepsDirty: false },
    notBouncing: { bounces: false },
    noMirror: {},
    mirror: { mirror: true },
    noWriteback: { writesBack: false },
    noPrivateData: { privateData: false },
    noLockWarning: { lockWarning: false },
    noCowFixup: { cowFixup: false },
    crashed: { crashed: true },
    notCrashed: {},
    notAnonymous: { anonymous: false },
    noDioWrite: { dioWrites: false },
  };
  for (const [c, flip] of Object.entries(flips)) {
    const facts = { ...none, ...flip };
    const opposite = (x: string) => (x === "noMirror" && !facts.mirror) || (x === "notCrashed" && !facts.crashed);
    const expected = METRICS.filter((m) => m.nullWhen?.some((x) => x === c || opposite(x)))
      .map((m) => m.name)
      .sort();
    const counters = new Float64Array(METRICS.length).fill(1);
    assert.deepEqual(nulls(metricsOf(counters, facts) as never), expected, c);
    assert.equal(METRICS.filter((m) => metricIsNull(m, facts)).length, expected.length);
  }
});

/**
 * Null on a file backing with no O_DIRECT write group: no fork, no COW of a pinned anonymous
 * page, no swap (notAnonymous), no write bio's source (noDioWrite).
 */
const FILE_BACKED_NULLS: MetricName[] = [
  "forkCopies",
  "forkNeedlessCopies",
  "forks",
  "swapOuts",
  "wrongProcessWrites",
  "dioSourceModified",
];

test("the engine's nulls: tmpfs, xfs order 0, a crash, mmu-notifier", () => {
  const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, seed: 1 };
  // foll-pin consults no detector and the guard is off by default (v6.4's guard is a
  // kernel preset's), it neither keeps dirty nor bounces, and GUP takes a reference; ext4
  // has no COW fixup (btrfs's). crashedAt is null in every run that reaches its end (its
  // null is an absence).
  const base: MetricName[] = [
    "bounceCopies",
    "cowFixups",
    "crashedAt",
    "detectorChecks",
    "detectorChecksUnpinned",
    "deviceRefaults",
    "falseNegatives",
    "falsePositives",
    "keptDirty",
    "reclaimGuardSkips",
    ...FILE_BACKED_NULLS,
  ].sort() as MetricName[];
  const fp = simulate({ ...small, policy: "foll-pin", reclaimGuard: false });
  assert.deepEqual(nulls(fp.metrics as never), base);
  // tmpfs writes nothing back (mapping_can_writeback is false): every writeback metric is null.
  const tmpfs = simulate({ ...small, policy: "foll-pin", reclaimGuard: false, backing: "tmpfs" });
  const writeback: MetricName[] = [
    "dirtyWithoutBuffers",
    "bufferlessWriteback",
    "dirtyWithoutLock",
    "writeToCleanPage",
    "lostData",
    "lostDataEvicted",
    "lostDataFinal",
    "modifiedUnderWriteback",
    "doubleWritebacks",
    "doubleWritebacksStrict",
    "pinsWithWriteToCleanPage",
    "releasesUnsaved",
    "writebacks",
    "buffersStripped",
  ];
  assert.deepEqual(nulls(tmpfs.metrics as never), [...base, ...writeback].sort());
  // xfs's iomap folios of order 0 carry no private data: no buffers to lose or strip.
  const xfs = simulate({ ...small, policy: "foll-pin", reclaimGuard: false, backing: "xfs" });
  assert.deepEqual(
    nulls(xfs.metrics as never),
    [...base, "dirtyWithoutBuffers", "bufferlessWriteback", "buffersStripped", "dirtyWithoutLock"].sort(),
  );
  // Linux 5.4 (ext4-bug: writepage BUG()s on a bufferless dirty page before v5.18) stops the
  // run at the first one; there is no end-of-run sync, so the end-state measures are null.
  const crash = simulate({
    ...small,
    duration: 900,
    files: 6,
    pinners: 3,
    pinDuration: 45,
    seed: 7,
    kernel: "5.4",
    reclaimRate: 0.005,
    fsyncRate: 0.002,
  });
  assert.ok(crash.crashedAt !== null);
  assert.equal(crash.metrics.crashedAt, crash.crashedAt);
  assert.deepEqual(
    nulls(crash.metrics as never),
    [...base.filter((m) => m !== "crashedAt"), "finalDirtyPages", "lostDataFinal"].sort(),
  );
  // mmu-notifier holds no reference: refaults count, the pinned dirty age does not.
  const mn = simulate({ ...small, policy: "mmu-notifier", reclaimGuard: false });
  assert.deepEqual(
    nulls(mn.metrics as never),
    [...base.filter((m) => m !== "deviceRefaults"), "maxDirtyAgeWhilePinned"].sort(),
  );
});

test("docs/model.md's metric tables are generated from the current table (node scripts/metrics-doc.mjs --write)", () => {
  const doc = readFileSync(join(ROOT, "docs", "model.md"), "utf8");
  assert.equal(withBlocks(doc, metricBlocks(METRICS, NULL_CONDITIONS)), doc);
});
