/**
 * `show(x)`: display a figure, table, run result or any Jupyter-displayable value in the
 * current notebook cell; outside a kernel, print its text form instead.
 */
import { plotSvg, type FigureOptions } from "../plot/svg.js";
import type { RunResult } from "../model/metrics.js";
import { emitBundle, inTslabKernel, type MimeBundle } from "./kernel.js";
import {
  SvgFigure,
  Html,
  isDisplayable,
  JUPYTER_DISPLAY,
  Markdown,
  RunView,
  DataTable,
  type Displayable,
  type DataTableCell,
  type DataTableOptions,
} from "./mime.js";

function isRunResult(x: unknown): x is RunResult {
  const r = x as Partial<RunResult> | null;
  return !!r && typeof r === "object" && typeof r.pinsim === "string" && !!r.metrics && !!r.params;
}

function isPlotOptions(x: unknown): x is FigureOptions {
  return !!x && typeof x === "object" && Array.isArray((x as FigureOptions).marks);
}

/** Render Plot options (title, subtitle, caption and legend included) to one SVG string. */
export function renderPlotSvg(options: FigureOptions): string {
  return plotSvg(options);
}

/**
 * An SvgFigure from an SVG string, an SVG element (anything with outerHTML), Plot options, or a
 * SvgFigure (returned as is). `title` names it in text output.
 */
export function figure(x: string | FigureOptions | { outerHTML: string } | SvgFigure, title?: string): SvgFigure {
  if (x instanceof SvgFigure) return x;
  if (typeof x === "string") return new SvgFigure(x, title);
  if (isPlotOptions(x))
    return new SvgFigure(renderPlotSvg(x), title ?? (typeof x.title === "string" ? x.title : undefined));
  if (typeof (x as { outerHTML?: unknown }).outerHTML === "string")
    return new SvgFigure((x as { outerHTML: string }).outerHTML, title);
  throw new TypeError("figure(): expected an SVG string, an SVG element, Plot options or an SvgFigure");
}

/** Something show() knows how to display. */
export type Showable = Displayable | RunResult | FigureOptions | readonly Record<string, DataTableCell>[] | string;

/** The MIME bundle show() would send for a value. */
export function toBundle(x: Showable): MimeBundle {
  if (isDisplayable(x)) return x[JUPYTER_DISPLAY]();
  if (typeof x === "string") {
    const t = x.trimStart();
    return t.startsWith("<svg") ? new SvgFigure(x)[JUPYTER_DISPLAY]() : new Markdown(x)[JUPYTER_DISPLAY]();
  }
  if (Array.isArray(x)) return new DataTable(x as Record<string, DataTableCell>[])[JUPYTER_DISPLAY]();
  if (isRunResult(x)) return new RunView(x)[JUPYTER_DISPLAY]();
  if (isPlotOptions(x)) return figure(x)[JUPYTER_DISPLAY]();
  return { "text/plain": String(x) };
}

/**
 * Display values in the current cell: a SvgFigure / SVG string / Plot options as
 * image/svg+xml, rows as an HTML table, a RunResult as its metrics, a string as markdown,
 * anything with `[Symbol.for("Jupyter.display")]` as its bundle. Outside a kernel, prints
 * the text form to stdout. Returns nothing, so that tslab prints nothing after it.
 */
export function show(...values: Showable[]): void {
  for (const v of values) {
    const bundle = toBundle(v);
    if (!emitBundle(bundle)) process.stdout.write((bundle["text/plain"] ?? bundle["text/markdown"] ?? "") + "\n");
  }
}

/** Display a figure as PNG (resvg, `scale` times its size), for viewers without SVG. */
export function showPng(x: SvgFigure | string | FigureOptions, scale = 2): void {
  show(figure(x).png(scale));
}

/** Display rows as a table. */
export function showTable(rows: readonly Record<string, DataTableCell>[], options: DataTableOptions = {}): void {
  show(new DataTable(rows, options));
}

/** Display a run's key parameters and every metric. */
export function showRun(result: RunResult): void {
  show(new RunView(result));
}

/** Display markdown. */
export function showMarkdown(text: string): void {
  show(new Markdown(text));
}

/** Display HTML. */
export function showHtml(html: string): void {
  show(new Html(html));
}

export { inTslabKernel };
