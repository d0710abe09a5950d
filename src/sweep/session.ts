/**
 * One session of a sweep (src/sweep/run.ts): its progress reports, the journal and
 * snapshot writes as points finish, and the points recorded as failed.
 */
import type { DirLock } from "./lock.js";
import { writePoint } from "./journal.js";
import type { SweepPlan } from "./plan.js";
import type { RunHooks } from "./pool.js";
import type { SweepOptions } from "./run.js";
import { writeSnapshot } from "./snapshot.js";
import type { DoneRows } from "./store.js";
import type { FailedPoint, Row } from "./types.js";

/** Where the session writes and what it reports to. */
export interface SessionTarget {
  out: string | null;
  done: DoneRows;
  lock: DirLock | null;
  options: SweepOptions;
}

/**
 * The runners' hooks for this session: a finished point is journalled (then counted, then
 * snapshotted at most once a second), a run counted, a failed point kept; and `progress`,
 * which reports to `options.onProgress` (once at once, as the first report).
 */
export function sessionHooks(
  plan: SweepPlan,
  pending: SweepPlan["points"],
  { out, done, lock, options }: SessionTarget,
): { hooks: RunHooks; progress: () => void; failed: FailedPoint[] } {
  const runsOf = (ps: SweepPlan["points"]) => ps.reduce((a, p) => a + plan.seeds.get(p.index)!.length, 0);
  const runsTotal = runsOf(plan.points);
  const resumedRuns = runsTotal - runsOf(pending);
  const start = performance.now();
  let runsDone = resumedRuns;
  let lastSnapshot = start;
  let snapshotCost = 0;
  const failed: FailedPoint[] = [];
  const progress = (): void => {
    if (!options.onProgress) return;
    const elapsedMs = performance.now() - start;
    const fresh = runsDone - resumedRuns;
    options.onProgress({
      name: plan.config.name,
      runsDone,
      runsTotal,
      pointsDone: done.size,
      pointsTotal: plan.points.length,
      pointsResumed: plan.points.length - pending.length,
      elapsedMs,
      etaMs: fresh > 0 ? (elapsedMs / fresh) * (runsTotal - runsDone) : runsTotal === runsDone ? 0 : null,
    });
  };
  progress();
  const keyOf = new Map(plan.points.map((p) => [p.index, p.key]));
  const finish = (index: number, rows: Row[]): void => {
    if (out !== null) {
      lock?.check();
      // Journalled the moment its last replicate ends, before the progress line counts it.
      writePoint(out, index, keyOf.get(index)!, rows);
    }
    done.set(index, rows);
    progress();
    if (out === null) return;
    const now = performance.now();
    // At most once a second, and never more than ~10 % of the time on big sweeps.
    if (now - lastSnapshot >= Math.max(options.snapshotIntervalMs ?? 1000, 10 * snapshotCost)) {
      writeSnapshot(out, plan, done, failed);
      lastSnapshot = performance.now();
      snapshotCost = lastSnapshot - now;
    }
  };
  const ran = (): void => {
    runsDone++;
    progress();
  };
  const onFailed = (f: FailedPoint): void => {
    failed.push(f);
    options.onFailedPoint?.(f);
  };
  return { hooks: { finish, ran, failed: onFailed }, progress, failed };
}
