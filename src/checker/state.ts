/**
 * The checker's state encoding: page 0 of the one-page cache, the incidents seen so far
 * and every actor's registers, packed into a few 32-bit words; and a hash set of such
 * states (open addressing over typed arrays). No per-state object, no string key.
 *
 * NOTE: encode/decode name each PageCache field by hand, for performance (one monomorphic
 * access per field). `checkCodecCovers` refuses to run on a PageCache with a field the
 * encoding does not know, so a field added to the model cannot be silently dropped.
 */
import type { PageCache } from "../model/page-cache.js";
import { INCIDENT_METRIC } from "./verdict.js";
import { PG } from "../model/page-record.js";

/** Words of page state (the incident mask included). */
export const PAGE_WORDS = 4;
/** The incident mask's bits in word 3 (the rest of the word holds page state). */
export const MASK_BITS = 0x1fffff;
if (INCIDENT_METRIC.length > 21) throw new Error("checker: more than 21 incidents do not fit the state's mask word");

/** PageCache fields the encoding carries (per-page and per-file arrays, and scalars). */
const ENCODED = [
  // The page record (PageRecord.page): its flags word, refcount, mem, disk and io are
  // encoded; its cleanWrites and dirtySince are left out (below).
  "page",
  "shares",
  "transient",
  "pins",
  "gets",
  "notifierSeq",
  "inodeDirty",
  "dirtyPages",
  "totalDirty",
  "notifierPins",
  "notifying",
  "delalloc",
  "swapCache",
  "anonExclusive",
  "ownerMoved",
  "ownerZapped",
  "cowCopy",
  "dioSources",
  "mmHasPinned",
];
/**
 * Fields the encoding leaves out: times (the checker's clock stays at 0, so they stay 0);
 * the counters, of which only the incident mask matters; and what only feeds counters
 * the checker does not judge or traces it does not take (cleanWrites feeds
 * pinsWithWriteToCleanPage; crashedAt, lastDecision and the clean-delay trace are the
 * engine's). The shape fields are constants.
 */
const LEFT_OUT = [
  // Views of the page record (refcount as Int32, dirtySince as Float64).
  "pageRefs",
  "pageTimes",
  "dirtiedWhen",
  "now",
  "counters",
  "files",
  "pagesPerFile",
  "pages",
  "bias",
  // crashedAt only stops the engine's run; lastDecision lives within one writeCachePage;
  // dirtiedInCleanInode is empty unless the engine traces clean delays.
  "crashedAt",
  "lastDecision",
  "dirtiedInCleanInode",
  // pinAdd is fixed for a run (the bias, or 1 on a large folio with an exact pin count).
  "pinAdd",
  // PG_dirty again as a bitmap, for the engine's writeback scan (nextDirty) only: the
  // checker never scans, and its decode writes the flags word without it.
  "dirtyWords",
];

/**
 * Throw unless every numeric or typed-array field of `c` is encoded or knowingly left out.
 * @throws Error naming the unknown field (a modelling change the checker must follow)
 */
export function checkCodecCovers(c: PageCache): void {
  const known = new Set([...ENCODED, ...LEFT_OUT]);
  for (const [k, v] of Object.entries(c)) {
    if ((ArrayBuffer.isView(v) || typeof v === "number") && !known.has(k)) {
      throw new Error(`checker: PageCache.${k} is not in the state encoding (src/checker/state.ts)`);
    }
  }
  if (c.now !== 0) throw new Error("checker: the clock must stay at 0");
  if (c.pages !== 1) throw new Error("checker: one page only");
}

/**
 * Pack page 0 and the incident mask into out[o..o+PAGE_WORDS). Returns a non-zero value
 * if a field does not fit its bits (the caller throws: a bound of the encoding, not of
 * the model).
 */
