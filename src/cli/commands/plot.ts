/**
 * `pinsim plot RESULTS_DIR [--figure NAME…] [--format svg,png,txt] [--out DIR] [--at KEY=VALUE…]
 * [--y QUANTITY]` and
 * `pinsim report RESULTS_DIR`: figures and the mail-ready summary of a sweep's results.
 */
import { failedText } from "../../sweep/failed.js";
import { join } from "node:path";
import type { Command } from "commander";
import {
  availableFigures,
  FIGURE_NAMES,
  FIGURES,
  FORMATS,
  getFigure,
  missingFor,
  renderFigure,
  report,
  type Figure,
  type Format,
} from "../../plot/index.js";
import { checkResults } from "../../plot/report.js";
import { completeness, num, sweptValues } from "../../plot/table.js";
import { loadResults } from "../../sweep/index.js";
import type { Cell, ResultsTable } from "../../sweep/types.js";
import { UsageError } from "../errors.js";
import { checkOutputFile, ensureOutputDir, writeOutputFile } from "../../out-dir.js";
import {
  isCalibrationDir,
  plotCalibration,
  plotCalibrationMatrix,
  reportCalibration,
  reportCalibrationMatrix,
} from "./calibrate.js";

/**
 * loadResults + the plot's own checks (ResultsError, PlotInputError: InputErrors, exit 2).
 * A single shard of a sharded sweep, or a sweep that has not finished (interrupted, or
 * still running), is refused unless `partial`; then every caption, text figure and the
 * report say `PARTIAL: N of M points`.
 */
function load(dir: string, partial: boolean): ResultsTable {
  const t = loadResults(dir);
  const sh = t.manifest.shard;
  const c = completeness(t.manifest);
  if (sh && !partial)
    throw new UsageError(
      `${dir} holds only shard ${sh.index + 1}/${sh.count} of sweep ${t.manifest.name}: merge the shards first (pinsim merge DIR…), or pass --partial to show this shard alone`,
    );
  if (c.partial && !partial)
    throw new UsageError(
      `${dir} holds only ${c.done} of ${c.total} points of sweep ${t.manifest.name} (${t.manifest.failed?.length ? failedText(t.manifest.failed) : "it did not finish"}): rerun the same pinsim sweep command to finish it, or pass --partial to show the finished points alone`,
    );
  checkResults(t);
  return t;
}

/**
 * `--at key=value …` as the figures' `at`: each key one of the sweep's axes, each value one
 * of that axis's values (matched as text or as a number: `5` is 5, `true` a flag), given once.
 * @throws UsageError naming the bad key or value and the allowed ones
 */
export function parseAt(items: string[], table: ResultsTable): Record<string, Cell> {
  const axes = table.manifest.axes;
  const at: Record<string, Cell> = {};
  for (const item of items) {
    const m = /^([^=]+)=(.*)$/.exec(item);
    if (!m)
      throw new UsageError(
        `invalid --at: ${JSON.stringify(item)} (expected key=value, key one of: ${axes.join(", ")})`,
      );
    const [, key, text] = m;
    if (!axes.includes(key))
      throw new UsageError(`invalid --at key: ${key} (allowed: ${axes.join(", ") || "none: the sweep has no axes"})`);
    if (key in at) throw new UsageError(`invalid --at: ${key} given twice (${key}=${String(at[key])}, ${item})`);
    const values = sweptValues(table, key);
    const value = values.find((v) => String(v) === text || (num(v) !== null && num(v) === num(text)));
    if (value === undefined)
      throw new UsageError(`invalid --at ${key}=${text} (allowed: ${values.map((v) => String(v)).join(", ")})`);
    at[key] = value;
  }
  return at;
}

/**
 * `--at KEY=VALUE` must hold an axis at least one of `figures` would otherwise draw whole:
 * one a figure shows (its x axis, its series; Figure.shows) is not held by it, and the flag
 * did nothing when every figure showed it (a tester's `plot --figure lost-data --at
 * pinDuration=10` drew every pin duration).
 * @throws UsageError naming the key, the value, the figures and what they draw it as, and the keys each would hold
 */
export function refuseIdleAt(at: Record<string, Cell>, figures: Figure[], table: ResultsTable, y?: string): void {
  const shown = figures.map((f) => ({ f, by: f.shows?.(table, { at, ...(y ? { y } : {}) }) ?? {} }));
  for (const [key, value] of Object.entries(at)) {
    if (shown.some(({ by }) => !(key in by))) continue; // a figure holds it
    const roles = shown.map(({ f, by }) => `${f.name} draws it as its ${by[key]}`).join(", ");
    // The axes some figure would hold if asked (false-positives holds bias, then draws a line per policy).
    const holdable = table.manifest.axes.filter(
      (a) =>
        a !== key && figures.some((f) => !(a in (f.shows?.(table, { at: { [a]: null }, ...(y ? { y } : {}) }) ?? {}))),
    );
    throw new UsageError(
      `invalid --at: ${key}=${String(value)} (${roles}; allowed: an axis a figure does not draw: ${holdable.join(", ") || "none"})`,
    );
  }
}

/**
 * `--y QUANTITY`: the figures that offer a choice of quantity (Figure.quantities) and take
 * this one. Null without --y.
 * @throws UsageError when none of `figures` offers `y` (naming each figure's allowed quantities)
 */
export function parseY(y: string | undefined, figures: Figure[]): Set<string> | null {
  if (y === undefined) return null;
  const offering = figures.filter((f) => f.quantities?.length);
  const allowed = offering.map((f) => `${(f.quantities ?? []).join(", ")} for ${f.name}`).join("; ");
  if (!offering.length)
    throw new UsageError(
      `invalid --y: ${y} (none of the figures ${figures.map((f) => f.name).join(", ")} offers a choice of quantity)`,
    );
  const taking = offering.filter((f) => f.quantities!.includes(y));
  if (!taking.length) throw new UsageError(`invalid --y: ${y} (allowed: ${allowed})`);
  return new Set(taking.map((f) => f.name));
}

