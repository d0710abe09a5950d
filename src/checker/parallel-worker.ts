/**
 * A worker of the parallel search (parallel.ts): it rebuilds the search from its spec,
 * keeps the states the owner hash gives it (their words, parents and steps), expands its
 * part of each level and judges its end states. Loaded from dist/ (compiled JS), from
 * dist/ and from src/ under tsx alike. Each request is answered on the port, then the
 * shared counter is bumped and the waiting thread woken.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { StateSet, hashWords, maskOf } from "./state.js";
import { Stepper } from "./stepper.js";
import { specInput, type SearchSpec } from "./explore.js";
import { INCIDENTS } from "./verdict.js";
import { LABELS } from "./actors/index.js";
import { RECORD_EXTRA, Records, ownerOf } from "./parallel.js";

/** What the coordinating thread asks. */
export type Request =
  | { op: "init"; spec: SearchSpec; n: number; id: number }
  /** Add the successors received, one buffer per source worker (roots: one buffer). */
  | { op: "insert"; bufs: Int32Array[] }
  /** The ranks of the states just added (those kept), the cut of the level before; then expand the next level. */
  | { op: "commit"; ranks: Int32Array; cutoff: number; expand: boolean }
  | { op: "report" }
  /** State `local`'s words and path record, and the text of label index `label` here (-1: none). */
  | { op: "get"; local: number; label: number }
  | { op: "none" }
  | { op: "end" };

/** The first end state of an incident a worker judged: its level and rank, its index here, its end. */
export type FirstHit = { level: number; rank: number; local: number; sync: string; mask: number; hung: boolean };

/** A worker's tallies at the end. */
export type Report = {
  terminals: number;
  deadlocks: number;
  hits: number[];
  first: (FirstHit | null)[];
  firstInSpec: (FirstHit | null)[];
  bytes: number;
};

/** What a worker answers. */
export type Answer =
  | { ok: true }
  | { keys: Float64Array }
  | { out: Int32Array[] }
  | Report
  | { words: Int32Array; parentWorker: number; parentLocal: number; via: number; label: string }
  | { error: string };

/** One worker's part of the state store, its path records and its tallies. */
class Partition extends Stepper {
  private readonly set: StateSet;
  /** Per state: the worker and index of its parent (-1: a root), the step that led to it. */
  private pw = new Uint8Array(1024);
  private pl = new Int32Array(1024);
  private pv = new Int32Array(1024);
  /** The level being expanded: states [fStart, fEnd) here, in rank order, and their ranks. */
  private fStart = 0;
  private fEnd = 0;
  private fRank: Int32Array = new Int32Array(0);
  private level = -1;
  /** States added by the last insert: from nStart. */
  private nStart = 0;
  /** The expanded level's end states (rank, mask, hung, 0), in rank order. */
  private readonly ends = new Records();
  /** Successor records to each owner (shared memory, kept from level to level). */
  private readonly outs: Records[];
  private cand: (FirstHit | null)[] = INCIDENTS.map(() => null);
  private candInSpec: (FirstHit | null)[] = INCIDENTS.map(() => null);
  private readonly r0: Report = {
    terminals: 0,
    deadlocks: 0,
    hits: INCIDENTS.map(() => 0),
    first: INCIDENTS.map(() => null),
    firstInSpec: INCIDENTS.map(() => null),
    bytes: 0,
  };

  constructor(
    spec: SearchSpec,
    private readonly n: number,
  ) {
    super(specInput(spec));
    this.set = new StateSet(this.W);
    this.outs = Array.from({ length: n }, () => new Records(true));
    // Preparing the roots sets what the actors keep besides the registers (a GUP actor's
    // decisions, indexed by a register), as in the coordinating thread: same order, same indices.
    this.input.roots.forEach((_, k) => this.packRoot(k));
  }

