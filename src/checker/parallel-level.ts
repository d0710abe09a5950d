/**
 * One thread's part of the parallel search (parallel.ts): the states the owner hash gives
 * it, their path records, and the level loop every thread runs in step with the others,
 * the calling thread as thread 0 and each worker thread (parallel-worker.ts) as the others.
 *
 * Phase t, between two barriers: add the successor records the threads sent in phase t-1
 * (level t's states, in the one-thread order), number them, expand them at once, send
 * each successor to its owner, publish the counts; then the barrier. So one barrier a
 * level, and no thread merges for the others: the order of a level's states is their
 * keys' (`rank of the first predecessor * 32 + actor`, a root's key its index), and a
 * thread gets a parent's rank (its place among every thread's keys of the level before,
 * which the barrier made visible) by walking those keys as its records come in, in order.
 * A record carries its parent's key, so the owner merges its sources by (parent's key,
 * actor) without knowing ranks in advance. The bound is seen one phase late, when the
 * level's total is known: the states past it were expanded for nothing, and the level
 * before is judged only up to where the one-thread search stopped.
 */
import { StateSet, hashWords, maskOf } from "./state.js";
import { Stepper } from "./stepper.js";
import type { SearchInput } from "./search.js";
import { INCIDENTS } from "./verdict.js";
import { LABELS } from "./actors/index.js";

/** Words after a state's own in a successor record: its parent (the sender's index), the parent's key / 32, the step, the state's hash, the parent's key % 32. */
export const RECORD_EXTRA = 5;

/**
 * Most bytes of one growable shared buffer (4 GiB, the engine's limit for a growable
 * SharedArrayBuffer), and of all of a search's together: each reserves its most in address
 * space up front, and 64 threads' 8,320 buffers of 4 GiB exhausted it (V8 aborted).
 */
const MAX_BYTES = 2 ** 32;
const ALL_BYTES = 2 ** 41;

/** A growable SharedArrayBuffer (ES2024; Node 20 has it, this project's TypeScript lib does not). */
type Growable = SharedArrayBuffer & { grow(bytes: number): void; readonly maxByteLength: number };
const GrowableBuffer = SharedArrayBuffer as unknown as new (bytes: number, o: { maxByteLength: number }) => Growable;

/**
 * The memory the threads of one search share. `sync`: barrier arrivals, generation, abort
 * flag. `meta`: words of records from s to d of parity p at (p*n + s)*n + d, then thread
 * w's count of new states of parity p at 2n² + p*n + w. `recs` (Int32) and `keys`
 * (Float64) are growable, indexed as `meta`'s two parts; the parity is the level's.
 */
export type Shared = {
  n: number;
  sync: SharedArrayBuffer;
  meta: SharedArrayBuffer;
  recs: SharedArrayBuffer[];
  keys: SharedArrayBuffer[];
};

/** The shared memory of a search over n threads. */
export function makeShared(n: number): Shared {
  const each = Math.min(MAX_BYTES, Math.floor(ALL_BYTES / (2 * n * n + 2 * n) / 2 ** 16) * 2 ** 16);
  const grow = (bytes: number) => new GrowableBuffer(bytes, { maxByteLength: each });
  return {
    n,
    sync: new SharedArrayBuffer(12),
    meta: new SharedArrayBuffer((2 * n * n + 2 * n) * 4),
    recs: Array.from({ length: 2 * n * n }, () => grow(1 << 16)),
    keys: Array.from({ length: 2 * n }, () => grow(1 << 12)),
  };
}

/** Records of one source whose store slots insert touches at once (as search.ts's batch: their cache misses overlap). */
const PREFETCH = 64;

/** Thrown in a thread whose barrier saw another thread fail. */
export class Aborted extends Error {}

/** The first end state of an incident a thread judged: its level and key (the level's order), its index here, its end. */
export type FirstHit = { level: number; rank: number; local: number; sync: string; mask: number; hung: boolean };

