/**
 * The search of MODEL.md §7: every interleaving of the actors' steps, breadth-first,
 * states deduplicated by a canonical key (page state, the actors' registers, and which
 * incidents have happened so far). Each terminal state runs the final sync and is judged;
 * the first terminal state found with an incident is its shortest witness.
 */
import { M } from "../model/metrics.js";
import { PageCache, WRITE } from "../model/page-cache.js";
import type { Policy } from "../model/policy.js";
import { getPolicy } from "../policies/index.js";
import type { PolicyId } from "../policies/ids.js";
import { DONE, P, makeActor, type Actor, type StepContext } from "./actors.js";
import type { ActorSpec, Knobs, PageSpec } from "./scenario.js";
import { INCIDENTS, incidentMask, maskNames, type IncidentName, type Judgement } from "./verdict.js";

/** One configuration to check: a policy, the initial page, the knobs and the actors. */
export interface CheckConfig {
  /** A policy id, or a Policy object (tests plant bugs this way). */
  policy: PolicyId | Policy;
  page: PageSpec;
  knobs: Knobs;
  actors: ActorSpec[];
}

export interface CheckOptions {
  /** Stop after this many distinct states; verdicts that depend on the rest become Unknown. Default 200000. */
  maxStates?: number;
}

/** One numbered step of a witness. */
export interface WitnessStep {
  n: number;
  /** Actor name, or `sync` for the final sync. */
  actor: string;
  /** The kernel function the step stands for, and what it found. */
  step: string;
  /** Incidents this step made happen (first occurrence in this execution). */
  incidents: IncidentName[];
}

export interface CheckResult {
  policy: PolicyId;
  /** Actor names and witness column headers, in scenario order. */
  actors: { name: string; title: string }[];
  /** Distinct states explored. */
  states: number;
  /** Distinct terminal states (every actor done), each judged after the final sync. */
  terminals: number;
  /** States where no actor could move but some had not finished (a modelling error if non-zero). */
  deadlocks: number;
  /** The search stopped at maxStates. */
  boundHit: boolean;
  verdicts: Record<IncidentName, Judgement>;
  /** Shortest witness of each incident that happens in some execution. */
  witnesses: Partial<Record<IncidentName, WitnessStep[]>>;
}

/** Labels interned to small integers (witness reconstruction stores one per state). */
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

/** A fresh one-page, one-file cache in the scenario's initial state, incident counters zero. */
export function initialCache(policy: Policy, page: PageSpec, knobs: Knobs): PageCache {
  const c = new PageCache({ files: 1, pagesPerFile: 1, bias: 1024, fsBehavior: knobs.fs, policy });
  c.initPage(P, page.shares, 0);
  if (page.pteWritable) {
    // A CPU store after a write fault: writable dirty pte, PG_dirty, buffers.
    c.pageMkwrite(P);
    c.cpuStore(P);
  } else if (page.dirty) {
    // write(2): ->write_begin attached buffers, the copy, set_page_dirty.
    c.attachBuffers(P);
    c.cpuStore(P);
    c.setPageDirty(P);
  } else if (page.buffers) c.attachBuffers(P);
  if (page.unmapped) c.tryToUnmap(P);
  c.counters.fill(0);
  return c;
}

/**
 * End of an execution (MODEL.md §3 "End of run"): let the I/O in flight complete, then
 * sync (WB_SYNC_ALL through write_cache_pages) until the page is clean or a pass writes
 * nothing new; a resident, attached page whose memory differs from disk is lostData.
 * Every actor has finished, so no reference is held. Returns what it did, for the witness.
 */
export function finalSync(c: PageCache): string {
  const did: string[] = [];
  if (c.writeback[P]) c.endPageWriteback(P);
  for (let pass = 0; pass < 16 && c.resident[P] && c.attached[P] && c.dirty[P]; pass++) {
    const r = c.writeCachePage(P, true);
    if (r !== WRITE.STARTED) {
      did.push(c.dirty[P] ? "skipped" : "dropped (no buffers)");
      break;
    }
    const fresh = c.io[P] !== c.disk[P];
    c.endPageWriteback(P);
    did.push(`wrote v${c.disk[P]}`);
    if (!fresh) break;
  }
  let end = `mem v${c.mem[P]}, disk v${c.disk[P]}`;
  if (c.resident[P] && c.attached[P] && c.mem[P] !== c.disk[P]) {
    c.count(M.lostData);
    end += ": lost";
  }
  return `sync: ${did.length ? did.join(", ") : "clean"}; ${end}`;
}

