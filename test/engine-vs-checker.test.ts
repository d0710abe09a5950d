/**
 * The two semantics agree: whatever the interleaving checker proves a policy can never
 * reach (as the policy is specified: its own reclaim-guard default, GUP with the pte
 * recheck), the time simulation never counts, under a workload with every actor on.
 * The engine runs each operation at one instant, so its executions are interleavings the
 * checker also explores; a count here where the checker says Never is a bug in one of them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { simulate } from "../src/engine/index.js";
import { loadScenarioDir, verdictTable, INCIDENTS } from "../src/checker/index.js";
import { POLICY_IDS } from "../src/model/policy-ids.js";

const SCENARIOS = new URL("../data/scenarios", import.meta.url).pathname;

/** Busy: short and long pins, shared pages past the detector threshold, reclaim, fsync, truncate. */
const busy = {
  duration: 900,
  files: 16,
  pagesPerFile: 16,
  pinners: 12,
  pagesPerPin: 2,
  pinDuration: "lognormal:3:1.2",
  pinGap: "exp:5",
  dmaWriteRate: 0.5,
  cpuWriteRate: 0.01,
  shareCount: "hist:1=80,1021=20",
  reclaimRate: 0.003,
  fsyncRate: 0.01,
  truncateRate: 0.0005,
  dirtyBackgroundPages: 40,
  writebackLatency: 0.05,
} as const;

test("incidents the checker proves unreachable never happen in the time simulation", () => {
  const table = verdictTable(loadScenarioDir(SCENARIOS));
  let compared = 0;
  for (const policy of POLICY_IDS) {
    for (const seed of [1, 2, 3]) {
      const r = simulate({ ...busy, policy, seed, longTerm: seed !== 2 });
      for (const incident of INCIDENTS) {
        if (table[policy][incident].verdict !== "Never") continue;
        const v = r.metrics[incident];
        compared++;
        assert.ok(
          v === null || v === 0,
          `${policy}: the checker says ${incident} Never, the engine counted ${v} (seed ${seed})`,
        );
      }
    }
  }
  assert.ok(compared > 50, `compared ${compared}`);
});

test("and the engine reaches, under the same workload, most of what the checker says is reachable", () => {
  // Not all: the checker's scenarios include deliberately tight windows. But the headline
  // incidents of each era must show up in the simulation too.
  const expect: [string, string][] = [
    ["legacy-put-page", "dirtyWithoutBuffers"],
    ["legacy-put-page", "lostData"],
    ["dirty-at-gup", "lostData"],
    ["foll-pin", "writeToCleanPage"],
    ["foll-pin", "doubleWritebacks"],
    ["keep-dirty", "keptDirty"],
    ["keep-dirty", "falsePositives"],
    ["block-bounce", "writeToCleanPage"],
    ["longterm-refused", "refusedPins"],
  ];
  for (const [policy, incident] of expect) {
    const r = simulate({ ...busy, policy: policy as (typeof POLICY_IDS)[number], seed: 1 });
    assert.ok((r.metrics[incident as keyof typeof r.metrics] ?? 0) > 0, `${policy} ${incident}`);
  }
});
