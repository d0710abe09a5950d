/**
 * `sweep(config, options)`: run every point of a sweep on a pool of worker threads,
 * writing results point by point and resuming a directory that holds the same sweep.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { simulate } from "../engine/simulate.js";
import { abortSignalName, InputError, InterruptedError, WorkerDiedError } from "../errors.js";
import { budgetEnabled, checkWorkers, setBudget } from "../model/budget.js";
import type { Metrics } from "../model/metrics.js";
import { ResultsError } from "./errors.js";
import { buildManifest, makePlan, type SweepPlan } from "./plan.js";
import type { Shard } from "./shard.js";
import { ensureOutputDir } from "../out-dir.js";
import { writePoint } from "./journal.js";
import { lockDir, type DirLock } from "./lock.js";
import { tables, writeSnapshot } from "./snapshot.js";
import { prepareDir, removeStaleTemps, type DoneRows } from "./store.js";
import { readResultsDir } from "./validation.js";
import { runRow } from "./table.js";
import type { ResultsTable, Row, SweepConfig } from "./types.js";

/** Where a running sweep stands (passed to onProgress after every finished run). */
/** What `onProgress` receives after each finished run. */
export interface SweepProgress {
  /** The sweep's name. */
  name: string;
  /** Runs finished, including those of points resumed from disk. */
  runsDone: number;
  /** Runs of the whole shard (points × seeds). */
  runsTotal: number;
  /** Points whose runs are all finished, resumed ones included. */
  pointsDone: number;
  /** Points of the shard. */
  pointsTotal: number;
  /** Points found finished on disk and skipped. */
  pointsResumed: number;
  /** Wall time since this session's sweep() started, ms. */
  elapsedMs: number;
  /** Estimated time to finish from this session's rate; null before the first run. */
  etaMs: number | null;
}

/** Options of {@link sweep}: where results go, how many workers, which shard. */
export interface SweepOptions {
  /** Results directory; written point by point and resumed. Default: none (in memory). */
  out?: string | null;
  /** Worker threads. Default: the core count. 0 runs in the calling thread. */
  workers?: number;
  /** Replicates per point, overriding config.seeds (it is part of the config hash). */
  seeds?: number;
  /** Run only this slice of the grid. Default: the whole grid. */
  shard?: Shard | null;
  /** Called after each finished run (from the calling thread); default: none. */
  onProgress?: (p: SweepProgress) => void;
  /** Minimum time between snapshots of the contract files, ms. Default 1000. */
  snapshotIntervalMs?: number;
  /** Lines worth a user's attention (a bad journal record refused and rerun). Default: stderr. */
  onWarning?: (line: string) => void;
  /** Skip the magnitude budgets (src/model/budget.ts): `--no-budget`. Default false. */
  noBudget?: boolean;
  /**
   * Stop when this aborts (the CLI's SIGINT/SIGTERM): the runs in flight are dropped (the
   * pool's threads terminated), the points finished so far stay journalled and the snapshot
   * is written from them, the lock is released, and sweep() rejects with an
   * InterruptedError; rerunning the same sweep resumes. With `workers: 0` the stop comes
   * between two runs. Default: none.
   */
  signal?: AbortSignal;
}

/**
 * The worker entry piscina loads: src/sweep/pool-entry.cjs (plain CommonJS, see there),
 * which imports the compiled dist/sweep/worker.js. Works from dist/ and from src/ (tsx).
 */
