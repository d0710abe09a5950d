/**
 * Displayable values: each exposes `[Symbol.for("Jupyter.display")]()` returning a MIME
 * bundle, the protocol other JavaScript kernels (IJavascript, Deno) render, and which
 * `show()` sends to tslab.
 */
import { svgToPng } from "../plot/png.js";
import { inspect } from "node:util";
import { METRICS, type RunResult } from "../model/metrics.js";
import type { MimeBundle } from "./kernel.js";

/**
 * The method key (Symbol.for("Jupyter.display")) a value implements to render itself in a
 * notebook: tslab and other JavaScript kernels call it for a MIME bundle.
 */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** Anything with a MIME bundle. */
export interface Displayable {
  /** The MIME bundle a notebook front end renders (image/svg+xml, text/html, …, text/plain). */
  [JUPYTER_DISPLAY](): MimeBundle;
}

/** Whether `x` implements JUPYTER_DISPLAY (so show() can display it as is). */
export function isDisplayable(x: unknown): x is Displayable {
  return typeof x === "object" && x !== null && typeof (x as Partial<Displayable>)[JUPYTER_DISPLAY] === "function";
}

/** `s` with &, <, > and " as HTML entities (for text inside HTML tables and attributes). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

/** Add the SVG namespace Plot's outerHTML lacks (resvg and image/svg+xml viewers need it). */
export function withXmlns(svg: string): string {
  return /^<svg\b[^>]*\sxmlns=/.test(svg) ? svg : svg.replace(/^<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg"');
}

/** SVG → PNG with the plot module's resvg renderer and its bundled DejaVu Sans. */
export function svgToPngBytes(svg: string, scale = 2): Uint8Array {
  return svgToPng(withXmlns(svg), { scale });
}

/** A PNG image (from a figure, on request). */
export class PngImage implements Displayable {
  constructor(
    /** The PNG file's bytes. */
    readonly bytes: Uint8Array,
    /** Text shown where the image cannot be. */
    readonly alt = "figure",
  ) {}
  /** What console.log and tslab print: a one-line summary, not the bytes. */
  [inspect.custom](): string {
    return `<PNG ${this.alt}, ${this.bytes.length} bytes>`;
  }
  /** image/png (base64) with a text/plain fallback. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return {
      "image/png": Buffer.from(this.bytes).toString("base64"),
      "text/plain": `<PNG ${this.alt}, ${this.bytes.length} bytes>`,
    };
  }
}

/** A figure as an SVG string: displayed inline as image/svg+xml, PNG on request. */
export class SvgFigure implements Displayable {
  /** The SVG text, with xmlns. */
  readonly svg: string;
  constructor(
    svg: string,
    /** Short name for the text/plain fallback and PNG alt text. */
    readonly title = "figure",
  ) {
    this.svg = withXmlns(svg.trim());
  }
  /** The figure as PNG bytes (resvg, DejaVu Sans), `scale` times its SVG size. */
  pngBytes(scale = 2): Uint8Array {
    return svgToPngBytes(this.svg, scale);
  }
  /** The figure as a displayable PNG. */
  png(scale = 2): PngImage {
    return new PngImage(this.pngBytes(scale), this.title);
  }
  /** The SVG text (so a figure can be written to a file or embedded as a string). */
  toString(): string {
    return this.svg;
  }
  /** What tslab prints when a figure is a cell's last expression: short, not the whole SVG. */
  [inspect.custom](): string {
    return `<figure: ${this.title}; show() it>`;
  }
  /** image/svg+xml with a text/plain fallback. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return { "image/svg+xml": this.svg, "text/plain": `<figure: ${this.title}>` };
  }
}

/** One cell of a table shown with showTable(): null and undefined show as `–`, non-integers with `digits` decimals. */
export type DataTableCell = string | number | boolean | null | undefined;

/** Options of a table shown with showTable(). */
export interface DataTableOptions {
  /** Columns in order; default: the keys of the first row. */
  columns?: string[];
  /** Caption above the table; default none. */
  caption?: string;
  /** Digits after the point for non-integers. Default 3. */
  digits?: number;
  /** Rows shown; the rest are counted. Default 50. */
  maxRows?: number;
}

function formatCell(v: DataTableCell, digits: number): string {
  if (v === null || v === undefined) return "–";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  return String(v);
}

/** Rows of records as an HTML table with a plain-text fallback. */
export class DataTable implements Displayable {
  /** The columns shown, in order: options.columns, else the first row's keys. */
  readonly columns: string[];
  constructor(
    /** The records, one per row; a missing key shows as `–`. */
    readonly rows: readonly Record<string, DataTableCell>[],
    /** Columns, caption, decimals, row limit (DataTableOptions' defaults). */
    readonly options: DataTableOptions = {},
  ) {
    this.columns = options.columns ?? Object.keys(rows[0] ?? {});
  }
  private shown(): { cells: string[][]; more: number } {
    const max = this.options.maxRows ?? 50;
    const digits = this.options.digits ?? 3;
    const cells = this.rows.slice(0, max).map((r) => this.columns.map((c) => formatCell(r[c], digits)));
    return { cells, more: Math.max(0, this.rows.length - max) };
  }
  /** The table as HTML: numeric columns right-aligned, the caption, and a `… N more rows` line past maxRows. */
  html(): string {
    const { cells, more } = this.shown();
    const num = this.columns.map((c) =>
      this.rows.every((r) => typeof r[c] === "number" || r[c] === null || r[c] === undefined),
    );
    const head = this.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
    const body = cells
      .map(
        (row) =>
          "<tr>" +
          row.map((v, i) => `<td style="text-align:${num[i] ? "right" : "left"}">${escapeHtml(v)}</td>`).join("") +
          "</tr>",
      )
      .join("\n");
    const caption = this.options.caption ? `<caption>${escapeHtml(this.options.caption)}</caption>` : "";
    const tail = more ? `<p>… ${more} more rows</p>` : "";
    return `<table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${tail}`;
  }
  /** The table as plain text: columns padded and two spaces apart, a dashed rule under the header. */
  text(): string {
    const { cells, more } = this.shown();
    const w = this.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
    const line = (r: string[]) =>
      r
        .map((v, i) => v.padEnd(w[i]!))
        .join("  ")
        .trimEnd();
    const out = [line(this.columns), line(w.map((n) => "-".repeat(n))), ...cells.map(line)];
    if (this.options.caption) out.unshift(this.options.caption);
    if (more) out.push(`… ${more} more rows`);
    return out.join("\n");
  }
  /** text(). */
  toString(): string {
    return this.text();
  }
  /** What console.log and tslab print: text(). */
  [inspect.custom](): string {
    return this.text();
  }
  /** text/html with a text/plain fallback. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return { "text/html": this.html(), "text/plain": this.text() };
  }
}

/** The parameters shown above a run's metrics (all of them are in result.params). */
const RUN_PARAMS = [
  "policy",
  "seed",
  "duration",
  "pinDuration",
  "pinners",
  "pagesPerPin",
  "dmaWriteRate",
  "writebackInterval",
  "dirtyExpire",
  "shareCount",
] as const;

/** A RunResult shown as its key parameters and every metric with its meaning. */
export class RunView implements Displayable {
  constructor(
    /** The run shown, as simulate() returned it. */
    readonly result: RunResult,
  ) {}
  /** One row per metric: name, value, group, meaning. */
  metricRows(): Record<string, DataTableCell>[] {
    return METRICS.map((m) => ({
      metric: m.name,
      value: this.result.metrics[m.name],
      group: m.group,
      meaning: m.description,
    }));
  }
  /** One line: the key parameters as `name=JSON` and the run's event count. */
  summary(): string {
    const p = this.result.params as unknown as Record<string, unknown>;
    return RUN_PARAMS.map((k) => `${k}=${JSON.stringify(p[k])}`).join(", ") + `; ${this.result.events} events`;
  }
  private table(): DataTable {
    return new DataTable(this.metricRows(), {
      columns: ["metric", "value", "group", "meaning"],
      caption: this.summary(),
      digits: 2,
      maxRows: 100,
    });
  }
  /** The version and PRNG line, then the metrics table as text. */
  toString(): string {
    return `${this.result.pinsim}, ${this.result.prng}\n${this.table().text()}`;
  }
  /** What console.log and tslab print: toString(). */
  [inspect.custom](): string {
    return this.toString();
  }
  /** text/html (the table under a small provenance line) with a text/plain fallback. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return {
      "text/html": `<div><small>${escapeHtml(this.result.pinsim)}, ${escapeHtml(this.result.prng)}</small>${this.table().html()}</div>`,
      "text/plain": this.toString(),
    };
  }
}

/** Markdown (with a plain-text fallback). */
export class Markdown implements Displayable {
  constructor(
    /** The markdown source, shown as is where markdown cannot be rendered. */
    readonly text: string,
  ) {}
  /** text/markdown with the same text as text/plain. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return { "text/markdown": this.text, "text/plain": this.text };
  }
}

/** HTML (with a plain-text fallback). */
export class Html implements Displayable {
  constructor(
    /** The HTML fragment. */
    readonly html: string,
    /** The text/plain fallback; default: the HTML with its tags stripped. */
    readonly plain = "",
  ) {}
  /** text/html with the text/plain fallback. */
  [JUPYTER_DISPLAY](): MimeBundle {
    return { "text/html": this.html, "text/plain": this.plain || this.html.replace(/<[^>]*>/g, "") };
  }
}
