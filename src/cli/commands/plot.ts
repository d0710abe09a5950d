/**
 * `pinsim plot RESULTS_DIR [--figure NAME…] [--format svg,png,txt] [--out DIR]` and
 * `pinsim report RESULTS_DIR`: figures and the mail-ready summary of a sweep's results.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import {
  availableFigures,
  FIGURE_NAMES,
  FORMATS,
  getFigure,
  missingFor,
  renderFigure,
  report,
  type Figure,
  type Format,
} from "../../plot/index.js";
import { checkResults } from "../../plot/report.js";
import { completeness } from "../../plot/table.js";
import { loadResults } from "../../sweep/index.js";
import type { ResultsTable } from "../../sweep/types.js";
import { UsageError } from "../errors.js";
import { ensureOutputDir } from "../../out-dir.js";
import { isCalibrationDir, plotCalibration, reportCalibration } from "./calibrate.js";

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
      `${dir} holds only ${c.done} of ${c.total} points of sweep ${t.manifest.name} (it did not finish): rerun the same pinsim sweep command to finish it, or pass --partial to show the finished points alone`,
    );
  checkResults(t);
  return t;
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

export function registerPlot(program: Command, _state: { code: number }): void {
  program
    .command("plot")
    .description("render the figures of a results directory as SVG, PNG and text")
    .argument("<results-dir>", "a results directory written by pinsim sweep")
    .option(
      "--figure <names...>",
      `figures to render (default: every one the results have axes for): ${FIGURE_NAMES.join(", ")}`,
    )
    .option("--format <list>", "comma-separated formats", "svg,png,txt")
    .option("--out <dir>", "output directory (default RESULTS_DIR/figures)")
    .option("--partial", "accept a single shard or an unfinished sweep (captions say PARTIAL: N of M points)")
    .action((dir: string, opts: { figure?: string[]; format: string; out?: string; partial?: boolean }) => {
      const formats = parseFormats(opts.format);
      if (isCalibrationDir(dir)) return plotCalibration(dir, { figure: opts.figure, formats, out: opts.out }); // pinsim calibrate's folder
      const table = load(dir, opts.partial === true);
      let figures: Figure[];
      if (opts.figure?.length) {
        figures = opts.figure
          .flatMap((n) => n.split(","))
          .filter(Boolean)
          .map((n) => getFigure(n));
        for (const f of figures) {
          const why = missingFor(f.name, table, f.needs);
          if (why) throw new UsageError(why);
        }
      } else {
        figures = availableFigures(table);
        if (figures.length === 0)
          throw new UsageError(
            `${dir}: the results have none of the axes a figure needs (axes: ${table.manifest.axes.join(", ") || "none"})`,
          );
      }
      const out = opts.out ?? join(dir, "figures");
      ensureOutputDir(out);
      for (const f of figures) {
        const written: string[] = [];
        for (const fmt of formats) {
          const data = renderFigure(table, f.name, fmt);
          const file = join(out, `${f.name}.${fmt}`);
          writeFileSync(file, data);
          written.push(file);
        }
        process.stdout.write(`${f.name}: ${written.join(", ")}\n`);
      }
    });

  program
    .command("report")
    .description("print a plain-text summary of a results directory, ready to paste into a mail")
    .argument("<results-dir>", "a results directory written by pinsim sweep")
    .option("--partial", "accept a single shard or an unfinished sweep (the report says PARTIAL: N of M points)")
    .action((dir: string, opts: { partial?: boolean }) => {
      if (isCalibrationDir(dir)) return reportCalibration(dir); // pinsim calibrate's folder
      const table = load(dir, opts.partial === true);
      process.stdout.write(report(table));
    });
}
