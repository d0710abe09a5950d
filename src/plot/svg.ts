/**
 * Plot options → one standalone `<svg>` string. Observable Plot returns a `<figure>` (HTML)
 * when a title, caption or colour legend is asked for; mail readers, resvg and browsers
 * opening a file want a single SVG, so those parts are drawn here inside the SVG.
 */
import * as Plot from "@observablehq/plot";
import { createRequire } from "node:module";
import type { JSDOM as JSDOMType } from "jsdom";

const SVG_NS = "http://www.w3.org/2000/svg";
/** Font stack: DejaVu Sans is what the PNG renderer bundles, so SVG and PNG agree. */
export const FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif";
const FONT_SIZE = 10;
/** Average advance of a DejaVu Sans glyph, in ems, for wrapping text without layout. */
const EM_ADVANCE = 0.6;

/** Plot options plus the parts this renderer draws itself. */
export type FigureOptions = Plot.PlotOptions & {
  /** Bold first line, wrapped to the width (14 px). */
  title?: string;
  /** Grey line under the title, wrapped (11 px). */
  subtitle?: string;
  /** Small grey text under the plot, wrapped (9 px): the provenance line (config hash, seeds, version). */
  caption?: string;
};

let shared: JSDOMType | null = null;
/**
 * One jsdom window for every figure: creating one costs more than rendering a plot. jsdom
 * is loaded on first use (it takes ~0.6 s), so `pinsim report` and other commands skip it.
 */
function window(): JSDOMType["window"] {
  if (!shared) {
    const { JSDOM } = createRequire(import.meta.url)("jsdom") as typeof import("jsdom");
    shared = new JSDOM("");
  }
  return shared.window;
}

/** A Plot option this renderer cannot draw faithfully in a static SVG: one line naming it. */
export class UnsupportedPlotOption extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedPlotOption";
  }
}

/** Legends this renderer draws inside the SVG; Plot's own would be HTML (or need a canvas). */
const LEGEND_SCALES = ["color", "symbol", "opacity"] as const;

/**
 * Render Plot options to a standalone SVG string (xmlns present, legends inside, ids stable).
 * Legends: color (swatches or a ramp), symbol (Plot's own swatches) and opacity (a ramp);
 * static `Plot.tip` marks are laid out here (Plot leaves them hidden without a browser).
 * Throws UnsupportedPlotOption for what a static SVG cannot show: pointer-driven tips
 * (`tip: true`, `Plot.pointer`), and legends on other scales.
 *
 * Shared jsdom document (Observable Plot's `document` option), white background, DejaVu Sans.
 *
 * @param options Observable Plot options, plus `title`, `subtitle` and `caption` drawn inside the SVG
 * @returns the SVG text, ready for a file, {@link svgToPng} or a notebook cell
 * @throws {UnsupportedPlotOption} a pointer-driven tip or a legend on another scale
 * @example
 * ```ts
 * import { plotSvg } from "pinsim";
 * import * as Plot from "@observablehq/plot";
 * const svg = plotSvg({ marks: [Plot.dot([{ x: 1, y: 2 }], { x: "x", y: "y" })] });
 * svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'); // => true
 * ```
 */
