/**
 * One configuration checked (docs/model.md#the-interleaving-checker): a policy, the initial page, the knobs and the
 * actors, any of them with alternatives; every interleaving of every alternative is
 * explored (src/checker/search.ts) and the verdicts are over their union. Also the
 * initial cache and the end-of-run sync every terminal state runs.
 */
import { METRIC } from "../model/metrics.js";
import { PageCache } from "../model/page-cache.js";
import type { Policy } from "../model/policy.js";
import { checkPolicy } from "../model/policy-check.js";
import { getPolicy } from "../policies/index.js";
import type { PolicyId } from "../model/policy-ids.js";
import { PAGE, makeActor, type Actor, type StepContext } from "./actors/index.js";
import { gupShape } from "./actors/gup-decision.js";
import type { CallerId } from "../model/callers.js";
import { pinDecision, policyFollowsPreset, presetPolicyId, runEnv, type RunEnv } from "../model/env.js";
import { InputError } from "../errors.js";
import { addToSwap, initAnonPage, mmSetHasPinned, swapWritepage } from "../model/anon.js";
import { expandChoices, expandKnobs, rootChoices, type Expansion } from "./choices.js";
import {
  DEFAULT_COVERAGE,
  type ActorDecl,
  type ActorSpec,
  type Coverage,
  type KnobChoices,
  type Knobs,
  type PageSpec,
} from "./spec.js";
import {
  search,
  type BitstateFacts,
  type Root,
  type SearchInput,
  type SearchOutput,
  type WitnessStep,
} from "./search.js";
import { parallelFrom, searchWithWorkers } from "./parallel.js";
import { checkSearchOptions, refuseIdleDest } from "./config-checks.js";
import { INCIDENTS, type IncidentName, type Judgement } from "./verdict.js";
import { pageState } from "./witness.js";
import { markDelalloc, writepageBugs } from "../model/page-paths.js";

export type { WitnessStep } from "./search.js";

/**
 * One configuration to check: a policy, the initial page, the knobs and the actors. A
 * page given as a list, a knob as a KnobChoices list, an actor as an ActorDecl with
 * several alternatives for an option: a choice the search explores.
 */
export interface CheckConfig {
  /**
   * A policy id, or a Policy object (tests plant bugs this way). Absent, with a kernel in
   * `coverage`: each GUP actor runs the policy its caller has in that release (as a
   * scenario without a `Policies:` line, and the engine under a preset without a policy).
   */
  policy?: PolicyId | Policy;
  /** The page's initial state, or a list of alternatives (a choice). */
  page: PageSpec | readonly PageSpec[];
  /** Reclaim guard, ext4 behaviour, stable writes (or their alternatives). */
  knobs: Knobs | KnobChoices;
  /** At most 8 (MAX_ACTORS). */
  actors: readonly (ActorSpec | ActorDecl)[];
  /** Kernel, mapping, backing, folio order. Default none, shared, ext4, 0. */
  coverage?: Coverage;
}

/** Options of {@link checkConfig}. */
export interface CheckOptions {
  /**
   * Stop after this many distinct states in all (an integer >= 1); verdicts that depend on
   * the rest become Unknown. Default 1000000. @throws InputError a value that is not
   */
  maxStates?: number;
  /** Partial-order reduction (persistent sets): the same verdicts from fewer states. Default true. */
  reduce?: boolean;
  /**
   * The transition cache (src/checker/stepper.ts MEMO_SLOTS): a step met before replayed,
   * not run again; the same states in the same order. Default true; off with `wrapActor`
   * (a wrapper sees every step).
   */
  memo?: boolean;
  /**
   * Bitstate mode (SPIN's -DBITSTATE, src/checker/bitstate.ts): a Bloom filter of 2^bitstate
   * bits (10..34) as the visited set; a Never then reads `Never (bitstate, probability of a
   * missed state P)`. Default: the exact state store.
   */
  bitstate?: number;
  /**
   * Worker threads of the search (1..64; default 1: the calling thread alone). With more,
   * the state store is partitioned by hash over that many workers, exchanging each
   * breadth-first level's successors (parallel.ts): the same verdicts, witnesses and state
   * counts as with one. A configuration the workers cannot rebuild (a Policy value rather
   * than an id, or `wrapActor`) is searched in the calling thread.
   * @throws InputError a count outside 1..64
   */
  workers?: number;
  /** @internal With workers, states searched in this thread first (parallel.ts parallelFrom; 0: the threads at once). */
  parallelFrom?: number;
  /**
   * @internal Wrap each actor before its search (default: none). A test's view of every
   * step: the step tables' soundness check, test/checker-steps.test.ts. The wrapper must
   * behave as the actor it wraps.
   */
  wrapActor?: (actor: Actor) => Actor;
}

