/**
 * `pinsim sweep CONFIG.json|PRESET [--out DIR] [--workers N] [--seeds N] [--shard I/N] [--no-budget]
 *  [--retries N] [--max-failed-points N] [--run-timeout S]`: exit 0 complete, 3 when points failed
 * `pinsim merge DIR… [--out DIR]`
 * Bad input reaches the CLI's one catch (src/cli/index.ts): one line, exit 2.
 */
import { availableParallelism } from "node:os";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { ParamError } from "../../model/params.js";
import { parseIntegerFlag, parsePositiveFlag } from "../../numbers.js";
import { EXIT } from "../errors.js";
import {
  formatShard,
  mergeResults,
  readSweepConfig,
  shardFromEnv,
  parseShard,
  presetNames,
  sweep,
  type Shard,
  type SweepProgress,
} from "../../sweep/index.js";
import { MAX_TIMEOUT_MS } from "../../sweep/run.js";
import { InputError } from "../../errors.js";
import { stopOnSignals } from "../stop.js";

/** A commander parser for an integer flag >= min: decimal only, one line naming the text (an InputError). */
function positiveInt(name: string, min: number) {
  return (text: string): number => parseIntegerFlag(name, text, min);
}

function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "?";
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

/** Plain progress lines at most this often (ms); PINSIM_PROGRESS_MS=0 prints one per run (the kill tests read them). */
const PROGRESS_MS = Number(process.env.PINSIM_PROGRESS_MS ?? 5000) || 0;

