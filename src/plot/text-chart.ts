/**
 * Text charts for plain-text mail, drawn on a character grid so that no data point can
 * hide: every series has its own marker glyph at every swept x (lines between them are
 * the series' own faint glyph), a non-zero value is never drawn on the zero row, and
 * where two series land in one cell the cell shows `#` and a note under the chart says
 * which series coincide at which x. An x axis with ticks and labels, a legend and a
 * title, all within 72 columns.
 */
import { formatNumber } from "./format.js";
import { wrap } from "./svg.js";

/** One line of a {@link textChart}: a name for the legend and a value per x. */
export interface TextSeries {
  /** Legend label. */
  name: string;
  /** One value per x, null where there is none. */
  values: (number | null)[];
}

/** Options of {@link textChart}: a line chart in plain text (asciichart), at most `width` columns. */
export interface TextChartOptions {
  /** First line, above the chart; default none. */
  title?: string;
  /** Label of the y axis (printed above the chart). */
  yLabel?: string;
  /** Label of the x axis (printed under its ticks). */
  xLabel?: string;
  /** x positions, ascending. */
  x: number[];
  /** The lines, drawn in order (the legend follows it). */
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
  /** x label format (ticks and coincidence notes). Default formatNumber. */
  xFormat?: (v: number) => string;
  /** Hold each value until the next x (a threshold) instead of interpolating. Default false. */
  step?: boolean;
  /** Marked x positions (e.g. thresholds), drawn as `┴` on the axis with a note. */
  marks?: {
    /** Position on the x axis. */
    x: number;
    /** Note printed under the axis for this mark. */
    label: string;
  }[];
}

/** Marker of each series at its data points: distinct without colour. */
export const SERIES_MARKERS = ["●", "○", "■", "□", "▲", "△", "◆", "◇", "×", "+"];
/** Faint glyph joining a series' markers. */
export const SERIES_LINES = ["·", "-", "~", ":", "'", "=", "^", ",", "`", "_"];
/** A cell where two or more series' markers land. */
export const COINCIDE = "#";
const LABEL_WIDTH = 8;

/**
 * Draw a multi-series chart as text, at most `width` columns wide. Throws RangeError for
 * more series than there are markers (10): split the series instead of hiding some.
 */
export function textChart(o: TextChartOptions): string {
  const width = o.width ?? 72;
  const height = Math.max(3, o.height ?? 8);
  const fmt = o.format ?? formatNumber;
  const xfmt = o.xFormat ?? formatNumber;
  const cols = width - LABEL_WIDTH - 2; // plot columns; a row is LABEL_WIDTH + 1 + cols wide
  const lines: string[] = [];
  if (o.title) lines.push(...wrapText(o.title, width));
  if (o.yLabel) lines.push(...wrapText(o.yLabel, width));
  const xs = o.x;
  if (xs.length === 0 || o.series.length === 0) return [...lines, "(no data)"].join("\n") + "\n";
  if (o.series.length > SERIES_MARKERS.length) {
    throw new RangeError(
      `textChart: ${o.series.length} series, at most ${SERIES_MARKERS.length} can be told apart; split them`,
    );
  }
  const frame = chartFrame(o, cols, height);
  const { grid, who } = drawSeries(o, frame);
  lines.push(...rowLines(grid, frame, fmt));
  const { axis, labels, notes } = xAxis(o, frame, xfmt, width);
  lines.push(axis, labels);
  if (o.xLabel) lines.push(centre(o.xLabel + (o.logX ? " (log scale)" : ""), width));
  if (o.series.length > 1 || o.series[0].name) {
    lines.push(
      ...packed(
        o.series.map((s, i) => `${SERIES_MARKERS[i]}${SERIES_LINES[i]} ${s.name}`),
        width,
      ),
    );
  }
  lines.push(...packed(notes, width));
  lines.push(...coincidences(o, who, xs, frame.colOf, frame.f, xfmt, width));
  if (frame.lifted)
    lines.push(
      ...wrapText(`values above ${fmt(frame.min)} are drawn at least one row above the ${fmt(frame.min)} row`, width),
    );
  return lines.map((l) => l.trimEnd()).join("\n") + "\n";
}

/** A chart's scales: x (linear or log) to a plot column, y to a row. */
interface ChartFrame {
  /** Plot columns. */
  cols: number;
  /** Rows. */
  height: number;
  /** Bottom of the y range. */
  min: number;
  /** Top of the y range (> min). */
  max: number;
  /** x as placed: log10 on a log scale, else itself. */
  f: (v: number) => number;
  /** f of the first and last x. */
  x0: number;
  x1: number;
  /** Plot column of a placed x. */
  colOf: (fx: number) => number;
  /** Row of a value, 0 at the bottom; a marker (`lift`) above min never lands on the min row. */
  rowOf: (v: number, lift?: boolean) => number;
  /** Set once some marker was lifted off the min row (the chart then says so). */
  lifted: boolean;
}

