/**
 * The search of docs/model.md#the-interleaving-checker over packed states: breadth-first from one or more roots
 * (the alternatives of a scenario's choices), states deduplicated in a StateSet. Every
 * terminal state runs the end-of-run sync and is judged; a deadlocked state (a task sleeps
 * forever, e.g. on a page lock its own path holds) is judged as it stands, without the
 * sync; the first end state found with an incident is its shortest witness.
 */
import type { PageCache } from "../model/page-cache.js";
import { BLOCKED, DONE, LABELS, type Actor, type StepContext } from "./actors/index.js";
import {
  PAGE_WORDS,
  StateSet,
  checkCodecCovers,
  decodePage,
  decodeRegs,
  encodePage,
  encodeRegs,
  maskOf,
  regWords,
} from "./state.js";
import { BITSTATE_HASHES, BitStateSet } from "./bitstate.js";
import { INCIDENTS, incidentMask, maskNames, takeIncidentMask, type IncidentName } from "./verdict.js";

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

/**
 * A persistent set (Godefroid 1996, ch. 4; a conditional stubborn set): start from one
 * enabled actor; an enabled member pulls in every actor any of whose remaining steps
 * conflicts with its next step (one writes what the other reads or writes); a blocked
 * member pulls in every actor that may still write what its next step reads (who could
 * unblock it). Exploring only the enabled members preserves every terminal and deadlocked
 * state, so every verdict. Returns the bit set of actors, the smallest over the seeds.
 */
