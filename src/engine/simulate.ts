/**
 * `simulate(params) → RunResult`: one run of the event-driven engine (src/engine/simulation.ts)
 * with its parameters resolved and its policy looked up.
 */
import { checkSimulateOptions } from "./options.js";
import type { CleanDelays } from "./clean-delays.js";
import type { RunResult } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import { ParamError, resolveParams, type Params, type ParamsInput } from "../model/params.js";
import type { Policy } from "../model/policy.js";
import { policyFollowsPreset, runEnv, type RunEnv } from "../model/env.js";
import { getPolicy } from "../policies/index.js";
import type { GroupResult } from "./groups.js";
import type { KernelRecord } from "../model/coverage-params.js";
import { Simulation } from "./simulation.js";
import type { TraceRow } from "./trace.js";

export { DMA_WRITE_EVENT, EVENT_NAMES } from "./events.js";
export type { TraceRow } from "./trace.js";

/** Options of one run besides its parameters. */
export interface SimulateOptions {
  /** Called after every event with the page cache and the time (property tests). */
  onEvent?: (pc: PageCache, now: number) => void;
  /** Record the state of these pages after every event that changes them. */
  tracePages?: number[];
  /**
   * Record clean delays (V1/V16): for every page, the seconds from its clean→dirty
   * transition to its first clean (clear_page_dirty_for_io), apart for pages dirtied in a
   * clean inode and in an already dirty one. Needs the flusher (writebackInterval > 0).
   * Default false.
   */
  traceClean?: boolean;
  /**
   * A policy object to run instead of `params.policy` (a user's own policy, e.g. written
   * in a notebook cell); `params.policy` then defaults to its id.
   */
  policy?: Policy;
}

/** A run's result, with the optional traces its options asked for. */
export interface RunResultWithTrace extends RunResult {
  /** Rows of the traced pages' states (tracePages). */
  trace?: TraceRow[];
  /** Clean-delay statistics (traceClean). */
  cleanDelays?: CleanDelays;
  /** Each pinner group's shape, GUP outcome and counts (one group for the flat parameters). */
  groups?: GroupResult[];
  /** The kernel preset's values and the parameters that overrode them; null without a preset. */
  kernel?: KernelRecord | null;
  /**
   * btrfs: device writes that landed under writeback, each a data checksum that no longer
   * matches what reaches disk (a read fails with a checksum error); null on other backings.
   */
  checksumFailures?: number | null;
}

/**
 * Run one simulation. The result is plain JSON data and byte-identical for the same
 * parameters (one seeded stream per actor, src/engine/random.ts).
 *
 * @param input the parameters (src/model/params.ts; every field has a default)
 * @param options traces to record, an event callback, or a policy value of your own
 * @throws {ParamError} a parameter out of range or of the wrong type, naming the field, the
 *   value and what is allowed (also traceClean without a flusher)
 * @throws {InputError} bad options (checkSimulateOptions, src/engine/options.ts: an unknown
 *   key, `onEvent` not a function, a policy missing a hook), or a policy whose `reference`
 *   and `deviceMirror` disagree
 *
 * @example
 * ```ts
 * import { simulate } from "pinsim";
 * const r = simulate({ policy: "dirty-at-gup", pinDuration: 45, duration: 600, seed: 1 });
 * r.metrics.writeToCleanPage; // device writes that landed in clean pages
 * r.rates.lostDataPerPin;     // { numerator, denominator, value }
 * // 64 pages, two pinners holding pages for 60 s, ten minutes, seed 1:
 * const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, seed: 1 };
 * simulate({ ...small, policy: "dirty-at-gup" }).metrics.lostData > 0; // => true (a flusher pass mid-pin cleans the page, the device writes into it, nothing redirties it)
 * simulate({ ...small, policy: "foll-pin" }).metrics.lostData; // => 0 (unpin_user_pages_dirty_lock redirties at release)
 * simulate({ ...small, policy: "dirty-at-gup" }).metrics.lostData === simulate({ ...small, policy: "dirty-at-gup" }).metrics.lostData; // => true (same seed, same run)
 * ```
 */
export function simulate(
  input: ParamsInput | Record<string, unknown> = {},
  options: SimulateOptions = {},
): RunResultWithTrace {
  checkSimulateOptions(options); // before anything runs: a policy missing a hook is one line
  let params: Params, policy: Policy;
  if (options.policy) {
    // A policy value of the user's own: checked before the run, never swapped for a
    // built-in one of the same id, and run by every group (policyFollowsPreset is false).
    policy = options.policy;
    const rest: Record<string, unknown> = { ...input };
    delete rest.policy;
    params = { ...resolveParams(rest), policy: policy.id };
  } else {
    params = resolveParams(input);
    policy = getPolicy(params.policy);
  }
  if (options.traceClean) checkTraceClean(params);
  const env = engineEnv(params, policy, options.policy !== undefined);
  params.reclaimGuard = env.guard;
  const sim = new Simulation(params, env, options);
  sim.run();
  return sim.result();
}

/**
 * The run's environment from resolved parameters (runEnv, src/model/env.ts): the one
 * function the checker's configurations go through too. Under a kernel preset each group
 * runs its own caller's policy in that release unless a policy was given: a policy value
 * (`ownPolicy`), or an id other than the flat caller's preset one (policyFollowsPreset).
 */
export function engineEnv(p: Params, policy: Policy, ownPolicy = false): RunEnv {
  const policyPerCaller = policyFollowsPreset(p.kernel, p.caller, ownPolicy ? policy : p.policy);
  // Params carry every EnvInput field under its own name (kernel, backing, mapping,
  // folioOrder, stableWrites, reclaimGuard, fsBehavior).
  return runEnv({ ...p, policy, policyPerCaller });
}

/** Clean delays mean something only if kupdate can clean a page within the run. */
function checkTraceClean(p: Params): void {
  if (p.writebackInterval === 0)
    throw new ParamError(
      "writebackInterval",
      0,
      "> 0 with traceClean: without the flusher no page is cleaned on a schedule",
    );
  if (p.duration <= p.dirtyExpire)
    throw new ParamError(
      "duration",
      p.duration,
      `> dirtyExpire (${p.dirtyExpire} s) with traceClean: no page can reach its first clean`,
    );
}
