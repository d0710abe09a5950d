// A range axis's steps: the message says the limit (src/sweep/config.ts RANGE: 1..100000).
// A tester's `steps: 1e9` got "steps (an integer >= 1)", which 1e9 is.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSweepConfig } from "../src/sweep/config.js";

test("a range of more than 100000 steps is refused naming the limit", () => {
  const config = (steps: number) => ({
    name: "s",
    seeds: 1,
    rootSeed: 1,
    axes: { pinGap: { from: 1, to: 100, steps, scale: "log" } },
  });
  assert.throws(() => parseSweepConfig(config(1e9)), /steps \(an integer in 1\.\.100000\)/);
  assert.throws(() => parseSweepConfig(config(100_001)), /steps \(an integer in 1\.\.100000\)/);
  // the limit itself is allowed
  assert.doesNotThrow(() => parseSweepConfig(config(100_000)));
});