/** What {@link checkConfig} found: verdicts over every interleaving, and a shortest witness of each incident that happens. */
export interface CheckResult {
  /** The policy checked (its id). */
  policy: string;
  /** Actor names and witness column headers, in scenario order. */
  actors: {
    /** Actor name (`P0`, …). */
    name: string;
    /** Column header of a witness: the name and what the actor does. */
    title: string;
  }[];
  /** Distinct states explored. */
  states: number;
  /** Distinct terminal states (every actor done), each judged after the final sync. */
  terminals: number;
  /**
   * States where no actor could move but some had not finished: a task sleeps forever (a
   * release run from an MMU notifier that locks the page its path holds, aa56a292ce62).
   * They are judged with the terminal states, without the end-of-run sync.
   */
  deadlocks: number;
  /** The search stopped at maxStates. */
  boundHit: boolean;
  /** Never / Sometimes / Always (over the end states: terminal and deadlocked) per incident, or Unknown when the bound was hit first. */
  verdicts: Record<IncidentName, Judgement>;
  /** Shortest witness of each incident that happens in some execution. */
  witnesses: Partial<Record<IncidentName, WitnessStep[]>>;
  /** For each witness, the alternatives it took (`Page=buffers`, `P1.sync=all,none`); empty without choices. */
  choices: Partial<Record<IncidentName, string[]>>;
  /**
   * Shortest witness of each incident among executions as the policy is specified (no
   * alternative departing from it: see departsFromSpec); a witness in `witnesses` but not
   * here needs a departure.
   */
  inSpec: Partial<Record<IncidentName, WitnessStep[]>>;
  /** Bytes of the largest state store (the search's own memory). */
  bytes: number;
  /** In bitstate mode: the filter, and the largest probability of a missed state over the searches. */
  bitstate?: BitstateFacts;
}

/**
 * Whether a concrete configuration departs from the policy as specified: the reclaim
 * guard set (by a knob or a kernel preset) otherwise than the policy's default, GUP-fast
 * without the pte recheck (a path no kernel has), or a GUP caller whose own release code
 * runs instead of the policy's (pinDecision's `departs`: i915 userptr's trylock, io_uring's
 * plain unpin, O_DIRECT's bio redirtying, a read pin).
 */
export function departsFromSpec(env: RunEnv, actors: readonly ActorSpec[]): boolean {
  return (
    (env.guardGiven && env.guard !== env.policy.reclaimGuardDefault) ||
    actors.some((a) => a.kind === "gup" && (a.path === "fast-no-recheck" || pinDecision(env, gupShape(a)).departs))
  );
}

/**
 * The environment of one search: the checker's knobs and coverage through the engine's
 * function (runEnv), so a scenario's `Kernel:` line, a `kernel=` variant and `pinsim run
 * --kernel` take the same values from the preset.
 */
