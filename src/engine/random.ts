/**
 * Seeded random streams. One xoroshiro128+ generator (pure-rand) per actor, each a
 * jump() of 2^64 steps beyond the previous, so streams never overlap and changing one
 * actor's draws (say, the reclaim rate) leaves every other actor's sequence unchanged.
 */
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
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

/** 2^-26 and 2^-53: pure-rand's uniformFloat64 (distribution/uniformFloat64.ts) builds a double from 26 + 27 bits. */
const SCALE26 = 1.4901161193847656e-8,
  SCALE53 = 1.1102230246251565e-16;

/**
 * `count` independent uniform sources on [0, 1) from one seed: stream i is pure-rand's
 * xoroshiro128plus seeded with `seed` (taken as a 32-bit integer) and jumped i times, and
 * each draw is pure-rand's uniformFloat64 of it (two next() calls: 26 and 27 bits, 53 bits
 * of randomness, a multiple of 2^-53), bit for bit.
 * NOTE: for performance: every stream's four state words live in one Int32Array (16 bytes
 * a stream) and `uniform`/`gap` step them inline, instead of a generator object, a closure
 * and its context per stream (three cache lines a pinner event on the large system) and
 * calls V8 would not inline. pure-rand still seeds and jumps the streams.
 */
export class Streams {
  /** The states: words 4i..4i+3 are stream i's s01, s00, s11, s10 (pure-rand's getState order). */
  private readonly s: Int32Array;
  /** Stream i as a Uniform (the distributions' samplers take one), drawing from the same state. */
  readonly u: Uniform[];

  /** @param seed taken as a 32-bit integer; @param count streams. */
  constructor(seed: number, count: number) {
    const g = xoroshiro128plus((seed >>> 0) | 0);
    this.s = new Int32Array(4 * count);
    this.u = [];
    for (let i = 0; i < count; i++) {
      this.s.set(g.getState(), 4 * i);
      this.u.push(() => this.uniform(i));
      g.jump();
    }
  }

  /** The next draw on [0, 1) of stream i (pure-rand's uniformFloat64 of its next two outputs). */
  uniform(i: number): number {
    const s = this.s,
      o = 4 * i;
    // xoroshiro128plus.next() twice (pure-rand 8.4.2, generator/xoroshiro128plus.ts), on int32 halves.
    let s01 = s[o],
      s00 = s[o + 1],
      s11 = s[o + 2],
      s10 = s[o + 3];
    const hi = ((s00 + s10) | 0) & 0x3ffffff;
    let a0 = s10 ^ s00,
      a1 = s11 ^ s01;
    let n00 = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
    let n01 = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    s10 = (a1 << 5) ^ (a0 >>> 27);
    s11 = (a0 << 5) ^ (a1 >>> 27);
    s00 = n00;
    s01 = n01;
    const lo = ((s00 + s10) | 0) & 0x7ffffff;
    a0 = s10 ^ s00;
    a1 = s11 ^ s01;
    n00 = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
    n01 = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    s[o] = n01;
    s[o + 1] = n00;
    s[o + 2] = (a0 << 5) ^ (a1 >>> 27);
    s[o + 3] = (a1 << 5) ^ (a0 >>> 27);
    return hi * SCALE26 + lo * SCALE53;
  }

  /** exponentialGap on stream i: −ln(1 − u) / rate, one draw. */
  gap(i: number, rate: number): number {
    return -Math.log(1 - this.uniform(i)) / rate;
  }
}

/**
 * `count` independent uniform sources on [0, 1) derived from one seed: stream i is the
 * generator seeded with `seed` (taken as a 32-bit integer) and jumped i times (Streams).
 */
export function makeStreams(seed: number, count: number): Uniform[] {
  return new Streams(seed, count).u;
}

/**
 * A gap of an exponential distribution (a Poisson process's next event) drawn from `u` by
 * inversion: −ln(1 − u) / rate, in the unit of 1 / rate (seconds for a rate per second).
 * `rate` > 0; one draw from `u`.
 */
export function exponentialGap(u: Uniform, rate: number): number {
  return -Math.log(1 - u()) / rate;
}
