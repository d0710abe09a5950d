/**
 * The end of a run (docs/model.md#the-end-of-run-sync): once the pins are released, the I/O
 * in flight completes and one sync(2) runs: a tagged WB_SYNC_ALL pass that writes each dirty
 * page at most once (PageCache.syncPage). What the sync itself does is counted apart
 * (`finalSync`); the run's counters are left as they were, except the end-state measures
 * lostDataFinal (pages whose memory differs from disk afterwards, also added to lostData)
 * and finalDirtyPages (pages still dirty afterwards). And the result built from the run (runResult).
 */
import { kernelRecord } from "../model/coverage-params.js";
import type { RunEnv } from "../model/env.js";
import { METRIC, METRICS, metricsOf, runRates, type FinalSyncCounts } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import type { Params } from "../model/params.js";
import { PACKAGE_VERSION } from "../version.js";
import { cleanDelayStats } from "./clean-delays.js";
import { GROUP_METRIC, type Groups } from "./groups.js";
import { PRNG_NAME } from "./random.js";
import { runFacts } from "./run-facts.js";
import type { RunResultWithTrace } from "./simulate.js";
import type { PageTrace } from "./trace.js";

/**
 * end_page_writeback for every I/O in flight, then sync(2) over the whole cache (nothing
 * on a backing that does not write back: tmpfs, hugetlbfs), then requeue_inode for every
 * file. Leaves pc.counters as they were before and returns what the sync changed (non-zero
 * differences only; a maximum such as maxDirtyAgeWhilePinned is not a count and is left out).
 *
 * @param pc the page cache at the end of the run, every pin released, `now` the run's end
 * @param writesBack whether the backing writes back at all (BACKING_PROFILES[b].writesBack)
 * @param requeueInode the engine's requeue_inode for file f (clean if no dirty page is left)
 */
export function endOfRunSync(pc: PageCache, writesBack: boolean, requeueInode: (f: number) => void): FinalSyncCounts {
  for (let p = 0; p < pc.pages; p++) if (pc.writeback(p)) pc.endPageWriteback(p);
  const before = Float64Array.from(pc.counters);
  pc.recordingCleanDelays = false; // the sync's cleans are the run's end, not the flusher's delays
  // tmpfs, hugetlbfs: sync(2) writes nothing, and memory is the file's only copy.
  if (writesBack) for (let p = 0; p < pc.pages; p++) if (pc.dirty(p)) pc.syncPage(p);
  for (let f = 0; f < pc.files; f++) requeueInode(f);
  const sync: FinalSyncCounts = {};
  METRICS.forEach((m, i) => {
    const d = m.unit === "seconds" ? 0 : pc.counters[i] - before[i];
    if (d !== 0) sync[m.name] = d;
  });
  pc.counters.set(before);
  return sync;
}

/**
 * Count the end state after the sync: lostDataFinal (and lostData) for every resident,
 * attached page with mem != disk, each charged to the group whose device write last
 * modified it; finalDirtyPages for every such page still dirty. On a backing that does not
 * write back memory is the only copy: nothing is lost, and every dirty page counts as dirty.
 *
 * @param pc the page cache after endOfRunSync
 * @param groups the pinner groups (lastWriter, per-group lostData)
 * @param writesBack whether the backing writes back at all
 */
export function countEndState(pc: PageCache, groups: Groups, writesBack: boolean): void {
  let lost = 0,
    dirty = 0;
  for (let p = 0; p < pc.pages; p++) {
    if (!pc.resident(p) || !pc.attached(p)) continue;
    // tmpfs, hugetlbfs: a dirty folio stays dirty in the page cache (sync(2) skips it), and
    // counts here; memory is the only copy, so nothing is lost (lostDataFinal is null).
    if (pc.dirty(p)) dirty++;
    if (!writesBack) continue;
    if (pc.mem(p) !== pc.disk(p)) {
      lost++;
      groups.add(groups.lastWriter[p], GROUP_METRIC.lostData);
    }
  }
  pc.count(METRIC.lostDataFinal, lost);
  pc.count(METRIC.lostData, lost);
  pc.count(METRIC.finalDirtyPages, dirty);
}

/** What a run's result is built from (Simulation's state after run()). */
export interface RunEnd {
  pc: PageCache;
  env: RunEnv;
  groups: Groups;
  params: Params;
  /** Events handled. */
  events: number;
  /** What the end-of-run sync changed (endOfRunSync). */
  finalSync: FinalSyncCounts;
  /** The kupdate period, seconds (0: none). */
  period: number;
  trace?: PageTrace;
}

/** A finished run's result (Simulation.result): plain JSON data. */
export function runResult(e: RunEnd): RunResultWithTrace {
  const { pc, env, params } = e;
  const metrics = metricsOf(pc.counters, runFacts(env, pc, e.groups));
  const crashed = pc.crashedAt >= 0;
  // The crash's instant is PageCache.crashedAt, not a counter (a BUG() in the end-of-run
  // sync would be undone with the sync's counts): the metric is null unless it crashed.
  if (crashed) metrics.crashedAt = pc.crashedAt;
  const out: RunResultWithTrace = {
    pinsim: `pinsim ${PACKAGE_VERSION}`,
    prng: PRNG_NAME,
    params,
    events: e.events,
    metrics,
    rates: runRates(metrics),
    crashedAt: crashed ? pc.crashedAt : null,
    finalSync: crashed ? null : e.finalSync,
    groups: e.groups.results(),
    kernel: kernelRecord(params),
    checksumFailures: env.dataChecksums ? metrics.modifiedUnderWriteback : null,
  };
  if (pc.cleanDelays) out.cleanDelays = cleanDelayStats(pc.cleanDelays, params.dirtyExpire, e.period);
  // Device writes are traced at their own times when caught up: order rows by time (stable).
  if (e.trace) out.trace = e.trace.rows();
  return out;
}