export function checkerEnv(policy: Policy, knobs: Knobs, coverage: Coverage, policyPerCaller = false): RunEnv {
  return runEnv({
    kernel: coverage.kernel,
    backing: coverage.backing,
    mapping: coverage.mapping,
    folioOrder: coverage.folio,
    stableWrites: knobs.stable,
    reclaimGuard: knobs.guard,
    fsBehavior: knobs.fs,
    policy,
    policyPerCaller,
    without: coverage.without ?? [],
  });
}

/** A fresh one-page, one-file cache of `env` in the scenario's initial state, incident counters zero. */
export function initialCache(env: RunEnv, page: PageSpec): PageCache {
  const c = new PageCache({ files: 1, pagesPerFile: 1, bias: 1024, env });
  if (env.anonymous) return initialAnonCache(c, page);
  c.initPage(PAGE, page.shares, pageRefs(page));
  if (page.pteWritable) {
    // A CPU store after a write fault: writable dirty pte, PG_dirty, buffers.
    c.pageMkwrite(PAGE);
    c.cpuStore(PAGE);
  } else if (page.dirty) {
    // write(2): ->write_begin attached buffers, the copy, set_page_dirty.
    c.attachBuffers(PAGE);
    c.cpuStore(PAGE);
    c.setPageDirty(PAGE);
    markDelalloc(c, PAGE);
  } else if (page.buffers) c.attachBuffers(PAGE);
  if (page.unmapped) c.tryToUnmap(PAGE);
  c.counters.fill(0);
  return c;
}

/** The page's references besides its mappings: `refs`, and the lru_add batch's one (`batch`). */
const pageRefs = (page: PageSpec): number => (page.refs ?? 0) + (page.batch ? 1 : 0);

/**
 * The initial anonymous page (src/model/anon.ts initAnonPage): mapped by `shares`
 * processes, the owner first (exclusive and writable when alone), `refs` plain references;
 * `unmapped`: reclaim put it in the swap cache and unmapped it (written to swap, still
 * resident); `haspinned`: MMF_HAS_PINNED is set on the owner's mm.
 */
function initialAnonCache(c: PageCache, page: PageSpec): PageCache {
  initAnonPage(c, PAGE, page.shares, pageRefs(page));
  if (page.hasPinned) mmSetHasPinned(c, PAGE);
  if (page.unmapped) {
    addToSwap(c, PAGE);
    c.tryToUnmap(PAGE);
    swapWritepage(c, PAGE);
    c.endPageWriteback(PAGE);
  }
  c.counters.fill(0);
  return c;
}

/**
 * End of an execution: let the I/O in flight complete, then one sync(2) — a tagged
 * WB_SYNC_ALL pass writing the page at most once (PageCache.syncPage, the engine's own
 * end-of-run code); a resident, attached page whose memory differs from disk is lostData.
 * Every actor has finished, so no reference is held. Unlike the engine, the checker
 * judges what this sync meets (it stands for "later writeback": a bufferless dirty page
 * found here is Jan Kara's step 4). Returns what it did, for the witness.
 */
export function finalSync(c: PageCache): string {
  // Anonymous memory has no file to sync: what is in memory is the data.
  if (c.env.anonymous) {
    if (c.writeback(PAGE)) c.endPageWriteback(PAGE);
    return `end: anonymous memory, nothing to sync; mem v${c.mem(PAGE)}`;
  }
  let did = "clean";
  if (c.resident(PAGE) && c.attached(PAGE) && c.dirty(PAGE) && writepageBugs(c, PAGE)) {
    // ext4 before cc5095747edf (v5.18): page_buffers() BUG()s in mpage_prepare_extent_to_map
    // before anything is written; the kernel stops, the page's data never reaches disk.
    if (c.writeback(PAGE)) c.endPageWriteback(PAGE);
    c.count(METRIC.bufferlessWriteback);
    did = "BUG() in ->writepage (no buffers), nothing written";
  } else if (c.resident(PAGE) && c.attached(PAGE) && c.dirty(PAGE)) {
    const wrote = c.syncPage(PAGE);
    did = wrote
      ? `wrote v${c.disk(PAGE)}${c.dirty(PAGE) ? ", kept dirty" : ""}`
      : c.dirty(PAGE)
        ? "skipped"
        : "dropped (no buffers)";
  } else if (c.writeback(PAGE)) c.endPageWriteback(PAGE);
  let end = `mem v${c.mem(PAGE)}, disk v${c.disk(PAGE)}`;
  if (c.resident(PAGE) && c.attached(PAGE) && c.mem(PAGE) !== c.disk(PAGE)) {
    c.count(METRIC.lostData);
    end += ": lost";
  }
  return `sync: ${did}; ${end}`;
}