export function workerFile(): string {
  const entry = new URL("../../src/sweep/pool-entry.cjs", import.meta.url);
  const worker = new URL("../../dist/sweep/worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(worker))) throw new ResultsError("dist/sweep/worker.js not found: run npm run build");
  if (!existsSync(fileURLToPath(entry)))
    throw new ResultsError("src/sweep/pool-entry.cjs not found: the package is incomplete");
  return fileURLToPath(entry);
}

/**
 * Run a sweep. Validates the whole grid first (ParamError), refuses a results directory
 * that holds another sweep or a corrupted file (ResultsError, nothing changed), skips the
 * points already finished there, and resolves to the table of every point of the shard.
 * Results are identical for any number of workers.
 *
 * @param config a {@link SweepConfig} (or its JSON, validated): base parameters, axes, seeds, root seed
 * @param options where to write (`out`), workers (default: the core count), shard, progress
 * @returns the runs (one row per point × seed) and the summary (one row per point, with intervals)
 * @throws {ParamError} a parameter of some point is invalid (nothing is run)
 * @throws {ResultsError} `out` holds another sweep, another version's results or a corrupted file
 * @example
 * ```ts
 * import { sweep } from "pinsim";
 * const table = await sweep(
 *   { name: "example", base: { duration: 300, files: 2, pagesPerFile: 8, pinners: 1 },
 *     axes: { policy: ["dirty-at-gup", "foll-pin"] }, seeds: 3, rootSeed: 1 },
 *   { workers: 0 }, // in the calling thread, in memory (no `out` directory)
 * );
 * table.runs.length; // => 6 (2 points × 3 seeds)
 * table.summary.map((row) => row.policy); // => ["dirty-at-gup", "foll-pin"]
 * table.summary[1].lostData_mean; // => 0 (foll-pin redirties the page at release)
 * ```
 */
export async function sweep(
  config: SweepConfig | Record<string, unknown>,
  options: SweepOptions = {},
): Promise<ResultsTable> {
  const before = budgetEnabled();
  if (options.noBudget) setBudget(false);
  try {
    return await sweepLocked(config, options);
  } finally {
    setBudget(before);
  }
}

async function sweepLocked(
  config: SweepConfig | Record<string, unknown>,
  options: SweepOptions,
): Promise<ResultsTable> {
  const input = options.seeds !== undefined ? { ...config, seeds: options.seeds } : config;
  const plan = makePlan(input, options.shard ?? null);
  const out = options.out ?? null;
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) throw new InputError("workers", workers, "an integer >= 0");
  checkWorkers(workers);
  const warn = options.onWarning ?? ((line: string) => process.stderr.write(`pinsim: ${line}\n`));

  let done: DoneRows = new Map();
  let lock: DirLock | null = null;
  if (out !== null) {
    ensureOutputDir(out, { probe: false }); // "", a file, /proc/x: one line (the lock's owner file proves it writable)
    readResultsDir(out, plan); // refuses another sweep, a foreign directory or a corrupted file before anything is written
    prepareDir(out);
    lock = lockDir(out, "sweep");
  }
  try {
    if (out !== null) {
      const state = readResultsDir(out, plan); // again, under the lock: what we resume from
      if (state) {
        done = state.done;
        for (const line of state.badRecords) warn(line);
        for (const line of state.lagging)
          warn(`${line} (a sweep killed mid-snapshot, or a truncated copy): rewritten from the journal`);
        rejournal(out, plan, state.unjournalled, done, warn);
      }
      removeStaleTemps(out);
      writeSnapshot(out, plan, done);
    }
    return await runPlan(plan, out, workers, done, lock, options);
  } finally {
    lock?.release();
  }
}

/**
 * Points whose journal records are gone (deleted by hand) but whose runs runs.jsonl holds,
 * checked: said in one line, and journalled again so that the journal is whole.
 */
function rejournal(
  out: string,
  plan: SweepPlan,
  indices: number[],
  done: DoneRows,
  warn: (line: string) => void,
): void {
  if (indices.length === 0) return;
  const keys = new Map(plan.points.map((p) => [p.index, p.key]));
  const shown =
    indices
      .slice(0, 3)
      .map((i) => keys.get(i))
      .join(", ") + (indices.length > 3 ? ", …" : "");
  warn(
    `${out}/.points: no journal record for ${indices.length} finished point${indices.length === 1 ? "" : "s"} (${shown}; deleted?): taken from runs.jsonl, whose rows check out, and journalled again`,
  );
  for (const i of indices) writePoint(out, i, keys.get(i)!, done.get(i)!);
}

async function runPlan(
  plan: SweepPlan,
  out: string | null,
  workers: number,
  done: DoneRows,
  lock: DirLock | null,
  options: SweepOptions,
): Promise<ResultsTable> {
  const pending = plan.points.filter((p) => !done.has(p.index));
  const runsTotal = plan.points.reduce((a, p) => a + plan.seeds.get(p.index)!.length, 0);
  const resumedRuns = runsTotal - pending.reduce((a, p) => a + plan.seeds.get(p.index)!.length, 0);
  const start = performance.now();
  let runsDone = resumedRuns;
  let lastSnapshot = start;
  let snapshotCost = 0;
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
  const finishPoint = (index: number, rows: Row[]): void => {
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
      writeSnapshot(out, plan, done);
      lastSnapshot = performance.now();
      snapshotCost = lastSnapshot - now;
    }
  };

  const ran = (): void => {
    runsDone++;
    progress();
  };
  const signal = options.signal ?? null;
  try {
    if (pending.length > 0) {
      if (workers === 0) await runInline(plan, pending, finishPoint, ran, signal);
      else await runPool(plan, pending, workers, finishPoint, ran, !budgetEnabled(), signal);
    }
  } catch (e) {
    if (!signal?.aborted) throw e;
    // Stopped: the snapshot of every point finished, then one line saying how to go on.
    if (out !== null) writeSnapshot(out, plan, done);
    const kept =
      out !== null
        ? `${done.size} of ${plan.points.length} points finished are kept in ${out}/ (${done.size - (plan.points.length - pending.length)} this session): rerun the same command to resume`
        : `${done.size} of ${plan.points.length} points finished`;
    throw new InterruptedError(abortSignalName(signal), `interrupted by ${abortSignalName(signal)}: ${kept}`);
  }
  if (out !== null) writeSnapshot(out, plan, done);
  progress();
  const t = tables(plan, done);
  return { dir: out, manifest: buildManifest(plan, new Set(done.keys())), runs: t.runs, summary: t.summary };
}

