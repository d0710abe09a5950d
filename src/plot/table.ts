/**
 * Reading a ResultsTable (src/sweep/types.ts) for figures: what a figure needs, the one-line
 * error when it is missing, cell coercion, slicing away the axes a figure does not show,
 * and the provenance line every artifact carries.
 */
import { failedText } from "../sweep/failed.js";
import { InputError } from "../errors.js";
import { DEFAULT_PARAMS } from "../model/params.js";
import { expandAxis } from "../sweep/grid.js";
import type { Cell, Manifest, ResultsTable, Row } from "../sweep/types.js";

/** Bad input for a figure: the message is one line naming what is missing. */
export class PlotInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "PlotInputError";
  }
}

/** What a figure needs from a results table. */
export interface FigureNeeds {
  /** Sweep axes that must be present (manifest.axes). */
  axes: string[];
  /** Of these axes, some values must be numbers (a position axis); the others are left out. */
  numericAxes?: string[];
  /** summary.csv columns that must be present. */
  summary: string[];
  /** runs.csv columns that must be present. */
  runs?: string[];
}

/** Why `table` cannot make `figure`, as one line, or null when it can. */
export function missingFor(figure: string, table: ResultsTable, needs: FigureNeeds): string | null {
  const axes = table.manifest.axes ?? [];
  const noAxes = needs.axes.filter((a) => !axes.includes(a));
  if (noAxes.length) {
    return `figure ${figure} needs sweep ${plural("axis", "axes", noAxes.length)} ${noAxes.join(", ")}; the results have ${axes.length ? axes.join(", ") : "no axes"}`;
  }
  if (table.summary.length === 0) return `figure ${figure} needs summary rows; summary.csv is empty`;
  const cols = new Set(Object.keys(table.summary[0]));
  const noCols = needs.summary.filter((c) => !cols.has(c));
  if (noCols.length)
    return `figure ${figure} needs summary.csv ${plural("column", "columns", noCols.length)} ${noCols.join(", ")}`;
  if (needs.runs?.length) {
    const rc = new Set(Object.keys(table.runs[0] ?? {}));
    const noRuns = needs.runs.filter((c) => !rc.has(c));
    if (noRuns.length)
      return `figure ${figure} needs runs.csv ${plural("column", "columns", noRuns.length)} ${noRuns.join(", ")}`;
  }
  for (const a of needs.numericAxes ?? []) {
    // Non-numeric values (a distribution such as "zipf:1.1:4096") are left out of the figure.
    if (!table.summary.some((r) => num(r[a]) !== null)) {
      return `figure ${figure} needs numeric values on axis ${a}; it has only ${distinct(table.summary, a)
        .map((v) => JSON.stringify(v))
        .join(", ")}`;
    }
  }
  return null;
}

/** Throw PlotInputError unless `table` has what `figure` needs. */
export function requireNeeds(figure: string, table: ResultsTable, needs: FigureNeeds): void {
  const why = missingFor(figure, table, needs);
  if (why) throw new PlotInputError(why);
}

/** A cell as a finite number, or null (empty cell, text, NaN). */
export function num(c: Cell | undefined): number | null {
  if (c === null || c === undefined || c === "") return null;
  const v = typeof c === "number" ? c : typeof c === "boolean" ? Number(c) : Number(c);
  return Number.isFinite(v) ? v : null;
}

/** Distinct values of a column, in first-seen order. */
export function distinct(rows: Row[], col: string): Cell[] {
  const seen = new Map<string, Cell>();
  for (const r of rows) {
    const v = r[col] ?? null;
    const k = JSON.stringify(v);
    if (!seen.has(k)) seen.set(k, v);
  }
  return [...seen.values()];
}

/** A parameter's value for the whole sweep: config.base, else the model's default. */
export function baseParam(table: ResultsTable, name: string): unknown {
  const base = (table.manifest.config?.base ?? {}) as Record<string, unknown>;
  if (name in base) return base[name];
  return (DEFAULT_PARAMS as unknown as Record<string, unknown>)[name];
}

/**
 * Keep the rows where every axis not in `shown` sits at one value: `at[axis]` if given,
 * else the base (or default) parameter when the sweep has it, else the axis's first value.
 * Returns the rows and the values it fixed (for the caption).
 */
export function slice(
  table: ResultsTable,
  shown: string[],
  at: Record<string, Cell> = {},
): { rows: Row[]; fixed: Record<string, Cell> } {
  const fixed: Record<string, Cell> = {};
  let rows = table.summary;
  for (const axis of table.manifest.axes) {
    if (shown.includes(axis)) continue;
    const values = distinct(rows, axis);
    if (values.length <= 1) continue;
    let pick: Cell | undefined = at[axis];
    if (pick === undefined) {
      const b = baseParam(table, axis);
      pick = values.find((v) => sameCell(v, b as Cell)) ?? nearest(values, num(b as Cell)) ?? values[0];
    } else if (!values.some((v) => sameCell(v, pick as Cell))) {
      throw new PlotInputError(
        `axis ${axis} has no value ${JSON.stringify(pick)}; it has ${values.map((v) => JSON.stringify(v)).join(", ")}`,
      );
    }
    fixed[axis] = pick;
    rows = rows.filter((r) => sameCell(r[axis] ?? null, pick as Cell));
  }
  return { rows, fixed };
}

