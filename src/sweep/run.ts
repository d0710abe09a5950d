/**
 * `sweep(config, options)`: run every point of a sweep on a pool of worker threads,
 * writing results point by point and resuming a directory that holds the same sweep.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { simulate } from "../engine/simulate.js";
import type { Metrics } from "../model/metrics.js";
import { ResultsError } from "./errors.js";
import { buildManifest, makePlan, type SweepPlan } from "./plan.js";
import type { Shard } from "./shard.js";
import { prepareDir, readResultsDir, removeStaleTemps, tables, writePoint, writeSnapshot, type DoneRows } from "./store.js";
import { runRow } from "./table.js";
import type { ResultsTable, Row, SweepConfig } from "./types.js";

/** Where a running sweep stands (passed to onProgress after every finished run). */
export interface SweepProgress {
  name: string;
  /** Runs finished, including those of points resumed from disk. */
  runsDone: number;
  runsTotal: number;
  pointsDone: number;
  pointsTotal: number;
  /** Points found finished on disk and skipped. */
  pointsResumed: number;
  elapsedMs: number;
  /** Estimated time to finish from this session's rate; null before the first run. */
  etaMs: number | null;
}

export interface SweepOptions {
  /** Results directory; written point by point and resumed. Default: none (in memory). */
  out?: string | null;
  /** Worker threads. Default: the core count. 0 runs in the calling thread. */
  workers?: number;
  /** Replicates per point, overriding config.seeds (it is part of the config hash). */
  seeds?: number;
  /** Run only this slice of the grid. Default: the whole grid. */
  shard?: Shard | null;
  onProgress?: (p: SweepProgress) => void;
  /** Minimum time between snapshots of the contract files, ms. Default 1000. */
  snapshotIntervalMs?: number;
}

/**
 * The worker entry piscina loads: src/sweep/pool-entry.cjs (plain CommonJS, see there),
 * which imports the compiled dist/sweep/worker.js. Works from dist/ and from src/ (tsx).
 */
export function workerFile(): string {
  const entry = new URL("../../src/sweep/pool-entry.cjs", import.meta.url);
  const worker = new URL("../../dist/sweep/worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(worker))) throw new ResultsError("dist/sweep/worker.js not found: run npm run build");
  if (!existsSync(fileURLToPath(entry))) throw new ResultsError("src/sweep/pool-entry.cjs not found: the package is incomplete");
  return fileURLToPath(entry);
}

/**
 * Run a sweep. Validates the whole grid first (ParamError), refuses a results directory
 * that holds another sweep or a corrupted file (ResultsError, nothing changed), skips the
 * points already finished there, and resolves to the table of every point of the shard.
 * Results are identical for any number of workers.
 */
export async function sweep(config: SweepConfig | Record<string, unknown>, options: SweepOptions = {}): Promise<ResultsTable> {
  const input = options.seeds !== undefined ? { ...config, seeds: options.seeds } : config;
  const plan = makePlan(input, options.shard ?? null);
  const out = options.out ?? null;
  const workers = options.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) throw new ResultsError(`invalid workers: ${workers} (allowed: an integer >= 0)`);

  let done: DoneRows = new Map();
  if (out !== null) {
    const state = readResultsDir(out, plan); // validates before anything is written
    if (state) done = state.done;
    prepareDir(out);
    removeStaleTemps(out);
    writeSnapshot(out, plan, done);
  }
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
      name: plan.config.name, runsDone, runsTotal, pointsDone: done.size, pointsTotal: plan.points.length,
      pointsResumed: plan.points.length - pending.length, elapsedMs,
      etaMs: fresh > 0 ? (elapsedMs / fresh) * (runsTotal - runsDone) : runsTotal === runsDone ? 0 : null,
    });
  };
  progress();

  const finishPoint = (index: number, rows: Row[]): void => {
    done.set(index, rows);
    progress();
    if (out === null) return;
    writePoint(out, index, plan.points.find((p) => p.index === index)!.key, rows);
    const now = performance.now();
    // At most once a second, and never more than ~10 % of the time on big sweeps.
    if (now - lastSnapshot >= Math.max(options.snapshotIntervalMs ?? 1000, 10 * snapshotCost)) {
      writeSnapshot(out, plan, done);
      lastSnapshot = performance.now();
      snapshotCost = lastSnapshot - now;
    }
  };

  if (pending.length > 0) {
    if (workers === 0) await runInline(plan, pending, finishPoint, () => { runsDone++; progress(); });
    else await runPool(plan, pending, workers, finishPoint, () => { runsDone++; progress(); });
  }
  if (out !== null) writeSnapshot(out, plan, done);
  progress();
  const t = tables(plan, done);
  return { dir: out, manifest: buildManifest(plan, new Set(done.keys())), runs: t.runs, summary: t.summary };
}

type Finish = (index: number, rows: Row[]) => void;

async function runInline(plan: SweepPlan, pending: SweepPlan["points"], finish: Finish, ran: () => void): Promise<void> {
  for (const p of pending) {
    const seeds = plan.seeds.get(p.index)!;
    const rows: Row[] = [];
    for (let r = 0; r < seeds.length; r++) {
      rows.push(runRow(p.axes, r, seeds[r]!, simulate({ ...p.params, seed: seeds[r]! }).metrics));
      ran();
      // Let timers and I/O (progress bars, signals) through between runs.
      await new Promise((res) => setImmediate(res));
    }
    finish(p.index, rows);
  }
}

async function runPool(plan: SweepPlan, pending: SweepPlan["points"], workers: number, finish: Finish, ran: () => void): Promise<void> {
  const pool = new Piscina({ filename: workerFile(), minThreads: workers, maxThreads: workers, idleTimeout: 1000 });
  try {
    // One task per run, submitted in grid order; a point is finished when all its runs are.
    await Promise.all(
      pending.map(async (p) => {
        const seeds = plan.seeds.get(p.index)!;
        const metrics = await Promise.all(
          seeds.map(async (seed) => {
            const m = (await pool.run({ params: { ...p.params, seed } })) as Metrics;
            ran();
            return m;
          }),
        );
        finish(p.index, metrics.map((m, r) => runRow(p.axes, r, seeds[r]!, m)));
      }),
    );
  } finally {
    await pool.destroy();
  }
}
