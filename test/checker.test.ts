// The interleaving checker: the scenario set judges clean, a planted bug is found (and
// not in the correct policy), bounds give Unknown, witnesses match their golden files,
// malformed scenarios name file and line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { golden as goldenFile } from "./helpers/golden.js";
import {
  ScenarioError,
  applyVariant,
  checkConfig,
  expectedVerdicts,
  formatVerdictTable,
  formatWitness,
  judge,
  loadScenario,
  loadScenarioDir,
  parseScenario,
  runScenario,
  verdictTable,
  type IncidentName,
} from "../src/checker/index.js";
import { follPin } from "../src/policies/foll-pin.js";
import type { Policy } from "../src/model/policy.js";
import { POLICY_IDS, type PolicyId } from "../src/model/policy-ids.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCENARIOS = join(ROOT, "data/scenarios");

/** Compare with test/golden/checker/NAME (the suite's one golden helper: missing fails, UPDATE_GOLDEN=1 rewrites). */
function golden(name: string, actual: string): void {
  goldenFile(`checker/${name}`, actual);
}

function scenario(name: string) {
  return loadScenario(join(SCENARIOS, `${name}.scenario`));
}

function witnessOf(name: string, policy: PolicyId, variant: string, incident: IncidentName): string {
  const s = scenario(name);
  const [run] = runScenario(s, { policies: [policy], variants: [variant] });
  const w = run.result.witnesses[incident];
  assert.ok(w, `${name} ${policy}/${variant} has no witness of ${incident}`);
  return formatWitness(run.result.actors, w);
}

test("every scenario under data/scenarios judges clean, without a deadlock other than a page-lock one, or bound", () => {
  const scenarios = loadScenarioDir(SCENARIOS);
  assert.ok(scenarios.length >= 8, "the scenario set is there");
  const runs = scenarios.flatMap((s) => runScenario(s));
  const { ok, text } = judge(runs);
  assert.ok(ok, text);
  for (const r of runs) {
    // A hung execution is only ever a release run from an MMU notifier that locks the page its
    // path holds (K4.19+i915-userptr+notifier+reclaim's lock variant: aa56a292ce62).
    if (r.result.deadlocks > 0)
      assert.notEqual(r.result.verdicts.pageLockDeadlocks, "Never", `${r.scenario} ${r.policy}/${r.variant} deadlocks`);
    assert.equal(r.result.boundHit, false);
    assert.ok(Object.keys(r.expected).length > 0, `${r.scenario} ${r.policy}/${r.variant} has no expectation`);
  }
});

test("a planted bug (release that never redirties, i.e. no !PageDirty check) loses data; foll-pin does not", () => {
  const planted: Policy = { ...follPin, release: { ...follPin.release, dirty: "never" } };
  const s = scenario("GUP-slow+WB+unpin-check");
  const { pages, actors, knobs } = applyVariant(s, s.variants[0]);
  const buggy = checkConfig({ policy: planted, page: pages, knobs, actors });
  const good = checkConfig({ policy: "foll-pin", page: pages, knobs, actors });
  assert.equal(buggy.verdicts.lostData, "Sometimes");
  assert.equal(good.verdicts.lostData, "Never");
  // The witness: the device writes after TestClearPageDirty, and the sync finds nothing to write.
  const w = buggy.witnesses.lostData!;
  const clear = w.findIndex((x) => x.step === "TestClearPageDirty");
  const dma = w.findIndex((x) => x.step === "DMA write");
  assert.ok(clear >= 0 && dma > clear, JSON.stringify(w));
  assert.deepEqual(w.at(-1)!.incidents, ["lostData"]);
  assert.match(w.at(-1)!.step, /lost$/);
});

test("the same bug planted in the release is found with reclaim too (the flusher cleans, reclaim strips)", () => {
  const s = scenario("GUP-slow+WB+reclaim+release");
  const { pages, actors, knobs } = applyVariant(s, s.variants[0]);
  const r = checkConfig({
    policy: { ...follPin, reclaimGuardDefault: false, release: { ...follPin.release, dirty: "never" } },
    page: pages,
    knobs,
    actors,
  });
  // Never redirtying avoids F1, but a device write after the flusher's TestClearPageDirty
  // stays in a clean page that nothing writes again: lost on eviction or at the sync.
  assert.equal(r.verdicts.dirtyWithoutBuffers, "Never");
  assert.equal(r.verdicts.lostData, "Sometimes");
});

