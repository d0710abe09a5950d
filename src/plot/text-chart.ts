/**
 * Text charts for plain-text mail: asciichart draws the lines; this wrapper resamples the
 * sweep's x values onto columns, overlays several series with a glyph each, and adds
 * what asciichart lacks: an x axis with ticks and labels, a legend and a title, all within
 * 72 columns.
 */
import * as asciichart from "asciichart";
import { formatNumber } from "./format.js";
import { wrap } from "./svg.js";

export interface TextSeries {
  name: string;
  /** One value per x, null where there is none. */
  values: (number | null)[];
}

export interface TextChartOptions {
  title?: string;
  /** Label of the y axis (printed above the chart). */
  yLabel?: string;
  /** Label of the x axis (printed under its ticks). */
  xLabel?: string;
  /** x positions, ascending. */
  x: number[];
  series: TextSeries[];
  /** Place x on a log scale (all x > 0). Default false. */
  logX?: boolean;
  /** Rows of the chart. Default 8. */
  height?: number;
  /** Total width in columns. Default 72. */
  width?: number;
  /** Lower bound of the y range. Default min(0, data). */
  yMin?: number;
  /** Upper bound of the y range. Default max(data). */
  yMax?: number;
  /** y tick format. Default formatNumber. */
  format?: (v: number) => string;
  /** Hold each value until the next x (a threshold) instead of interpolating. Default false. */
  step?: boolean;
  /** Marked x positions (e.g. thresholds), drawn as `┴` on the axis with a note. */
  marks?: { x: number; label: string }[];
}

/** Horizontal-segment glyph of each series, so overlaid lines stay apart without colour. */
export const SERIES_GLYPHS = ["─", "═", "·", "*", "+", "~", "=", ":", "-", "o"];
const LABEL_WIDTH = 8;

/** Draw a multi-series line chart as text, at most `width` columns wide. */
export function textChart(o: TextChartOptions): string {
  const width = o.width ?? 72;
  const height = o.height ?? 8;
  const fmt = o.format ?? formatNumber;
  const n = width - LABEL_WIDTH - 1; // points; the chart is LABEL_WIDTH + 2 + (n - 1) wide
  const lines: string[] = [];
  if (o.title) lines.push(...wrapText(o.title, width));
  if (o.yLabel) lines.push(...wrapText(o.yLabel, width));
  const xs = o.x;
  if (xs.length === 0 || o.series.length === 0) return [...lines, "(no data)"].join("\n") + "\n";
  const f = o.logX ? Math.log10 : (v: number) => v;
  const x0 = f(xs[0]), x1 = f(xs[xs.length - 1]);
  const pos = (v: number) => (x1 === x0 ? 0 : Math.round(((f(v) - x0) / (x1 - x0)) * (n - 1)));

  const sampled = o.series.map((s) => resample(xs.map(f), s.values, n, x0, x1, o.step ?? false));
  const all = sampled.flat().filter((v): v is number => v !== null);
  let min = o.yMin ?? Math.min(0, ...all);
  let max = o.yMax ?? Math.max(...all, min);
  if (max === min) max = min + 1;
  const cfg = {
    min,
    max,
    height,
    offset: 2,
    format: (v: number) => fmt(Math.abs(v) < (max - min) * 1e-9 ? 0 : v).padStart(LABEL_WIDTH).slice(-LABEL_WIDTH),
  };
  let grid: string[][] | null = null;
  sampled.forEach((vals, i) => {
    const filled = vals.map((v) => (v === null ? min : Math.min(max, Math.max(min, v))));
    const glyph = SERIES_GLYPHS[i % SERIES_GLYPHS.length];
    const rows = asciichart
      .plot(filled, { ...cfg, symbols: ["┼", "┤", "╶", "╴", glyph, "╰", "╭", "╮", "╯", "│"] })
      .split("\n")
      .map((r) => [...r]);
    if (!grid) {
      grid = rows.map((r) => r.map((c, j) => (j >= LABEL_WIDTH + 1 ? " " : c)));
    }
    for (let r = 0; r < rows.length; r++) {
      for (let c = 0; c < n - 1; c++) {
        if (vals[c] === null || vals[c + 1] === null) continue; // a gap in the series
        const ch = rows[r][LABEL_WIDTH + 1 + c];
        if (ch && ch !== " ") grid[r][LABEL_WIDTH + 1 + c] = ch;
      }
    }
  });
  for (const r of grid!) lines.push(r.join("").trimEnd());

  // x axis: ticks at the sweep's x values that fit without overlapping labels.
  const axis = [...(" ".repeat(LABEL_WIDTH) + "└" + "─".repeat(n - 2))];
  const labels = [..." ".repeat(width)];
  let free = 0;
  for (const v of xs) {
    const c = LABEL_WIDTH + 1 + Math.min(pos(v), n - 2);
    const s = formatNumber(v);
    const start = Math.max(0, Math.min(width - s.length, c - Math.floor(s.length / 2)));
    if (start < free) continue;
    axis[c] = "┬";
    for (let k = 0; k < s.length; k++) labels[start + k] = s[k];
    free = start + s.length + 1;
  }
  const notes: string[] = [];
  for (const m of o.marks ?? []) {
    if (f(m.x) < Math.min(x0, x1) || f(m.x) > Math.max(x0, x1)) continue;
    const c = LABEL_WIDTH + 1 + Math.min(pos(m.x), n - 2);
    axis[c] = "┴";
    notes.push(`┴ ${m.label}`);
  }
  lines.push(axis.join("").trimEnd(), labels.join("").trimEnd());
  if (o.xLabel) lines.push(centre(o.xLabel + (o.logX ? " (log scale)" : ""), width));
  if (o.series.length > 1 || o.series[0].name) {
    lines.push(...packed(o.series.map((s, i) => `${SERIES_GLYPHS[i % SERIES_GLYPHS.length].repeat(2)} ${s.name}`), width));
  }
  lines.push(...packed(notes, width));
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}

