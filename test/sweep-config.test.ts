import { strict as assert } from "node:assert";
import { test } from "node:test";
import { ParamError, resolveParams } from "../src/model/params.js";
import { deriveSeed, expandAxis, makePlan, parseShard, shardFromEnv, inShard } from "../src/sweep/index.js";

const BASE = { files: 4, pagesPerFile: 8, pinners: 2, duration: 60 };
const cfg = (axes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: "t",
  base: BASE,
  axes,
  seeds: 2,
  rootSeed: 1,
  ...extra,
});

function throwsParam(fn: () => unknown, field: RegExp | string): ParamError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ParamError, String(e));
    if (typeof field === "string") assert.equal(e.field, field);
    else assert.match(e.field, field);
    assert.equal(e.message.includes("\n"), false);
    assert.match(e.message, /allowed:/);
    return e;
  }
  assert.fail("did not throw");
}

test("bad configs name the field and the allowed values, in one line", () => {
  throwsParam(() => makePlan(cfg({ pinDurationn: [1] })), "axis name");
  throwsParam(() => makePlan(cfg({ policy: [] })), "axes.policy");
  throwsParam(() => makePlan(cfg({ policy: ["foll-pin", "nope"] })), "axes.policy");
  throwsParam(() => makePlan(cfg({ pinDuration: { from: 1, to: 5, steps: 0 } })), "axes.pinDuration.steps");
  throwsParam(() => makePlan(cfg({ pinDuration: { from: 0, to: 5, steps: 3, scale: "log" } })), "axes.pinDuration");
  throwsParam(() => makePlan(cfg({})), "axes");
  throwsParam(() => makePlan(cfg({ seed: [1, 2] })), "axes.seed");
  throwsParam(() => makePlan(cfg({ policy: ["foll-pin"] }, { extra: 1 })), "sweep config key");
  throwsParam(() => makePlan(cfg({ policy: ["foll-pin"] }, { seeds: 0 })), "seeds");
  throwsParam(() => makePlan(cfg({ policy: ["foll-pin", "foll-pin"] })), "axes.policy[1]");
  // A point that is invalid only in combination: pagesPerPin > pagesPerFile.
  const e = throwsParam(() => makePlan(cfg({ pagesPerPin: [4, 16] })), "axes.pagesPerPin");
  assert.match(e.message, /"pagesPerPin":16/);
  const allowed = throwsParam(() => makePlan(cfg({ policy: ["nope"] })), "axes.policy").allowed;
  assert.match(allowed, /foll-pin/);
});

test("grid: config order, first axis outermost; ranges and sysctl aliases", () => {
  assert.deepEqual(expandAxis({ from: 1, to: 100, steps: 3, scale: "log" }), [1, 10, 100]);
  assert.deepEqual(expandAxis({ from: 0, to: 1, steps: 5 }), [0, 0.25, 0.5, 0.75, 1]);
  assert.deepEqual(expandAxis({ from: 7, to: 9, steps: 1 }), [7]);
  const plan = makePlan(
    cfg(
      { policy: ["foll-pin", "dirty-at-gup"], dirty_writeback_centisecs: [100, 500, 1000] },
      { base: { ...BASE, writebackInterval: 3 } },
    ),
  );
  assert.deepEqual(
    plan.points.map((p) => [p.axes.policy, p.axes.dirty_writeback_centisecs]),
    [
      ["foll-pin", 100],
      ["foll-pin", 500],
      ["foll-pin", 1000],
      ["dirty-at-gup", 100],
      ["dirty-at-gup", 500],
      ["dirty-at-gup", 1000],
    ],
  );
  assert.equal(plan.points[0]!.params.writebackInterval, undefined); // the axis overrides the base's spelling
  assert.equal(plan.points[0]!.key, '{"dirty_writeback_centisecs":100,"policy":"foll-pin"}');
});