/** The scales of a chart of `o` in `cols` × `height` cells. */
function chartFrame(o: TextChartOptions, cols: number, height: number): ChartFrame {
  const xs = o.x;
  const f = o.logX ? Math.log10 : (v: number) => v;
  const x0 = f(xs[0]),
    x1 = f(xs[xs.length - 1]);
  const all = o.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const min = o.yMin ?? Math.min(0, ...all);
  let max = o.yMax ?? Math.max(...all, min);
  if (max === min) max = min + 1;
  const frame: ChartFrame = {
    cols,
    height,
    min,
    max,
    f,
    x0,
    x1,
    colOf: (fx) => (x1 === x0 ? 0 : Math.round(((fx - x0) / (x1 - x0)) * (cols - 1))),
    // Markers (`lift`): a value above min never lands on the min row. Joining lines are not lifted.
    rowOf: (v, lift = true) => {
      const c = Math.min(max, Math.max(min, v));
      let r = Math.round(((c - min) / (max - min)) * (height - 1));
      if (lift && r === 0 && c > min) {
        r = 1; // a small non-zero value must not vanish into the axis row
        frame.lifted = true;
      }
      return r;
    },
    lifted: false,
  };
  return frame;
}

/** The character grid (grid[r][c], r = 0 at the bottom) and, per cell, the series whose marker is there. */
function drawSeries(o: TextChartOptions, fr: ChartFrame): { grid: string[][]; who: number[][][] } {
  const xs = o.x;
  const { f, colOf, rowOf } = fr;
  const grid: string[][] = Array.from({ length: fr.height }, () => Array<string>(fr.cols).fill(" "));
  const who: number[][][] = Array.from({ length: fr.height }, () =>
    Array.from({ length: fr.cols }, () => [] as number[]),
  );
  o.series.forEach((s, i) => {
    const line = SERIES_LINES[i];
    for (let j = 0; j + 1 < xs.length; j++) {
      const a = s.values[j],
        b = s.values[j + 1];
      if (a === null || b === null || a === undefined || b === undefined) continue; // a gap
      const ca = colOf(f(xs[j])),
        cb = colOf(f(xs[j + 1]));
      for (let c = ca + 1; c < cb; c++) {
        const t = (c - ca) / (cb - ca);
        const r = rowOf(o.step ? a : a + (b - a) * t, false);
        if (grid[r][c] === " ") grid[r][c] = line;
      }
    }
  });
  o.series.forEach((s, i) => {
    s.values.forEach((v, j) => {
      if (v === null || v === undefined || !Number.isFinite(v) || j >= xs.length) return;
      const r = rowOf(v),
        c = colOf(f(xs[j]));
      if (!who[r][c].includes(i)) who[r][c].push(i);
      grid[r][c] = who[r][c].length > 1 ? COINCIDE : SERIES_MARKERS[i];
    });
  });
  return { grid, who };
}

/** The grid's rows, top first, each behind its y label and the y axis. */
function rowLines(grid: string[][], fr: ChartFrame, fmt: (v: number) => string): string[] {
  const { min, max, height } = fr;
  const lines: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const v = min + ((max - min) * r) / (height - 1);
    const label = fmt(Math.abs(v) < (max - min) * 1e-9 ? 0 : v)
      .padStart(LABEL_WIDTH)
      .slice(-LABEL_WIDTH);
    lines.push(`${label}${r === 0 ? "┼" : "┤"}${grid[r].join("")}`.trimEnd());
  }
  return lines;
}

/** The x axis: ticks at the sweep's x values that fit without overlapping labels, the marks as `┴` with their notes. */
function xAxis(
  o: TextChartOptions,
  fr: ChartFrame,
  xfmt: (v: number) => string,
  width: number,
): { axis: string; labels: string; notes: string[] } {
  const { f, colOf, x0, x1 } = fr;
  const axis = [...(" ".repeat(LABEL_WIDTH) + "└" + "─".repeat(fr.cols))];
  const labels = [..." ".repeat(width)];
  let free = 0;
  for (const v of o.x) {
    const c = LABEL_WIDTH + 1 + colOf(f(v));
    const s = xfmt(v);
    const start = Math.max(0, Math.min(width - s.length, c - Math.floor(s.length / 2)));
    if (start < free) continue;
    axis[c] = "┬";
    for (let k = 0; k < s.length; k++) labels[start + k] = s[k];
    free = start + s.length + 1;
  }
  const notes: string[] = [];
  for (const m of o.marks ?? []) {
    if (f(m.x) < Math.min(x0, x1) || f(m.x) > Math.max(x0, x1)) continue;
    axis[LABEL_WIDTH + 1 + colOf(f(m.x))] = "┴";
    notes.push(`┴ ${m.label}`);
  }
  return { axis: axis.join("").trimEnd(), labels: labels.join("").trimEnd(), notes };
}

/** "# at 5, 10: foll-pin, keep-dirty": which series share a marker cell, at which x. */
function coincidences(
  o: TextChartOptions,
  who: number[][][],
  xs: number[],
  colOf: (fx: number) => number,
  f: (v: number) => number,
  xfmt: (v: number) => string,
  width: number,
): string[] {
  const bySet = new Map<string, { names: string[]; at: string[] }>();
  for (const row of who) {
    row.forEach((ids, c) => {
      if (ids.length < 2) return;
      const key = [...ids].sort((a, b) => a - b).join(",");
      const xsHere = xs.filter((x) => colOf(f(x)) === c).map(xfmt);
      const e = bySet.get(key) ?? {
        names: [...ids].sort((a, b) => a - b).map((i) => o.series[i].name || `series ${i + 1}`),
        at: [],
      };
      for (const x of xsHere) if (!e.at.includes(x)) e.at.push(x);
      bySet.set(key, e);
    });
  }
  const out: string[] = [];
  for (const { names, at } of bySet.values()) {
    const where = at.length === xs.length ? "at every x" : `at x = ${at.join(", ")}`;
    out.push(
      ...wrapText(`${COINCIDE} ${where}: ${names.join(", ")} coincide`, width - 2).map((l, i) => (i ? `  ${l}` : l)),
    );
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