/** Linear interpolation of sweep points onto n evenly spaced columns (null across gaps). */
function resample(fx: number[], ys: (number | null)[], n: number, x0: number, x1: number, step: boolean): (number | null)[] {
  const out: (number | null)[] = [];
  for (let c = 0; c < n; c++) {
    const x = x0 + ((x1 - x0) * c) / Math.max(1, n - 1);
    let j = 0;
    while (j < fx.length - 2 && fx[j + 1] < x) j++;
    const a = ys[j], b = ys[Math.min(j + 1, ys.length - 1)];
    if (fx.length === 1) out.push(a);
    else if (step) out.push(x >= fx[j + 1] - 1e-12 ? b : a);
    else if (a === null || b === null) out.push(null);
    else {
      const t = fx[j + 1] === fx[j] ? 0 : Math.min(1, Math.max(0, (x - fx[j]) / (fx[j + 1] - fx[j])));
      out.push(a + (b - a) * t);
    }
  }
  return out;
}

/** Items joined by two spaces, wrapped at `width`. */
export function packed(items: string[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const it of items) {
    if (line && line.length + 2 + it.length > width) {
      lines.push(line);
      line = it;
    } else line = line ? `${line}  ${it}` : it;
  }
  if (line) lines.push(line);
  return lines;
}

function centre(s: string, width: number): string {
  return " ".repeat(Math.max(0, Math.floor((width - s.length) / 2))) + s;
}

/** Wrap prose to `width` columns. */
export function wrapText(s: string, width = 72): string[] {
  return wrap(s, width * 10 * 0.6, 10);
}

/** Wrap prose lines longer than `width` at spaces (charts and tables are already narrow). */
export function fitWidth(text: string, width = 72): string {
  return text
    .split("\n")
    .flatMap((l) => ([...l].length <= width ? [l] : wrapText(l, width - 2).map((w, i) => (i ? `  ${w}` : w))))
    .join("\n");
}