export function persistentSet(enabled: number, live: number, now: Int32Array, fut: Int32Array): number {
  let best = enabled,
    bestSize = 33;
  for (let seed = 0; seed < now.length; seed++) {
    if (!(enabled & (1 << seed))) continue;
    let set = 1 << seed,
      todo = set;
    while (todo) {
      const p = 31 - Math.clz32(todo);
      todo &= ~(1 << p);
      const r = now[p] & 0xffff,
        w = now[p] >>> 16,
        on = (enabled >> p) & 1;
      for (let q = 0; q < now.length; q++) {
        if (set & (1 << q) || !(live & (1 << q))) continue;
        const fr = fut[q] & 0xffff,
          fw = fut[q] >>> 16;
        if (on ? (w & (fr | fw)) | (r & fw) : r & fw) (set |= 1 << q), (todo |= 1 << q);
      }
    }
    const size = popcount(set & enabled);
    if (size < bestSize) (best = set & enabled), (bestSize = size);
    if (size === 1) break;
  }
  return best;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
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

/** A witness: the steps from a root to a terminal state, and that root's choices. */
type Found = { steps: WitnessStep[]; choices: string[] };
/** The first end state with an incident: its index, the sync's text, the final incidents, and whether it hung. */
type Hit = { state: number; sync: string; mask: number; hung: boolean };

/** One search's state store, its path records and its tallies. */
class Search {
  private readonly ctx: StepContext;
  private readonly actors: Actor[];
  private readonly cache: PageCache;
  /** Each actor's first register. */
  private readonly offsets: number[] = [];
  /** Words per state: page words, register words, then the root's tag (1: off the policy's spec). */
  private readonly W: number;
  private readonly set: StateSet | BitStateSet;
  /** The packed state being built. */
  private readonly buf: Int32Array;
  /** The registers of the state being expanded, and the copy an actor's step changes. */
  private readonly regs: Int32Array;
  private readonly r: Int32Array;
  /** Each state's predecessor (-1 for a root) and the step that led to it (`actor << 16 | label`, or the root's index). */
  private parent = new Int32Array(1024);
  private via = new Int32Array(1024);
  private readonly reduce: boolean;
  /** Per actor, for the expansion of one state: next step's footprint, remaining steps' footprint, successor and label. */
  private readonly now: Int32Array;
  private readonly fut: Int32Array;
  private readonly succ: Int32Array;
  private readonly succLabel: Int32Array;
  /** After stepAll: actors not finished, and whether one of them is not a daemon. */
  private live = 0;
  private waiting = false;
  private boundHit = false;
  private terminals = 0;
  private deadlocks = 0;
  private readonly hits = INCIDENTS.map(() => 0);
  private readonly firstHit = new Map<number, Hit>();
  private readonly firstInSpec = new Map<number, Hit>();

  constructor(private readonly input: SearchInput) {
    this.ctx = input.ctx;
    this.actors = input.actors;
    this.cache = input.ctx.cache;
    checkCodecCovers(this.cache);
    let nRegs = 0;
    for (const a of this.actors) this.offsets.push(nRegs), (nRegs += a.size);
    this.W = PAGE_WORDS + regWords(nRegs) + 1;
    this.set = input.bitstate === undefined ? new StateSet(this.W) : new BitStateSet(this.W, input.bitstate);
    this.buf = new Int32Array(this.W);
    this.regs = new Int32Array(nRegs);
    this.r = new Int32Array(nRegs);
    const nA = this.actors.length;
    this.reduce = input.reduce === true && nA > 1;
    this.now = new Int32Array(nA);
    this.fut = new Int32Array(nA);
    this.succ = new Int32Array(nA * this.W);
    this.succLabel = new Int32Array(nA);
  }

  /** Encode the cache and `r` into out[o..) (default buf), with the incidents of `mask`. */
  private pack(mask: number, out = this.buf, o = 0): void {
    if (encodePage(this.cache, mask, out, o) | encodeRegs(this.r, out, o + PAGE_WORDS)) {
      throw new Error("checker: a state field exceeds its encoding (src/checker/state.ts)");
    }
  }

  /** Record a new state's origin, growing the path arrays as needed. */
  private record(idx: number, from: number, how: number): void {
    if (idx >= this.parent.length) {
      const p = new Int32Array(this.parent.length * 2),
        v = new Int32Array(this.parent.length * 2);
      p.set(this.parent), v.set(this.via);
      (this.parent = p), (this.via = v);
    }
    this.parent[idx] = from;
    this.via[idx] = how;
  }

  /** The roots' states, tagged with whether they depart from the policy's spec. */
  addRoots(): void {
    this.input.roots.forEach((root, k) => {
      this.r.fill(0);
      root.prepare(this.cache, this.r);
      this.pack(incidentMask(this.cache.counters));
      this.buf[this.W - 1] = root.offSpec ? 1 : 0;
      const idx = this.set.add(this.buf);
      if (idx >= 0) this.record(idx, -1, k);
    });
  }

  /** Breadth-first over the state store: each state in the order it was added, until the bound. */
  explore(): void {
    for (let i = 0; i < this.set.count && !this.boundHit; i++) this.expand(i);
  }

  /** Expand state i: step every actor, keep the successors of a persistent set, or judge an end state. */
  private expand(i: number): void {
    const o = i * this.W;
    const stateMask = maskOf(this.set.data, o);
    const enabled = this.stepAll(o, stateMask);
    const explore =
      this.reduce && (enabled & (enabled - 1)) !== 0 ? persistentSet(enabled, this.live, this.now, this.fut) : enabled;
    this.addSuccessors(i, explore);
    if (enabled || this.boundHit) return;
    if (this.waiting) this.deadlocks++;
    else this.terminals++;
    this.judgeEnd(i, o, stateMask, this.waiting);
  }

  /**
   * Run each live actor's next step from the state at word `o`, keeping each successor in
   * `succ` (and, with the reduction, each footprint). Returns the bit set of actors that moved.
   * NOTE: for performance, the fields are read into locals; this is the checker's inner loop.
   */
  private stepAll(o: number, stateMask: number): number {
    const { ctx, actors, cache, offsets, set, regs, r, W, succ } = this;
    decodePage(cache, set.data, o, false);
    takeIncidentMask(cache.counters);
    decodeRegs(set.data, o + PAGE_WORDS, regs);
    const nR = regs.length;
    for (let k = 0; k < nR; k++) r[k] = regs[k];
    let enabled = 0,
      live = 0,
      waiting = false,
      dirty = false;
    for (let a = 0; a < actors.length; a++) {
      if (regs[offsets[a]] === DONE) continue;
      live |= 1 << a;
      if (!actors[a].daemon) waiting = true;
      if (dirty) {
        // the last step changed the cache and r: back to the state being expanded
        decodePage(cache, set.data, o, false), (dirty = false);
        for (let k = 0; k < nR; k++) r[k] = regs[k];
      }
      if (this.reduce) {
        this.now[a] = actors[a].footprint(ctx, regs, offsets[a]);
        this.fut[a] = actors[a].future(regs, offsets[a]);
      }
      const label = actors[a].step(ctx, r, offsets[a]);
      if (label === BLOCKED) continue; // nothing changed
      enabled |= 1 << a;
      dirty = true;
      this.pack(stateMask | takeIncidentMask(cache.counters), succ, a * W);
      succ[a * W + W - 1] = set.data[o + W - 1];
      this.succLabel[a] = label;
    }
    this.live = live;
    this.waiting = waiting;
    return enabled;
  }

  /** Add the successors of the actors in `explore` to the store; past maxStates, note a new one as the bound hit. */
  private addSuccessors(i: number, explore: number): void {
    const W = this.W;
    for (let a = 0; a < this.actors.length && !this.boundHit; a++) {
      if (!(explore & (1 << a))) continue;
      if (this.set.count >= this.input.maxStates) {
        if (this.set.find(this.succ, a * W) < 0) this.boundHit = true;
        continue;
      }
      const idx = this.set.add(this.succ, a * W);
      if (idx >= 0) this.record(idx, i, (a << 16) | this.succLabel[a]);
    }
  }

  /**
   * An end state: every actor finished (run the end-of-run sync on the cache, decoded at
   * state i) or some sleep forever (`hung`: no sync); count its incidents.
   */
  private judgeEnd(i: number, o: number, stateMask: number, hung: boolean): void {
    const sync = hung ? this.input.hang(this.cache) : this.input.finish(this.cache);
    const mask = stateMask | incidentMask(this.cache.counters);
    const inSpec = this.set.data[o + this.W - 1] === 0;
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      this.hits[k]++;
      if (!this.firstHit.has(k)) this.firstHit.set(k, { state: i, sync, mask, hung });
      if (inSpec && !this.firstInSpec.has(k)) this.firstInSpec.set(k, { state: i, sync, mask, hung });
    }
  }

  /** The steps from a root to `state`, then the sync. */
  private witness(state: number, sync: string, finalMask: number, hung: boolean): Found {
    const { cache, set, W, parent, via, input } = this;
    const path: number[] = [];
    let s = state;
    for (; parent[s] >= 0; s = parent[s]) path.push(s);
    path.reverse();
    const steps: WitnessStep[] = path.map((p, j) => {
      decodePage(cache, set.data, p * W);
      return {
        n: j + 1,
        actor: this.actors[via[p] >> 16].name,
        step: LABELS[via[p] & 0xffff],
        incidents: maskNames(maskOf(set.data, p * W) & ~maskOf(set.data, parent[p] * W)),
        page: input.pageState(cache),
      };
    });
    decodePage(cache, set.data, state * W);
    if (hung) input.hang(cache);
    else input.finish(cache);
    steps.push({
      n: steps.length + 1,
      actor: "sync",
      step: sync,
      incidents: maskNames(finalMask & ~maskOf(set.data, state * W)),
      page: input.pageState(cache),
    });
    return { steps, choices: input.roots[via[s]].choices };
  }

  /** The tallies and the shortest witness of each incident, overall and as the policy is specified. */
  output(): SearchOutput {
    const witnesses = new Map<IncidentName, Found>();
    const inSpec = new Map<IncidentName, Found>();
    INCIDENTS.forEach((name, k) => {
      const w = this.firstHit.get(k),
        wi = this.firstInSpec.get(k);
      if (w) witnesses.set(name, this.witness(w.state, w.sync, w.mask, w.hung));
      if (wi) inSpec.set(name, wi === w ? witnesses.get(name)! : this.witness(wi.state, wi.sync, wi.mask, wi.hung));
    });
    return {
      states: this.set.count,
      terminals: this.terminals,
      deadlocks: this.deadlocks,
      boundHit: this.boundHit,
      hits: this.hits,
      witnesses,
      inSpec,
      bytes: this.set.bytes + this.parent.byteLength * 2,
      ...(this.set instanceof BitStateSet
        ? { bitstate: { bits: this.set.size, hashes: BITSTATE_HASHES, missProbability: this.set.missProbability } }
        : {}),
    };
  }
}
