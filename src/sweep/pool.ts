/**
 * Running a sweep's pending points: on a piscina pool (runPool) or in the calling thread
 * (runInline), one point failing at a time (issue 24, as Kubernetes' per-index retries and
 * Nextflow's resume): a run that throws, whose worker dies, or that runs longer than its
 * time budget is retried up to `retries` times; then its point is recorded as failed with
 * its error, its other runs dropped, and the sweep goes on with the others, up to
 * `maxFailedPoints` failed points (then no new run starts). A failed point is not
 * journalled: the next run of the same sweep retries it.
 */
import { Piscina } from "piscina";
import { simulate } from "../engine/simulate.js";
import { oneLine, WorkerDiedError } from "../errors.js";
import type { Metrics } from "../model/metrics.js";
import type { SweepPlan } from "./plan.js";
import { runRow } from "./table.js";
import type { FailedPoint, Row } from "./types.js";

/** Runs in flight per worker: one running, one queued so that a worker never waits on the main thread. */
export const TASKS_PER_WORKER = 2;

/** How a point's runs are retried and how many failed points a sweep tolerates. */
export interface FailurePolicy {
  /** Retries of a failing run before its point is recorded as failed. Default 0. */
  retries: number;
  /** Failed points after which no new run starts. Default Infinity. */
  maxFailedPoints: number;
  /** Wall milliseconds one run may take on the pool (its worker is then terminated); null: no limit. */
  runTimeoutMs: number | null;
}

/** What the runners report back: a finished point, a finished run, a failed point. */
export interface RunHooks {
  finish: (index: number, rows: Row[]) => void;
  ran: () => void;
  failed: (f: FailedPoint) => void;
}

/** A failed run's error as one line: a dead worker or a timeout in words, else the error's message. */
export function runError(e: unknown, timeoutMs: number | null): string {
  const msg = oneLine(e instanceof Error ? e.message : String(e));
  const name = (e as Error | null)?.name;
  if ((name === "AbortError" || name === "TimeoutError") && timeoutMs !== null)
    return `ran longer than the run timeout of ${timeoutMs / 1000} s (its worker was terminated)`;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (
    e instanceof WorkerDiedError ||
    /^worker exited with code|Terminating worker thread/.test(msg) ||
    code === "ERR_WORKER_OUT_OF_MEMORY" ||
    code === "ERR_WORKER_INIT_FAILED"
  )
    return `its worker died (${msg})`;
  return `${name && name !== "Error" ? `${name}: ` : ""}${msg}`;
}

/** Per-point bookkeeping shared by both runners. */
class Attempts {
  private readonly tries = new Map<string, number>();
  readonly failedPoints = new Set<number>();
  constructor(
    private readonly policy: FailurePolicy,
    private readonly hooks: RunHooks,
  ) {}
  /** Record a failure of run `r` of point `p`: true if it is to be retried. */
  failure(p: SweepPlan["points"][number], r: number, error: string): boolean {
    const k = `${p.index}/${r}`;
    const n = (this.tries.get(k) ?? 0) + 1;
    this.tries.set(k, n);
    if (n <= this.policy.retries) return true;
    this.failedPoints.add(p.index);
    this.hooks.failed({ key: p.key, replicate: r, attempts: n, error });
    return false;
  }
  /** Too many failed points: start no new run. */
  get halted(): boolean {
    return this.failedPoints.size > this.policy.maxFailedPoints;
  }
}

/** The pending points, one run after another in the calling thread (`workers: 0`; no timeout). */
export async function runInline(
  plan: SweepPlan,
  pending: SweepPlan["points"],
  hooks: RunHooks,
  policy: FailurePolicy,
  signal: AbortSignal | null,
): Promise<void> {
  const attempts = new Attempts(policy, hooks);
  for (const p of pending) {
    if (attempts.halted) return;
    const seeds = plan.seeds.get(p.index)!;
    const rows: Row[] = [];
    for (let r = 0; r < seeds.length && !attempts.failedPoints.has(p.index); r++) {
      try {
        rows.push(runRow(p.axes, r, seeds[r]!, simulate({ ...p.params, seed: seeds[r]! }).metrics));
        hooks.ran();
      } catch (e) {
        if (attempts.failure(p, r, runError(e, null))) r--; // the same run again
      }
      // Let timers and I/O (progress bars, signals) through between runs.
      await new Promise((res) => setImmediate(res));
      signal?.throwIfAborted();
    }
    if (!attempts.failedPoints.has(p.index)) hooks.finish(p.index, rows);
  }
}

interface Task {
  p: SweepPlan["points"][number];
  r: number;
  seed: number;
}

