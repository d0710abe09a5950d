/**
 * The engine's random streams (src/engine/random.ts): Streams steps xoroshiro128+ over an
 * Int32Array by hand, so its draws must be pure-rand's, bit for bit — every seeded run
 * depends on it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { exponentialGap, makeStreams, Streams } from "../src/engine/random.js";

/** pure-rand's own stream i of `seed`: the generator seeded with it, jumped i times. */
function reference(seed: number, i: number): () => number {
  const g = xoroshiro128plus((seed >>> 0) | 0);
  for (let j = 0; j < i; j++) g.jump();
  return () => uniformFloat64(g);
}

test("Streams draws pure-rand's uniformFloat64 of the i-times-jumped xoroshiro128plus, bit for bit", () => {
  // Seeds at both ends of the 32-bit range and one past it (taken mod 2^32, as makeStreams did).
  for (const seed of [0, 1, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32 + 5]) {
    const s = new Streams(seed, 4);
    const refs = [0, 1, 2, 3].map((i) => reference(seed, i));
    // Interleaved draws: one stream's draws never move another's.
    for (let k = 0; k < 3000; k++) {
      const i = (k * 7) % 4;
      assert.equal(s.uniform(i), refs[i](), `seed ${seed}, stream ${i}, draw ${k}`);
    }
  }
});

test("a stream's Uniform, uniform() and gap() share its state; gap is exponentialGap", () => {
  const s = new Streams(42, 2);
  const ref = reference(42, 1);
  assert.equal(s.u[1](), ref());
  assert.equal(s.uniform(1), ref());
  // exponentialGap(u, rate) = -ln(1 - u()) / rate on the same draw.
  const rate = 3.5;
  assert.equal(s.gap(1, rate), exponentialGap(ref, rate));
  assert.equal(s.u[1](), ref());
  // makeStreams is Streams' Uniforms.
  const m = makeStreams(42, 2);
  const fresh = reference(42, 0);
  assert.equal(m[0](), fresh());
  const x = s.uniform(0);
  assert.ok(x >= 0 && x < 1);
});