test("seeds depend on (root seed, point key, replicate) only", () => {
  const a = makePlan(cfg({ policy: ["foll-pin", "keep-dirty"], pinDuration: [5, 10] }));
  const b = makePlan(cfg({ pinDuration: [10, 5], policy: ["keep-dirty", "foll-pin"] }));
  const seedsOf = (p: typeof a) => new Map(p.points.map((x) => [x.key, p.seeds.get(x.index)]));
  assert.deepEqual(seedsOf(a), seedsOf(b)); // reordering axes and values keeps each point's seeds
  assert.equal(deriveSeed(1, "k", 0), deriveSeed(1, "k", 0));
  assert.notEqual(deriveSeed(1, "k", 0), deriveSeed(2, "k", 0));
  assert.notEqual(deriveSeed(1, "k", 0), deriveSeed(1, "k", 1));
  const s = deriveSeed(1, "k", 0);
  assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
});

test("shards: I/N, cluster environments, a partition of the grid", () => {
  // --shard counts from 1 (as jest, vitest and playwright --shard): "3/3" is the last of 3,
  // index 2 in the manifest; 0/3 and 4/3 do not exist.
  assert.deepEqual(parseShard("3/3"), { index: 2, count: 3 });
  assert.deepEqual(parseShard("1/1"), { index: 0, count: 1 });
  throwsParam(() => parseShard("0/3"), "shard");
  throwsParam(() => parseShard("4/3"), "shard");
  throwsParam(() => parseShard("x"), "shard");
  // Slurm: (ID - MIN) / STEP. --array=1-8 gives IDs 1..8, MIN 1: ID 5 is the 5th task, index 4.
  assert.deepEqual(shardFromEnv({ SLURM_ARRAY_TASK_ID: "5", SLURM_ARRAY_TASK_MIN: "1", SLURM_ARRAY_TASK_COUNT: "8" }), {
    index: 4,
    count: 8,
  });
  // --array=0-6:2 gives IDs 0, 2, 4, 6 (COUNT 4, STEP 2): ID 4 is the 3rd task, index 2; all
  // four map to distinct shards 0..3 of 4.
  const stepped = [0, 2, 4, 6].map((id) =>
    shardFromEnv({
      SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_MIN: "0",
      SLURM_ARRAY_TASK_STEP: "2",
      SLURM_ARRAY_TASK_COUNT: "4",
    }),
  );
  assert.deepEqual(
    stepped,
    [0, 1, 2, 3].map((index) => ({ index, count: 4 })),
  );
  throwsParam(
    () =>
      shardFromEnv({
        SLURM_ARRAY_TASK_ID: "3",
        SLURM_ARRAY_TASK_MIN: "0",
        SLURM_ARRAY_TASK_STEP: "2",
        SLURM_ARRAY_TASK_COUNT: "4",
      }),
    "SLURM_ARRAY_TASK_ID",
  );
  // Kubernetes Indexed Job: JOB_COMPLETION_INDEX is 0-based, of --shard-count (completions).
  assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: "2" }, 4), { index: 2, count: 4 });
  throwsParam(() => shardFromEnv({ JOB_COMPLETION_INDEX: "4" }, 4), "JOB_COMPLETION_INDEX");
  throwsParam(() => shardFromEnv({ JOB_COMPLETION_INDEX: "2" }), "shard-count");
  assert.equal(shardFromEnv({}), null);
  for (let i = 0; i < 10; i++) assert.equal([0, 1, 2].filter((k) => inShard(i, { index: k, count: 3 })).length, 1);
});