/** The numeric value closest to `target` on a log scale (sweeps space times geometrically). */
function nearest(values: Cell[], target: number | null): Cell | undefined {
  if (target === null || target <= 0) return undefined;
  let best: Cell | undefined,
    dist = Infinity;
  for (const v of values) {
    const x = num(v);
    if (x === null || x <= 0) continue;
    const d = Math.abs(Math.log(x / target));
    if (d < dist) [best, dist] = [v, d];
  }
  return best;
}

function sameCell(a: Cell, b: Cell): boolean {
  if (a === b) return true;
  const x = num(a),
    y = num(b);
  return x !== null && y !== null && x === y;
}

/** "writebackInterval=5, bias=1024" for captions; "" when nothing was fixed. */
export function describeFixed(fixed: Record<string, Cell>): string {
  return Object.entries(fixed)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** "shareCount zipf:1.1:4096 not shown (not a number)" for the values a position axis cannot place. */
export function describeDropped(table: ResultsTable, axis: string): string {
  const bad = distinct(table.summary, axis).filter((v) => num(v) === null);
  return bad.length ? `${axis} ${bad.join(", ")} not shown (not a number)` : "";
}

/**
 * How much of its sweep a results table holds: `done` finished points, of `total` points in
 * the config's whole grid (every shard's). `partial` when they differ: one shard of a
 * sharded sweep, or a sweep stopped (or still running) before its last point.
 */
export function completeness(m: Manifest): { done: number; total: number; partial: boolean } {
  const done = (m.points ?? []).filter((p) => p.status === "done").length;
  let total = (m.points ?? []).length;
  try {
    // The grid is the product of the axes (src/sweep/grid.ts expandGrid, without its per-point checks).
    if (m.config?.axes) total = Object.values(m.config.axes).reduce((n, a) => n * expandAxis(a).length, 1);
  } catch {
    // an axis the grid refuses was never run: keep the manifest's own count
  }
  return { done, total, partial: done < total || (m.shard !== null && m.shard !== undefined && m.shard.count > 1) };
}

/** "PARTIAL: 12 of 150 points, …" for a partial table (see completeness), "" for a whole sweep. */
export function partialNote(m: Manifest): string {
  const c = completeness(m);
  if (!c.partial) return "";
  const why = m.shard ? `shard ${m.shard.index + 1}/${m.shard.count} only` : "the sweep did not finish";
  // Points whose runs kept failing are named, with their errors (manifest.json `failed`).
  return `PARTIAL: ${c.done} of ${c.total} points, ${why}${m.failed?.length ? `; ${failedText(m.failed)}` : ""}`;
}

/**
 * The values each axis of the config takes (every value swept, finished or not), in config
 * order; an axis the config does not list (an old manifest) falls back to the values found.
 */
export function sweptValues(table: ResultsTable, axis: string): Cell[] {
  const a = table.manifest.config?.axes?.[axis];
  if (a !== undefined) {
    try {
      return expandAxis(a);
    } catch {
      // fall through
    }
  }
  return distinct(table.summary, axis);
}

/** The provenance every artifact carries: version, config hash, seeds; PARTIAL when the table is not the whole sweep. */
export function provenance(m: Manifest): string {
  const seeds = m.config?.seeds;
  const hash = (m.configHash ?? "").replace(/^sha256:/, "").slice(0, 12);
  const parts = [m.pinsim, `sweep ${m.name}`, `config ${hash || "?"}`, `root seed ${m.rootSeed}`];
  if (seeds !== undefined) parts.push(`${seeds} ${seeds === 1 ? "seed" : "seeds"}/point`);
  if (m.git) parts.push(`git ${m.git.slice(0, 10)}`);
  // A single shard or an unfinished sweep (plotted with --partial) says so in every caption.
  const note = partialNote(m);
  if (note) parts.push(note);
  return parts.join(" · ");
}

/** Mean per run of a metric at a summary row, with its interval (nulls where absent). */
export function meanOf(r: Row, metric: string): { v: number | null; lo: number | null; hi: number | null } {
  return { v: num(r[`${metric}_mean`]), lo: num(r[`${metric}_lo`]), hi: num(r[`${metric}_hi`]) };
}

/** Pooled rate of a metric at a summary row, with its Wilson interval. */
export function rateOf(r: Row, metric: string): { v: number | null; lo: number | null; hi: number | null } {
  return { v: num(r[`${metric}_rate`]), lo: num(r[`${metric}_rate_lo`]), hi: num(r[`${metric}_rate_hi`]) };
}

/** Share of runs with the incident, with its Wilson interval. */
export function anyOf(r: Row, metric: string): { v: number | null; lo: number | null; hi: number | null } {
  return { v: num(r[`${metric}_any`]), lo: num(r[`${metric}_any_lo`]), hi: num(r[`${metric}_any_hi`]) };
}

function plural(one: string, many: string, n: number): string {
  return n === 1 ? one : many;
}
