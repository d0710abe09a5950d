/**
 * The four contract files of a results directory (manifest.json, runs.jsonl, runs.csv,
 * summary.csv): snapshots of the finished points in grid order, refreshed at most once a
 * second and at the end, the manifest first, so that at every instant a directory holding
 * any results file holds a manifest (a kill between two renames always leaves a resumable
 * directory). Read back, each must be exactly the rendering of the points it holds.
 */
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { canonicalJson } from "./hash.js";
import type { RowCheck } from "./journal.js";
import { buildManifest, type SweepPlan } from "./plan.js";
import { FILES, corrupted, readText, writeAtomic, type DoneRows } from "./store.js";
import { cellText, renderCsv, renderJsonl, runColumns, summaryColumns, summaryRow } from "./table.js";
import type { Cell, FailedPoint, Row } from "./types.js";

/** The manifest alone, listing the given points as done (every one of them is in the journal). */
export function writeManifest(dir: string, plan: SweepPlan, done: DoneRows, failed: FailedPoint[] = []): void {
  writeAtomic(dir, FILES.manifest, JSON.stringify(buildManifest(plan, new Set(done.keys()), failed), null, 2) + "\n");
}

/** The four contract files for the finished points, in grid order; the manifest first. */
export function writeSnapshot(dir: string, plan: SweepPlan, done: DoneRows, failed: FailedPoint[] = []): void {
  const runCols = runColumns(plan.axes);
  const sumCols = summaryColumns(plan.axes);
  let jsonl = "";
  let csv = renderCsv(runCols, []);
  let summary = renderCsv(sumCols, []);
  for (const p of plan.points) {
    const rows = done.get(p.index);
    if (!rows) continue;
    const t = pointText(plan, p.axes, rows);
    jsonl += t.jsonl;
    csv += t.csv;
    summary += t.summary;
  }
  // The manifest first: the journal already holds every point it lists as done, so it is
  // consistent with any mix of old and new snapshot files, and a directory never holds a
  // results file without a manifest (a kill right after the first rename stays resumable).
  writeAtomic(dir, FILES.manifest, JSON.stringify(buildManifest(plan, new Set(done.keys()), failed), null, 2) + "\n");
  writeAtomic(dir, FILES.runsJsonl, jsonl);
  writeAtomic(dir, FILES.runsCsv, csv);
  writeAtomic(dir, FILES.summary, summary);
}

// NOTE: for performance, a point's rows and text are computed once, not at every snapshot.
const summaries = new WeakMap<Row[], Row>();
const texts = new WeakMap<Row[], { jsonl: string; csv: string; summary: string }>();

/** A point's summary row, computed once per rows array. */
function pointSummary(axes: Record<string, Cell>, rows: Row[]): Row {
  let s = summaries.get(rows);
  if (!s) summaries.set(rows, (s = summaryRow(axes, rows)));
  return s;
}

/** A point's lines in runs.jsonl, runs.csv and summary.csv, computed once per rows array. */
function pointText(plan: SweepPlan, axes: Record<string, Cell>, rows: Row[]) {
  let t = texts.get(rows);
  if (!t) {
    const runCols = runColumns(plan.axes);
    const sumCols = summaryColumns(plan.axes);
    // A CSV body is the rendering minus its header line (same columns, same quoting).
    const body = (cols: string[], r: Row[]) => renderCsv(cols, r).slice(renderCsv(cols, []).length);
    t = {
      jsonl: renderJsonl(runCols, rows),
      csv: body(runCols, rows),
      summary: body(sumCols, [pointSummary(axes, rows)]),
    };
    texts.set(rows, t);
  }
  return t;
}

/** Rows of runs and summary for the finished points, in grid order. */
export function tables(plan: SweepPlan, done: DoneRows, only?: ReadonlySet<number>) {
  const runs: Row[] = [];
  const summary: Row[] = [];
  for (const p of plan.points) {
    const rows = done.get(p.index);
    if (!rows || (only && !only.has(p.index))) continue;
    runs.push(...rows);
    summary.push(pointSummary(p.axes, rows));
  }
  return { runColumns: runColumns(plan.axes), summaryColumns: summaryColumns(plan.axes), runs, summary };
}