// A parameter given without effect ran silently: forkRate on ext4 forked nothing, dioDest
// without an O_DIRECT write went nowhere (src/model/idle-params.ts). The model refuses it
// in one line; a sweep drops it from the points that do not use it and refuses it only when
// no point does (field base.X or axes.X).
test("parameters without effect: refused by resolveParams, and by a sweep where no point uses them", () => {
  // The engine forks anonymous memory only (src/engine/anon.ts): backing ext4 has no fork.
  const fork = throwsParam(() => resolveParams({ backing: "ext4", forkRate: 0.1 }), "forkRate");
  assert.match(fork.message, /^invalid forkRate: 0\.1 \(allowed: only with backing anon .*backing here: ext4\)$/);
  throwsParam(() => resolveParams({ childLifetime: 3 }), "childLifetime"); // default backing ext4
  // On anon without forks a child's lifetime is the lifetime of nothing.
  const life = throwsParam(() => resolveParams({ backing: "anon", childLifetime: 3 }), "childLifetime");
  assert.match(life.message, /only with forkRate > 0/);
  assert.doesNotThrow(() => resolveParams({ backing: "anon", forkRate: 0.1, childLifetime: 3 }));
  // dioDest is the destination of an O_DIRECT write: caller odirect reading the user pages
  // (pinAccess read: they are the bio's source); generic, or odirect with pinAccess write
  // (an O_DIRECT read into the pages), writes no file through them.
  const dio = throwsParam(() => resolveParams({ dioDest: "btrfs" }), "dioDest");
  assert.match(dio.message, /caller odirect with pinAccess read; caller\/pinAccess here: generic\/write\)$/);
  throwsParam(() => resolveParams({ caller: "odirect", pinAccess: "write", dioDest: "xfs" }), "dioDest");
  assert.doesNotThrow(() => resolveParams({ caller: "odirect", pinAccess: "read", dioDest: "btrfs" }));
  // A pinner group of its own counts too.
  assert.doesNotThrow(() =>
    resolveParams({ dioDest: "btrfs", pinnerGroups: [{ caller: "odirect", pinAccess: "read", pinners: 1 }] }),
  );
  // No writeback on tmpfs, hugetlbfs and anon (BackingProfile.writesBack false: the engine
  // schedules no kupdate, fsync or invalidate, and no ->writepage runs): the flusher's and
  // the filesystem's fields do nothing there (a tester's --backing anon --writeback-interval 1
  // gave the same metrics as without).
  for (const backing of ["tmpfs", "hugetlbfs", "anon"] as const)
    for (const [field, value] of [
      ["writebackInterval", 1],
      ["fsyncRate", 0.1],
      ["invalidateRate", 0.1],
      ["stableWrites", true],
      ["fsBehavior", "ext4-bug"],
    ] as const) {
      const e = throwsParam(() => resolveParams({ backing, [field]: value }), field);
      assert.match(e.message, new RegExp(`only on a backing that writes back .*backing here: ${backing}\\)$`));
    }
  // Anonymous memory has no file to truncate; the model keeps tmpfs pages from reclaim
  // (engine: reclaim events only where pages write back, or swap on anon).
  throwsParam(() => resolveParams({ backing: "anon", truncateRate: 0.1 }), "truncateRate");
  throwsParam(() => resolveParams({ backing: "tmpfs", reclaimRate: 0.1 }), "reclaimRate");
  assert.doesNotThrow(() => resolveParams({ backing: "anon", reclaimRate: 0.1 }));
  assert.doesNotThrow(() => resolveParams({ backing: "tmpfs", truncateRate: 0.1 }));
  // mmu-notifier's device mirrors the range and holds no pin: no release for a notifier to run.
  const mirror = throwsParam(() => resolveParams({ policy: "mmu-notifier", notifierRate: 1 }), "notifierRate");
  assert.match(mirror.message, /policy mmu-notifier mirrors the range and holds no pin\)$/);
  assert.doesNotThrow(() => resolveParams({ policy: "foll-pin", notifierRate: 1 }));
  // Sweeps: idle at every point is refused, naming base.X or axes.X and the reason.
  const all = throwsParam(
    () => makePlan(cfg({ policy: ["foll-pin"] }, { base: { ...BASE, forkRate: 0.1 } })),
    "base.forkRate",
  );
  assert.match(all.message, /at every point of the sweep/);
  throwsParam(() => makePlan(cfg({ dioDest: ["ext4", "btrfs"] })), "axes.dioDest");
  // Used at some points: the sweep runs, the others drop it (their runs would refuse it).
  const plan = makePlan(
    cfg({ caller: ["generic", "odirect"] }, { base: { ...BASE, pinAccess: "read", dioDest: "btrfs" } }),
  );
  const params = plan.points.map((p) => [p.axes.caller, p.params.dioDest]);
  assert.deepEqual(params, [
    ["generic", undefined],
    ["odirect", "btrfs"],
  ]);
});