/**
 * Every figure's `--y` values for the help, from the registry (Figure.quantities, the
 * default first): "lost-data per-pin|per-run; …; fork-copies copies|needless".
 */
export function yChoices(): string {
  return FIGURES.filter((f) => f.quantities?.length)
    .map((f) => `${f.name} ${f.quantities!.join("|")}`)
    .join("; ");
}

function parseFormats(s: string): Format[] {
  const out = s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
  const bad = out.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (bad.length || out.length === 0)
    throw new UsageError(`invalid --format: ${s} (allowed: ${FORMATS.join(", ")}, comma-separated)`);
  return out as Format[];
}

/** `pinsim plot`'s flags as commander gives them. */
interface PlotFlags {
  figure?: string[];
  format: string;
  out?: string;
  partial?: boolean;
  at: string[];
  y?: string;
}

/** The figures `--figure` names (each checked against the results), else every one the results can draw. */
function selectFigures(dir: string, table: ResultsTable, names: string[] | undefined): Figure[] {
  if (names?.length) {
    const figures = names
      .flatMap((n) => n.split(","))
      .filter(Boolean)
      .map((n) => getFigure(n));
    for (const f of figures) {
      const why = missingFor(f.name, table, f.needs);
      if (why) throw new UsageError(why);
    }
    return figures;
  }
  const figures = availableFigures(table);
  if (figures.length === 0)
    throw new UsageError(
      `${dir}: the results have none of the axes a figure needs (axes: ${table.manifest.axes.join(", ") || "none"})`,
    );
  return figures;
}

/** `pinsim plot DIR …`: every flag checked before anything is written, then each figure in each format. */
function plotAction(dir: string, more: string[], opts: PlotFlags): void {
  const formats = parseFormats(opts.format);
  if (more.length) {
    if (opts.at.length || opts.y !== undefined || opts.figure?.length)
      throw new UsageError(
        "several calibration folders make one figure (the matrix): --figure, --at and --y do not apply",
      );
    plotCalibrationMatrix([dir, ...more], { formats, out: opts.out }); // pinsim calibrate --kernel …, one folder per kernel
    return;
  }
  if (isCalibrationDir(dir)) {
    if (opts.at.length || opts.y !== undefined)
      throw new UsageError(`${dir} is a calibration folder: --at and --y apply to a sweep's results`);
    plotCalibration(dir, { figure: opts.figure, formats, out: opts.out }); // pinsim calibrate's folder
    return;
  }
  const table = load(dir, opts.partial === true);
  const at = parseAt(opts.at, table);
  const figures = selectFigures(dir, table, opts.figure);
  const takesY = parseY(opts.y, figures);
  refuseIdleAt(at, figures, table, opts.y);
  const out = opts.out ?? join(dir, "figures");
  ensureOutputDir(out, { noSymlink: true });
  for (const f of figures) for (const fmt of formats) checkOutputFile(out, `${f.name}.${fmt}`); // all before any is written
  for (const f of figures) {
    const written: string[] = [];
    const y = takesY?.has(f.name) ? { y: opts.y } : {};
    // each figure holds the keys it does not draw (refuseIdleAt made sure some figure holds each)
    const by = f.shows?.(table, { at, ...y }) ?? {};
    const options = { at: Object.fromEntries(Object.entries(at).filter(([k]) => !(k in by))), ...y };
    for (const fmt of formats)
      written.push(writeOutputFile(out, `${f.name}.${fmt}`, renderFigure(table, f.name, fmt, options)));
    process.stdout.write(`${f.name}: ${written.join(", ")}\n`);
  }
}

/** Register `pinsim plot` and `pinsim report` (figures and the text summary of a results or calibration folder). */
export function registerPlot(program: Command, _state: { code: number }): void {
  program
    .command("plot")
    .description("render the figures of a results directory as SVG, PNG and text")
    .argument("<results-dir>", "a results directory written by pinsim sweep")
    .argument("[more-dirs...]", "more calibration folders (one per kernel): the matrix figure quantity x kernel")
    .option(
      "--figure <names...>",
      `figures to render (default: every one the results have axes for): ${FIGURE_NAMES.join(", ")}`,
    )
    .option("--format <list>", "comma-separated formats", "svg,png,txt")
    .option("--out <dir>", "output directory (default RESULTS_DIR/figures)")
    .option("--partial", "accept a single shard or an unfinished sweep (captions say PARTIAL: N of M points)")
    .option(
      "--at <key=value>",
      "hold an axis a figure does not show at one of its values, e.g. --at writebackInterval=30 (repeatable; default: the base parameter, else the axis's first value)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      "--y <quantity>",
      `the quantity on y, for the figures that offer a choice (the first is the default): ${yChoices()}`,
    )
    .action(plotAction);

  program
    .command("report")
    .description("print a plain-text summary of a results directory, ready to paste into a mail")
    .argument("<results-dir>", "a results directory written by pinsim sweep")
    .argument("[more-dirs...]", "more calibration folders (one per kernel): the matrix quantity x kernel")
    .option("--partial", "accept a single shard or an unfinished sweep (the report says PARTIAL: N of M points)")
    .action((dir: string, more: string[], opts: { partial?: boolean }) => {
      if (more.length) return reportCalibrationMatrix([dir, ...more]); // pinsim calibrate --kernel …, one folder per kernel
      if (isCalibrationDir(dir)) return reportCalibration(dir); // pinsim calibrate's folder
      const table = load(dir, opts.partial === true);
      process.stdout.write(report(table));
    });
}