/**
 * Point-major scheduling with the pool kept full: runs are handed to piscina in grid order
 * (a point's replicates together), never more than TASKS_PER_WORKER × workers at a time, so
 * at any moment only the few points at the head of the queue are in flight and every point
 * is journalled the moment its last replicate ends. (Submitting every run at once, as pinsim
 * <= 0.1 did, let the pool interleave all points: most finished only near the very end.)
 * A retried run goes to the head of the queue. A stop (`signal`) does not wait for the runs
 * in flight: the pool's threads are terminated.
 */
export async function runPool(
  plan: SweepPlan,
  pending: SweepPlan["points"],
  hooks: RunHooks,
  policy: FailurePolicy,
  o: { filename: string; workers: number; noBudget: boolean; signal: AbortSignal | null },
): Promise<void> {
  const { workers, noBudget, signal } = o;
  const pool = new Piscina({ filename: o.filename, minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  const s = new PoolSchedule(plan, pending, hooks, policy, (t) => {
    const timeout = policy.runTimeoutMs === null ? undefined : AbortSignal.timeout(policy.runTimeoutMs);
    return pool.run({ params: { ...t.p.params, seed: t.seed }, noBudget }, { signal: timeout });
  });
  let onAbort = (): void => {};
  try {
    await new Promise<void>((resolve, reject) => {
      onAbort = () => reject(signal!.reason);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      s.start(Math.max(1, workers * TASKS_PER_WORKER), resolve, reject);
    });
  } finally {
    s.stopped = true;
    signal?.removeEventListener("abort", onAbort);
    await pool.destroy();
  }
}

/** The queue, the runs in flight and each point's results, for runPool. */
class PoolSchedule {
  private readonly queue: Task[];
  private readonly results = new Map<number, Metrics[]>();
  private readonly left: Map<number, number>;
  private readonly attempts: Attempts;
  private inflight = 0;
  /** Set once runPool is done (stopped or finished): late answers are dropped. */
  stopped = false;
  private bug: unknown = null;

  constructor(
    private readonly plan: SweepPlan,
    pending: SweepPlan["points"],
    private readonly hooks: RunHooks,
    private readonly policy: FailurePolicy,
    private readonly submit: (t: Task) => Promise<Metrics>,
  ) {
    this.queue = pending.flatMap((p) => plan.seeds.get(p.index)!.map((seed, r) => ({ p, r, seed })));
    this.left = new Map(pending.map((p) => [p.index, plan.seeds.get(p.index)!.length]));
    this.attempts = new Attempts(policy, hooks);
  }

  start(window: number, resolve: () => void, reject: (e: unknown) => void): void {
    const settle = (): void => {
      if (this.stopped) return;
      if (this.bug !== null) {
        if (this.inflight === 0) reject(this.bug);
        return;
      }
      while (this.inflight < window && this.queue.length > 0 && !this.attempts.halted) this.launch(settle);
      if (this.inflight === 0 && (this.queue.length === 0 || this.attempts.halted)) resolve();
    };
    settle();
  }

  private launch(settle: () => void): void {
    const t = this.queue.shift()!;
    if (this.attempts.failedPoints.has(t.p.index)) return; // its point failed meanwhile
    this.inflight++;
    this.submit(t).then(
      (m) => {
        this.inflight--;
        if (!this.stopped) this.done(t, m);
        settle();
      },
      (e: unknown) => {
        this.inflight--;
        if (!this.stopped && !this.attempts.failedPoints.has(t.p.index)) {
          if (this.attempts.failure(t.p, t.r, runError(e, this.policy.runTimeoutMs))) this.queue.unshift(t);
          else this.results.delete(t.p.index);
        }
        settle();
      },
    );
  }

  /** A run's metrics: the point is finished (journalled by hooks.finish) when its last run is in. */
  private done(t: Task, m: Metrics): void {
    if (this.attempts.failedPoints.has(t.p.index)) return;
    try {
      let got = this.results.get(t.p.index);
      if (!got) this.results.set(t.p.index, (got = []));
      got[t.r] = m;
      this.hooks.ran();
      const n = this.left.get(t.p.index)! - 1;
      this.left.set(t.p.index, n);
      if (n > 0) return;
      this.results.delete(t.p.index);
      const seeds = this.plan.seeds.get(t.p.index)!;
      this.hooks.finish(
        t.p.index,
        got.map((mm, rr) => runRow(t.p.axes, rr, seeds[rr]!, mm)),
      );
    } catch (e) {
      this.bug ??= e; // writing the journal failed (ENOSPC, a lost lock): the sweep stops
    }
  }
}