export function plotSvg(options: FigureOptions): string {
  const win = window();
  const doc = win.document;
  const { title, subtitle, caption, ...rest } = options;
  refuseUnsupported(rest);
  const scaleOpts = Object.fromEntries(LEGEND_SCALES.map((k) => [k, (rest[k] ?? {}) as Plot.ScaleOptions]));
  const wanted = LEGEND_SCALES.filter((k) => Boolean(scaleOpts[k].legend));
  const width = rest.width ?? 640;
  const el = renderPlot(doc, rest, scaleOpts, wanted);
  const plotEl = (el.tagName.toLowerCase() === "svg" ? el : el.querySelector("svg")) as SVGSVGElement;
  layOutTips(doc, plotEl);
  const plotHeight = Number(plotEl.getAttribute("height"));

  const g = doc.createElementNS(SVG_NS, "g");
  const pad = 4;
  let y = drawHeading(doc, g, title, subtitle, width - 2 * pad, pad);
  for (const k of wanted) {
    if (k === "color") y = drawLegend(doc, g, el, scaleOpts.color, width, y + 6, pad);
    else if (k === "symbol") y = drawSymbolLegend(doc, g, el, scaleOpts.symbol, width, y + 6, pad);
    else y = drawOpacityLegend(doc, g, el, scaleOpts.opacity, width, y + 6, pad);
  }
  y += 6;
  plotEl.setAttribute("x", "0");
  plotEl.setAttribute("y", String(y));
  y += plotHeight;
  if (caption) {
    y += 4;
    for (const line of wrap(caption, width - 2 * pad, 9))
      svgText(doc, g, line, pad, (y += 12), { "font-size": "9", fill: "#555" });
  }
  y += 6;
  return reindexIds(new win.XMLSerializer().serializeToString(standalone(doc, g, plotEl, width, y)));
}

/** Plot.plot with this renderer's style and document, the legends it draws itself turned off. */
function renderPlot(
  doc: Document,
  rest: Plot.PlotOptions,
  scaleOpts: Record<string, Plot.ScaleOptions>,
  wanted: readonly string[],
): (SVGSVGElement | HTMLElement) & Plot.Plot {
  try {
    return Plot.plot({
      ...rest,
      ...Object.fromEntries(wanted.map((k) => [k, { ...scaleOpts[k], legend: false }])),
      style: { fontFamily: FONT_FAMILY, fontSize: `${FONT_SIZE}px`, background: "white", overflow: "visible" },
      document: doc as unknown as Document,
    }) as unknown as (SVGSVGElement | HTMLElement) & Plot.Plot;
  } catch (e) {
    if (/getContext|fillStyle|canvas/i.test(String((e as Error).message ?? e))) {
      throw new UnsupportedPlotOption(
        `a Plot option needs a canvas, which a static SVG has not: ${(e as Error).message.split("\n")[0]}`,
      );
    }
    throw e;
  }
}

/** The title (bold, 14 px) and subtitle (grey, 11 px), wrapped to `wrapWidth`; returns the y below them. */
function drawHeading(
  doc: Document,
  g: SVGGElement,
  title: string | undefined,
  subtitle: string | undefined,
  wrapWidth: number,
  pad: number,
): number {
  let y = 0;
  if (title) {
    for (const line of wrap(title, wrapWidth, 14))
      svgText(doc, g, line, pad, (y += 18), { "font-size": "14", "font-weight": "bold" });
    y += 2;
  }
  if (subtitle) {
    for (const line of wrap(subtitle, wrapWidth, 11))
      svgText(doc, g, line, pad, (y += 14), { "font-size": "11", fill: "#444" });
  }
  return y;
}

/** The standalone `<svg>`: white background, then the drawn parts `g`, then Plot's own SVG; `height` rounded up. */
function standalone(
  doc: Document,
  g: SVGGElement,
  plotEl: SVGSVGElement,
  width: number,
  height: number,
): SVGSVGElement {
  const out = doc.createElementNS(SVG_NS, "svg");
  out.setAttribute("width", String(width));
  out.setAttribute("height", String(Math.ceil(height)));
  out.setAttribute("viewBox", `0 0 ${width} ${Math.ceil(height)}`);
  out.setAttribute("font-family", FONT_FAMILY);
  out.setAttribute("font-size", String(FONT_SIZE));
  const bg = doc.createElementNS(SVG_NS, "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", "white");
  out.appendChild(bg);
  out.appendChild(g);
  out.appendChild(plotEl);
  return out;
}