export function encodePage(c: PageCache, mask: number, out: Int32Array, o: number): number {
  // The page flags keep their PG positions: dirty … bounced at bits 0-8, written (PG bit 9) at 23.
  const pg = c.page[0];
  const flags = (pg & 0x1ff) | (c.inodeDirty[0] << 9) | (((pg >>> PG.written) & 1) << 23);
  const dp = c.dirtyPages[0],
    td = c.totalDirty,
    pins = c.pins[0],
    gets = c.gets[0],
    tr = c.transient[0];
  const mem = c.mem(0),
    disk = c.disk(0),
    io = c.io(0),
    seq = c.notifierSeq[0],
    np = c.notifierPins[0],
    ny = c.notifying[0];
  const rc = c.refcount(0),
    sh = c.shares[0];
  const dio = c.dioSources[0];
  // Word 0: flags 0-9, dirtyPages 10-11, totalDirty 12-13, pins 14-16, gets 17-19,
  // transient's bits 0-2 at 20-22, written 23, notifierSeq 24-31.
  out[o] = flags | (dp << 10) | (td << 12) | (pins << 14) | (gets << 17) | ((tr & 7) << 20) | (seq << 24);
  // Word 1: mem 0-7, disk 8-15, io 16-23, notifying 24-25, notifierPins 26-27, delalloc 28,
  // then anonymous memory's swapCache 29, anonExclusive 30, ownerMoved 31.
  out[o + 1] =
    mem |
    (disk << 8) |
    (io << 16) |
    (ny << 24) |
    (np << 26) |
    (c.delalloc[0] << 28) |
    (c.swapCache[0] << 29) |
    (c.anonExclusive[0] << 30) |
    (c.ownerMoved[0] << 31);
  // Word 2: refcount 0-15, shares 16-29, cowCopy 30, mmHasPinned 31.
  out[o + 2] = rc | (sh << 16) | (c.cowCopy[0] << 30) | (c.mmHasPinned[0] << 31);
  // Word 3: the incident mask 0-20 (18 incidents now), ownerZapped 21, dioSources 22-23,
  // transient's bits 3-10 at 24-31 (a page held by up to 2047 plain references: the fork
  // detector's threshold).
  out[o + 3] = mask | (c.ownerZapped[0] << 21) | (dio << 22) | ((tr >>> 3) << 24);
  return (
    ((dp | td) >>> 2) |
    ((pins | gets) >>> 3) |
    (tr >>> 11) |
    (mask >>> 21) |
    ((mem | disk | io | seq) >>> 8) |
    ((np | ny) >>> 2) |
    (rc >>> 16) |
    (sh >>> 14) |
    (dio >>> 2) |
    (rc < 0 ? 1 : 0)
  );
}

/**
 * Restore page 0 from in[o..): every encoded field, and (unless `counters` is false) the
 * counters from the incident mask; the search's hot loop zeroes them instead and ORs
 * the state's mask into each successor's.
 */
export function decodePage(c: PageCache, inp: Int32Array, o: number, counters = true): void {
  decodePageWords(c, inp, o, ALL_PAGE_WORDS);
  if (!counters) return;
  const mask = inp[o + 3] & MASK_BITS;
  c.counters.fill(0);
  for (let k = 0; k < INCIDENT_METRIC.length; k++) if (mask & (1 << k)) c.counters[INCIDENT_METRIC[k]] = 1;
}

/** decodePageWords' `words` for the whole page. */
export const ALL_PAGE_WORDS = (1 << PAGE_WORDS) - 1;

/**
 * Restore the fields held by the page words in the bit set `words` (bit k: word k) from
 * in[o..), not the counters: after a step whose successor differs from the state in those
 * words only, the cache is the state's again (the search's hot loop).
 */
export function decodePageWords(c: PageCache, inp: Int32Array, o: number, words: number): void {
  const w0 = inp[o],
    w3 = inp[o + 3];
  if (words & 1) {
    // The flags word keeps PG.gupHeld, derived from pins and gets (bits 14-19).
    c.page[0] = (w0 & 0x1ff) | (((w0 >>> 23) & 1) << PG.written) | (w0 & 0xfc000 ? 1 << PG.gupHeld : 0);
    c.inodeDirty[0] = (w0 >>> 9) & 1;
    c.dirtyPages[0] = (w0 >>> 10) & 3;
    c.totalDirty = (w0 >>> 12) & 3;
    c.pins[0] = (w0 >>> 14) & 7;
    c.gets[0] = (w0 >>> 17) & 7;
    c.notifierSeq[0] = (w0 >>> 24) & 255;
  }
  if (words & 2) {
    const w1 = inp[o + 1];
    c.setMem(0, w1 & 255);
    c.setDisk(0, (w1 >>> 8) & 255);
    c.setIo(0, (w1 >>> 16) & 255);
    c.notifying[0] = (w1 >>> 24) & 3;
    c.notifierPins[0] = (w1 >>> 26) & 3;
    c.delalloc[0] = (w1 >>> 28) & 1;
    c.swapCache[0] = (w1 >>> 29) & 1;
    c.anonExclusive[0] = (w1 >>> 30) & 1;
    c.ownerMoved[0] = (w1 >>> 31) & 1;
  }
  if (words & 4) {
    const w2 = inp[o + 2];
    c.cowCopy[0] = (w2 >>> 30) & 1;
    c.mmHasPinned[0] = (w2 >>> 31) & 1;
    c.setRefcount(0, w2 & 0xffff);
    c.shares[0] = (w2 >>> 16) & 0x3fff;
  }
  if (words & 8) {
    c.ownerZapped[0] = (w3 >>> 21) & 1;
    c.dioSources[0] = (w3 >>> 22) & 3;
  }
  // transient is split between words 0 and 3
  if (words & 9) c.transient[0] = ((w0 >>> 20) & 7) | (((w3 >>> 24) & 255) << 3);
}