/** A thread's tallies at the end. */
export type Report = {
  terminals: number;
  deadlocks: number;
  hits: number[];
  first: (FirstHit | null)[];
  firstInSpec: (FirstHit | null)[];
  bytes: number;
  /** What every thread computes alike: the states kept and whether the bound cut. */
  states: number;
  boundHit: boolean;
};

/** State `local`'s words and path record, and a label's text. */
export type Got = { words: Int32Array; parentWorker: number; parentLocal: number; via: number; label: string };

/** A growable view of a growable SharedArrayBuffer: `a` is re-made when it grows. */
class Grown<T extends Int32Array | Float64Array> {
  a: T;
  len = 0;
  /** Elements `a` holds (kept here: a growable buffer's byteLength is not a plain field read). */
  cap: number;
  constructor(
    readonly sab: SharedArrayBuffer,
    private readonly make: (b: SharedArrayBuffer, n: number) => T,
    private readonly unit: number,
  ) {
    this.cap = sab.byteLength / unit;
    this.a = make(sab, this.cap);
  }
  /** Room for `more` elements after len. @throws Error past the buffer's most bytes */
  room(more: number): void {
    if (this.len + more > this.cap) this.grow(this.len + more);
  }
  private grow(n: number): void {
    const need = n * this.unit,
      max = (this.sab as Growable).maxByteLength;
    if (need > max)
      throw new Error(
        `checker: a level of the parallel search outgrew ${max} bytes between two threads (parallel-level.ts)`,
      );
    (this.sab as Growable).grow(Math.min(max, Math.max(need, this.sab.byteLength * 2)));
    this.cap = this.sab.byteLength / this.unit;
    this.a = this.make(this.sab, this.cap);
  }
}
const i32 = (b: SharedArrayBuffer, n: number) => new Int32Array(b, 0, n);
const f64 = (b: SharedArrayBuffer, n: number) => new Float64Array(b, 0, n);

/** End states of one level waiting for the bound's verdict: key, mask, hung; and the first of each incident. */
class Ends {
  key = new Float64Array(256);
  info = new Int32Array(256);
  len = 0;
  cand: (FirstHit | null)[] = INCIDENTS.map(() => null);
  candInSpec: (FirstHit | null)[] = INCIDENTS.map(() => null);
  push(key: number, mask: number, hung: boolean): void {
    if (this.len === this.key.length) {
      const k = new Float64Array(this.len * 2),
        i = new Int32Array(this.len * 2);
      k.set(this.key), i.set(this.info);
      (this.key = k), (this.info = i);
    }
    this.key[this.len] = key;
    this.info[this.len++] = (mask << 1) | (hung ? 1 : 0);
  }
  clear(): void {
    this.len = 0;
    this.cand = INCIDENTS.map(() => null);
    this.candInSpec = INCIDENTS.map(() => null);
  }
}

/** One thread's part of the state store, its path records, its tallies, and the level loop. */
export class Partition extends Stepper {
  private readonly set: StateSet;
  /** Per state: the thread and index of its parent (-1: a root), the step that led to it. */
  private pw = new Uint8Array(1024);
  private pl = new Int32Array(1024);
  private pv = new Int32Array(1024);
  private readonly n: number;
  private readonly sync: Int32Array;
  private readonly meta: Int32Array;
  /** Records to each owner, per parity; this thread's keys per parity. */
  private readonly outs: Grown<Int32Array>[][];
  private readonly myKeys: Grown<Float64Array>[];
  private readonly ends = [new Ends(), new Ends()];
  /** Hashes of records whose store slots insert touches ahead. */
  private readonly hs = new Int32Array(PREFETCH);
  /** The level being added and expanded: states [nStart, set.count) here. */
  private nStart = 0;
  private readonly r0: Report = {
    terminals: 0,
    deadlocks: 0,
    hits: INCIDENTS.map(() => 0),
    first: INCIDENTS.map(() => null),
    firstInSpec: INCIDENTS.map(() => null),
    bytes: 0,
    states: 0,
    boundHit: false,
  };