/** Append `<text x y …attrs>s</text>` to `g`; attributes in the order given (the SVG bytes depend on it). */
function svgText(
  doc: Document,
  g: SVGGElement,
  s: string,
  x: number,
  y: number,
  attrs: Record<string, string> = {},
): void {
  const t = doc.createElementNS(SVG_NS, "text");
  t.setAttribute("x", String(x));
  t.setAttribute("y", String(y));
  for (const [k, v] of Object.entries(attrs)) t.setAttribute(k, v);
  t.textContent = s;
  g.appendChild(t);
}

/** Marks as Plot keeps them (arrays nest), for checking their options. */
function flatMarks(marks: unknown): Record<string, unknown>[] {
  if (!Array.isArray(marks)) return marks && typeof marks === "object" ? [marks as Record<string, unknown>] : [];
  return marks.flatMap(flatMarks);
}

/** One line naming what a static SVG cannot draw, before anything is rendered. */
function refuseUnsupported(o: Plot.PlotOptions): void {
  const scales = ["x", "y", "fx", "fy", "r", "length", "projection"] as const;
  for (const k of scales) {
    const so = (o as Record<string, unknown>)[k] as { legend?: unknown } | undefined;
    if (so && typeof so === "object" && so.legend) {
      throw new UnsupportedPlotOption(`${k}: { legend } is not supported (legends: ${LEGEND_SCALES.join(", ")})`);
    }
  }
  for (const m of flatMarks(o.marks)) {
    // Plot turns `tip: true` (and Plot.pointer) into a tip that follows the pointer: nothing to draw without one.
    if (m.tip) {
      throw new UnsupportedPlotOption(
        `tip: ${JSON.stringify(m.tip)} on a ${String((m as { ariaLabel?: string }).ariaLabel ?? "mark")} mark follows the pointer, which a static SVG has not; use Plot.tip(data, { x, y, title }) for fixed tips, or drop tip`,
      );
    }
  }
}

/**
 * Plot lays out a tip's box only after the SVG is attached to a page (getBBox); in jsdom it
 * leaves the tip hidden with an empty path. Lay each tip out here, above its point, sizing
 * the box from the text (DejaVu Sans advance), and show it. A pointer tip (no fixed data)
 * renders no tip at all and is refused before rendering.
 */
function layOutTips(_doc: Document, svg: SVGSVGElement): void {
  for (const tg of Array.from(svg.querySelectorAll('g[aria-label="tip"]'))) {
    const isPointer = tg.getAttribute("pointer-events") === "none" && tg.children.length === 0;
    if (isPointer)
      throw new UnsupportedPlotOption(
        "a pointer tip (Plot.pointer) follows the pointer, which a static SVG has not; use Plot.tip(data, { x, y, title })",
      );
    for (const one of Array.from(tg.children)) {
      const path = one.firstElementChild,
        txt = one.lastElementChild;
      if (!path || !txt || path === txt) continue;
      const lines = Array.from(txt.children).filter((c) => c.tagName.toLowerCase() === "tspan");
      const fontSize = FONT_SIZE,
        lineH = fontSize * 1.2,
        r = 8,
        m = 12;
      const w = Math.round(
        Math.max(10, ...lines.map((l) => textWidth((l.textContent ?? "").replace(/\u200b/g, ""), fontSize))),
      );
      const h = Math.round(lines.length * lineH);
      // A box above the point with a pointer of size m at (0, 0).
      path.setAttribute(
        "d",
        `M0,0l${m / 2},${-m / 2}h${w / 2 + r - m / 2}v${-(h + 2 * r)}h${-(w + 2 * r)}v${h + 2 * r}h${w / 2 + r - m / 2}z`,
      );
      for (const l of lines) l.setAttribute("x", "0");
      txt.setAttribute("y", "0");
      txt.setAttribute("transform", `translate(${-w / 2},${-(m / 2 + r + h) - 2})`);
    }
    tg.removeAttribute("visibility");
    // resvg and mail clients know no CSS variables: Plot's var(--plot-background) would paint black.
    if ((tg.getAttribute("fill") ?? "").startsWith("var(")) tg.setAttribute("fill", "white");
  }
}