/**
 * The end of a deadlocked execution: some task sleeps forever (on PG_locked), so no sync
 * runs (it would sleep on the same lock) and nothing is judged lost. Returns its witness text.
 */
export function hang(c: PageCache): string {
  const why = c.locked(PAGE) ? "PG_locked is never released" : "a task sleeps forever";
  return `hung: ${why}; no sync; mem v${c.mem(PAGE)}, disk v${c.disk(PAGE)}`;
}

/**
 * Explore every interleaving of one configuration, over every alternative of its choices
 * (breadth-first over distinct states), judge each incident Never / Sometimes / Always over
 * the terminal states (after the final sync), and keep the shortest witness of each
 * incident that happens.
 *
 * @param config the policy (an id, or a {@link Policy} value of your own), the page's initial
 *   state, the knobs and the actors, as a scenario file's `Page:`, variant and `Actor` lines give them
 * @param options `maxStates` (default 1000000): past it the search stops and verdicts it could
 *   not settle are `Unknown`; `reduce` (default true): partial-order reduction
 * @throws {Error} an unknown policy id (listing the known ones)
 * @throws {RangeError} more than MAX_ACTORS (8) actors
 * @throws {InputError} a policy whose `reference` and `deviceMirror` disagree; `workers`,
 *   `maxStates` or `bitstate` not an integer in its range (1..64, >= 1, 10..34); a gup
 *   actor's `dest` other than ext4 without an O_DIRECT write (caller odirect, access read)
 * @example
 * ```ts
 * import { checkConfig } from "pinsim";
 * // GUP-slow+WB+dirty-at-gup: a pin with one device write against one writeback pass.
 * const config = {
 *   page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
 *   knobs: { guard: null, fs: "ext4-warn", stable: false },
 *   actors: [
 *     { kind: "gup", name: "P0", path: "slow", dma: 1, longterm: true },
 *     { kind: "flusher", name: "P1", passes: 1, syncAll: [false] },
 *   ],
 * } as const;
 * checkConfig({ ...config, policy: "dirty-at-gup" }).verdicts.lostData; // => "Sometimes"
 * checkConfig({ ...config, policy: "foll-pin" }).verdicts.lostData; // => "Never"
 * ```
 */
export function checkConfig(config: CheckConfig, options: CheckOptions = {}): CheckResult {
  return searchConfig(config, options, refuseIdleDest);
}

/** checkConfig, `check` run on the actors first; runScenario's checks its variants together (parseScenario). @internal */
export function searchConfig(
  config: CheckConfig,
  options: CheckOptions,
  check?: (d: ActorDecl[]) => void,
): CheckResult {
  const maxStates = options.maxStates ?? 1_000_000;
  const setup = resolveConfig(config);
  check?.(setup.decls);
  const total = new Totals();
  // One search per combination of the knobs (they never change during an execution);
  // the pages and the actors' alternatives are its roots.
  const workers = checkSearchOptions(options, maxStates);
  expandKnobs(setup.allKnobs).forEach((knobs, k) => {
    if (total.boundHit) return;
    const o = { ...options, maxStates: maxStates - total.states };
    const input = searchInput(setup, knobs, o);
    // The workers rebuild the search from the configuration: an id, not a Policy value.
    const portable = typeof config.policy !== "object" && options.wrapActor === undefined;
    const spec = {
      config,
      knobs: k,
      maxStates: o.maxStates,
      reduce: options.reduce,
      memo: options.memo,
      bitstate: options.bitstate,
    };
    total.add(
      workers > 1 && portable
        ? searchWithWorkers(input, spec, workers, parallelFrom(options.parallelFrom))
        : search(input),
    );
  });
  return total.result(setup);
}

