/**
 * Mixed pinner populations: one bar group per caller (io_uring fixed buffers, RDMA, VFIO,
 * O_DIRECT …), each pin's chance to lose data (`releasesUnsaved / pinsCompleted`) and to
 * have a DMA write land in a clean page (`writeToCleanPage / pinsCompleted` events per pin
 * when no per-pin count is given), with 95 % Wilson intervals for the shares.
 *
 * Input: `result.groups` of a run (the coverage work's per-caller counts):
 * `[{ caller, pinsTaken, pinsCompleted, releasesUnsaved, lostData, writeToCleanPage, … }]`.
 */
import * as Plot from "@observablehq/plot";
import { wilsonInterval } from "../stats/wilson-interval.js";
import { formatNumber, formatPercent, formatShare } from "./format.js";
import type { FigureOptions } from "./svg.js";
import { fitWidth } from "./text-chart.js";
import { textTable } from "./text-table.js";
import { PlotInputError } from "./table.js";

/** The counts of one pinner group, as `result.groups[i]` carries them. */
export interface PinnerGroupCounts {
  /** The group's caller (CALLER_IDS). */
  caller: string;
  /** Pages pinned by the group's GUP calls. */
  pinsTaken: number;
  /** Page-pins whose release ran (the metric pinsCompleted). */
  pinsCompleted: number;
  /** Releases that left mem != disk on a clean page with no I/O carrying it (the metric releasesUnsaved). */
  releasesUnsaved: number;
  /** Pages whose lost data is charged to this group (its device write was the last to modify them). */
  lostData?: number | null;
  /** Device writes of this group that landed in a clean page. */
  writeToCleanPage?: number | null;
  /** Page-pins during which a DMA write landed in a clean page (preferred over writeToCleanPage). */
  pinsWithWriteToCleanPage?: number | null;
  [more: string]: unknown;
}

interface Bar {
  caller: string;
  measure: string;
  value: number;
  lo: number;
  hi: number;
  n: number;
  k: number;
}

const LOST = "lost data per pin";
const CLEAN = "pins with a DMA write into a clean page";

function share(k: number, n: number): { value: number; lo: number; hi: number } | null {
  if (!(n > 0)) return null;
  const kk = Math.min(k, n);
  const [lo, hi] = wilsonInterval(kk, n);
  return { value: kk / n, lo, hi };
}

/** Per caller: the shares (with Wilson intervals) the figure draws. Throws PlotInputError on malformed groups. */
export function groupBars(groups: readonly PinnerGroupCounts[]): Bar[] {
  if (!Array.isArray(groups) || groups.length === 0)
    throw new PlotInputError("pinner-groups: no groups (result.groups is empty or missing)");
  const out: Bar[] = [];
  for (const g of groups) {
    for (const f of ["pinsCompleted", "releasesUnsaved"] as const) {
      if (typeof g[f] !== "number" || !Number.isInteger(g[f]) || g[f] < 0) {
        throw new PlotInputError(
          `pinner-groups: group ${JSON.stringify(g.caller)} has ${f} = ${JSON.stringify(g[f])} (allowed: a count >= 0)`,
        );
      }
    }
    const lost = share(g.releasesUnsaved, g.pinsCompleted);
    if (lost) out.push({ caller: g.caller, measure: LOST, ...lost, n: g.pinsCompleted, k: g.releasesUnsaved });
    const wc = typeof g.pinsWithWriteToCleanPage === "number" ? g.pinsWithWriteToCleanPage : null;
    const clean = wc === null ? null : share(wc, g.pinsCompleted);
    if (clean && wc !== null) out.push({ caller: g.caller, measure: CLEAN, ...clean, n: g.pinsCompleted, k: wc });
  }
  return out;
}

/** Plot options: grouped bars per caller with Wilson whiskers, value labels on every bar (a 0 is labelled too). */
export function pinnerGroupsPlot(
  groups: readonly PinnerGroupCounts[],
  options: { width?: number; title?: string; caption?: string } = {},
): FigureOptions {
  const bars = groupBars(groups);
  const callers = groups.map((g) => g.caller);
  const measures = [LOST, CLEAN].filter((m) => bars.some((b) => b.measure === m));
  return {
    title: options.title ?? "Mixed pinners: each caller's pins",
    subtitle:
      "share of a caller's completed pins whose release left data unsaved, and that saw a DMA write into a clean page; whiskers: 95 % Wilson interval",
    caption: options.caption,
    width: options.width ?? 720,
    height: 90 + 24 * callers.length * measures.length + 8 * callers.length,
    marginLeft: 130,
    marginRight: 120,
    x: { label: "share of completed pins (%) →", percent: true, domain: [0, 100], grid: true },
    y: { domain: measures, axis: null },
    fy: { domain: callers, label: null, axis: "left", padding: 0.15 },
    color: { domain: [LOST, CLEAN], range: ["#d62728", "#ff9f1c"], legend: true },
    marks: [
      Plot.frame({ stroke: "#eee" }),
      Plot.barX(bars, { x: "value", y: "measure", fy: "caller", fill: "measure", inset: 2 }),
      Plot.ruleY(bars, { x1: "lo", x2: "hi", y: "measure", fy: "caller", stroke: "#333" }),
      Plot.text(bars, {
        x: "hi",
        y: "measure",
        fy: "caller",
        text: (b: Bar) => `${formatPercent(b.value)} (${b.k}/${b.n})`,
        dx: 4,
        textAnchor: "start",
        fontSize: 9,
      }),
      Plot.ruleX([0]),
    ],
  } as FigureOptions;
}

/** The same as a table, at most 72 columns. */
export function pinnerGroupsText(
  groups: readonly PinnerGroupCounts[],
  options: { title?: string; provenance?: string } = {},
): string {
  const bars = groupBars(groups);
  const cell = (caller: string, m: string) => {
    const b = bars.find((x) => x.caller === caller && x.measure === m);
    return b ? formatShare(b.value, b.lo, b.hi) : "–";
  };
  const lines = [
    options.title ?? "Mixed pinners: each caller's pins (95 % Wilson intervals)",
    "",
    textTable(
      ["caller", "pins", "lost data/pin", "clean-page write/pin"],
      groups.map((g) => [g.caller, formatNumber(g.pinsCompleted), cell(g.caller, LOST), cell(g.caller, CLEAN)]),
    ).trimEnd(),
    "pins: completed pins (release ran); lost data/pin: releasesUnsaved / pins",
  ];
  if (options.provenance) lines.push(options.provenance);
  return fitWidth(lines.join("\n") + "\n");
}
