/**
 * The checker's bitstate store (SPIN's -DBITSTATE, Holzmann's supertrace): instead of
 * the exact hash set of state.ts, each state sets k bits of a fixed array of 2^bits bits
 * (a Bloom filter), and a state is taken as seen when its k bits are all set already. The
 * visited set then costs a fixed bits/8 bytes whatever the number of states; the price
 * is that a new state whose bits happen to be set is wrongly taken as seen and never
 * explored (a missed state), so a `Never` found this way is reported with the
 * probability of a missed state, never as a plain Never.
 *
 * The states themselves are still kept in insertion order (the breadth-first queue, and
 * the witnesses' paths), `width` words each: what grows with the search is that queue,
 * not the visited set.
 */
import { hashWords } from "./state.js";

/** Bits each state sets (SPIN's default for -DBITSTATE is k = 3, its `-k` option). */
export const BITSTATE_HASHES = 3;

/**
 * The probability that a new state is taken as seen once `n` states are in a filter of
 * `m` bits with `k` hash functions: the standard Bloom-filter false-positive estimate
 * (1 − e^(−kn/m))^k (Bloom 1970; Broder and Mitzenmacher, "Network applications of Bloom
 * filters", 2004, section 2.1), which assumes independent, uniform bit positions.
 * @param n states added; @param m bits of the filter; @param k bits per state
 */
export function bitstateMissProbability(n: number, m: number, k: number = BITSTATE_HASHES): number {
  return (1 - Math.exp((-k * n) / m)) ** k;
}

/**
 * A state store with StateSet's interface over a Bloom filter: `add` returns a new
 * state's index, or -1 for a state taken as seen (its index is not known: there is no
 * table); `find` says -1 (new) or 0 (taken as seen).
 */
export class BitStateSet {
  /** The states, `width` words each, in insertion order (grows by doubling). */
  data: Int32Array;
  /** The filter's 2^bits bits. */
  private readonly bits: Int32Array;
  private readonly bmask: number;
  private cap: number;
  /** States held. */
  count = 0;

  /**
   * @param width words per state
   * @param log2Bits the filter has 2^log2Bits bits (SPIN's `-w`); 10..34
   * @throws RangeError a log2Bits outside 10..34
   */
  constructor(
    readonly width: number,
    readonly log2Bits: number,
  ) {
    if (!Number.isInteger(log2Bits) || log2Bits < 10 || log2Bits > 34)
      throw new RangeError(`bitstate: 2^${log2Bits} bits (allowed 2^10..2^34)`);
    this.bits = new Int32Array(2 ** (log2Bits - 5));
    this.bmask = 2 ** log2Bits - 1;
    this.cap = 1024;
    this.data = new Int32Array(this.cap * width);
  }

  /** Bytes held: the filter and the states' queue. */
  get bytes(): number {
    return this.bits.byteLength + this.data.byteLength;
  }

  /** The filter's size in bits. */
  get size(): number {
    return this.bmask + 1;
  }

  /** The probability of a missed state at the end, bitstateMissProbability(count, size). */
  get missProbability(): number {
    return bitstateMissProbability(this.count, this.size);
  }

  /** Add the state in buf[off..off+width) unless its bits are all set: its index, or -1. */
  add(buf: Int32Array, off = 0): number {
    if (!this.mark(buf, off, true)) return -1;
    if (this.count === this.cap) {
      this.cap *= 2;
      const d = new Int32Array(this.cap * this.width);
      d.set(this.data);
      this.data = d;
    }
    const i = this.count++,
      W = this.width,
      o = i * W;
    for (let k = 0; k < W; k++) this.data[o + k] = buf[off + k];
    return i;
  }

  /** -1 if the state in buf[off..) would be new, 0 if it is taken as seen. */
  find(buf: Int32Array, off = 0): number {
    return this.mark(buf, off, false) ? -1 : 0;
  }

  /**
   * The state's k bit positions by double hashing (Kirsch and Mitzenmacher 2006: g_i =
   * h1 + i·h2): whether one was clear, setting them when `set`. Positions are taken
   * modulo 2^log2Bits with up to 34 bits, from two 32-bit hashes and a third for the top.
   */
  private mark(buf: Int32Array, off: number, set: boolean): boolean {
    const W = this.width;
    const h1 = hashWords(buf, off, W, 0x9e3779b9),
      h2 = hashWords(buf, off, W, 0x7f4a7c15) | 1,
      h3 = hashWords(buf, off, W, 0x2545f491);
    let fresh = false;
    for (let i = 0; i < BITSTATE_HASHES; i++) {
      const low = (h1 + Math.imul(i, h2)) >>> 0;
      const pos = (low + ((h3 >>> (i * 4)) & 3) * 2 ** 32) % (this.bmask + 1);
      const w = Math.floor(pos / 32),
        b = 1 << (pos & 31);
      if ((this.bits[w] & b) === 0) {
        fresh = true;
        if (set) this.bits[w] |= b;
      }
    }
    return fresh;
  }
}