/** The incident mask of out[o..) as encoded. */
export function maskOf(inp: Int32Array, o: number): number {
  return inp[o + 3] & MASK_BITS;
}

/** Registers: 8 bits each, 4 to a word. Returns non-zero if one does not fit. */
export function encodeRegs(r: Int32Array, out: Int32Array, o: number): number {
  let bad = 0;
  for (let i = 0, w = 0; i < r.length; i += 4, w++) {
    const a = r[i],
      b = i + 1 < r.length ? r[i + 1] : 0,
      c = i + 2 < r.length ? r[i + 2] : 0,
      d = i + 3 < r.length ? r[i + 3] : 0;
    bad |= (a | b | c | d) >>> 8;
    out[o + w] = a | (b << 8) | (c << 16) | (d << 24);
  }
  return bad;
}

/** Unpack r.length registers (0..255, four to a word, low byte first) from inp at word o: the inverse of encodeRegs. */
export function decodeRegs(inp: Int32Array, o: number, r: Int32Array): void {
  for (let i = 0; i < r.length; i++) r[i] = (inp[o + (i >> 2)] >>> ((i & 3) << 3)) & 255;
}

/** Words for `n` registers. */
export const regWords = (n: number): number => (n + 3) >> 2;

/** One register of an encoded state, without decoding the rest. */
export function regAt(inp: Int32Array, o: number, i: number): number {
  return (inp[o + (i >> 2)] >>> ((i & 3) << 3)) & 255;
}

