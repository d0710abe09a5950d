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
  name: string;
  /** One line saying which question the sweep answers (shown by `pinsim report`). */
  question?: string;
  base?: ParamsInput;
  /** A list of values, or a range {from, to, steps, scale: "linear" | "log"}. */
  axes: Record<string, unknown[] | { from: number; to: number; steps: number; scale?: "linear" | "log" }>;
  /** Replicates (seeds) per point. */
  seeds: number;
  rootSeed: number;
}

export type Cell = number | string | boolean | null;
export type Row = Record<string, Cell>;

export interface PointStatus {
  /** Stable key of the point: its axis values, canonical JSON. */
  key: string;
  axes: Record<string, Cell>;
  status: "pending" | "done";
}

export interface Manifest {
  name: string;
  config: SweepConfig;
  /** sha256 of the canonical JSON of the config (seeds and root seed included). */
  configHash: string;
  rootSeed: number;
  prng: string;
  /** "pinsim X.Y.Z". */
  pinsim: string;
  git: string | null;
  node: string;
  /** Axis names in config order. */
  axes: string[];
  metrics: MetricName[];
  shard: { index: number; count: number } | null;
  points: PointStatus[];
}

/** What loadResults(dir) returns and sweep(config) resolves to. */
export interface ResultsTable {
  dir: string | null;
  manifest: Manifest;
  runs: Row[];
  summary: Row[];
}
