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
  title?: string;
  subtitle?: string;
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

/** Render Plot options to a standalone SVG string (xmlns present, legend inside, ids stable). */
export function plotSvg(options: FigureOptions): string {
  const win = window();
  const doc = win.document;
  const { title, subtitle, caption, ...rest } = options;
  const colorOpts = (rest.color ?? {}) as Plot.ScaleOptions;
  const wantLegend = Boolean(colorOpts.legend);
  const width = rest.width ?? 640;
  const el = Plot.plot({
    ...rest,
    color: { ...colorOpts, legend: false },
    style: { fontFamily: FONT_FAMILY, fontSize: `${FONT_SIZE}px`, background: "white", overflow: "visible" },
    document: doc as unknown as Document,
  }) as unknown as (SVGSVGElement | HTMLElement) & Plot.Plot;
  const plotEl = (el.tagName.toLowerCase() === "svg" ? el : el.querySelector("svg")) as SVGSVGElement;
  const plotHeight = Number(plotEl.getAttribute("height"));

  const out = doc.createElementNS(SVG_NS, "svg");
  const g = doc.createElementNS(SVG_NS, "g");
  let y = 0;
  const pad = 4;
  const text = (s: string, x: number, yy: number, size: number, attrs: Record<string, string> = {}) => {
    const t = doc.createElementNS(SVG_NS, "text");
    t.setAttribute("x", String(x));
    t.setAttribute("y", String(yy));
    t.setAttribute("font-size", String(size));
    for (const [k, v] of Object.entries(attrs)) t.setAttribute(k, v);
    t.textContent = s;
    g.appendChild(t);
  };
  if (title) {
    for (const line of wrap(title, width - 2 * pad, 14)) text(line, pad, (y += 18), 14, { "font-weight": "bold" });
    y += 2;
  }
  if (subtitle) {
    for (const line of wrap(subtitle, width - 2 * pad, 11)) text(line, pad, (y += 14), 11, { fill: "#444" });
  }
  if (wantLegend) y = drawLegend(doc, g, el, colorOpts, width, y + 6, pad);
  y += 6;
  plotEl.setAttribute("x", "0");
  plotEl.setAttribute("y", String(y));
  y += plotHeight;
  if (caption) {
    y += 4;
    for (const line of wrap(caption, width - 2 * pad, 9)) text(line, pad, (y += 12), 9, { fill: "#555" });
  }
  y += 6;
  out.setAttribute("width", String(width));
  out.setAttribute("height", String(Math.ceil(y)));
  out.setAttribute("viewBox", `0 0 ${width} ${Math.ceil(y)}`);
  out.setAttribute("font-family", FONT_FAMILY);
  out.setAttribute("font-size", String(FONT_SIZE));
  const bg = doc.createElementNS(SVG_NS, "rect");
  bg.setAttribute("width", "100%");
  bg.setAttribute("height", "100%");
  bg.setAttribute("fill", "white");
  out.appendChild(bg);
  out.appendChild(g);
  out.appendChild(plotEl);
  return reindexIds(new win.XMLSerializer().serializeToString(out));
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
    let x = pad;
    let row = y + 10;
    if (label) {
      const t = doc.createElementNS(SVG_NS, "text");
      t.setAttribute("x", String(x));
      t.setAttribute("y", String(row));
      t.setAttribute("font-weight", "bold");
      t.textContent = label;
      g.appendChild(t);
      x += textWidth(label, FONT_SIZE) + 12;
    }
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
      const t = doc.createElementNS(SVG_NS, "text");
      t.setAttribute("x", String(x + 14));
      t.setAttribute("y", String(row));
      t.textContent = s;
      g.appendChild(t);
      x += w;
    }
    return row + 4;
  }
  // Continuous scales: Plot's ramp legend needs a canvas, so draw the gradient here.
  const apply = Plot.scale({ color: scale }).apply as (v: number) => string;
  const [d0, d1] = (scale.domain as number[]).map(Number);
  const rampW = Math.min(260, width - 2 * pad), x0 = pad;
  let yy = y;
  if (label) {
    const t = doc.createElementNS(SVG_NS, "text");
    t.setAttribute("x", String(x0));
    t.setAttribute("y", String((yy += 10)));
    t.setAttribute("font-weight", "bold");
    t.textContent = label;
    g.appendChild(t);
    yy += 4;
  }
  const id = "pinsim-ramp";
  const grad = doc.createElementNS(SVG_NS, "linearGradient");
  grad.setAttribute("id", id);
  for (let i = 0; i <= 16; i++) {
    const stop = doc.createElementNS(SVG_NS, "stop");
    stop.setAttribute("offset", String(i / 16));
    stop.setAttribute("stop-color", apply(d0 + ((d1 - d0) * i) / 16));
    grad.appendChild(stop);
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
    const t = doc.createElementNS(SVG_NS, "text");
    t.setAttribute("x", String(x));
    t.setAttribute("y", String(yy + 23));
    t.setAttribute("text-anchor", "middle");
    t.textContent = formatTick(v);
    g.appendChild(t);
  }
  return yy + 26;
}

/** About n round values spanning [a, b]. */
function niceTicks(a: number, b: number, n: number): number[] {
  const span = b - a;
  if (!(span > 0)) return [a];
  const step0 = span / n, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

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
  const alt = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).sort((a, b) => b.length - a.length).join("|");
  return svg
    .replace(new RegExp(`(\\sid=")(${alt})(")`, "g"), (_, a: string, id: string, b: string) => a + map.get(id) + b)
    .replace(new RegExp(`(#)(${alt})(?![\\w-])`, "g"), (_, a: string, id: string) => a + map.get(id));
}