/** Mix `n` words of a[o..) into a 32-bit hash (murmur3's mixing per word and its finaliser), from `seed`. */
export function hashWords(a: Int32Array, o: number, n: number, seed = 0x9e3779b9): number {
  let h = seed | 0;
  for (let i = 0; i < n; i++) {
    let k = Math.imul(a[o + i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (((h << 13) | (h >>> 19)) * 5 + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The most elements of one Int32Array (2^32 - 1 in Node 20). */
const MAX_ELEMENTS = 2 ** 32 - 1;

/** The most states a `reserve` makes room for at once (64 Mi; past them data grows fourfold). */
export const RESERVE_MOST = 1 << 26;

/** The table's largest load factor before it grows (linear probing; a slot holds the hash, so a longer probe costs no state compare). */
const MAX_LOAD = 0.75;

/**
 * A growable set of fixed-width states: state i is data[i*W .. (i+1)*W), numbered in
 * insertion order. Open addressing with linear probing, load factor <= MAX_LOAD. Each slot is
 * two words, the state's index + 1 (0: empty) and its hash, side by side: a probe reads
 * one cache line and touches a state's words only when the hashes agree (the profile of
 * a 1 M-state search: the separate hash array was a third of the probe's cache misses).
 */
export class StateSet {
  /** The states, `width` words each, in insertion order (read data[i * width + k]; room for `cap` states, see growData). */
  data: Int32Array;
  /** Slot s: table[2s] = index + 1 (0 empty), table[2s + 1] = the hash. */
  private table: Int32Array;
  /** States data has room for, and the count at which the table grows (its slots times MAX_LOAD). */
  private cap: number;
  private limit: number;
  /** States held. */
  count = 0;

  /**
   * @param width words per state
   * @param initial states' room before the first growth (default 1024, a power of two)
   * @param reserve the states the search may reach (its bound; default 0, none): past 64 k
   *   states, data's room goes at once to that many, at most RESERVE_MOST (see growData)
   */
  constructor(
    readonly width: number,
    initial = 1024,
    private readonly reserve = 0,
  ) {
    this.cap = initial;
    this.data = new Int32Array(initial * width);
    this.table = new Int32Array(initial * 4);
    this.limit = Math.floor(initial * 2 * MAX_LOAD);
  }

  /** Bytes held by the states and the table (for the benchmark's memory figure; data's room beyond them is not touched). */
  get bytes(): number {
    return this.count * this.width * 4 + this.table.byteLength;
  }

  /**
   * The index of the state in buf[off..off+width), adding it if new: returns index for a
   * new state and -(index + 1) for one already there.
   */
  add(buf: Int32Array, off = 0): number {
    return this.addHashed(buf, off, hashWords(buf, off, this.width) | 0);
  }

  /** add() of a state whose hashWords(buf, off, width) | 0 is `h` already (the parallel search carries it). */
  addHashed(buf: Int32Array, off: number, h: number): number {
    const W = this.width;
    const t = this.table,
      d = this.data;
    const smask = (t.length >> 1) - 1;
    for (let slot = h & smask; ; slot = (slot + 1) & smask) {
      const e = t[slot << 1];
      if (e === 0) {
        if (this.count >= this.limit || this.count === this.cap) {
          if (this.count === this.cap) this.growData();
          if (this.count >= this.limit) this.growTable();
          return this.addHashed(buf, off, h);
        }
        const i = this.count++;
        const o = i * W;
        for (let k = 0; k < W; k++) d[o + k] = buf[off + k];
        t[slot << 1] = i + 1;
        t[(slot << 1) + 1] = h;
        return i;
      }
      if (t[(slot << 1) + 1] !== h) continue;
      const o = (e - 1) * W;
      let k = 0;
      while (k < W && d[o + k] === buf[off + k]) k++;
      if (k === W) return -e;
    }
  }

  /**
   * Touch the first slot of each of hs[0..n) and, where its hash agrees, the state it
   * holds, so that the adds that follow find them in cache: a run of independent loads
   * the CPU overlaps, where each add alone would wait for its own misses in turn.
   * NOTE: for performance only; it changes nothing (the loads are folded into `sink`).
   */
  prefetch(hs: Int32Array, n: number): void {
    const t = this.table,
      d = this.data,
      W = this.width;
    const smask = (t.length >> 1) - 1;
    let x = 0;
    for (let k = 0; k < n; k++) x ^= t[(hs[k] & smask) << 1];
    for (let k = 0; k < n; k++) {
      const s = (hs[k] & smask) << 1,
        e = t[s];
      if (e !== 0 && t[s + 1] === hs[k]) x ^= d[(e - 1) * W] ^ d[e * W - 1];
    }
    this.sink = x;
  }

  /** prefetch's loads, kept so they are not optimised away. */
  sink = 0;

  /** The index of the state in buf[off..off+width), or -1. */
  find(buf: Int32Array, off = 0): number {
    const W = this.width;
    const h = hashWords(buf, off, W) | 0;
    const t = this.table,
      d = this.data;
    const smask = (t.length >> 1) - 1;
    for (let slot = h & smask; ; slot = (slot + 1) & smask) {
      const e = t[slot << 1];
      if (e === 0) return -1;
      if (t[(slot << 1) + 1] !== h) continue;
      const o = (e - 1) * W;
      let k = 0;
      while (k < W && d[o + k] === buf[off + k]) k++;
      if (k === W) return e - 1;
    }
  }

  /**
   * More room for states: twice as much while small, then four times or at once the room
   * `reserve` asks (a fresh array's pages are mapped only when first written, so room ahead
   * costs address space, not memory, and a large search copies its states once or twice).
   */
  private growData(): void {
    const most = Math.floor(MAX_ELEMENTS / this.width);
    const ahead = Math.min(this.reserve, RESERVE_MOST);
    this.cap = this.cap < 1 << 16 ? this.cap * 2 : Math.min(most, Math.max(this.cap * 4, ahead));
    if (this.count >= this.cap) throw new RangeError(`checker: more than ${most} states of ${this.width} words`);
    const data = new Int32Array(this.cap * this.width);
    data.set(this.data.subarray(0, this.count * this.width));
    this.data = data;
  }

  /** Twice the slots: every slot placed again from its stored hash. */
  private growTable(): void {
    const old = this.table;
    const t = new Int32Array(old.length * 2);
    const smask = (t.length >> 1) - 1;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s] === 0) continue;
      let slot = old[s + 1] & smask;
      while (t[slot << 1] !== 0) slot = (slot + 1) & smask;
      t[slot << 1] = old[s];
      t[(slot << 1) + 1] = old[s + 1];
    }
    this.table = t;
    this.limit = Math.floor((t.length >> 1) * MAX_LOAD);
  }
}