  /**
   * Add the successor records of `bufs` (buffer j from worker j) in key order, merging the
   * sources; returns the keys of the new states (ascending).
   * NOTE: for performance, a merge by hand over the typed arrays.
   */
  insert(bufs: Int32Array[]): Float64Array {
    const W = this.W,
      R = W + RECORD_EXTRA,
      set = this.set;
    const at = bufs.map(() => 0);
    const keys = new Float64Array(bufs.reduce((s, b) => s + b.length / R, 0));
    let nk = 0;
    this.nStart = set.count;
    for (;;) {
      let src = -1,
        best = Infinity;
      for (let j = 0; j < bufs.length; j++) {
        const p = at[j];
        if (p < bufs[j].length && bufs[j][p + W + 1] < best) (best = bufs[j][p + W + 1]), (src = j);
      }
      if (src < 0) break;
      const b = bufs[src],
        p = at[src];
      at[src] += R;
      const idx = set.addHashed(b, p, b[p + W + 3]);
      if (idx < 0) continue;
      this.room(idx);
      this.pw[idx] = src;
      this.pl[idx] = b[p + W];
      this.pv[idx] = b[p + W + 2];
      keys[nk++] = b[p + W + 1] * 32 + (b[p + W + 2] >>> 16);
    }
    return keys.slice(0, nk);
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

  /** Judge the expanded level's ends of rank < cutoff, then make the states just added (the first ranks.length) the next level. */
  commit(ranks: Int32Array, cutoff: number): void {
    const e = this.ends.a,
      len = this.ends.len,
      r0 = this.r0;
    for (let p = 0; p < len && e[p] < cutoff; p += 4) {
      if (e[p + 2]) r0.deadlocks++;
      else r0.terminals++;
      for (let k = 0; k < INCIDENTS.length; k++) if (e[p + 1] & (1 << k)) r0.hits[k]++;
    }
    for (let k = 0; k < INCIDENTS.length; k++) {
      const c = this.cand[k],
        ci = this.candInSpec[k];
      if (c && c.rank < cutoff && !r0.first[k]) r0.first[k] = c;
      if (ci && ci.rank < cutoff && !r0.firstInSpec[k]) r0.firstInSpec[k] = ci;
    }
    this.ends.len = 0;
    this.cand = INCIDENTS.map(() => null);
    this.candInSpec = INCIDENTS.map(() => null);
    this.fStart = this.nStart;
    this.fEnd = this.nStart + ranks.length;
    this.fRank = ranks;
    this.level++;
  }

  /**
   * Expand the level: each state's kept successors into the buffer of its owner, as
   * records (words, parent index here, parent rank, step); end states judged.
   * NOTE: for performance, the fields are read into locals; this is the worker's inner loop.
   */
  expand(): Int32Array[] {
    const { W, n, set, succ, succLabel, fRank, fStart } = this;
    const out = this.outs;
    for (const r of out) r.len = 0;
    const nA = this.actors.length;
    for (let j = fStart; j < this.fEnd; j++) {
      const rank = fRank[j - fStart],
        data = set.data,
        o = j * W;
      const stateMask = maskOf(data, o);
      const enabled = this.stepAll(data, o, stateMask);
      const explore = this.chosen(enabled);
      for (let a = 0; a < nA; a++) {
        if (!(explore & (1 << a))) continue;
        const h = hashWords(succ, a * W, W) | 0;
        out[ownerOf(h, n)].push(succ, a * W, W, j, rank, (a << 16) | succLabel[a], h);
      }
      if (!enabled) this.judgeEnd(j, rank, stateMask, data[o + W - 1] === 0);
    }
    return out.map((r) => r.view());
  }

  /** An end state of the level: its facts kept for the commit, and as the first of its incidents if it is. */
  private judgeEnd(j: number, rank: number, stateMask: number, inSpec: boolean): void {
    const hung = this.waiting;
    const { sync, mask } = this.endOf(stateMask, hung);
    this.ends.push(this.succ, 0, 0, rank, mask, hung ? 1 : 0, 0);
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      const hit = { level: this.level, rank, local: j, sync, mask, hung };
      this.cand[k] ??= hit;
      if (inSpec) this.candInSpec[k] ??= hit;
    }
  }

  /** The tallies and first hits. */
  report(): Report {
    return { ...this.r0, bytes: this.set.bytes + this.pl.byteLength * 2 + this.pw.byteLength };
  }

  /**
   * State `local`'s words and path record, and the text of label `label` as this thread
   * numbers it (the label of a step out of this state, made when this thread expanded it).
   */
  get(local: number, label: number): Answer {
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

let part: Partition | null = null;

/** Answer one request. */
function answer(m: Request): [Answer, ArrayBuffer[]] {
  switch (m.op) {
    case "init":
      part = new Partition(m.spec, m.n);
      return [{ ok: true }, []];
    case "insert": {
      const keys = part!.insert(m.bufs);
      return [{ keys }, [keys.buffer as ArrayBuffer]];
    }
    case "commit": {
      part!.commit(m.ranks, m.cutoff);
      if (!m.expand) return [{ ok: true }, []];
      const out = part!.expand();
      return [{ out }, []];
    }
    case "report":
      return [part!.report(), []];
    case "get":
      return [part!.get(m.local, m.label), []];
    case "end":
      part = null;
      return [{ ok: true }, []];
    default:
      return [{ ok: true }, []];
  }
}

if (workerData?.port) {
  const { port, ctl: buffer } = workerData as { port: MessagePort; ctl: SharedArrayBuffer };
  const ctl = new Int32Array(buffer);
  port.on("message", (m: Request) => {
    let reply: [Answer, ArrayBuffer[]];
    try {
      reply = answer(m);
    } catch (e) {
      reply = [{ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, []];
    }
    port.postMessage(reply[0], reply[1]);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
  });
}