  constructor(
    input: SearchInput,
    private readonly id: number,
    private readonly sh: Shared,
  ) {
    super(input);
    const n = (this.n = sh.n);
    this.set = new StateSet(this.W);
    this.sync = new Int32Array(sh.sync);
    this.meta = new Int32Array(sh.meta);
    this.outs = [0, 1].map((p) =>
      Array.from({ length: n }, (_, d) => new Grown(sh.recs[(p * n + id) * n + d], i32, 4)),
    );
    this.myKeys = [0, 1].map((p) => new Grown(sh.keys[p * n + id], f64, 8));
  }

  /**
   * The search, level by level in step with the other threads, until a level adds no
   * state or the bound cuts one. Every thread reaches the same `states` and `boundHit`.
   * @throws Aborted when another thread failed (this one stops at its next barrier)
   */
  run(maxStates: number): void {
    this.addRoots();
    this.expand(0);
    this.publish(0);
    this.barrier();
    let before = 0;
    for (let t = 1; ; t++) {
      const total = this.total(t - 1),
        room = t === 1 ? Infinity : Math.max(0, maxStates - before);
      if (total > room) {
        this.r0.states = before + room;
        this.r0.boundHit = true;
        this.commit(t - 2, this.cutKey(t - 1, room));
        return;
      }
      before += total;
      if (t >= 2) this.commit(t - 2, Infinity);
      if (total === 0) {
        this.r0.states = before;
        return;
      }
      this.insert(t);
      this.expand(t);
      this.publish(t);
      this.barrier();
    }
  }

  /** New states of level t over every thread. */
  private total(t: number): number {
    const { n, meta } = this;
    let s = 0;
    for (let w = 0; w < n; w++) s += meta[2 * n * n + (t & 1) * n + w];
    return s;
  }

  /** The keys of level t of every thread (ascending each). */
  private keysOf(t: number): Float64Array[] {
    const { n, meta, sh } = this;
    return Array.from({ length: n }, (_, w) => f64(sh.keys[(t & 1) * n + w], meta[2 * n * n + (t & 1) * n + w]));
  }

  /**
   * Level t is cut at `room`: the one-thread search stops at the state of rank `room`,
   * found by its first predecessor; returns that predecessor's key in level t-1 (that one
   * and the ends after it are not judged).
   */
  private cutKey(t: number, room: number): number {
    const refused = rankAt(this.keysOf(t), room)!;
    return rankAt(this.keysOf(t - 1), Math.floor(refused / 32)) ?? Infinity;
  }

  /** The roots this thread owns, in order (every thread prepares every root, as the actors keep what a root sets). */
  private addRoots(): void {
    const keys = this.myKeys[0];
    keys.len = 0;
    this.nStart = this.set.count;
    this.input.roots.forEach((_, k) => {
      const buf = this.packRoot(k),
        h = hashWords(buf, 0, this.W) | 0;
      if (ownerOf(h, this.n) !== this.id) return;
      const idx = this.set.addHashed(buf, 0, h);
      if (idx < 0) return;
      this.room(idx);
      (this.pw[idx] = 0), (this.pl[idx] = -1), (this.pv[idx] = k);
      keys.room(1);
      keys.a[keys.len++] = k;
    });
  }

