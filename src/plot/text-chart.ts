/**
 * Text charts for plain-text mail, drawn on a character grid so that no data point can
 * hide and none is misread: every series has its own marker glyph at every swept x (lines
 * between them are the series' own faint glyph, at the markers' height); a non-zero value
 * is never drawn on the zero row, and one lifted off it is listed under the chart with its
 * real value; where two series land in one cell the cell shows `#` and a note names the
 * series and exactly the x values at which they share it; x values that fall in one column
 * are named, with where their values are. An x axis with ticks and labels, a legend and a
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
  /** Format of the real values the chart lists (points lifted off the min row). Default `format`. */
  valueFormat?: (v: number) => string;
  /**
   * Where a reader finds the values of x positions that share a column (the chart cannot
   * show a change between them). Default "the table below gives each value".
   */
  valuesBelow?: string;
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
  const { grid, cells, lifted } = drawSeries(o, frame);
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
  lines.push(...coincidences(o, cells, xfmt, width));
  lines.push(...sharedColumns(o, frame, xfmt, width));
  lines.push(...liftedNote(o, frame, lifted, fmt, o.valueFormat ?? fmt, xfmt, width));
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
  /** Row of a value, 0 at the bottom (clamped to the range, rounded to the nearest row). */
  rowOf: (v: number) => number;
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
  return {
    cols,
    height,
    min,
    max,
    f,
    x0,
    x1,
    colOf: (fx) => (x1 === x0 ? 0 : Math.round(((fx - x0) / (x1 - x0)) * (cols - 1))),
    rowOf: (v) => Math.round(((Math.min(max, Math.max(min, v)) - min) / (max - min)) * (height - 1)),
  };
}

/** One series' data point as drawn: series index, x index, its value and the row it is drawn on. */
interface Marker {
  series: number;
  xi: number;
  v: number;
  row: number;
}

/** What {@link drawSeries} drew: the character grid (grid[r][c], r = 0 at the bottom), the markers in each cell, and the markers lifted off the min row. */
interface Drawn {
  grid: string[][];
  cells: Marker[][][];
  lifted: Marker[];
}

/**
 * Each series' markers and the joins between them. A value above min that rounds to the
 * min row is drawn one row up (lifted: a small non-zero value must not read as zero, and
 * the chart lists it with its real value); the joins of a segment with a lifted end are
 * lifted alike, so a series is drawn at one height, markers and joins.
 */
function drawSeries(o: TextChartOptions, fr: ChartFrame): Drawn {
  const xs = o.x;
  const { f, colOf, rowOf, min } = fr;
  const lift = (v: number, r: number) => (r === 0 && v > min ? 1 : r);
  const grid: string[][] = Array.from({ length: fr.height }, () => Array<string>(fr.cols).fill(" "));
  const cells: Marker[][][] = Array.from({ length: fr.height }, () =>
    Array.from({ length: fr.cols }, () => [] as Marker[]),
  );
  const isValue = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);
  const markers = o.series.map((s, i) =>
    xs.map((_, j): Marker | null => {
      const v = s.values[j];
      return isValue(v) ? { series: i, xi: j, v, row: lift(v, rowOf(v)) } : null;
    }),
  );
  markers.forEach((ms, i) => {
    const line = SERIES_LINES[i];
    for (let j = 0; j + 1 < xs.length; j++) {
      const a = ms[j],
        b = ms[j + 1];
      if (!a || !b) continue; // a gap
      const lifted = a.row !== rowOf(a.v) || b.row !== rowOf(b.v);
      const ca = colOf(f(xs[j])),
        cb = colOf(f(xs[j + 1]));
      for (let c = ca + 1; c < cb; c++) {
        const v = o.step ? a.v : a.v + (b.v - a.v) * ((c - ca) / (cb - ca));
        const r = lifted ? lift(v, rowOf(v)) : rowOf(v);
        if (grid[r][c] === " ") grid[r][c] = line;
      }
    }
  });
  const lifted: Marker[] = [];
  for (const m of markers.flat()) {
    if (!m) continue;
    const c = colOf(f(xs[m.xi]));
    const here = cells[m.row][c];
    here.push(m);
    if (m.row !== rowOf(m.v)) lifted.push(m);
    grid[m.row][c] = new Set(here.map((h) => h.series)).size > 1 ? COINCIDE : SERIES_MARKERS[m.series];
  }
  return { grid, cells, lifted };
}

/** The grid's rows, top first, each behind its y label and the y axis. */
function rowLines(grid: string[][], fr: ChartFrame, fmt: (v: number) => string): string[] {
  const lines: string[] = [];
  for (let r = fr.height - 1; r >= 0; r--) {
    const label = fmt(rowValue(fr, r)).padStart(LABEL_WIDTH).slice(-LABEL_WIDTH);
    lines.push(`${label}${r === 0 ? "┼" : "┤"}${grid[r].join("")}`.trimEnd());
  }
  return lines;
}

