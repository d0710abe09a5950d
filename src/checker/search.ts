/**
 * The search of docs/model.md#the-interleaving-checker over packed states: breadth-first from one or more roots
 * (the alternatives of a scenario's choices), states deduplicated in a StateSet. Every
 * terminal state runs the end-of-run sync and is judged; the first terminal state found
 * with an incident is its shortest witness.
 */
import type { PageCache } from "../model/page-cache.js";
import { DONE, type Actor, type StepContext } from "./actors.js";
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
}

export interface SearchInput {
  ctx: StepContext;
  actors: Actor[];
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
  /** Bytes of the state store at the end. */
  bytes: number;
}

/** Labels interned to small integers (one per new state). */
class Labels {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.names.length;
      this.ids.set(s, i);
      this.names.push(s);
    }
    return i;
  }
}

/** Explore every interleaving from the roots. */
export function search(input: SearchInput): SearchOutput {
  const { ctx, actors, roots } = input;
  const cache = ctx.cache;
  checkCodecCovers(cache);
  const offsets: number[] = [];
  let nRegs = 0;
  for (const a of actors) offsets.push(nRegs), (nRegs += a.size);
  const W = PAGE_WORDS + regWords(nRegs);
  const set = new StateSet(W);
  const buf = new Int32Array(W);
  const regs = new Int32Array(nRegs), r = new Int32Array(nRegs);
  let parent = new Int32Array(1024), via = new Int32Array(1024);
  const labels = new Labels();

  /** Encode the cache and `r` into buf. */
  const pack = (): void => {
    if (encodePage(cache, incidentMask(cache.counters), buf, 0) | encodeRegs(r, buf, PAGE_WORDS)) {
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
    pack();
    const idx = set.add(buf);
    if (idx >= 0) record(idx, -1, k);
  });

  let boundHit = false, terminals = 0, deadlocks = 0;
  const hits = INCIDENTS.map(() => 0);
  const firstHit = new Map<number, { state: number; sync: string; mask: number }>();

  for (let i = 0; i < set.count && !boundHit; i++) {
    const o = i * W;
    decodePage(cache, set.data, o);
    decodeRegs(set.data, o + PAGE_WORDS, regs);
    let moved = false, finished = true, dirty = false;
    for (let a = 0; a < actors.length; a++) {
      if (regs[offsets[a]] === DONE) continue;
      finished = false;
      if (dirty) decodePage(cache, set.data, o), (dirty = false);
      r.set(regs);
      const label = actors[a].step(ctx, r, offsets[a]);
      if (label === null) continue; // blocked: nothing changed
      moved = dirty = true;
      pack();
      if (set.count >= input.maxStates) {
        if (set.find(buf) >= 0) continue;
        boundHit = true;
        break;
      }
      const idx = set.add(buf);
      if (idx >= 0) record(idx, i, (a << 16) | labels.id(label));
    }
    if (moved || boundHit) continue;
    if (!finished) {
      deadlocks++;
      continue;
    }
    terminals++;
    const sync = input.finish(cache);
    const mask = incidentMask(cache.counters);
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      hits[k]++;
      if (!firstHit.has(k)) firstHit.set(k, { state: i, sync, mask });
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
        step: labels.names[via[p] & 0xffff],
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
  INCIDENTS.forEach((name, k) => {
    const w = firstHit.get(k);
    if (w) witnesses.set(name, witness(w.state, w.sync, w.mask));
  });
  return { states: set.count, terminals, deadlocks, boundHit, hits, witnesses, bytes: set.bytes + parent.byteLength * 2 };
}