  /**
   * Add level t: the records every thread sent in phase t-1, merged by (parent's key,
   * actor), each new state keyed by its first predecessor's rank (walking every thread's
   * keys of level t-1) and its actor.
   * NOTE: for performance, a merge by hand over the typed arrays; this and expand are the thread's inner loops.
   */
  private insert(t: number): void {
    const { W, n, id, meta, sh, set } = this;
    const R = W + RECORD_EXTRA,
      p0 = (t - 1) & 1;
    const bufs = Array.from({ length: n }, (_, s) => i32(sh.recs[(p0 * n + s) * n + id], meta[(p0 * n + s) * n + id]));
    const prev = this.keysOf(t - 1);
    const at = new Int32Array(n),
      walk = new Int32Array(n),
      head = new Float64Array(n),
      touched = new Int32Array(n),
      hs = this.hs;
    const order = (b: Int32Array, p: number) => (b[p + W + 1] * 32 + b[p + W + 4]) * 32 + (b[p + W + 2] >>> 16);
    for (let s = 0; s < n; s++) head[s] = bufs[s].length > 0 ? order(bufs[s], 0) : Infinity;
    const keys = this.myKeys[t & 1];
    keys.len = 0;
    this.nStart = set.count;
    let rank = 0;
    for (;;) {
      let src = -1,
        best = Infinity;
      for (let s = 0; s < n; s++) if (head[s] < best) (best = head[s]), (src = s);
      if (src < 0) break;
      const b = bufs[src],
        p = at[src];
      if (p >= touched[src]) {
        // the store's slots of this source's next PREFETCH records, touched together (StateSet.prefetch)
        let k = 0;
        for (let q = p; q < b.length && k < PREFETCH; q += R) hs[k++] = b[q + W + 3];
        set.prefetch(hs, k);
        touched[src] = p + k * R;
      }
      at[src] = p + R;
      head[src] = p + R < b.length ? order(b, p + R) : Infinity;
      const idx = set.addHashed(b, p, b[p + W + 3]);
      if (idx < 0) continue;
      const pk = b[p + W + 1] * 32 + b[p + W + 4];
      for (let w = 0; w < n; w++) {
        const k = prev[w];
        let q = walk[w];
        while (q < k.length && k[q] < pk) q++, rank++;
        walk[w] = q;
      }
      this.room(idx);
      this.pw[idx] = src;
      this.pl[idx] = b[p + W];
      this.pv[idx] = b[p + W + 2];
      keys.room(1);
      keys.a[keys.len++] = rank * 32 + (b[p + W + 2] >>> 16);
    }
  }

  /** Room for state idx's path record. */
  private room(idx: number): void {
    if (idx < this.pl.length) return;
    const grow = <T extends Uint8Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    (this.pw = grow(this.pw)), (this.pl = grow(this.pl)), (this.pv = grow(this.pv));
  }

  /**
   * Expand level t (the states just added, in key order): each kept successor into the
   * records of its owner (words, parent index here, parent's key / 32, step, hash, parent's
   * key % 32); end states kept for the bound's verdict.
   * NOTE: for performance, the fields are read into locals; this is the thread's inner loop.
   */
  private expand(t: number): void {
    const { W, n, set, succ, succLabel, nStart } = this;
    const out = this.outs[t & 1],
      keys = this.myKeys[t & 1].a,
      ends = this.ends[t & 1];
    for (const r of out) r.len = 0;
    ends.clear();
    const nA = this.actors.length,
      R = W + RECORD_EXTRA;
    for (let j = nStart; j < set.count; j++) {
      const key = keys[j - nStart],
        hi = Math.floor(key / 32),
        data = set.data,
        o = j * W;
      const stateMask = maskOf(data, o);
      const enabled = this.stepAll(data, o, stateMask);
      const explore = this.chosen(enabled);
      for (let a = 0; a < nA; a++) {
        if (!(explore & (1 << a))) continue;
        const h = hashWords(succ, a * W, W) | 0;
        const r = out[ownerOf(h, n)];
        r.room(R);
        const b = r.a,
          q = r.len;
        for (let k = 0; k < W; k++) b[q + k] = succ[a * W + k];
        b[q + W] = j;
        b[q + W + 1] = hi;
        b[q + W + 2] = (a << 16) | succLabel[a];
        b[q + W + 3] = h;
        b[q + W + 4] = key - hi * 32;
        r.len = q + R;
      }
      if (!enabled) this.judgeEnd(ends, t, j, key, stateMask, data[o + W - 1] === 0);
    }
  }

