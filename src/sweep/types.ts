/**
 * The on-disk results contract shared by sweeps, stats, plots and notebooks.
 *
 * A results directory (default `data/results/<name>/`) holds:
 * - `manifest.json`: a Manifest (below).
 * - `runs.csv` and `runs.jsonl`: one row per run: the axis values (in config order),
 *   `replicate`, `seed`, then every metric of METRIC_NAMES (empty cell / null where the
 *   policy makes it meaningless).
 * - `summary.csv`: one row per point: the axis values, `runs`, then for every metric m:
 *   `m_mean`, `m_lo`, `m_hi` (mean across seeds with a 95 % t interval); for incidents also
 *   `m_any`, `m_any_lo`, `m_any_hi` (share of runs with m > 0, 95 % Wilson interval); for
 *   metrics with a denominator (MetricInfo.per) also `m_rate`, `m_rate_lo`, `m_rate_hi`
 *   (pooled sum(m) / sum(per) across seeds, 95 % Wilson interval). Empty cell = null.
 */
import type { MetricName } from "../model/metrics.js";
import type { ParamsInput } from "../model/params.js";

/** A sweep as users write it (JSON). Keys of `base` and `axes` are parameter names of docs/model.md#parameters. */
export interface SweepConfig {
  /** Name of the sweep; the default results directory is `data/results/<name>/`. */
  name: string;
  /** One line saying which question the sweep answers (shown by `pinsim report`). */
  question?: string;
  /** Parameters shared by every point (MODEL.md §6; defaults fill the rest). */
  base?: ParamsInput;
  /** A list of values, or a range {from, to, steps, scale: "linear" | "log"}. */
  axes: Record<
    string,
    | unknown[]
    | {
        /** First value of the range. */
        from: number;
        /** Last value of the range (included). */
        to: number;
        /** Number of values, ends included. */
        steps: number;
        /** Spacing of the values; default `linear`. */
        scale?: "linear" | "log";
      }
  >;
  /** Replicates (seeds) per point. */
  seeds: number;
  /** Root of every run's seed: a run's seed is sha256 of (rootSeed, point key, replicate), so adding an axis value leaves the other points' seeds alone. */
  rootSeed: number;
}

/** One cell of a results table: a number, a parameter's text or flag, or null (empty in the CSV). */
export type Cell = number | string | boolean | null;
/** One row of `runs` or `summary`, keyed by column name (see the module's header for the columns). */
export type Row = Record<string, Cell>;

/** A point of the grid in the manifest, and whether its runs are on disk. */
export interface PointStatus {
  /** Stable key of the point: its axis values, canonical JSON. */
  key: string;
  /** The point's value of each axis. */
  axes: Record<string, Cell>;
  /** `done` once the point's runs are written (a resumed sweep skips it). */
  status: "pending" | "done";
}

/** A point whose run kept failing (thrown, its worker died, over the run timeout): not journalled, retried by the next run. */
export interface FailedPoint {
  /** The point's key (its axis values, canonical JSON). */
  key: string;
  /** The replicate whose run failed last. */
  replicate: number;
  /** Attempts of that run (1 + the retries). */
  attempts: number;
  /** The last attempt's error, one line. */
  error: string;
}

/** `manifest.json` of a results directory: what was run, by which version, and how far it got. */
export interface Manifest {
  /** The sweep's name (SweepConfig.name). */
  name: string;
  /** The config as run. */
  config: SweepConfig;
  /** sha256 of the canonical JSON of the config (seeds and root seed included). */
  configHash: string;
  /** The config's root seed. */
  rootSeed: number;
  /** PRNG algorithm and library of every run (PRNG_NAME). */
  prng: string;
  /** "pinsim X.Y.Z". */
  pinsim: string;
  /** HEAD commit of the package's git checkout that ran it, or null outside a git checkout. */
  git: string | null;
  /** Node.js version that ran it. */
  node: string;
  /** Axis names in config order. */
  axes: string[];
  /** Metric columns of the runs, in METRIC_NAMES order. */
  metrics: MetricName[];
  /** The slice of the grid this directory holds (index of count), or null for the whole grid. */
  shard: {
    /** Which slice, 0 <= index < count. */
    index: number;
    /** Number of slices. */
    count: number;
  } | null;
  /** Every point of the shard, in grid order. */
  points: PointStatus[];
  /**
   * Points the last session recorded as failed (their status stays `pending`), in grid
   * order; absent when none failed. `pinsim sweep` then exits 3; a rerun retries them.
   */
  failed?: FailedPoint[];
}

/** What loadResults(dir) returns and sweep(config) resolves to. */
export interface ResultsTable {
  /** The results directory read or written, or null for a sweep held in memory. */
  dir: string | null;
  /** The directory's manifest. */
  manifest: Manifest;
  /** One row per run: axis values, `replicate`, `seed`, then every metric. */
  runs: Row[];
  /** One row per point: axis values, `runs`, then each metric's mean and intervals. */
  summary: Row[];
}
