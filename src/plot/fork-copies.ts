/**
 * The "fork copies" figure: what fork() costs an mm that has pinned (MMF_HAS_PINNED) as the
 * share count of its anonymous pages grows towards the bias, one line per kernel preset:
 * pages copied per fork (copy_present_page), and of them the needless ones (no FOLL_PIN
 * held: the detector's false positives at fork). The counterpart of the false-positives
 * figure for fork's consumer of folio_maybe_dma_pinned: before 5.9 fork copies nothing;
 * 5.9 to 5.18 count every mapping of a shared page towards the bias; from 5.19 only a
 * PG_anon_exclusive page is asked about, so sharing no longer makes a false positive
 * (src/model/anon.ts copyPresentPte).
 */
import * as Plot from "@observablehq/plot";
import { KERNEL_IDS } from "../model/kernels.js";
import type { ResultsTable } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import type { Figure, FigureOpts } from "./figure.js";
import { fitWidth, textChart } from "./text-chart.js";
import { textTable } from "./text-table.js";
import { describeFixed, meanOf, num, provenance, requireNeeds, slice, type FigureNeeds } from "./table.js";

const NEEDS: FigureNeeds = {
  axes: ["shareCount", "kernel"],
  numericAxes: ["shareCount"],
  summary: ["forks_mean", "forkCopies_mean", "forkNeedlessCopies_mean"],
};

/** What the y axis shows (`--y`): pages copied per fork, or the needless ones per fork. */
const QUANTITIES = ["copies", "needless"] as const;

interface Point {
  x: number;
  y: number;
  kernel: string;
}

/** Mean copies (or needless copies) per fork at each share count, per kernel; a run without forks is left out. */
function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("fork-copies", table, NEEDS);
  const needless = (o.y ?? "copies") === "needless";
  const { rows, fixed } = slice(table, Object.keys(shows()), o.at);
  const points: Point[] = [];
  for (const r of rows) {
    const x = num(r.shareCount),
      forks = meanOf(r, "forks").v;
    const copies = meanOf(r, needless ? "forkNeedlessCopies" : "forkCopies").v;
    if (x === null || x <= 0 || !forks || copies === null) continue;
    points.push({ x, y: copies / forks, kernel: String(r.kernel) });
  }
  points.sort((a, b) => a.x - b.x);
  const rank = (k: string) => (KERNEL_IDS as readonly string[]).indexOf(k);
  const kernels = [...new Set(points.map((p) => p.kernel))].sort((a, b) => rank(a) - rank(b));
  return { points, kernels, fixed, needless };
}

const TITLE = "fork() copies per fork against share count, per kernel";

/**
 * The needless copies per fork of the kernels that made any (5.9 to 5.18 from the bias on),
 * drawn dashed under the copies: without them a reader cannot tell the copies a pin asked
 * for from the detector's false positives (issue 22). [] when no kernel copied needlessly.
 */
function needlessLines(table: ResultsTable, o: FigureOpts): Point[] {
  const { points } = prepare(table, { ...o, y: "needless" });
  const copying = new Set(points.filter((p) => p.y > 0).map((p) => p.kernel));
  return points.filter((p) => copying.has(p.kernel));
}

/** The values as a table: a row per kernel, a column per share count ("–": no run forked). */
function valueTable(points: Point[], kernels: string[], xs: number[]): string {
  const value = (k: string, x: number) => points.find((p) => p.kernel === k && p.x === x)?.y ?? null;
  const rows = kernels.map((k) => [
    k,
    ...xs.map((x) => {
      const v = value(k, x);
      return v === null ? "–" : formatNumber(Math.round(v * 100) / 100);
    }),
  ]);
  return textTable(["kernel", ...xs.map((x) => formatNumber(x))], rows);
}

/**
 * The fork-copies figure's table alone (a row per kernel preset, a column per share count)
 * of `y` ("copies": pages copied per fork, "needless": of them the copies no FOLL_PIN held),
 * for the report. Throws PlotInputError like the figure when the table lacks its axes.
 */
