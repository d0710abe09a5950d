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
  /**
   * The quantity on y, for a figure that offers a choice ({@link Figure.quantities}, e.g.
   * lost-data's `per-pin` and `per-run`). Default: the figure's first quantity.
   */
  y?: string;
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
  /** The quantities `options.y` may name, the default first; absent when the figure has one. */
  quantities?: readonly string[];
  /**
   * The axes the figure draws (not held at one value), each with its role ("x axis",
   * "series", "columns", …): `--at` on one of them would do nothing, so plot refuses it.
   * Absent when every axis can be held (page-timeline picks its run by them all).
   */
  shows?(table: ResultsTable, options?: FigureOpts): Record<string, string>;
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

/** The y scale every panel of a faceted figure shares (see {@link panelY}). */
export interface PanelY {
  type: "symlog" | "linear";
  /** From 0 (or below the lowest value) to the top tick. */
  domain: [number, number];
  /** Labelled values; the last is the domain's top. */
  ticks: number[];
}

/**
 * The y scale of a faceted figure, shared by its panels: from 0 to a labelled tick above
 * every value drawn (marks, interval ends), so that no mark sits on a panel's top frame
 * and the axis is read up to the largest value. Plot's own domain ends at the largest
 * value, and an explicit tick list stops short of it: 57,961 drawn on the frame under a
 * top label of 10k.
 *
 * `symlog`: ticks 0, 1, 10, 100, … up to the first power of ten at least 1.5 × the largest
 * value. `linear`: about five round steps (1, 2, 2.5 or 5 × 10^k) up to the first at least
 * 1.05 × the largest value. For instance values up to 57,961 give the symlog domain
 * [0, 100000] with ticks 0, 1, 10, …, 100000.
 */
export function panelY(values: number[], type: "symlog" | "linear"): PanelY {
  const finite = values.filter(Number.isFinite);
  const max = Math.max(0, ...finite);
  if (type === "symlog") {
    const ticks = [0];
    let v = 1;
    for (ticks.push(v); v < 1.5 * max; ticks.push(v)) v *= 10;
    return { type, domain: [0, v], ticks };
  }
  const min = Math.min(0, ...finite);
  const span = 1.05 * max - min > 0 ? 1.05 * max - min : 1;
  const raw = span / 5,
    mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw * (1 - 1e-12))!;
  const lo = Math.floor(min / step) * step;
  let hi = Math.ceil((1.05 * max) / step) * step;
  if (!(hi > max)) hi = lo + 5 * step; // all values 0 (span 1): 0 to 1
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(+(lo + i * step).toPrecision(12));
  return { type, domain: [ticks[0], ticks[ticks.length - 1]], ticks };
}
