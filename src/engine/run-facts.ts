/**
 * What about an engine run decides which of its metrics are null: the RunFacts the metrics
 * table's null rules read (src/model/null-rules.ts), from the run's environment, its page
 * cache and its pinner groups; and the bounds its page cache's counts are sized by.
 */
import type { RunEnv } from "../model/env.js";
import type { RunFacts } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import type { Groups } from "./groups.js";
import { distributionRange, parseDistribution } from "../model/distributions.js";
import type { Params } from "../model/params.js";
import type { PageCacheSizes } from "../model/page-state.js";
import { anonSharesBound } from "./anon.js";

/**
 * The run's facts at its end (`crashed` is whether it stopped early).
 * @param env the run's environment (policy, guard, mirror, writesBack, lockWarning, anonymous)
 * @param pc its page cache (private data, crashedAt)
 * @param groups its pinner groups (an O_DIRECT write group: caller odirect without FOLL_WRITE)
 */
export function runFacts(env: RunEnv, pc: PageCache, groups: Groups): RunFacts {
  return {
    // fork (copy_present_pte) and the swap path consult the detector on anonymous memory.
    detector: env.policy.writebackConsultsDetector || env.guard || env.anonymous,
    guard: env.guard,
    keepsDirty: env.policy.keepsDirty,
    bounces: env.policy.bounces,
    mirror: env.mirror !== null,
    writesBack: env.writesBack,
    privateData: pc.privateData !== "none",
    crashed: pc.crashedAt >= 0,
    lockWarning: env.lockWarning,
    cowFixup: pc.privateData === "cow-fixup",
    anonymous: env.anonymous,
    dioWrites: hasDioWrites(groups),
  };
}

/** Whether a pinner group is an O_DIRECT write: caller odirect without FOLL_WRITE, its pages a bio's source. */
export function hasDioWrites(groups: Groups): boolean {
  return groups.profiles.some((p, i) => p.id === "odirect" && !groups.gup[i].flags.write);
}

/**
 * The bounds of the run's per-page counts (PageCacheSizes, src/model/state-bytes.ts
 * folioBytes mirrors them): the largest share count (unbounded with forks on backing anon:
 * anonSharesBound) and transient references, the GUP references one page can hold, a device
 * mirror's notifierSeq, an O_DIRECT write's sources.
 */
export function runSizes(env: RunEnv, p: Params, groups: Groups): PageCacheSizes {
  return {
    shares: anonSharesBound(env, p) ?? Math.ceil(distributionRange(parseDistribution(p.shareCount))[1]),
    transient: Math.ceil(distributionRange(parseDistribution(p.transientRefs))[1]),
    holds: groups.holds,
    notifier: env.mirror !== null,
    dioSources: hasDioWrites(groups),
  };
}
