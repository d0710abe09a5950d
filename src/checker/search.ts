/**
 * The search of docs/model.md#the-interleaving-checker over packed states: breadth-first from one or more roots
 * (the alternatives of a scenario's choices), states deduplicated in a StateSet. Every
 * terminal state runs the end-of-run sync and is judged; the first terminal state found
 * with an incident is its shortest witness.
 */
import type { PageCache } from "../model/page-cache.js";
import { BLOCKED, DONE, LABELS, type Actor, type StepContext } from "./actors.js";
import {
  PAGE_WORDS, StateSet, checkCodecCovers, decodePage, decodeRegs, encodePage, encodeRegs, maskOf, regWords,
} from "./state.js";
import { INCIDENTS, incidentMask, maskNames, type IncidentName } from "./verdict.js";

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
  let best = enabled, bestSize = 33;
  for (let seed = 0; seed < now.length; seed++) {
    if (!(enabled & (1 << seed))) continue;
    let set = 1 << seed, todo = set;
    while (todo) {
      const p = 31 - Math.clz32(todo);
      todo &= ~(1 << p);
      const r = now[p] & 0xffff, w = now[p] >>> 16, on = (enabled >> p) & 1;
      for (let q = 0; q < now.length; q++) {
        if (set & (1 << q) || !(live & (1 << q))) continue;
        const fr = fut[q] & 0xffff, fw = fut[q] >>> 16;
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
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

export interface SearchInput {
  ctx: StepContext;
  actors: Actor[];
  /** Explore a persistent set of actors per state instead of all (same verdicts). Default false. */
  reduce?: boolean;
  roots: Root[];
  /** Stop adding states beyond this many. */
  maxStates: number;
  /** The end-of-run sync on a terminal state; returns its witness text. */
  finish(c: PageCache): string;
  /** One line on the page's state, for witnesses. */
  pageState(c: PageCache): string;
}

export interface SearchOutput {
  states: number;
  terminals: number;
  deadlocks: number;
  boundHit: boolean;
  /** Terminal states with each incident, in INCIDENTS order. */
  hits: number[];
  /** Shortest witness of each incident reached, and the choices of its root. */
  witnesses: Map<IncidentName, { steps: WitnessStep[]; choices: string[] }>;
  /** The same among executions from roots as the policy is specified. */
  inSpec: Map<IncidentName, { steps: WitnessStep[]; choices: string[] }>;
  /** Bytes of the state store at the end. */
  bytes: number;
}

/** Explore every interleaving from the roots. */
export function search(input: SearchInput): SearchOutput {
  const { ctx, actors, roots } = input;
  const cache = ctx.cache;
  checkCodecCovers(cache);
  const offsets: number[] = [];
  let nRegs = 0;
  for (const a of actors) offsets.push(nRegs), (nRegs += a.size);
  // State: page words, register words, then the root's tag (1: off the policy's spec).
  const W = PAGE_WORDS + regWords(nRegs) + 1;
  const set = new StateSet(W);
  const buf = new Int32Array(W);
  const regs = new Int32Array(nRegs), r = new Int32Array(nRegs);
  let parent = new Int32Array(1024), via = new Int32Array(1024);

  /** Encode the cache and `r` into buf, with the incidents of `mask`. */
  const pack = (mask: number): void => {
    if (encodePage(cache, mask, buf, 0) | encodeRegs(r, buf, PAGE_WORDS)) {
      throw new Error("checker: a state field exceeds its encoding (src/checker/state.ts)");
    }
  };
  /** Record a new state's origin; false when the bound stops the search. */
  const record = (idx: number, from: number, how: number): void => {
    if (idx >= parent.length) {
      const p = new Int32Array(parent.length * 2), v = new Int32Array(parent.length * 2);
      p.set(parent), v.set(via);
      (parent = p), (via = v);
    }
    parent[idx] = from;
    via[idx] = how;
  };

  roots.forEach((root, k) => {
    r.fill(0);
    root.prepare(cache, r);
    pack(incidentMask(cache.counters));
    buf[W - 1] = root.offSpec ? 1 : 0;
    const idx = set.add(buf);
    if (idx >= 0) record(idx, -1, k);
  });

  let boundHit = false, terminals = 0, deadlocks = 0;
  const hits = INCIDENTS.map(() => 0);
  const firstHit = new Map<number, { state: number; sync: string; mask: number }>();
  const firstInSpec = new Map<number, { state: number; sync: string; mask: number }>();

  const nA = actors.length;
  const reduce = input.reduce === true && nA > 1;
  const now = new Int32Array(nA), fut = new Int32Array(nA);
  const succ = new Int32Array(nA * W), succLabel = new Int32Array(nA);
  for (let i = 0; i < set.count && !boundHit; i++) {
    const o = i * W;
    const stateMask = maskOf(set.data, o);
    decodePage(cache, set.data, o, false);
    cache.counters.fill(0);
    decodeRegs(set.data, o + PAGE_WORDS, regs);
    let enabled = 0, live = 0, waiting = false, dirty = false;
    for (let a = 0; a < nA; a++) {
      if (regs[offsets[a]] === DONE) continue;
      live |= 1 << a;
      if (!actors[a].daemon) waiting = true;
      if (dirty) decodePage(cache, set.data, o, false), (dirty = false);
      if (reduce) {
        now[a] = actors[a].footprint(ctx, regs, offsets[a]);
        fut[a] = actors[a].future(regs, offsets[a]);
      }
      r.set(regs);
      const label = actors[a].step(ctx, r, offsets[a]);
      if (label === BLOCKED) continue; // nothing changed
      enabled |= 1 << a;
      dirty = true;
      pack(stateMask | incidentMask(cache.counters));
      cache.counters.fill(0);
      buf[W - 1] = set.data[o + W - 1];
      for (let k = 0; k < W; k++) succ[a * W + k] = buf[k];
      succLabel[a] = label;
    }
    const explore = reduce && (enabled & (enabled - 1)) !== 0 ? persistentSet(enabled, live, now, fut) : enabled;
    for (let a = 0; a < nA && !boundHit; a++) {
      if (!(explore & (1 << a))) continue;
      if (set.count >= input.maxStates) {
        if (set.find(succ, a * W) < 0) boundHit = true;
        continue;
      }
      const idx = set.add(succ, a * W);
      if (idx >= 0) record(idx, i, (a << 16) | succLabel[a]);
    }
    if (enabled || boundHit) continue;
    if (waiting) {
      deadlocks++;
      continue;
    }
    terminals++;
    const sync = input.finish(cache);
    const mask = stateMask | incidentMask(cache.counters);
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      hits[k]++;
      if (!firstHit.has(k)) firstHit.set(k, { state: i, sync, mask });
      if (set.data[o + W - 1] === 0 && !firstInSpec.has(k)) firstInSpec.set(k, { state: i, sync, mask });
    }
  }

  /** The steps from a root to `state`, then the sync. */
  const witness = (state: number, sync: string, finalMask: number): { steps: WitnessStep[]; choices: string[] } => {
    const path: number[] = [];
    let s = state;
    for (; parent[s] >= 0; s = parent[s]) path.push(s);
    path.reverse();
    const steps: WitnessStep[] = path.map((p, j) => {
      decodePage(cache, set.data, p * W);
      return {
        n: j + 1,
        actor: actors[via[p] >> 16].name,
        step: LABELS[via[p] & 0xffff],
        incidents: maskNames(maskOf(set.data, p * W) & ~maskOf(set.data, parent[p] * W)),
        page: input.pageState(cache),
      };
    });
    decodePage(cache, set.data, state * W);
    input.finish(cache);
    steps.push({
      n: steps.length + 1, actor: "sync", step: sync,
      incidents: maskNames(finalMask & ~maskOf(set.data, state * W)), page: input.pageState(cache),
    });
    return { steps, choices: roots[via[s]].choices };
  };
  const witnesses = new Map<IncidentName, { steps: WitnessStep[]; choices: string[] }>();
  const inSpec = new Map<IncidentName, { steps: WitnessStep[]; choices: string[] }>();
  INCIDENTS.forEach((name, k) => {
    const w = firstHit.get(k), wi = firstInSpec.get(k);
    if (w) witnesses.set(name, witness(w.state, w.sync, w.mask));
    if (wi) inSpec.set(name, wi === w ? witnesses.get(name)! : witness(wi.state, wi.sync, wi.mask));
  });
  return { states: set.count, terminals, deadlocks, boundHit, hits, witnesses, inSpec, bytes: set.bytes + parent.byteLength * 2 };
}
