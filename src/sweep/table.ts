/**
 * The rows and columns of runs.csv / runs.jsonl / summary.csv (see types.ts), and their
 * text. Rendering is a pure function of the rows, so equal results give equal bytes.
 */
import { stringify } from "csv-stringify/sync";
import { METRICS, METRIC_NAMES, type Metrics } from "../model/metrics.js";
import { meanConfidenceInterval } from "../stats/mean-confidence-interval.js";
import { wilsonInterval } from "../stats/wilson-interval.js";
import type { Cell, Row } from "./types.js";

/** runs.csv columns: the axes (config order), replicate, seed, every metric. */
export function runColumns(axes: readonly string[]): string[] {
  return [...axes, "replicate", "seed", ...METRIC_NAMES];
}

/** summary.csv columns: the axes, runs, then per metric mean/lo/hi, any (incidents), rate (with a denominator). */
export function summaryColumns(axes: readonly string[]): string[] {
  const out = [...axes, "runs"];
  for (const m of METRICS) {
    out.push(`${m.name}_mean`, `${m.name}_lo`, `${m.name}_hi`);
    if (m.group === "incident") out.push(`${m.name}_any`, `${m.name}_any_lo`, `${m.name}_any_hi`);
    if (m.per) out.push(`${m.name}_rate`, `${m.name}_rate_lo`, `${m.name}_rate_hi`);
  }
  return out;
}

/** One run's row. */
export function runRow(axes: Record<string, Cell>, replicate: number, seed: number, metrics: Metrics): Row {
  const row: Row = { ...axes, replicate, seed };
  for (const m of METRIC_NAMES) row[m] = metrics[m];
  return row;
}

/**
 * One point's summary row across its replicates: a 95 % t interval for every mean, a
 * 95 % Wilson interval for the share of runs with an incident and for pooled rates.
 */
export function summaryRow(axes: Record<string, Cell>, runs: readonly Row[]): Row {
  const row: Row = { ...axes, runs: runs.length };
  for (const m of METRICS) {
    const values = runs.map((r) => r[m.name]).filter((v): v is number => typeof v === "number");
    const ci = values.length > 0 ? meanConfidenceInterval(values) : { mean: null, lo: null, hi: null };
    row[`${m.name}_mean`] = ci.mean;
    row[`${m.name}_lo`] = ci.lo;
    row[`${m.name}_hi`] = ci.hi;
    if (m.group === "incident") {
      // A null that means "did not happen" (crashedAt) counts as a run without the incident.
      const n = m.nullIs === "absent" ? runs.length : values.length;
      const hits = values.filter((v) => v > 0).length;
      const [lo, hi] = n > 0 ? wilsonInterval(hits, n) : [null, null];
      row[`${m.name}_any`] = n > 0 ? hits / n : null;
      row[`${m.name}_any_lo`] = lo;
      row[`${m.name}_any_hi`] = hi;
    }
    if (m.per) {
      let num = 0;
      let den = 0;
      for (const r of runs) {
        const x = r[m.name];
        const n = r[m.per];
        if (typeof x === "number" && typeof n === "number") {
          num += x;
          den += n;
        }
      }
      const ok = den > 0 && Number.isInteger(num) && Number.isInteger(den) && num <= den;
      const [lo, hi] = ok ? wilsonInterval(num, den) : [null, null];
      row[`${m.name}_rate`] = den > 0 ? num / den : null;
      row[`${m.name}_rate_lo`] = lo;
      row[`${m.name}_rate_hi`] = hi;
    }
  }
  return row;
}

/** A cell as CSV text: empty for null, shortest round-trip text for numbers. */
export function cellText(v: Cell | undefined): string {
  if (v === null || v === undefined) return "";
  return String(v);
}

/** CSV text with a header line; "\n" line ends. */
export function renderCsv(columns: readonly string[], rows: readonly Row[]): string {
  const records = [columns as string[], ...rows.map((r) => columns.map((c) => cellText(r[c])))];
  return stringify(records, { record_delimiter: "\n" });
}

/** JSON Lines: one row per line, keys in column order. */
export function renderJsonl(columns: readonly string[], rows: readonly Row[]): string {
  let out = "";
  for (const r of rows) {
    const o: Row = {};
    for (const c of columns) o[c] = r[c] ?? null;
    out += JSON.stringify(o) + "\n";
  }
  return out;
}