/** A configuration with its policy resolved and its choices expanded (choices.ts). */
interface Setup extends Expansion {
  config: CheckConfig;
  policy: Policy;
  /** No policy was given (or the kernel's own): each GUP actor runs its caller's policy in the kernel's release. */
  policyPerCaller: boolean;
}

/**
 * Resolve the policy (an id, a value, or the kernel's for the first GUP actor's caller) and
 * expand the choices. Throws on an unknown policy, a missing policy without a kernel, or too
 * many actors.
 */
function resolveConfig(config: CheckConfig): Setup {
  const coverage = config.coverage ?? DEFAULT_COVERAGE;
  // A user's own policy object: every hook checked before the search (src/model/policy-check.ts).
  if (config.policy !== undefined && typeof config.policy !== "string") checkPolicy(config.policy, "policy");
  const expansion = expandChoices(config.page, config.knobs, config.actors);
  const gup = expansion.decls.find((d) => d.kind === "gup");
  const caller = (gup?.options.get("caller")?.[0] ?? "generic") as CallerId;
  if (config.policy === undefined && coverage.kernel === null)
    throw new InputError(
      "policy",
      undefined,
      "a policy id or a Policy value (or a kernel in coverage, whose policy each caller takes)",
    );
  const policyPerCaller = policyFollowsPreset(coverage.kernel, caller, config.policy);
  const given = config.policy ?? presetPolicyId(coverage.kernel!, caller);
  const policy = typeof given === "string" ? getPolicy(given) : given;
  return { config, policy, policyPerCaller, ...expansion };
}

/**
 * What a worker of the parallel search is given to rebuild one search (parallel-worker.ts):
 * the configuration (its policy an id), the index of the knobs' combination, the options.
 */
export interface SearchSpec {
  config: CheckConfig;
  knobs: number;
  maxStates: number;
  reduce?: boolean;
  memo?: boolean;
  bitstate?: number;
}

/** The search input of `spec`, as the calling thread built it (checkConfig). */
export function specInput(spec: SearchSpec): SearchInput {
  const setup = resolveConfig(spec.config);
  return searchInput(setup, expandKnobs(setup.allKnobs)[spec.knobs], spec);
}

/** One search over one combination of the knobs: its roots are the pages times the actors' alternatives. */
function searchInput(setup: Setup, knobs: Knobs, options: CheckOptions & { maxStates: number }): SearchInput {
  const { maxStates, bitstate } = options;
  const reduce = options.reduce ?? true,
    wrap = options.wrapActor ?? ((a: Actor) => a);
  const { config, policy, pages, decls } = setup;
  const env = checkerEnv(policy, knobs, config.coverage ?? DEFAULT_COVERAGE, setup.policyPerCaller);
  const initial = pages.map((p) => initialCache(env, p).saveState());
  const cache = initialCache(env, pages[0]);
  const actors = decls.map((d) => wrap(makeActor(d, policy)));
  const io = decls.findIndex((d) => d.kind === "io");
  const ioQueue = io < 0 ? -1 : actors.slice(0, io).reduce((n, a) => n + a.size, 0) + 1;
  const ctx: StepContext = { cache, policy, env, ioQueue };
  const roots: Root[] = [];
  pages.forEach((p, k) => {
    for (const specs of setup.expansions) {
      roots.push({
        choices: rootChoices(setup, p, knobs, specs),
        offSpec: departsFromSpec(env, specs),
        prepare: (c, r) => {
          c.loadState(initial[k]);
          let o = 0;
          actors.forEach((a, i) => (a.init(r, o, ctx, specs[i]), (o += a.size)));
        },
      });
    }
  });
  // btrfs: the footprints do not declare the COW fixup's private-data and Ordered-flag
  // writes (->writepage, end_page_writeback), so its searches run without the reduction.
  const reduceHere = reduce && env.privateData !== "cow-fixup";
  const memo = options.memo !== false && options.wrapActor === undefined;
  return { ctx, actors, roots, maxStates, reduce: reduceHere, memo, bitstate, finish: finalSync, hang, pageState };
}