/** What checking a snapshot file needs: the plan, its points, the rows found so far. */
export interface SnapshotCheck {
  /** The sweep. */
  plan: SweepPlan;
  /** Its points by grid index. */
  byIndex: ReadonlyMap<number, SweepPlan["points"][number]>;
  /** Its points by canonical axes key. */
  byKey: ReadonlyMap<string, SweepPlan["points"][number]>;
  /** The columns of runs.jsonl and runs.csv. */
  columns: string[];
  /** Finished points found so far (the journal's); runs.jsonl adds to it. */
  done: DoneRows;
  /** Points whose journal record was refused: rerun, so their snapshot rows are not taken. */
  badIndex: ReadonlySet<number>;
  /** Checks one point's rows against the plan. */
  checkRows: RowCheck;
}

/**
 * runs.jsonl: every complete point it holds must agree with the journal; its points are
 * added to `v.done`. Returns the points it holds (null: no such file).
 */
export function checkRunsJsonl(dir: string, v: SnapshotCheck): Set<number> | null {
  const jpath = join(dir, FILES.runsJsonl);
  const jtext = readText(jpath);
  if (jtext === null) return null;
  const groups = jsonlPoints(jpath, jtext, v);
  for (const [index, rows] of groups) {
    // A point whose journal record was refused is rerun: its snapshot rows are not taken.
    if (v.badIndex.has(index)) continue;
    v.checkRows(jpath, index, rows);
    const j = v.done.get(index);
    if (j && JSON.stringify(j) !== JSON.stringify(rows))
      throw corrupted(jpath, `point ${v.byIndex.get(index)!.key} differs from its journal record`);
    v.done.set(index, rows);
  }
  if (
    jtext !==
    renderJsonl(
      v.columns,
      [...groups.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, rows]) => rows),
    )
  )
    throw corrupted(jpath, "rows out of grid order or not in canonical form");
  return new Set(groups.keys());
}

/** runs.jsonl's rows grouped by grid index, in the order read; throws on a line that is no run of this sweep. */
function jsonlPoints(jpath: string, jtext: string, v: SnapshotCheck): Map<number, Row[]> {
  const groups = new Map<number, Row[]>();
  const lines = jtext.split("\n");
  if (lines.pop() !== "") throw corrupted(jpath, "does not end with a newline");
  lines.forEach((line, i) => {
    let r: Row;
    try {
      r = JSON.parse(line) as Row;
    } catch {
      throw corrupted(jpath, `line ${i + 1} is not valid JSON`);
    }
    if (r === null || typeof r !== "object" || Array.isArray(r))
      throw corrupted(jpath, `line ${i + 1} is not an object`);
    const axes: Record<string, Cell> = {};
    for (const a of v.plan.axes) axes[a] = r[a] as Cell;
    const p = v.byKey.get(canonicalJson(axes));
    if (!p) throw corrupted(jpath, `line ${i + 1} is not a point of this sweep`);
    const g = groups.get(p.index) ?? [];
    g.push(r);
    groups.set(p.index, g);
  });
  return groups;
}

/**
 * runs.csv or summary.csv (`name`, with columns `cols`) must be exactly the rendering of the
 * points it holds (`rowsOf`); every point it holds must have runs. Returns the points it
 * holds; absent: nothing to check (null).
 */
export function checkSnapshotCsv(
  dir: string,
  name: string,
  cols: string[],
  v: SnapshotCheck,
  rowsOf: (only: Set<number>) => Row[],
): Set<number> | null {
  const path = join(dir, name);
  const text = readText(path);
  if (text === null) return null;
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false }) as string[][];
  } catch (e) {
    throw corrupted(path, `not valid CSV: ${(e as Error).message.split("\n")[0]}`);
  }
  if (records.length === 0 || canonicalJson(records[0]) !== canonicalJson(cols))
    throw corrupted(path, "unexpected header");
  const { plan } = v;
  const textKey = (cells: string[]) => JSON.stringify(plan.axes.map((_, i) => cells[i]));
  const byText = new Map(plan.points.map((p) => [JSON.stringify(plan.axes.map((a) => cellText(p.axes[a]))), p.index]));
  const held = new Set<number>();
  for (const rec of records.slice(1)) {
    const index = byText.get(textKey(rec));
    if (index === undefined) throw corrupted(path, "a row is not a point of this sweep");
    if (v.badIndex.has(index)) continue;
    if (!v.done.has(index))
      throw corrupted(path, `point ${v.byIndex.get(index)!.key} has no runs in the journal or runs.jsonl`);
    held.add(index);
  }
  if (v.badIndex.size === 0 && text !== renderCsv(cols, rowsOf(held)))
    throw corrupted(path, "its rows do not match the runs");
  return held;
}
