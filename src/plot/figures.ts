/**
 * The registry of figures, in the order `pinsim plot` writes them, and rendering a figure
 * of a results table to SVG, PNG or text.
 */
import type { ResultsTable } from "../sweep/types.js";
import { doubleWritebacksFigure } from "./double-writebacks.js";
import { falsePositivesFigure } from "./false-positives.js";
import { forkCopiesFigure } from "./fork-copies.js";
import type { Figure, FigureOpts } from "./figure.js";
import { kernelErasFigure } from "./kernel-eras.js";
import { kernelVersionsFigure } from "./kernel-versions.js";
import { lostDataHeatmapFigure } from "./lost-data-heatmap.js";
import { lostDataFigure } from "./lost-data.js";
import { pageTimelineFigure } from "./page-timeline.js";
import { svgToPng } from "./png.js";
import { plotSvg } from "./svg.js";
import { missingFor, partialNote, PlotInputError } from "./table.js";

/** Every figure, in the order `pinsim plot` writes them. */
export const FIGURES: readonly Figure[] = [
  kernelErasFigure,
  lostDataFigure,
  lostDataHeatmapFigure,
  doubleWritebacksFigure,
  falsePositivesFigure,
  forkCopiesFigure,
  pageTimelineFigure,
  kernelVersionsFigure,
];

/** The figures' names (file stems and `pinsim plot --figure` values). */
export const FIGURE_NAMES = FIGURES.map((f) => f.name);
/** Output formats: SVG (jsdom), PNG (resvg, DejaVu Sans) and text for mail (<= 72 columns). */
export const FORMATS = ["svg", "png", "txt"] as const;
/** One of {@link FORMATS}. */
export type Format = (typeof FORMATS)[number];

/** A figure by name; PlotInputError naming the known ones otherwise. */
export function getFigure(name: string): Figure {
  const f = FIGURES.find((x) => x.name === name);
  if (!f) throw new PlotInputError(`unknown figure ${name}; known: ${FIGURE_NAMES.join(", ")}`);
  return f;
}

/**
 * `options.at` may hold only axes the figure does not draw (Figure.shows): holding its x
 * axis or its series would do nothing (`pinsim plot --at` refuses it the same way, keeping
 * for each figure the keys it holds).
 * @throws PlotInputError naming the key, its value and what the figure draws it as
 */
function refuseDrawnAt(f: Figure, table: ResultsTable, options: FigureOpts): void {
  if (!options.at || !f.shows) return;
  const by = f.shows(table, options);
  for (const [key, value] of Object.entries(options.at))
    if (key in by)
      throw new PlotInputError(
        `invalid at for figure ${f.name}: ${key}=${String(value)} (the figure draws ${key} as its ${by[key]}; allowed: an axis it does not draw)`,
      );
}

/** The figures `table` has the axes and columns for. */
export function availableFigures(table: ResultsTable): Figure[] {
  return FIGURES.filter((f) => missingFor(f.name, table, f.needs) === null);
}

/**
 * Render one figure: SVG and text as strings, PNG as bytes. `options.y` must be one of the
 * figure's quantities (PlotInputError otherwise). A table that is not its whole
 * sweep (one shard, or an unfinished sweep) says so in the title's first words and on the
 * text figure's first line (`PARTIAL: N of M points, …`), besides the caption's provenance.
 * `options.at` holds axes the figure does not draw (PlotInputError for one it draws).
 */
export function renderFigure(table: ResultsTable, name: string, format: "png", options?: FigureOpts): Uint8Array;
export function renderFigure(table: ResultsTable, name: string, format: "svg" | "txt", options?: FigureOpts): string;
export function renderFigure(
  table: ResultsTable,
  name: string,
  format: Format,
  options?: FigureOpts,
): string | Uint8Array;
export function renderFigure(
  table: ResultsTable,
  name: string,
  format: Format,
  options: FigureOpts = {},
): string | Uint8Array {
  const f = getFigure(name);
  if (options.y !== undefined && !f.quantities?.includes(options.y))
    throw new PlotInputError(
      f.quantities?.length
        ? `invalid y for figure ${name}: ${options.y} (allowed: ${f.quantities.join(", ")})`
        : `invalid y for figure ${name}: ${options.y} (the figure has one quantity)`,
    );
  refuseDrawnAt(f, table, options);
  const partial = partialNote(table.manifest);
  if (format === "txt") return (partial ? `${partial}\n` : "") + f.text(table, options);
  const o = f.plot(table, options);
  const svg = plotSvg(partial ? { ...o, title: `${partial} — ${o.title ?? f.name}` } : o);
  return format === "svg" ? svg : svgToPng(svg);
}
