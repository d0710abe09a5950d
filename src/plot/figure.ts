/**
 * What every figure is: a name, what it needs from a results table, and two views of the
 * same data: Observable Plot options (for SVG, PNG and notebooks) and a text rendering
 * (for mail). Plus the helpers the figures share: policy order, facet wrapping.
 */
import * as Plot from "@observablehq/plot";
import { POLICY_IDS } from "../model/policy-ids.js";
import type { Cell, ResultsTable, Row } from "../sweep/types.js";
import type { FigureOptions } from "./svg.js";
import type { FigureNeeds } from "./table.js";

/** Options every figure accepts. */
export interface FigureOpts {
  /** Values for the axes the figure does not show. Default: the base parameter, else the first value. */
  at?: Record<string, Cell>;
  /** Width in SVG pixels. */
  width?: number;
}

/**
 * A figure of a results table: its name, what it needs from the table (checked before
 * drawing: {@link PlotInputError} names what is missing), and two views of the same data.
 */
export interface Figure {
  /** File stem and `--figure` name. */
  name: string;
  /** One line: what the figure shows. */
  description: string;
  /** Axes and columns the results must have. */
  needs: FigureNeeds;
  /** Observable Plot options, with title, subtitle, caption (provenance) and colour legend. */
  plot(table: ResultsTable, options?: FigureOpts): FigureOptions;
  /** The same data as text for mail: a chart and/or an aligned table, at most 72 columns. */
  text(table: ResultsTable, options?: FigureOpts): string;
}

/** One point of a line with its interval band: x, the estimate y and its [lo, hi]. */
export interface BandPoint {
  x: number;
  y: number;
  lo: number;
  hi: number;
}

/** Policies in docs/model.md#policies order (kernel eras); unknown ids last, as found. */
export function policyOrder(values: Cell[]): string[] {
  const s = values.map(String);
  const rank = (p: string) => {
    const i = (POLICY_IDS as readonly string[]).indexOf(p);
    return i < 0 ? POLICY_IDS.length + s.indexOf(p) : i;
  };
  return [...new Set(s)].sort((a, b) => rank(a) - rank(b));
}

/**
 * Facet wrapping (Plot has fx and fy, not wrap): give each key a column and a row in a
 * grid `columns` wide, and a label mark that names the panel.
 */
export function facetWrap<T extends Record<string, unknown>>(
  data: T[],
  key: (d: T) => string,
  keys: string[],
  columns: number,
): { data: (T & { fcol: number; frow: number })[]; label: Plot.Markish; rows: number } {
  const index = new Map(keys.map((k, i) => [k, i]));
  const out = data.map((d) => {
    const i = index.get(key(d)) ?? 0;
    return { ...d, fcol: i % columns, frow: Math.floor(i / columns) };
  });
  const labels = keys.map((k, i) => ({ k, fcol: i % columns, frow: Math.floor(i / columns) }));
  const label = Plot.text(labels, {
    fx: "fcol",
    fy: "frow",
    text: "k",
    frameAnchor: "top-left",
    dx: 4,
    dy: 4,
    fontWeight: "bold",
    fill: "#333",
  });
  return { data: out, label, rows: Math.ceil(keys.length / columns) };
}

/** Column count that keeps a facet grid readable for n panels. */
export function facetColumns(n: number): number {
  return n <= 3 ? n : n === 4 ? 2 : 3;
}

/** Sorted numeric values of a column. */
export function numericValues(rows: Row[], col: string): number[] {
  return [...new Set(rows.map((r) => Number(r[col])).filter(Number.isFinite))].sort((a, b) => a - b);
}

/** Whether a positive range is wide enough to want a log axis. */
export function wantsLog(xs: number[]): boolean {
  return xs.length > 2 && xs[0] > 0 && xs[xs.length - 1] / xs[0] >= 20;
}
