/**
 * The search of docs/model.md#the-interleaving-checker over packed states: breadth-first from one or more roots
 * (the alternatives of a scenario's choices), states deduplicated in a StateSet. Every
 * terminal state runs the end-of-run sync and is judged; a deadlocked state (a task sleeps
 * forever, e.g. on a page lock its own path holds) is judged as it stands, without the
 * sync; the first end state found with an incident is its shortest witness.
 */
import type { PageCache } from "../model/page-cache.js";
import type { Actor, StepContext } from "./actors/index.js";
import { RESERVE_MOST, StateSet, hashWords, maskOf } from "./state.js";
import { BITSTATE_HASHES, BitStateSet } from "./bitstate.js";
import { INCIDENTS, type IncidentName } from "./verdict.js";
import { Stepper, type Found, type PathState } from "./stepper.js";

export { persistentSet } from "./stepper.js";

/** One numbered step of a witness. */
export interface WitnessStep {
  /** Step number, from 1. */
  n: number;
  /** Actor name, or `sync` for the final sync. */
  actor: string;
  /** The kernel function the step stands for, and what it found. */
  step: string;
  /** Incidents this step made happen (first occurrence in this execution). */
  incidents: IncidentName[];
  /** The page after the step (pageState). */
  page?: string;
}

/** A root of the search: how to set the cache and the registers, and the choices it stands for. */
export interface Root {
  /** Set the page cache `c` (its one page) and the actors' registers `r` (zeroed, one slot per register) to this root's start. */
  prepare(c: PageCache, r: Int32Array): void;
  /** `Page=buffers`, `P1.sync=all,none`: the alternatives this root took (empty without choice). */
  choices: string[];
  /**
   * The root departs from the policy as specified (explore.ts departsFromSpec). Its
   * states are kept apart from the others' (a tag word), so the witnesses found as the
   * policy is specified are exact.
   */
  offSpec?: boolean;
}

/** What search() explores: the actors over one page cache, the roots, the bound and the judge's hooks. */
export interface SearchInput {
  /** The page cache the actors step on (ctx.cache, one page) and the run's knobs. */
  ctx: StepContext;
  /** The actors (sets of them are 32-bit masks: at most 32; a scenario has at most 8); each owns `size` registers. */
  actors: Actor[];
  /** Explore a persistent set of actors per state instead of all (same verdicts). Default false. */
  reduce?: boolean;
  /** Where the search starts: one root per alternative of the scenario's choices. */
  roots: Root[];
  /** Stop adding states beyond this many. */
  maxStates: number;
  /** Replay steps met before from the transition cache (stepper.ts MEMO_SLOTS; same states, same order). Default true; false for the test that holds it to the steps themselves. */
  memo?: boolean;
  /** Bitstate mode (bitstate.ts): the visited set is a Bloom filter of 2^bitstate bits. Default: the exact StateSet. */
  bitstate?: number;
  /** The end-of-run sync on a terminal state; returns its witness text. */
  finish(c: PageCache): string;
  /**
   * A deadlocked state (no actor can move, some are not done: a task sleeps on a lock that
   * is never released) ends its execution without the sync, which would sleep on the same
   * lock; returns the witness text of that end. Its incidents are judged like a terminal's.
   */
  hang(c: PageCache): string;
  /** One line on the page's state, for witnesses. */
  pageState(c: PageCache): string;
}

/** What one search found: its size, whether it was cut short, and the incidents with their shortest witnesses. */
export interface SearchOutput {
  /** Distinct states stored (at most maxStates). */
  states: number;
  /** Terminal states reached: no actor can step and every non-daemon actor is done (each judged after the end-of-run sync). */
  terminals: number;
  /** States where no actor could step but some non-daemon actor was not done. */
  deadlocks: number;
  /** The search stopped at maxStates: verdicts that depend on the states not seen are Unknown. */
  boundHit: boolean;
  /** End states (terminal or deadlocked) with each incident, in INCIDENTS order. */
  hits: number[];
  /** Shortest witness of each incident reached, and the choices of its root. */
  witnesses: Map<IncidentName, { steps: WitnessStep[]; choices: string[] }>;
  /** The same among executions from roots as the policy is specified. */
  inSpec: Map<IncidentName, { steps: WitnessStep[]; choices: string[] }>;
  /** Bytes of the state store at the end. */
  bytes: number;
  /** In bitstate mode: the filter's bits, the bits per state and the probability of a missed state at the end. */
  bitstate?: BitstateFacts;
}