/** A swatch legend's bold label at (x, row), if any; returns the x where the swatches start. */
function legendLabel(doc: Document, g: SVGGElement, label: string | undefined, x: number, row: number): number {
  if (!label) return x;
  svgText(doc, g, label, x, row, { "font-weight": "bold" });
  return x + textWidth(label, FONT_SIZE) + 12;
}

/** A symbol legend: Plot's own swatches (15 px SVGs with the marks' fill and stroke), drawn inside. */
function drawSymbolLegend(
  doc: Document,
  g: SVGGElement,
  el: Plot.Plot,
  o: Plot.ScaleOptions,
  width: number,
  y: number,
  pad: number,
): number {
  const legend = el.legend("symbol") as unknown as HTMLElement | undefined;
  if (!legend) return y;
  let row = y + 10;
  let x = legendLabel(doc, g, typeof o.label === "string" ? o.label : undefined, pad, row);
  for (const sw of Array.from(legend.querySelectorAll("span"))) {
    const icon = sw.querySelector("svg");
    const s = (sw.textContent ?? "").trim();
    if (!icon) continue;
    const w = 16 + textWidth(s, FONT_SIZE) + 14;
    if (x + w > width - pad && x > pad) {
      x = pad;
      row += 16;
    }
    const copy = doc.importNode(icon, true) as unknown as SVGSVGElement;
    copy.setAttribute("x", String(x));
    copy.setAttribute("y", String(row - 11));
    g.appendChild(copy);
    svgText(doc, g, s, x + 17, row);
    x += w;
  }
  return row + 6;
}

/** An opacity legend: a ramp from transparent to opaque over the scale's domain (Plot's needs a canvas). */
function drawOpacityLegend(
  doc: Document,
  g: SVGGElement,
  el: Plot.Plot,
  o: Plot.ScaleOptions,
  width: number,
  y: number,
  pad: number,
): number {
  const scale = el.scale("opacity");
  if (!scale) return y;
  const apply = Plot.scale({ opacity: scale }).apply as (v: number) => number;
  const [d0, d1] = (scale.domain as number[]).map(Number);
  return drawRamp(
    doc,
    g,
    typeof o.label === "string" ? o.label : undefined,
    d0,
    d1,
    (v) => ["#000", String(Math.max(0, Math.min(1, apply(v))))],
    "pinsim-opacity-ramp",
    width,
    y,
    pad,
  );
}

/** Draw the colour legend inside the SVG: swatches for categories, Plot's ramp otherwise. */
function drawLegend(
  doc: Document,
  g: SVGGElement,
  el: Plot.Plot,
  colorOpts: Plot.ScaleOptions,
  width: number,
  y: number,
  pad: number,
): number {
  const scale = el.scale("color");
  if (!scale) return y;
  const label = typeof colorOpts.label === "string" ? colorOpts.label : undefined;
  if (scale.type === "ordinal" || scale.type === "categorical") {
    const apply = Plot.scale({ color: scale }).apply as (v: unknown) => string;
    let row = y + 10;
    let x = legendLabel(doc, g, label, pad, row);
    for (const v of scale.domain as unknown[]) {
      const s = String(v);
      const w = 14 + textWidth(s, FONT_SIZE) + 14;
      if (x + w > width - pad && x > pad) {
        x = pad;
        row += 15;
      }
      const r = doc.createElementNS(SVG_NS, "rect");
      r.setAttribute("x", String(x));
      r.setAttribute("y", String(row - 9));
      r.setAttribute("width", "10");
      r.setAttribute("height", "10");
      r.setAttribute("fill", apply(v));
      g.appendChild(r);
      svgText(doc, g, s, x + 14, row);
      x += w;
    }
    return row + 4;
  }
  // Continuous scales: Plot's ramp legend needs a canvas, so draw the gradient here.
  const apply = Plot.scale({ color: scale }).apply as (v: number) => string;
  const [d0, d1] = (scale.domain as number[]).map(Number);
  return drawRamp(doc, g, label, d0, d1, (v) => [apply(v), "1"], "pinsim-ramp", width, y, pad);
}