test("GUP + DMA + reclaim alone: no policy reaches F1, F2 or F3 (pageout never writes a held page)", () => {
  // is_page_cache_freeable (mm/vmscan.c): a dirty page with a GUP reference is PAGE_KEEP;
  // with no one else cleaning it, the pinned page is never clean while held, so no
  // device write lands in a clean page and no release dirties a page without buffers.
  const s = scenario("GUP-slow+reclaim+release");
  for (const policy of POLICY_IDS) {
    for (const v of s.variants) {
      const { pages, actors, knobs } = applyVariant(s, v);
      const r = checkConfig({ policy, page: pages, knobs, actors });
      for (const incident of ["dirtyWithoutBuffers", "writeToCleanPage", "lostData"] as const) {
        assert.equal(r.verdicts[incident], "Never", `${policy}/${v.name} ${incident}`);
      }
    }
  }
  // Adding the flusher brings the race back for the legacy release (the README's witness).
  const w = scenario("GUP-slow+WB+reclaim+release");
  const { pages, actors, knobs } = applyVariant(w, w.variants[0]);
  const legacy = checkConfig({ policy: "legacy-put-page", page: pages, knobs, actors });
  assert.equal(legacy.verdicts.dirtyWithoutBuffers, "Sometimes");
  const steps = legacy.witnesses.dirtyWithoutBuffers!.map((x) => x.step);
  // The flusher's clean comes before reclaim's try_to_release_page, which comes before the release.
  const clean = steps.indexOf("TestClearPageDirty"),
    strip = steps.indexOf("try_to_release_page");
  assert.ok(clean >= 0 && strip > clean, steps.join(" | "));
});

test("a hit state bound is reported as Unknown, never as Never", () => {
  const s = scenario("GUP-slow+truncate+WB");
  const { pages, actors, knobs } = applyVariant(s, s.variants[0]);
  const full = checkConfig({ policy: "foll-pin", page: pages, knobs, actors });
  const cut = checkConfig({ policy: "foll-pin", page: pages, knobs, actors }, { maxStates: 20 });
  assert.equal(full.boundHit, false);
  assert.equal(cut.boundHit, true);
  assert.ok(cut.states <= 20);
  for (const [k, v] of Object.entries(cut.verdicts)) {
    assert.notEqual(v, "Never", k);
    assert.notEqual(v, "Always", k);
    if (full.verdicts[k as IncidentName] === "Never") assert.equal(v, "Unknown (bound hit)");
  }
});

test("Always means every terminal execution: the long-term refusal", () => {
  const [run] = runScenario(scenario("GUP-longterm+WB+refused"), {
    policies: ["longterm-refused"],
    variants: ["base"],
  });
  assert.equal(run.result.verdicts.refusedPins, "Always");
  assert.equal(run.result.verdicts.lostData, "Never");
});

test("the search is deterministic", () => {
  const s = scenario("GUP-slow+reclaim+release");
  const a = JSON.stringify(runScenario(s).map((r) => r.result));
  const b = JSON.stringify(runScenario(s).map((r) => r.result));
  assert.equal(a, b);
});

test("the GUP-fast recheck is what keeps keep-dirty's device writes off clean pages", () => {
  const runs = runScenario(scenario("GUP-fast+WB+pte-recheck"), { policies: ["keep-dirty"] });
  const by = Object.fromEntries(runs.map((r) => [r.variant, r.result.verdicts.writeToCleanPage]));
  assert.deepEqual(by, { base: "Never", "no-recheck": "Sometimes" });
});

