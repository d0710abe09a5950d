/**
 * `sweep(config, options)`: run every point of a sweep on a pool of worker threads,
 * writing results point by point and resuming a directory that holds the same sweep.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { abortSignalName, InputError, InterruptedError } from "../errors.js";
import { budgetEnabled, checkWorkers, setBudget } from "../model/budget.js";
import { ResultsError } from "./errors.js";
import { buildManifest, makePlan, type SweepPlan } from "./plan.js";
import type { Shard } from "./shard.js";
import { ensureOutputDir } from "../out-dir.js";
import { writePoint } from "./journal.js";
import { lockDir, type DirLock } from "./lock.js";
import { tables, writeSnapshot } from "./snapshot.js";
import { prepareDir, removeStaleTemps, type DoneRows } from "./store.js";
import { readResultsDir } from "./validation.js";
import { runInline, runPool, type FailurePolicy } from "./pool.js";
import { sessionHooks } from "./session.js";
import type { FailedPoint, ResultsTable, SweepConfig } from "./types.js";

export { TASKS_PER_WORKER } from "./pool.js";

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
  /**
   * Retries of a run that throws, whose worker dies or that exceeds `runTimeoutMs`, before
   * its point is recorded as failed (manifest.json `failed`, with its error; not journalled,
   * so the next run of the sweep retries it) and the sweep goes on. Default 0.
   */
  retries?: number;
  /** Failed points after which no new run starts (the sweep ends incomplete). Default Infinity. */
  maxFailedPoints?: number;
  /** Wall milliseconds one run may take on the pool (its worker is terminated; not with `workers: 0`). Default null: no limit. */
  runTimeoutMs?: number | null;
  /** Called for each point recorded as failed (the CLI prints a line). Default: none. */
  onFailedPoint?: (f: FailedPoint) => void;
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
  const { hooks, progress, failed } = sessionHooks(plan, pending, { out, done, lock, options });
  const signal = options.signal ?? null;
  const policy = failurePolicy(options);
  try {
    if (pending.length > 0) {
      if (workers === 0) await runInline(plan, pending, hooks, policy, signal);
      else
        await runPool(plan, pending, hooks, policy, {
          filename: workerFile(),
          workers,
          noBudget: !budgetEnabled(),
          signal,
        });
    }
  } catch (e) {
    if (!signal?.aborted) throw e;
    // Stopped: the snapshot of every point finished, then one line saying how to go on.
    if (out !== null) writeSnapshot(out, plan, done, failed);
    const kept =
      out !== null
        ? `${done.size} of ${plan.points.length} points finished are kept in ${out}/ (${done.size - (plan.points.length - pending.length)} this session): rerun the same command to resume`
        : `${done.size} of ${plan.points.length} points finished`;
    throw new InterruptedError(abortSignalName(signal), `interrupted by ${abortSignalName(signal)}: ${kept}`);
  }
  if (out !== null) writeSnapshot(out, plan, done, failed);
  progress();
  const t = tables(plan, done);
  return { dir: out, manifest: buildManifest(plan, new Set(done.keys()), failed), runs: t.runs, summary: t.summary };
}

/** The longest run timeout, in milliseconds: 2^31 - 1 (a timer's range; 24.8 days). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The options' retries, failed-point limit and run timeout, checked. @throws InputError. */
function failurePolicy(o: SweepOptions): FailurePolicy {
  const retries = o.retries ?? 0;
  const maxFailedPoints = o.maxFailedPoints ?? Infinity;
  const runTimeoutMs = o.runTimeoutMs ?? null;
  if (!Number.isInteger(retries) || retries < 0) throw new InputError("retries", retries, "an integer >= 0");
  if (!(maxFailedPoints === Infinity || (Number.isInteger(maxFailedPoints) && maxFailedPoints >= 0)))
    throw new InputError("maxFailedPoints", maxFailedPoints, "an integer >= 0, or Infinity");
  // At most a timer's range: setTimeout and AbortSignal.timeout take a 32-bit signed count
  // of milliseconds (AbortSignal.timeout throws a RangeError beyond 2^32 - 1, setTimeout
  // fires at once beyond 2^31 - 1): 2^31 - 1 ms is 24.8 days.
  if (runTimeoutMs !== null && !(Number.isFinite(runTimeoutMs) && runTimeoutMs > 0 && runTimeoutMs <= MAX_TIMEOUT_MS))
    throw new InputError(
      "runTimeoutMs",
      runTimeoutMs,
      `a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, or null`,
    );
  if (runTimeoutMs !== null && o.workers === 0)
    throw new InputError(
      "runTimeoutMs",
      runTimeoutMs,
      "null with workers 0 (a run in the calling thread cannot be stopped)",
    );
  return { retries, maxFailedPoints, runTimeoutMs };
}