  /** An end state of level t: kept for the bound's verdict, and as the first of its incidents if it is. */
  private judgeEnd(ends: Ends, t: number, j: number, key: number, stateMask: number, inSpec: boolean): void {
    const hung = this.waiting;
    const { sync, mask } = this.endOf(stateMask, hung);
    ends.push(key, mask, hung);
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      const hit = { level: t, rank: key, local: j, sync, mask, hung };
      ends.cand[k] ??= hit;
      if (inSpec) ends.candInSpec[k] ??= hit;
    }
  }

  /** Judge level t's ends of key < cutoff (where the one-thread search got to). */
  private commit(t: number, cutoff: number): void {
    if (t < 0) return;
    const e = this.ends[t & 1],
      r0 = this.r0;
    for (let p = 0; p < e.len && e.key[p] < cutoff; p++) {
      const info = e.info[p];
      if (info & 1) r0.deadlocks++;
      else r0.terminals++;
      for (let k = 0; k < INCIDENTS.length; k++) if ((info >>> 1) & (1 << k)) r0.hits[k]++;
    }
    for (let k = 0; k < INCIDENTS.length; k++) {
      const c = e.cand[k],
        ci = e.candInSpec[k];
      if (c && c.rank < cutoff && !r0.first[k]) r0.first[k] = c;
      if (ci && ci.rank < cutoff && !r0.firstInSpec[k]) r0.firstInSpec[k] = ci;
    }
    e.clear();
  }

  /** Level t's counts for the others: this thread's new states and its records to each owner. */
  private publish(t: number): void {
    const { n, id, meta } = this,
      p = t & 1;
    meta[2 * n * n + p * n + id] = this.myKeys[p].len;
    for (let d = 0; d < n; d++) meta[(p * n + id) * n + d] = this.outs[p][d].len;
  }

  /**
   * Wait until every thread has arrived (the last one bumps the generation and wakes the
   * rest). The atomics order the plain writes before it ahead of the reads after it.
   * @throws Aborted if a thread failed
   */
  private barrier(): void {
    const s = this.sync;
    const g = Atomics.load(s, 1);
    if (Atomics.add(s, 0, 1) === this.n - 1) {
      Atomics.store(s, 0, 0);
      Atomics.add(s, 1, 1);
      Atomics.notify(s, 1);
    } else {
      while (Atomics.load(s, 1) === g && !Atomics.load(s, 2)) Atomics.wait(s, 1, g, 1000);
    }
    if (Atomics.load(s, 2)) throw new Aborted("checker: another thread of the parallel search failed");
  }

  /** Tell the other threads this one failed: they stop at their next barrier. */
  abort(): void {
    Atomics.store(this.sync, 2, 1);
    Atomics.notify(this.sync, 1);
  }

  /** The tallies and first hits. */
  report(): Report {
    return { ...this.r0, bytes: this.set.bytes + this.pl.byteLength * 2 + this.pw.byteLength };
  }

  /**
   * State `local`'s words and path record, and the text of label `label` as this thread
   * numbers it (the label of a step out of this state, made when this thread expanded it).
   */
  get(local: number, label: number): Got {
    const W = this.W;
    return {
      words: this.set.data.slice(local * W, local * W + W),
      parentWorker: this.pw[local],
      parentLocal: this.pl[local],
      via: this.pv[local],
      label: label < 0 ? "" : LABELS[label],
    };
  }
}

/** The key of rank r among threads' ascending keys merged, or null past their end. */
export function rankAt(keys: Float64Array[], r: number): number | null {
  if (r < 0) return null;
  const at = new Int32Array(keys.length);
  for (let k = 0; ; k++) {
    let best = -1,
      bk = Infinity;
    for (let w = 0; w < keys.length; w++)
      if (at[w] < keys[w].length && keys[w][at[w]] < bk) (bk = keys[w][at[w]]), (best = w);
    if (best < 0) return null;
    if (k === r) return bk;
    at[best]++;
  }
}

/**
 * The owner among n threads of a state whose hash (state.ts hashWords, as the store takes
 * it) is h: from its top bits, so that a thread's states still spread over its whole table,
 * which takes the low bits.
 */
export function ownerOf(h: number, n: number): number {
  return Math.floor(((h >>> 0) * n) / 2 ** 32);
}