test("witnesses of the key scenarios match their golden files", () => {
  const cases: [string, PolicyId, string, IncidentName][] = [
    ["GUP-slow+WB+unpin-check", "foll-pin", "base", "doubleWritebacks"],
    ["GUP-slow+WB+dirty-at-gup", "dirty-at-gup", "base", "lostData"],
    ["GUP-fast+WB+pte-recheck", "keep-dirty", "no-recheck", "writeToCleanPage"],
    ["GUP-slow+WB+reclaim+release", "legacy-put-page", "base", "dirtyWithoutBuffers"],
    ["GUP-slow+WB+reclaim+release", "foll-pin", "noguard", "dirtyWithoutBuffers"],
    ["GUP-slow+WB-sync-all+bounce", "keep-dirty", "stable", "modifiedUnderWriteback"],
    ["GUP-slow+WB-sync-all+bounce", "block-bounce", "stable", "modifiedUnderWriteback"],
    ["GUP-slow+truncate+WB", "foll-pin", "base", "truncatedWhilePinned"],
  ];
  for (const [name, policy, variant, incident] of cases) {
    const text = witnessOf(name, policy, variant, incident);
    for (const line of text.split("\n")) assert.ok(line.length <= 72, `over 72 columns: ${line}`);
    golden(`${name}.${policy}.${variant}.${incident}.txt`, text);
  }
});

test("the verdict table of the nine policies matches its golden file", () => {
  const text = formatVerdictTable(verdictTable(loadScenarioDir(SCENARIOS)));
  for (const line of text.split("\n")) assert.ok(line.length <= 72, `over 72 columns: ${line}`);
  golden("table.txt", text);
});

test("Result lines: the most specific qualifier wins per incident", () => {
  const s = parseScenario(
    [
      "Scenario: t",
      "Policies: foll-pin keep-dirty",
      "Actor P0: gup",
      "Variant v: P0.path=fast",
      "Result: lostData Never, writeToCleanPage Sometimes",
      "Result v: writeToCleanPage Never",
      "Result keep-dirty: writeToCleanPage Always",
      "Result keep-dirty/v: lostData Sometimes",
    ].join("\n"),
  );
  assert.deepEqual(expectedVerdicts(s, "foll-pin", "base"), { lostData: "Never", writeToCleanPage: "Sometimes" });
  assert.deepEqual(expectedVerdicts(s, "foll-pin", "v"), { lostData: "Never", writeToCleanPage: "Never" });
  assert.deepEqual(expectedVerdicts(s, "keep-dirty", "v"), { lostData: "Sometimes", writeToCleanPage: "Always" });
  assert.deepEqual(expectedVerdicts(s, "dirty-at-gup", "base"), {});
});

test("a malformed scenario names the file, the line and what was expected", () => {
  const bad: [string, number, RegExp][] = [
    ["Scenario: bad\nPolicies: foll-pin\nActor P0: gup dma=9\n", 3, /integer in 0\.\.3, got '9'/],
    [
      "Scenario: bad\nPolicies: foll-pin\nActor P0: gup\nResult: lostData Maybe\n",
      4,
      /Never, Sometimes, Always, got 'Maybe'/,
    ],
    ["Scenario: bad\nPolicies: foll-pin nope\n", 2, /one of legacy-put-page.*got 'nope'/],
    [
      "Scenario: bad\nPolicies: foll-pin\nActor P0: gup\nVariant v: P9.path=fast\n",
      4,
      /an actor declared above, got 'P9'/,
    ],
    ["Scenario: bad\nPolicies: foll-pin\nActor P0: gup\n  stray\n", 4, /only Purpose continues/],
    ["Scenario: bad\nPolicies: foll-pin\n", 3, /at least one 'Actor NAME: kind' line/],
    [
      "Scenario: bad\nPolicies: foll-pin\nActor P0: gup\nResult bogus: lostData Never\n",
      4,
      /a policy id or a variant declared above, got 'bogus'/,
    ],
  ];
  for (const [text, line, what] of bad) {
    assert.throws(
      () => parseScenario(text, "bad.scenario"),
      (e: unknown) =>
        e instanceof ScenarioError &&
        e.line === line &&
        e.message.startsWith(`bad.scenario:${line}: `) &&
        what.test(e.message),
      text,
    );
  }
});