/** A bar with ETA on a terminal, a line every few seconds otherwise (logs, CI, Slurm). */
function progressReporter(label: string): { update: (p: SweepProgress) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} runs | {points} | ETA {eta_formatted}`,
        stream: process.stderr,
        etaBuffer: 200,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        const points = `${p.pointsDone}/${p.pointsTotal} points${p.pointsResumed ? ` (${p.pointsResumed} resumed)` : ""}`;
        if (!started) {
          bar.start(p.runsTotal, p.runsDone, { points });
          started = true;
        } else bar.update(p.runsDone, { points });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  let last = -Infinity;
  return {
    update: (p) => {
      const now = Date.now();
      const final = p.runsDone === p.runsTotal && p.pointsDone === p.pointsTotal;
      if (last === Infinity || (!final && now - last < PROGRESS_MS)) return;
      last = final ? Infinity : now;
      const pct = p.runsTotal ? Math.floor((100 * p.runsDone) / p.runsTotal) : 100;
      process.stderr.write(
        `${label}: ${p.runsDone}/${p.runsTotal} runs (${pct}%), ${p.pointsDone}/${p.pointsTotal} points` +
          `${p.pointsResumed ? `, ${p.pointsResumed} resumed` : ""}, ${formatMs(p.elapsedMs)} elapsed, ETA ${formatMs(p.etaMs)}\n`,
      );
    },
    stop: () => {},
  };
}

/** `pinsim sweep`'s flags as commander gives them. */
interface SweepFlags {
  out?: string;
  workers?: number;
  seeds?: number;
  shard?: string;
  shardCount?: number;
  quiet?: boolean;
  budget: boolean;
  retries?: number;
  maxFailedPoints?: number;
  runTimeout?: string;
}

/** The shard to run: `--shard`, else the batch system's environment; `--shard-count` must agree with `--shard`'s N. */
function shardOf(opts: SweepFlags): Shard | null {
  const shard = opts.shard !== undefined ? parseShard(opts.shard) : shardFromEnv(process.env, opts.shardCount);
  if (opts.shard !== undefined && opts.shardCount !== undefined && shard!.count !== opts.shardCount)
    throw new ParamError("shard-count", opts.shardCount, `the N of --shard ${opts.shard}, or no --shard-count`);
  return shard;
}

/** The config's name, checked as a results folder name: 1-100 of [A-Za-z0-9._-], starting with a letter or digit. */
function sweepName(config: { name?: unknown }): string {
  const name = typeof config.name === "string" ? config.name : "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name))
    throw new ParamError(
      "name",
      config.name,
      "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
    );
  return name;
}

/** `pinsim sweep CONFIG`: run (or resume) the sweep with progress on stderr, then one line on stdout. */
async function sweepAction(arg: string, opts: SweepFlags, state: { code: number }): Promise<void> {
  const config = readSweepConfig(arg);
  const shard = shardOf(opts);
  const name = sweepName(config);
  const out = opts.out ?? `data/results/${name}${shard ? `-shard-${shard.index + 1}-of-${shard.count}` : ""}`;
  const workers = opts.workers ?? availableParallelism();
  const label = `sweep ${name}${shard ? ` shard ${formatShard(shard)}` : ""}`;
  const reporter = opts.quiet ? null : progressReporter(label);
  const t0 = performance.now();
  // SIGINT/SIGTERM stop the sweep (src/cli/stop.ts): finished points kept, exit 130/143.
  const signal = stopOnSignals();
  let resumed: number | null = null;
  const onProgress = (p: SweepProgress): void => {
    resumed ??= p.runsDone; // the first report counts only the runs found on disk
    reporter?.update(p);
  };
  const failures = failureFlags(opts);
  let table: Awaited<ReturnType<typeof sweep>>;
  try {
    table = await sweep(config, {
      out,
      workers,
      seeds: opts.seeds,
      shard,
      onProgress,
      noBudget: !opts.budget,
      signal,
      ...failures,
      onFailedPoint: (f) =>
        process.stderr.write(
          `pinsim: point ${f.key} failed (replicate ${f.replicate}, ${f.attempts} attempt${f.attempts === 1 ? "" : "s"}): ${f.error}\n`,
        ),
    });
  } finally {
    reporter?.stop();
  }
  const failed = table.manifest.failed ?? [];
  process.stdout.write(
    `${label}: ${table.summary.length} points, ${ranLine(table.runs.length, resumed ?? 0, performance.now() - t0, out)} with ${workers} worker${workers === 1 ? "" : "s"} -> ${out}/\n`,
  );
  if (failed.length > 0) {
    // Exit 3: incomplete. The failed points are in manifest.json; a rerun retries them.
    const left = table.manifest.points.filter((p) => p.status !== "done").length;
    process.stderr.write(
      `pinsim: sweep incomplete: ${failed.length} point${failed.length === 1 ? "" : "s"} failed${left > failed.length ? ` and ${left - failed.length} not run (more than --max-failed-points ${failures.maxFailedPoints} failed)` : ""}, listed in ${out}/manifest.json; rerun the same command to retry ${left === 1 ? "it" : "them"}\n`,
    );
    state.code = EXIT.INCOMPLETE;
  } else state.code = 0;
}

/** --retries, --max-failed-points and --run-timeout as sweep() options. */
function failureFlags(opts: SweepFlags): { retries: number; maxFailedPoints: number; runTimeoutMs: number | null } {
  return {
    retries: opts.retries ?? 0,
    maxFailedPoints: opts.maxFailedPoints ?? Infinity,
    runTimeoutMs: opts.runTimeout === undefined ? null : runTimeoutFlag(opts),
  };
}

/** --run-timeout in milliseconds: positive, within a timer's range, and only on the pool. @throws InputError. */
function runTimeoutFlag(opts: SweepFlags): number {
  const most = Math.floor(MAX_TIMEOUT_MS / 1000);
  const allowed = `a positive number of seconds up to ${most} (24.8 days)`;
  const s = parsePositiveFlag("--run-timeout", opts.runTimeout!, allowed);
  if (s > most) throw new InputError("--run-timeout", opts.runTimeout, allowed);
  if (opts.workers === 0)
    throw new InputError(
      "--run-timeout",
      opts.runTimeout,
      "only with --workers 1 or more (a run in the calling thread cannot be stopped)",
    );
  return Math.round(s * 1000);
}

/** `36 runs in 10.9 s`, or for a resumed sweep `36 runs (12 run now in 3.5 s, 24 resumed from DIR/)`. */
function ranLine(runs: number, resumed: number, ms: number, out: string): string {
  const seconds = `${(ms / 1000).toFixed(1)} s`;
  return resumed > 0
    ? `${runs} runs (${runs - resumed} run now in ${seconds}, ${resumed} resumed from ${out}/)`
    : `${runs} runs in ${seconds}`;
}

/** Register `pinsim sweep` and `pinsim merge`; the exit code goes to `state.code`. */
export function registerSweep(program: Command, state: { code: number }): void {
  program
    .command("sweep")
    .description("run a sweep (a config file or a preset of data/sweeps/) into a results directory; rerun to resume")
    .argument("<config>", `CONFIG.json, or a preset name: ${presetNames().join(", ")}`)
    .option("--out <dir>", "results directory (default data/results/<name>/, or data/results/<name>-shard-I-of-N/)")
    .option(
      "--workers <n>",
      "worker threads (default: the core count; 0 runs in the main thread)",
      positiveInt("--workers", 0),
    )
    .option("--seeds <n>", "replicates per point (overrides the config's seeds)", positiveInt("--seeds", 1))
    .option(
      "--shard <i/n>",
      "run shard I of N, counted from 1 (1/3, 2/3, 3/3); default from SLURM_ARRAY_TASK_ID/MIN/STEP/COUNT or JOB_COMPLETION_INDEX",
    )
    .option(
      "--shard-count <n>",
      "number of shards with Kubernetes JOB_COMPLETION_INDEX (the Job's completions)",
      positiveInt("--shard-count", 1),
    )
    .option("--quiet", "no progress output")
    .option("--no-budget", "run even beyond the magnitude budgets (events per run, runs per sweep, workers per core)")
    .option(
      "--retries <n>",
      "retry a run that throws, loses its worker or exceeds --run-timeout N times before its point fails (default 0)",
      positiveInt("--retries", 0),
    )
    .option(
      "--max-failed-points <n>",
      "start no new run once more than N points failed (default: no limit)",
      positiveInt("--max-failed-points", 0),
    )
    .option("--run-timeout <seconds>", "wall seconds one run may take on the pool before it fails (default: no limit)")
    .action((arg: string, opts: SweepFlags) => sweepAction(arg, opts, state));

  program
    .command("merge")
    .description("combine the shard directories of one sweep into one results directory")
    .argument("<dirs...>", "shard results directories")
    .option(
      "--out <dir>",
      "merged results directory (default: the sweep's name beside the first shard, e.g. data/results/lost-data)",
    )
    .action((dirs: string[], opts: { out?: string }) => {
      {
        const table = mergeResults(dirs, opts.out);
        process.stdout.write(
          `merged ${dirs.length} shard${dirs.length === 1 ? "" : "s"}: ${table.summary.length} points, ${table.runs.length} runs -> ${table.dir}/\n`,
        );
        state.code = 0;
      }
    });
}