/** A witness and the root choices it took. */
type Found = { steps: WitnessStep[]; choices: string[] };

/** The searches' tallies summed, and the shortest witness of each incident over all of them. */
class Totals {
  states = 0;
  terminals = 0;
  deadlocks = 0;
  boundHit = false;
  bytes = 0;
  bitstate?: BitstateFacts;
  readonly hits = INCIDENTS.map(() => 0);
  readonly best = new Map<IncidentName, Found>();
  readonly bestInSpec = new Map<IncidentName, Found>();

  /** Add one search's output. */
  add(out: SearchOutput): void {
    (this.states += out.states), (this.terminals += out.terminals), (this.deadlocks += out.deadlocks);
    this.bytes = Math.max(this.bytes, out.bytes);
    this.boundHit ||= out.boundHit;
    if (out.bitstate && !(this.bitstate && this.bitstate.missProbability >= out.bitstate.missProbability))
      this.bitstate = out.bitstate;
    out.hits.forEach((n, k) => (this.hits[k] += n));
    for (const [k, w] of out.witnesses) keepShorter(this.best, k, w);
    for (const [k, w] of out.inSpec) keepShorter(this.bestInSpec, k, w);
  }

  /** Each incident judged Never / Sometimes / Always over every terminal state (Unknown past the bound), with its witnesses. */
  result(setup: Setup): CheckResult {
    const { hits, boundHit } = this;
    const ends = this.terminals + this.deadlocks;
    const verdicts = {} as Record<IncidentName, Judgement>;
    const witnesses: Partial<Record<IncidentName, WitnessStep[]>> = {};
    const choices: Partial<Record<IncidentName, string[]>> = {};
    const inSpec: Partial<Record<IncidentName, WitnessStep[]>> = {};
    INCIDENTS.forEach((name, k) => {
      const n = hits[k];
      if (boundHit) verdicts[name] = n > 0 && n < ends ? "Sometimes" : "Unknown (bound hit)";
      else verdicts[name] = n === 0 ? this.never() : n === ends ? "Always" : "Sometimes";
      const w = this.best.get(name);
      if (w) (witnesses[name] = w.steps), (choices[name] = w.choices);
      const wi = this.bestInSpec.get(name);
      if (wi) inSpec[name] = wi.steps;
    });
    return {
      policy: setup.policy.id,
      actors: setup.decls.map((d) => ({ name: d.name, title: makeActor(d, setup.policy).title })),
      states: this.states,
      terminals: this.terminals,
      deadlocks: this.deadlocks,
      boundHit,
      verdicts,
      witnesses,
      choices,
      inSpec,
      bytes: this.bytes,
      ...(this.bitstate ? { bitstate: this.bitstate } : {}),
    };
  }

  /** "Never", or in bitstate mode "Never (bitstate, probability of a missed state P)", P to 2 significant digits. */
  private never(): Judgement {
    if (!this.bitstate) return "Never";
    return `Never (bitstate, probability of a missed state ${this.bitstate.missProbability.toPrecision(2)})`;
  }
}

/** Keep `w` as incident k's witness unless a shorter one is kept already (the first of equal length stays). */
function keepShorter(m: Map<IncidentName, Found>, k: IncidentName, w: Found): void {
  const b = m.get(k);
  if (!b || w.steps.length < b.steps.length) m.set(k, w);
}
