// Bitstate mode (SPIN's -DBITSTATE, src/checker/bitstate.ts): a large filter gives the
// exact search's states and verdicts, with every Never marked as a bitstate Never; a tiny
// filter misses states and says so; the false-positive estimate is the Bloom formula.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadScenario, runScenario } from "../src/checker/index.js";
import { BitStateSet, bitstateMissProbability } from "../src/checker/bitstate.js";

const dir = fileURLToPath(new URL("../data/scenarios/", import.meta.url));
const scenario = loadScenario(join(dir, "GUP-slow+WB+reclaim+release.scenario"));

test("the probability of a missed state is (1 - e^(-kn/m))^k", () => {
  assert.equal(bitstateMissProbability(0, 1024), 0);
  // n = m/4, k = 3: (1 - e^(-3/4))^3 = 0.52763...^3 = 0.146891...
  assert.ok(Math.abs(bitstateMissProbability(256, 1024, 3) - 0.146891) < 1e-6);
  // full filter in the limit: every new state is taken as seen
  assert.ok(bitstateMissProbability(1e9, 1024) > 0.999999);
});

test("a BitStateSet takes a state added once as seen, and a new one as new", () => {
  const s = new BitStateSet(2, 20);
  assert.equal(s.add(Int32Array.of(1, 2)), 0);
  assert.equal(s.add(Int32Array.of(1, 2)), -1);
  assert.equal(s.find(Int32Array.of(1, 2)), 0);
  assert.equal(s.add(Int32Array.of(2, 1)), 1);
  assert.deepEqual([...s.data.subarray(2, 4)], [2, 1]);
  assert.throws(() => new BitStateSet(2, 40), /2\^10\.\.2\^34/);
});

test("a 2^24-bit filter: the exact search's states and verdicts, every Never a bitstate Never", () => {
  const exact = runScenario(scenario);
  const bit = runScenario(scenario, { bitstate: 24 });
  assert.equal(bit.length, exact.length);
  bit.forEach((r, i) => {
    const e = exact[i].result;
    // ~2·10^3 states in 2^24 bits, k = 3: P ~ (3·2000/2^24)^3 ~ 5e-11, so no state is missed here
    assert.equal(r.result.states, e.states);
    assert.equal(r.mismatches.length, 0);
    assert.equal(r.result.bitstate?.bits, 2 ** 24);
    assert.equal(r.result.bitstate?.missProbability, bitstateMissProbability(e.states, 2 ** 24, 3));
    for (const [k, v] of Object.entries(e.verdicts)) {
      const got = r.result.verdicts[k as keyof typeof e.verdicts];
      if (v === "Never") assert.match(got, /^Never \(bitstate, probability of a missed state [0-9.e+-]+\)$/);
      else assert.equal(got, v);
    }
  });
});

test("a 2^10-bit filter misses states: at most 2^10 of them (each new one sets a clear bit)", () => {
  const exact = runScenario(scenario, { policies: ["legacy-put-page"], variants: ["base"] })[0].result;
  const bit = runScenario(scenario, { policies: ["legacy-put-page"], variants: ["base"], bitstate: 10 })[0].result;
  assert.ok(exact.states > 1024, `exact ${exact.states}`);
  assert.ok(bit.states <= 1024, `bitstate ${bit.states}`);
  assert.ok(bit.bitstate!.missProbability > 0.1);
});