/** What a bitstate search says of its filter. */
export interface BitstateFacts {
  /** Bits of the filter (2^log2). */
  bits: number;
  /** Bits each state sets (k). */
  hashes: number;
  /** bitstateMissProbability(states, bits, hashes): (1 − e^(−kn/m))^k. */
  missProbability: number;
}

/** Explore every interleaving from the roots. */
export function search(input: SearchInput): SearchOutput {
  const run = new Search(input);
  run.addRoots();
  run.explore();
  return run.output();
}

/** The first end state with an incident: its index, the sync's text, the final incidents, and whether it hung. */
type Hit = { state: number; sync: string; mask: number; hung: boolean };

/** States expanded before their successors are added (explore). */
const BATCH = 64;

/** One search's state store, its path records and its tallies. */
class Search extends Stepper {
  private readonly set: StateSet | BitStateSet;
  /** Each state's predecessor (-1 for a root) and the step that led to it (`actor << 16 | label`, or the root's index). */
  private parent = new Int32Array(1024);
  private via = new Int32Array(1024);
  private boundHit = false;
  private terminals = 0;
  private deadlocks = 0;
  private readonly hits = INCIDENTS.map(() => 0);
  private readonly firstHit = new Map<number, Hit>();
  private readonly firstInSpec = new Map<number, Hit>();
  /** A batch's successors (BATCH states, each actor at most once): words, and the kept ones' hashes and steps; per state, the kept actors. */
  private readonly bw: Int32Array;
  private readonly bh: Int32Array;
  private readonly bv: Int32Array;
  private readonly bn = new Int32Array(BATCH);
  /** Per state of a batch: 1 for an end state where a task sleeps forever. */
  private readonly hung = new Uint8Array(BATCH);

  constructor(input: SearchInput) {
    super(input);
    this.set =
      input.bitstate === undefined
        ? new StateSet(this.W, 1024, input.maxStates + 1)
        : new BitStateSet(this.W, input.bitstate);
    const room = BATCH * this.actors.length;
    this.bw = new Int32Array(room * this.W);
    this.bh = new Int32Array(room);
    this.bv = new Int32Array(room);
  }

  /** Record a new state's origin, growing the path arrays as needed. */
  private record(idx: number, from: number, how: number): void {
    if (idx >= this.parent.length) {
      // as StateSet's data: twice while small, then four times or the bound's room (pages mapped when written)
      const len = this.parent.length;
      const n = len < 1 << 16 ? len * 2 : Math.max(len * 4, Math.min(this.input.maxStates + 1, RESERVE_MOST));
      const p = new Int32Array(n),
        v = new Int32Array(n);
      p.set(this.parent), v.set(this.via);
      (this.parent = p), (this.via = v);
    }
    this.parent[idx] = from;
    this.via[idx] = how;
  }

  /** The roots' states, tagged with whether they depart from the policy's spec. */
  addRoots(): void {
    this.input.roots.forEach((_, k) => {
      const idx = this.set.add(this.packRoot(k));
      if (idx >= 0) this.record(idx, -1, k);
    });
  }

  /**
   * Breadth-first over the state store: each state in the order it was added, until the
   * bound. The states are expanded BATCH at a time (all of them already stored), their
   * kept successors hashed, the store's slots for those hashes touched, and only then
   * added in order: the same order, so the same states, counts and witnesses, as one
   * state at a time, but the probes' cache misses overlap instead of following each other.
   */
  explore(): void {
    for (let i = 0; i < this.set.count && !this.boundHit; ) {
      const end = Math.min(this.set.count, i + BATCH);
      const n = this.stepBatch(i, end);
      if (this.set instanceof StateSet) this.set.prefetch(this.bh, n);
      this.addBatch(i, end);
      i = end;
    }
  }