/** The value a row is labelled with (0 exactly for the row at 0). */
function rowValue(fr: ChartFrame, r: number): number {
  const v = fr.min + ((fr.max - fr.min) * r) / (fr.height - 1);
  return Math.abs(v) < (fr.max - fr.min) * 1e-9 ? 0 : v;
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

/** A series' legend name. */
function seriesName(o: TextChartOptions, i: number): string {
  return o.series[i].name || `series ${i + 1}`;
}

/** Prose wrapped at `width`, continuation lines indented by two. */
function note(text: string, width: number): string[] {
  return wrapText(text, width - 2).map((l, i) => (i ? `  ${l}` : l));
}

/**
 * The notes on cells holding two or more series' markers (drawn `#`): "# at x = 5, 10:
 * foll-pin, keep-dirty coincide" names exactly the x values at which those series' own
 * markers share a cell; markers of different x values in one cell (their x values share a
 * column) are named with their x each.
 */
function coincidences(o: TextChartOptions, cells: Marker[][][], xfmt: (v: number) => string, width: number): string[] {
  const same = new Map<string, { series: number[]; xi: Set<number> }>();
  const across: string[] = [];
  for (const row of cells) {
    for (const here of row) {
      if (new Set(here.map((m) => m.series)).size < 2) continue;
      let explained = false;
      for (const xi of new Set(here.map((m) => m.xi))) {
        const series = [...new Set(here.filter((m) => m.xi === xi).map((m) => m.series))].sort((a, b) => a - b);
        if (series.length < 2) continue;
        explained = true;
        const key = series.join(",");
        const e = same.get(key) ?? { series, xi: new Set<number>() };
        e.xi.add(xi);
        same.set(key, e);
      }
      if (!explained) {
        const who = [...here]
          .sort((a, b) => a.series - b.series || a.xi - b.xi)
          .map((m) => `${seriesName(o, m.series)} at ${xfmt(o.x[m.xi])}`);
        across.push(`${COINCIDE} in one cell: ${who.join(", ")} (x values in one column)`);
      }
    }
  }
  const out: string[] = [];
  for (const { series, xi } of same.values()) {
    const at = [...xi].sort((a, b) => a - b);
    const where = at.length === o.x.length ? "at every x" : `at x = ${at.map((j) => xfmt(o.x[j])).join(", ")}`;
    out.push(...note(`${COINCIDE} ${where}: ${series.map((i) => seriesName(o, i)).join(", ")} coincide`, width));
  }
  for (const a of across) out.push(...note(a, width));
  return out;
}

/**
 * The x values that fall in one column ("x = 1020 and 1021 share a column …"): the chart
 * cannot show a change between them, and says where their values are.
 */
function sharedColumns(o: TextChartOptions, fr: ChartFrame, xfmt: (v: number) => string, width: number): string[] {
  const byCol = new Map<number, number[]>();
  for (const x of o.x) {
    const c = fr.colOf(fr.f(x));
    byCol.set(c, [...(byCol.get(c) ?? []), x]);
  }
  const out: string[] = [];
  for (const group of byCol.values()) {
    if (group.length < 2) continue;
    const names = group.map(xfmt);
    const list = names.length === 2 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
    out.push(
      ...note(
        `x = ${list} share a column: the chart cannot show a change between them; ${o.valuesBelow ?? "the table below gives each value"}`,
        width,
      ),
    );
  }
  return out;
}

/** "↑ drawn on the 121 row, real values: legacy-put-page 0.25 at x = 5, 2.45 at 20": every lifted marker with its value. */
function liftedNote(
  o: TextChartOptions,
  fr: ChartFrame,
  lifted: Marker[],
  fmt: (v: number) => string,
  vfmt: (v: number) => string,
  xfmt: (v: number) => string,
  width: number,
): string[] {
  if (lifted.length === 0) return [];
  const bySeries = new Map<number, Marker[]>();
  for (const m of lifted) bySeries.set(m.series, [...(bySeries.get(m.series) ?? []), m]);
  const parts = [...bySeries.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(
      ([i, ms]) =>
        `${seriesName(o, i)} ${ms
          .sort((a, b) => a.xi - b.xi)
          .map((m, k) => `${vfmt(m.v)} at ${k ? "" : "x = "}${xfmt(o.x[m.xi])}`)
          .join(", ")}`,
    );
  return note(
    `↑ above ${fmt(fr.min)} but drawn on the ${fmt(rowValue(fr, 1))} row (lifted off the ${fmt(fr.min)} row), real values: ${parts.join("; ")}`,
    width,
  );
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