/** Explore every interleaving of one configuration. */
export function checkConfig(config: CheckConfig, options: CheckOptions = {}): CheckResult {
  const maxStates = options.maxStates ?? 200_000;
  const policy = typeof config.policy === "string" ? getPolicy(config.policy) : config.policy;
  const cache = initialCache(policy, config.page, config.knobs);
  const ctx: StepContext = {
    cache, policy,
    guard: config.knobs.guard ?? policy.reclaimGuardDefault,
    stable: config.knobs.stable,
  };
  const actors: Actor[] = config.actors.map(makeActor);
  const offsets: number[] = [];
  let L = 0;
  for (const a of actors) {
    offsets.push(L);
    L += a.size;
  }
  const S = cache.saveState().length;
  const nCounters = cache.counters.length;

  // NOTE: flat, growable arrays for performance: state i is snap[i*S..], regs[i*L..].
  let cap = 1024;
  let snap = new Float64Array(cap * S);
  let regs = new Int32Array(cap * L);
  let parent = new Int32Array(cap);
  let via = new Int32Array(cap); // actor index << 16 | label id
  let masks = new Int32Array(cap);
  let count = 0;
  const seen = new Map<string, number>();
  const labels = new Labels();

  const keyOf = (s: Float64Array, r: Int32Array, mask: number): string =>
    // The counters' values are left out (only which incidents happened matters).
    `${s.subarray(0, S - nCounters).join(",")}|${r.join(",")}|${mask}`;

  const add = (s: Float64Array, r: Int32Array, from: number, actor: number, label: number): boolean => {
    const mask = incidentMask(cache.counters);
    const key = keyOf(s, r, mask);
    if (seen.has(key)) return true;
    if (count >= maxStates) return false;
    if (count === cap) {
      cap *= 2;
      const grow = <T extends Float64Array | Int32Array>(a: T, n: number): T => {
        const b = new (a.constructor as { new (n: number): T })(cap * n);
        b.set(a);
        return b;
      };
      snap = grow(snap, S);
      regs = grow(regs, L);
      parent = grow(parent, 1);
      via = grow(via, 1);
      masks = grow(masks, 1);
    }
    seen.set(key, count);
    snap.set(s, count * S);
    regs.set(r, count * L);
    parent[count] = from;
    via[count] = (actor << 16) | label;
    masks[count] = mask;
    count++;
    return true;
  };

  const r0 = new Int32Array(L);
  actors.forEach((a, i) => a.init(r0, offsets[i], ctx));
  add(cache.saveState(), r0, -1, 0, 0);

  let boundHit = false, terminals = 0, deadlocks = 0;
  const hits = new Int32Array(INCIDENTS.length);
  const witnessAt = new Map<number, { state: number; sync: string; mask: number }>();
  const r = new Int32Array(L);

  for (let i = 0; i < count && !boundHit; i++) {
    const here = snap.subarray(i * S, (i + 1) * S);
    const hereRegs = regs.subarray(i * L, (i + 1) * L);
    let moved = false, finished = true;
    for (let a = 0; a < actors.length; a++) {
      if (hereRegs[offsets[a]] === DONE) continue;
      finished = false;
      cache.loadState(here);
      r.set(hereRegs);
      const label = actors[a].step(ctx, r, offsets[a]);
      if (label === null) continue;
      moved = true;
      if (!add(cache.saveState(), r, i, a, labels.id(label))) {
        boundHit = true;
        break;
      }
    }
    if (moved || boundHit) continue;
    if (!finished) {
      deadlocks++;
      continue;
    }
    terminals++;
    cache.loadState(here);
    const sync = finalSync(cache);
    const mask = incidentMask(cache.counters);
    for (let k = 0; k < INCIDENTS.length; k++) {
      if (!(mask & (1 << k))) continue;
      hits[k]++;
      if (!witnessAt.has(k)) witnessAt.set(k, { state: i, sync, mask });
    }
  }

  const verdicts = {} as Record<IncidentName, Judgement>;
  const witnesses: Partial<Record<IncidentName, WitnessStep[]>> = {};
  INCIDENTS.forEach((name, k) => {
    const n = hits[k];
    if (boundHit) verdicts[name] = n > 0 && n < terminals ? "Sometimes" : "Unknown (bound hit)";
    else verdicts[name] = n === 0 ? "Never" : n === terminals ? "Always" : "Sometimes";
    const w = witnessAt.get(k);
    if (w) witnesses[name] = witness(w.state, w.sync, w.mask);
  });

  function witness(state: number, sync: string, finalMask: number): WitnessStep[] {
    const path: number[] = [];
    for (let s = state; s > 0; s = parent[s]) path.push(s);
    path.reverse();
    const steps: WitnessStep[] = path.map((s, j) => ({
      n: j + 1,
      actor: actors[via[s] >> 16].name,
      step: labels.names[via[s] & 0xffff],
      incidents: maskNames(masks[s] & ~masks[parent[s]]),
    }));
    steps.push({ n: steps.length + 1, actor: "sync", step: sync, incidents: maskNames(finalMask & ~masks[state]) });
    return steps;
  }

  return {
    policy: policy.id,
    actors: actors.map((a) => ({ name: a.name, title: a.title })),
    states: count,
    terminals,
    deadlocks,
    boundHit,
    verdicts,
    witnesses,
  };
}