  /**
   * Expand states [i, end): state j's successor by actor a in bw at ((j - i) * nA + a) * W,
   * the kept ones' hashes and steps in bh and bv in order, bn[j - i] the kept actors' bit
   * set (0: an end state, hung[j - i] 1 if deadlocked). Returns how many are kept.
   * NOTE: for performance, the buffers are preallocated fields.
   */
  private stepBatch(i: number, end: number): number {
    const { W, bw, bh, bv, succLabel } = this;
    const nA = this.actors.length;
    let n = 0;
    for (let j = i; j < end; j++) {
      const data = this.set.data,
        o = j * W,
        base = (j - i) * nA * W;
      const enabled = this.stepAll(data, o, maskOf(data, o), bw, base);
      const explore = this.chosen(enabled);
      this.bn[j - i] = explore;
      this.hung[j - i] = enabled === 0 && this.waiting ? 1 : 0;
      for (let a = 0; a < nA; a++) {
        if (!(explore & (1 << a))) continue;
        bh[n] = hashWords(bw, base + a * W, W) | 0;
        bv[n++] = (a << 16) | succLabel[a];
      }
    }
    return n;
  }

  /**
   * Add the successors stepBatch left, state by state in order, and judge its end states;
   * past maxStates, a new successor is noted as the bound hit and the batch stops there.
   */
  private addBatch(i: number, end: number): void {
    const { W, set, bw, bh, bv } = this;
    const nA = this.actors.length,
      max = this.input.maxStates;
    for (let j = i, p = 0; j < end && !this.boundHit; j++) {
      const explore = this.bn[j - i];
      if (explore === 0) {
        this.endState(j, this.hung[j - i] === 1);
        continue;
      }
      for (let a = 0; a < nA && !this.boundHit; a++) {
        if (!(explore & (1 << a))) continue;
        const at = ((j - i) * nA + a) * W;
        if (set.count >= max) {
          if (set.find(bw, at) < 0) this.boundHit = true;
        } else {
          const idx = set instanceof StateSet ? set.addHashed(bw, at, bh[p]) : set.add(bw, at);
          if (idx >= 0) this.record(idx, j, bv[p]);
        }
        p++;
      }
    }
  }

  /** End state j (no actor could move): its cache decoded again, counted and judged. */
  private endState(j: number, hung: boolean): void {
    const o = j * this.W;
    const stateMask = maskOf(this.set.data, o);
    this.decodeAt(this.set.data, o);
    this.waiting = hung;
    if (hung) this.deadlocks++;
    else this.terminals++;
    this.judgeEnd(j, o, stateMask, hung);
  }

  /**
   * An end state: every actor finished (run the end-of-run sync on the cache, decoded at
   * state i) or some sleep forever (`hung`: no sync); count its incidents.
   */
  private judgeEnd(i: number, o: number, stateMask: number, hung: boolean): void {
    const { sync, mask } = this.endOf(stateMask, hung);
    const inSpec = this.set.data[o + this.W - 1] === 0;
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      this.hits[k]++;
      if (!this.firstHit.has(k)) this.firstHit.set(k, { state: i, sync, mask, hung });
      if (inSpec && !this.firstInSpec.has(k)) this.firstInSpec.set(k, { state: i, sync, mask, hung });
    }
  }

  /** The steps from a root to `state`, then the sync. */
  private witness(h: Hit): Found {
    const { set, W, parent, via } = this;
    const path: PathState[] = [];
    for (let s = h.state; s >= 0; s = parent[s]) path.push({ data: set.data, o: s * W, via: via[s] });
    return this.witnessOf(path.reverse(), h.sync, h.mask, h.hung);
  }

  /** The tallies and the shortest witness of each incident, overall and as the policy is specified. */
  output(): SearchOutput {
    const witnesses = new Map<IncidentName, Found>();
    const inSpec = new Map<IncidentName, Found>();
    INCIDENTS.forEach((name, k) => {
      const w = this.firstHit.get(k),
        wi = this.firstInSpec.get(k);
      if (w) witnesses.set(name, this.witness(w));
      if (wi) inSpec.set(name, wi === w ? witnesses.get(name)! : this.witness(wi));
    });
    return {
      states: this.set.count,
      terminals: this.terminals,
      deadlocks: this.deadlocks,
      boundHit: this.boundHit,
      hits: this.hits,
      witnesses,
      inSpec,
      bytes: this.set.bytes + this.set.count * 8,
      ...(this.set instanceof BitStateSet
        ? { bitstate: { bits: this.set.size, hashes: BITSTATE_HASHES, missProbability: this.set.missProbability } }
        : {}),
    };
  }
}
