// The checker's transition cache (src/checker/stepper.ts MEMO_SLOTS) replays a step an actor
// met before (same actor, same page words, same registers of its own) instead of running it.
// That is exact only if a step reads nothing else: no other actor's registers (but the io
// queue's), no field the state encoding leaves out, no counter but the incidents it adds.
// So every scenario of data/scenarios, under each policy and variant, with the reduction and
// without, must give the same search with the cache as without it: the same state count,
// terminal and deadlock counts, verdicts, hits and witnesses, byte for byte. (The contract's
// write half, no other actor's register changed, is test/checker-steps.test.ts's check 5.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  applyVariant,
  checkConfig,
  loadScenarioDir,
  parseScenario,
  runScenario,
  type CheckResult,
} from "../src/checker/index.js";

const SCENARIOS = fileURLToPath(new URL("../data/scenarios", import.meta.url));

/** What a search found, as JSON (its store's bytes aside: the same either way). */
const facts = (r: CheckResult): string => {
  const { bytes: _bytes, ...rest } = r as CheckResult & { bytes?: number };
  return JSON.stringify(rest);
};

test("every shipped scenario: the same search with the transition cache as without it", () => {
  let searches = 0;
  for (const s of loadScenarioDir(SCENARIOS)) {
    for (const reduce of [true, false]) {
      const on = runScenario(s, { reduce, maxStates: 200_000 });
      const off = runScenario(s, { reduce, maxStates: 200_000, memo: false });
      assert.equal(on.length, off.length);
      on.forEach((r, i) => {
        assert.equal(facts(r.result), facts(off[i].result), `${s.name} ${r.policy}/${r.variant} reduce=${reduce}`);
        searches++;
      });
    }
  }
  assert.ok(searches >= 300, `${searches} searches`); // 155 judged runs, each with and without the reduction
});

test("the cache's states equal the steps' on six actors with the io queue shared", () => {
  // the bench's configuration (GUP, flusher, io, CPU, two reclaimers), small: the flusher and
  // both reclaimers write the io actor's queue register, the one register outside their own
  const sc = parseScenario(
    [
      "Scenario: six",
      "Policies: foll-pin",
      "Actor P0: gup path=slow dma=1",
      "Actor P1: flusher passes=2 sync=none",
      "Actor P2: io",
      "Actor P3: cpu stores=1",
      "Actor P4: reclaim",
      "Actor P5: reclaim",
    ].join("\n"),
  );
  const { pages, knobs, actors } = applyVariant(sc, sc.variants[0]);
  const config = { policy: sc.policies[0], page: pages, knobs, actors };
  const on = checkConfig(config, { maxStates: 2_000_000 });
  const off = checkConfig(config, { maxStates: 2_000_000, memo: false });
  assert.ok(on.states > 10_000, `${on.states} states`);
  assert.equal(facts(on), facts(off));
});