/** A horizontal gradient ramp with round ticks: `stop(v)` gives [colour, opacity] at v. */
function drawRamp(
  doc: Document,
  g: SVGGElement,
  label: string | undefined,
  d0: number,
  d1: number,
  stop: (v: number) => [string, string],
  id: string,
  width: number,
  y: number,
  pad: number,
): number {
  const rampW = Math.min(260, width - 2 * pad),
    x0 = pad;
  let yy = y;
  if (label) {
    svgText(doc, g, label, x0, (yy += 10), { "font-weight": "bold" });
    yy += 4;
  }
  const grad = doc.createElementNS(SVG_NS, "linearGradient");
  grad.setAttribute("id", id);
  for (let i = 0; i <= 16; i++) {
    const el = doc.createElementNS(SVG_NS, "stop");
    const [colour, opacity] = stop(d0 + ((d1 - d0) * i) / 16);
    el.setAttribute("offset", String(i / 16));
    el.setAttribute("stop-color", colour);
    if (opacity !== "1") el.setAttribute("stop-opacity", opacity);
    grad.appendChild(el);
  }
  const defs = doc.createElementNS(SVG_NS, "defs");
  defs.appendChild(grad);
  g.appendChild(defs);
  const bar = doc.createElementNS(SVG_NS, "rect");
  bar.setAttribute("x", String(x0));
  bar.setAttribute("y", String(yy));
  bar.setAttribute("width", String(rampW));
  bar.setAttribute("height", "10");
  bar.setAttribute("fill", `url(#${id})`);
  g.appendChild(bar);
  for (const v of niceTicks(d0, d1, 5)) {
    const x = x0 + ((v - d0) / (d1 - d0 || 1)) * rampW;
    const tick = doc.createElementNS(SVG_NS, "line");
    tick.setAttribute("x1", String(x));
    tick.setAttribute("x2", String(x));
    tick.setAttribute("y1", String(yy));
    tick.setAttribute("y2", String(yy + 13));
    tick.setAttribute("stroke", "#333");
    g.appendChild(tick);
    svgText(doc, g, formatTick(v), x, yy + 23, { "text-anchor": "middle" });
  }
  return yy + 26;
}

/** About n round values spanning [a, b]. */
function niceTicks(a: number, b: number, n: number): number[] {
  const span = b - a;
  if (!(span > 0)) return [a];
  const step0 = span / n,
    mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** A tick label: three significant digits, thousands as `k`. */
function formatTick(v: number): string {
  return Math.abs(v) >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : String(+v.toPrecision(3));
}

/** Greedy word wrap by estimated width (no layout engine on the server). */
export function wrap(s: string, width: number, size: number): string[] {
  const max = Math.max(10, Math.floor(width / (size * EM_ADVANCE)));
  const lines: string[] = [];
  for (const para of s.split("\n")) {
    let line = "";
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > max) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

/** Estimated width of `s` at `size` px (DejaVu Sans's average advance). */
function textWidth(s: string, size: number): number {
  return s.length * size * EM_ADVANCE;
}

/**
 * Plot numbers clip paths and patterns from a process-wide counter; renumber them in
 * document order so a figure's SVG does not depend on what was rendered before it.
 */
export function reindexIds(svg: string): string {
  const ids: string[] = [];
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) if (!ids.includes(m[1])) ids.push(m[1]);
  if (ids.length === 0) return svg;
  const map = new Map(ids.map((id, i) => [id, `pinsim-${i + 1}`]));
  const alt = ids
    .map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .sort((a, b) => b.length - a.length)
    .join("|");
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})(")`, "g"), (_, a: string, id: string, b: string) => a + map.get(id) + b)
    .replace(new RegExp(`(#)(${alt})(?![\\w-])`, "g"), (_, a: string, id: string) => a + map.get(id));
}
