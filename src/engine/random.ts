/**
 * Seeded random streams. One xoroshiro128+ generator (pure-rand) per actor, each a
 * jump() of 2^64 steps beyond the previous, so streams never overlap and changing one
 * actor's draws (say, the reclaim rate) leaves every other actor's sequence unchanged.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import type { Uniform } from "../model/distributions.js";

/** The generator and how streams are split, as every result records it (`prng`) for provenance. */
export const PRNG_NAME = "xoroshiro128plus (pure-rand 8.4.2), one jump()ed stream per actor";

/** Named streams come first; pinner k uses stream PINNER_STREAM_BASE + k. */
export const STREAM = {
  init: 0,
  flusher: 1,
  cpu: 2,
  reclaim: 3,
  truncate: 4,
  fsync: 5,
  writeback: 6,
  dma: 7,
} as const;
/** Index of pinner 0's stream: pinner k draws from stream PINNER_STREAM_BASE + k. */
export const PINNER_STREAM_BASE = 8;

/**
 * `count` independent uniform sources on [0, 1) derived from one seed: stream i is the
 * generator seeded with `seed` (taken as a 32-bit integer) and jumped i times.
 */
export function makeStreams(seed: number, count: number): Uniform[] {
  const g = xoroshiro128plus((seed >>> 0) | 0);
  const out: Uniform[] = [];
  for (let i = 0; i < count; i++) {
    const s = g.clone();
    out.push(() => uniformFloat64(s));
    g.jump();
  }
  return out;
}

/**
 * A gap of an exponential distribution (a Poisson process's next event) drawn from `u` by
 * inversion: −ln(1 − u) / rate, in the unit of 1 / rate (seconds for a rate per second).
 * `rate` > 0; one draw from `u`.
 */
export function exponentialGap(u: Uniform, rate: number): number {
  return -Math.log(1 - u()) / rate;
}