type Finish = (index: number, rows: Row[]) => void;

async function runInline(
  plan: SweepPlan,
  pending: SweepPlan["points"],
  finish: Finish,
  ran: () => void,
  signal: AbortSignal | null,
): Promise<void> {
  for (const p of pending) {
    const seeds = plan.seeds.get(p.index)!;
    const rows: Row[] = [];
    for (let r = 0; r < seeds.length; r++) {
      rows.push(runRow(p.axes, r, seeds[r]!, simulate({ ...p.params, seed: seeds[r]! }).metrics));
      ran();
      // Let timers and I/O (progress bars, signals) through between runs.
      await new Promise((res) => setImmediate(res));
      signal?.throwIfAborted();
    }
    finish(p.index, rows);
  }
}

/** Runs in flight per worker: one running, one queued so that a worker never waits on the main thread. */
export const TASKS_PER_WORKER = 2;

/**
 * Point-major scheduling with the pool kept full: runs are handed to piscina in grid order
 * (a point's replicates together), never more than TASKS_PER_WORKER × workers at a time, so
 * at any moment only the few points at the head of the queue are in flight and every point
 * is journalled the moment its last replicate ends. (Submitting every run at once, as pinsim
 * <= 0.1 did, let the pool interleave all points: most finished only near the very end.)
 */
async function runPool(
  plan: SweepPlan,
  pending: SweepPlan["points"],
  workers: number,
  finish: Finish,
  ran: () => void,
  noBudget: boolean,
  signal: AbortSignal | null,
): Promise<void> {
  const pool = new Piscina({ filename: workerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  const tasks = pending.flatMap((p) => plan.seeds.get(p.index)!.map((seed, r) => ({ p, r, seed })));
  const results = new Map<number, Metrics[]>();
  const left = new Map(pending.map((p) => [p.index, plan.seeds.get(p.index)!.length]));
  const window = Math.max(1, workers * TASKS_PER_WORKER);
  let onAbort = (): void => {};
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let inflight = 0;
      let failed: unknown = null;
      const pump = (): void => {
        while (failed === null && inflight < window && next < tasks.length) {
          const { p, r, seed } = tasks[next++]!;
          inflight++;
          pool.run({ params: { ...p.params, seed }, noBudget }).then(
            (m: Metrics) => {
              inflight--;
              try {
                if (failed === null) {
                  let got = results.get(p.index);
                  if (!got) results.set(p.index, (got = []));
                  got[r] = m;
                  ran();
                  const n = left.get(p.index)! - 1;
                  left.set(p.index, n);
                  if (n === 0) {
                    results.delete(p.index);
                    const seeds = plan.seeds.get(p.index)!;
                    finish(
                      p.index,
                      got.map((mm, rr) => runRow(p.axes, rr, seeds[rr]!, mm)),
                    );
                  }
                }
              } catch (e) {
                failed ??= e;
              }
              settle();
            },
            (e: unknown) => {
              inflight--;
              failed ??= workerError(e, p.key, r);
              settle();
            },
          );
        }
      };
      // A stop does not wait for the runs in flight: the pool's threads are terminated below.
      onAbort = (): void => {
        failed ??= signal!.reason;
        reject(failed);
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle = (): void => {
        if (failed !== null) {
          if (inflight === 0) reject(failed);
          return;
        }
        pump();
        if (inflight === 0 && next >= tasks.length) resolve();
      };
      settle();
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await pool.destroy();
  }
}

/** A worker that died (exit, out of memory, terminated) is one line; a bug in a run keeps its stack. */
function workerError(e: unknown, key: string, replicate: number): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (
    /^worker exited with code|Terminating worker thread/.test(msg) ||
    code === "ERR_WORKER_OUT_OF_MEMORY" ||
    code === "ERR_WORKER_INIT_FAILED"
  )
    return new WorkerDiedError(
      `a sweep worker died (${msg}) running point ${key} replicate ${replicate}; every finished point is on disk: rerun the same command to continue`,
    );
  return e;
}
