/**
 * When does kupdate clean a page after it was dirtied? The histogram of clean delays (V1,
 * V16 of the calibration notes): seconds from a page's clean→dirty transition to its first
 * clean, split by whether its inode was clean when the page was dirtied. A page dirtied in
 * a clean inode sets the inode's `dirtied_when` (`__mark_inode_dirty`, fs/fs-writeback.c)
 * and is written by the first kupdate pass (`wb_check_old_data_flush`, every period P)
 * after `dirtied_when + E`: its delay falls in [E, E + P). A page dirtied in an inode that
 * was already dirty inherits the older `dirtied_when` and is cleaned sooner.
 *
 * Input: `result.cleanDelays` of `simulate(params, { traceClean: true })`.
 */
import * as Plot from "@observablehq/plot";
import type { CleanDelayStats, CleanDelays } from "../engine/clean-delays.js";
import { formatNumber, formatPercent } from "./format.js";
import { panelY } from "./figure.js";
import type { FigureOptions } from "./svg.js";
import { fitWidth } from "./text-chart.js";
import { textTable } from "./text-table.js";

/** Statistics of one population of clean delays (seconds): the engine's, samples optional. */
export type CleanDelayStatsLike = Omit<CleanDelayStats, "samples"> & { samples?: number[] };

/** `result.cleanDelays`: P and E in seconds, and the two populations. */
export type CleanDelaysLike = Omit<CleanDelays, "cleanInode" | "dirtyInode"> & {
  cleanInode: CleanDelayStatsLike;
  dirtyInode: CleanDelayStatsLike;
};

const POPS = [
  ["cleanInode", "inode was clean (sets dirtied_when)"],
  ["dirtyInode", "inode already dirty (older dirtied_when)"],
] as const;

interface Bin {
  x1: number;
  x2: number;
  count: number;
  share: number;
  pop: string;
}

function bins(d: CleanDelaysLike): Bin[] {
  const out: Bin[] = [];
  for (const [key, label] of POPS) {
    const s = d[key];
    const total = s.histogram.counts.reduce((a, b) => a + b, 0);
    s.histogram.counts.forEach((count, i) => {
      const x1 = s.histogram.start + i * s.histogram.binWidth;
      out.push({ x1, x2: x1 + s.histogram.binWidth, count, share: total ? count / total : 0, pop: label });
    });
  }
  return out;
}

/** Plot options: one panel per population, counts per bin, the [E, E + P) window shaded. */
export function cleanDelayPlot(
  d: CleanDelaysLike,
  options: { width?: number; title?: string; caption?: string } = {},
): FigureOptions {
  const E = d.expire,
    P = d.period;
  const data = bins(d);
  const maxX = Math.max(E + P, ...data.filter((b) => b.count > 0).map((b) => b.x2));
  return {
    title: options.title ?? "When kupdate cleans a page after it was dirtied",
    subtitle: `clean delay: seconds from a page's clean→dirty transition to its first clean; shaded: [E, E + P) = [${formatNumber(E)}, ${formatNumber(E + P)}) s, where a page of a clean inode is due (E = dirty_expire, P = kupdate period)`,
    caption:
      options.caption ??
      POPS.map(
        ([k, label]) => `${label}: ${d[k].count} pages, ${formatPercent(d[k].fractionInWindow)} in the window`,
      ).join(" · "),
    width: options.width ?? 720,
    height: 320,
    marginLeft: 56,
    marginTop: 20,
    x: { label: "clean delay (s) →", domain: [0, maxX], grid: true },
    y: {
      ...panelY(
        data.map((b) => b.count),
        "linear",
      ),
      label: "↑ pages",
      grid: true,
    },
    fy: { axis: null, domain: POPS.map((p) => p[1]), padding: 0.15 },
    marks: [
      Plot.rectX([{ x1: E, x2: E + P }], { x1: "x1", x2: "x2", fill: "#ffdd99", fillOpacity: 0.6 }),
      Plot.rectY(data, { x1: "x1", x2: "x2", y: "count", fy: "pop", fill: "steelblue", inset: 0.5 }),
      Plot.ruleX([E, E + P], { stroke: "#b36b00", strokeDasharray: "4,3" }),
      Plot.text(
        [
          { x: E, l: "E" },
          { x: E + P, l: "E+P" },
        ],
        { x: "x", text: "l", frameAnchor: "top", dy: -12, fill: "#b36b00" },
      ),
      Plot.text(
        POPS.map((p) => ({ pop: p[1] })),
        { fy: "pop", text: "pop", frameAnchor: "top-left", dx: 6, dy: 6, fontWeight: "bold", fill: "#333" },
      ),
      Plot.ruleY([0]),
    ],
  };
}

/** The histogram as text: one bar per non-empty bin and population, with counts; at most 72 columns. */
export function cleanDelayText(d: CleanDelaysLike, options: { title?: string; provenance?: string } = {}): string {
  const E = d.expire,
    P = d.period;
  const lines = [options.title ?? "When kupdate cleans a page after it was dirtied (clean delay, s)", ""];
  const all = bins(d);
  const maxCount = Math.max(1, ...all.map((b) => b.count));
  const barW = 36;
  for (const [key, label] of POPS) {
    const s = d[key];
    lines.push(
      `${label}: ${s.count} pages, mean ${formatNumber(s.mean)} s, ${formatPercent(s.fractionInWindow)} in [E, E+P)`,
    );
    const rows = all.filter((b) => b.pop === label && b.count > 0);
    if (rows.length === 0) lines.push("  (none)");
    for (const b of rows) {
      const inWin = b.x1 >= E - 1e-9 && b.x2 <= E + P + 1e-9 ? "◄" : " ";
      const n = Math.max(1, Math.round((b.count / maxCount) * barW)); // a non-empty bin is never drawn empty
      const range = `${formatNumber(b.x1)}–${formatNumber(b.x2)}`.padStart(11);
      lines.push(`${range} ${"█".repeat(n).padEnd(barW)} ${String(b.count).padStart(6)} ${inWin}`.trimEnd());
    }
    lines.push("");
  }
  lines.push(
    `◄ bin inside [E, E + P) = [${formatNumber(E)}, ${formatNumber(E + P)}) s (E = dirty_expire, P = kupdate period)`,
  );
  lines.push("");
  lines.push(
    textTable(
      ["population", "pages", "min (s)", "mean (s)", "max (s)", "in [E, E+P)"],
      POPS.map(([k]) => [
        k,
        String(d[k].count),
        formatNumber(d[k].min),
        formatNumber(d[k].mean),
        formatNumber(d[k].max),
        formatPercent(d[k].fractionInWindow),
      ]),
    ).trimEnd(),
  );
  if (options.provenance) lines.push(options.provenance);
  return fitWidth(lines.join("\n") + "\n");
}