export function forkCopiesTable(table: ResultsTable, y: (typeof QUANTITIES)[number], at?: FigureOpts["at"]): string {
  const { points, kernels } = prepare(table, { y, at });
  return valueTable(
    points,
    kernels,
    [...new Set(points.map((p) => p.x))].sort((a, b) => a - b),
  );
}

/**
 * Pages fork copied per fork (forkCopies_mean / forks_mean over seeds), or with `y:
 * "needless"` the copies of pages no FOLL_PIN held, against the share count, one line per
 * kernel preset. Needs a sweep with numeric `shareCount` and `kernel` axes of backing `anon`
 * with forks (data/sweeps/fork-copies.json).
 */
/** The axes the figure draws: share count on x, a line per kernel preset. */
const shows = (): Record<string, string> => ({ shareCount: "x axis", kernel: "series" });

export const forkCopiesFigure: Figure = {
  name: "fork-copies",
  description: "pages fork() copies per fork (all, or needless: no pin held) against share count, one line per kernel",
  needs: NEEDS,
  shows,
  quantities: QUANTITIES,
  plot(table, o: FigureOpts = {}) {
    const { points, kernels, fixed, needless } = prepare(table, o);
    const dashed = needless ? [] : needlessLines(table, o);
    return {
      title: needless ? "fork() needless copies per fork against share count" : TITLE,
      subtitle: `copy_present_pte in an mm with MMF_HAS_PINNED: 5.9 to 5.18 count every mapping towards the bias; from 5.19 only an exclusive page is asked about${dashed.length ? ". Dashed: the needless copies (no pin held)" : ""}`,
      caption: [describeFixed(fixed) && `at ${describeFixed(fixed)}`, provenance(table.manifest)]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 640,
      height: 320,
      x: { type: "log", label: "share count (mappings per page) →", tickFormat: formatNumber },
      y: { label: needless ? "↑ needless copies per fork" : "↑ pages copied per fork", grid: true, zero: true },
      color: { legend: true, label: "kernel", domain: kernels, scheme: "observable10" },
      marks: [
        Plot.line(points, { x: "x", y: "y", z: "kernel", stroke: "kernel", strokeWidth: 1.8, curve: "step-after" }),
        ...(dashed.length
          ? [
              Plot.line(dashed, {
                x: "x",
                y: "y",
                z: "kernel",
                stroke: "kernel",
                strokeWidth: 1.4,
                strokeDasharray: "5,3",
                curve: "step-after",
              }),
            ]
          : []),
        Plot.dot(points, { x: "x", y: "y", fill: "kernel", r: 2.5 }),
        Plot.ruleY([0]),
      ],
    };
  },
  text(table, o: FigureOpts = {}) {
    const { points, kernels, fixed, needless } = prepare(table, o);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    const value = (k: string, x: number) => points.find((p) => p.kernel === k && p.x === x)?.y ?? null;
    const top = Math.max(1, ...points.map((p) => p.y));
    const chart = textChart({
      title: needless ? "fork() needless copies per fork against share count" : TITLE,
      yLabel: needless ? "needless copies per fork (mean over seeds)" : "pages copied per fork (mean over seeds)",
      xLabel: "share count (mappings per page)",
      x: xs,
      series: kernels.map((k) => ({ name: `kernel ${k}`, values: xs.map((x) => value(k, x)) })),
      logX: xs.length > 1 && xs[0] > 0,
      yMin: 0,
      yMax: top,
      format: (v) => formatNumber(Math.round(v * 10) / 10),
      valueFormat: (v) => formatNumber(Math.round(v * 100) / 100),
      valuesBelow: "the table below gives the values",
      step: true,
    });
    // Copies include the pinned pages fork must copy; the needless ones are told apart below.
    const dashed = needless ? [] : needlessLines(table, o);
    const table2 =
      valueTable(points, kernels, xs) +
      (dashed.length
        ? `needless copies per fork (of them, pages no FOLL_PIN held):\n${forkCopiesTable(table, "needless", o.at)}`
        : "");
    const at = describeFixed(fixed);
    return fitWidth(`${chart}\n${table2}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`);
  },
};
