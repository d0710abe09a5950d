/**
 * The "kernel versions" figure: what each kernel release (the `kernel` presets of
 * src/model/kernels.ts) does to one workload, incident by incident and cost by cost, with
 * 95 % intervals. One panel per metric, releases left to right in version order; the first
 * panel is the time to the first BUG() (ext4 before cc5095747edf, v5.18, oopses at the
 * first writeback of a dirty page without buffers and the run stops there).
 *
 * A release whose runs crashed is marked in every panel, never drawn as a plain 0: its
 * counts stop at the crash, and lost data, decided at the end-of-run sync, is not measured
 * at all when every run crashed ("BUG" in that cell).
 */
import * as Plot from "@observablehq/plot";
import { KERNEL_IDS } from "../model/kernels.js";
import { METRICS } from "../model/metrics.js";
import type { ResultsTable, Row } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import { facetColumns, facetWrap, panelY, type Figure, type FigureOpts } from "./figure.js";
import { fitWidth } from "./text-chart.js";
import { matrixTable } from "./text-table.js";
import { describeFixed, meanOf, num, provenance, requireNeeds, slice, type FigureNeeds } from "./table.js";

const NEEDS: FigureNeeds = {
  axes: ["kernel"],
  summary: ["lostData_mean", "lostData_lo", "lostData_hi"],
};

/** The metrics drawn, in this order, when the table has them (the first BUG, incidents, then costs). */
const SHOWN = [
  "crashedAt",
  "lostData",
  "writeToCleanPage",
  "modifiedUnderWriteback",
  "bufferlessWriteback",
  "dirtyWithoutBuffers",
  "refusedPins",
  "falsePositives",
  "doubleWritebacks",
  "writebacks",
  "pinsTaken",
] as const;

/** Metrics decided at the end-of-run sync: not measured in a run that crashed before it. */
const AT_END = new Set(["lostData"]);

/** Panel and row label of a metric. */
function label(m: string): string {
  return m === "crashedAt" ? "first BUG (s)" : m;
}

interface Point {
  kernel: string;
  metric: string;
  y: number;
  lo: number;
  hi: number;
  /** Some (or every) run of this release crashed: the value counts up to the crash. */
  crashed: boolean;
}

/** Runs of a release that hit BUG(), of its runs: crashedAt_any × runs (0 when the table has no crashedAt). */
export interface CrashCount {
  crashed: number;
  runs: number;
}

function crashCount(r: Row): CrashCount {
  const runs = num(r.runs) ?? 0;
  return { crashed: Math.round((num(r.crashedAt_any) ?? 0) * runs), runs };
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("kernel-versions", table, NEEDS);
  const { rows, fixed } = slice(table, Object.keys(shows()), o.at);
  const order = (k: string) => {
    const i = (KERNEL_IDS as readonly string[]).indexOf(k);
    return i < 0 ? 99 : i;
  };
  const kernels = [...new Set(rows.map((r) => String(r.kernel)))].sort((a, b) => order(a) - order(b));
  const crashes = new Map(rows.map((r) => [String(r.kernel), crashCount(r)]));
  const names = new Set(METRICS.map((m) => m.name as string));
  const metrics = SHOWN.filter((m) => names.has(m) && `${m}_mean` in (rows[0] ?? {}));
  const points: Point[] = [];
  for (const r of rows) {
    const k = String(r.kernel);
    const c = crashes.get(k)!;
    for (const m of metrics) {
      const v = meanOf(r, m);
      // Every run crashed: lost data is never measured (no end-of-run sync), not 0.
      if (v.v === null || (AT_END.has(m) && c.crashed === c.runs && c.runs > 0)) continue;
      const crashed = m !== "crashedAt" && c.crashed > 0;
      points.push({ kernel: k, metric: m, y: v.v, lo: Math.max(0, v.lo ?? v.v), hi: v.hi ?? v.v, crashed });
    }
  }
  const drawn = metrics.filter((m) => m === "crashedAt" || points.some((p) => p.metric === m));
  const crashing = kernels.filter((k) => crashes.get(k)!.crashed > 0);
  return { points, kernels, metrics: drawn, fixed, crashes, crashing };
}

type Prepared = ReturnType<typeof prepare>;

/** "4.14 (1 of 2 runs), 5.10 (2 of 2)": which releases crashed, in how many runs. */
function crashList(d: Prepared): string {
  return d.crashing
    .map((k, i) => {
      const c = d.crashes.get(k)!;
      return `${k} (${c.crashed} of ${c.runs}${i === 0 ? " runs" : ""})`;
    })
    .join(", ");
}

function crashNote(d: Prepared): string {
  return d.crashing.length
    ? `ext4 BUG() stopped runs of ${crashList(d)} at the first writeback of a bufferless dirty page: their counts stop at the crash (marked), and lost data is not measured where every run crashed`
    : "";
}

/** A release whose every run crashed: "BUG" in the lost-data panel, where a 0 would read as safe. */
function bugLabels(d: Prepared): { kernel: string; metric: string; text: string }[] {
  const out = d.metrics.includes("lostData")
    ? d.crashing
        .filter((k) => d.crashes.get(k)!.crashed === d.crashes.get(k)!.runs)
        .map((k) => ({ kernel: k, metric: "lostData", text: "BUG" }))
    : [];
  // The first-BUG panel of a table where no run crashed says so, rather than stay empty.
  if (d.metrics.includes("crashedAt") && !d.crashing.length && d.kernels.length)
    out.push({
      kernel: d.kernels[Math.floor((d.kernels.length - 1) / 2)]!,
      metric: "crashedAt",
      text: "no run hit BUG()",
    });
  return out;
}

/**
 * What each kernel release does to one workload: per panel one metric (mean per run, 95 %
 * t interval), the first panel the time to the first BUG() (mean over the runs that
 * crashed); releases whose runs crashed are drawn hollow and red, and "BUG" stands where
 * every run crashed before lost data could be measured.
 *
 * Needs a sweep with a `kernel` axis.
 * Render it with {@link renderFigure}(table, "kernel-versions", format).
 */
/** The axis the figure draws: releases left to right in each panel. */
const shows = (): Record<string, string> => ({ kernel: "x axis" });

export const kernelVersionsFigure: Figure = {
  name: "kernel-versions",
  description:
    "what each kernel release does to one workload: the time to the first BUG and every incident and cost per release, with 95 % intervals",
  needs: NEEDS,
  shows,
  plot(table, o = {}) {
    const d = prepare(table, o);
    const cols = facetColumns(d.metrics.length);
    const panels = d.metrics.map(label);
    const rows = [...d.points, ...bugLabels(d).map((b) => ({ ...b, y: 0 }))].map((p) => {
      const c = d.crashes.get(p.kernel)!;
      // The first-BUG dots carry how many runs crashed: "1/2".
      const share = p.metric === "crashedAt" && !("text" in p) ? { share: `${c.crashed}/${c.runs}` } : {};
      return { ...p, ...share, panel: label(p.metric) };
    });
    const f = facetWrap(rows as unknown as Record<string, unknown>[], (p) => String(p.panel), panels, cols);
    const at = (pred: (p: Record<string, unknown>) => boolean) => f.data.filter(pred);
    const facet = { x: "kernel", fx: "fcol", fy: "frow" } as const;
    return {
      title: "What each kernel release does to one workload",
      subtitle:
        "mean per run with its 95 % t interval; y on a symlog scale; each panel one incident or cost, the first the time to the first BUG() (mean of the runs that crashed); red rings: releases whose runs crashed (counts stop at the crash); releases are the kernel presets (policy per caller, reclaim guard, ext4 BUG/warn, long-term refusal, io_uring's refusals)",
      caption: [crashNote(d), describeFixed(d.fixed) && `at ${describeFixed(d.fixed)}`, provenance(table.manifest)]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 820,
      height: 90 + 170 * f.rows,
      marginLeft: 52,
      marginTop: 26,
      x: { domain: d.kernels, label: "kernel →", tickRotate: -40 },
      // Decades up to one above every interval's end (symlog's default ticks crowd at the top).
      y: {
        ...panelY(
          d.points.flatMap((p) => [p.lo, p.y, p.hi]),
          "symlog",
        ),
        label: "↑ per run (first BUG: seconds)",
        grid: true,
        tickFormat: formatNumber,
      },
      fx: { axis: null, padding: 0.08 },
      fy: { axis: null, padding: 0.14 },
      marks: [
        Plot.frame({ stroke: "#ddd" }),
        Plot.ruleX(
          at((p) => p.text === undefined),
          { ...facet, y1: "lo", y2: "hi", stroke: (p) => (p.crashed ? "#d62728" : "#4c78a8"), strokeWidth: 2 },
        ),
        Plot.dot(
          at((p) => p.text === undefined && !p.crashed),
          { ...facet, y: "y", fill: "#4c78a8", r: 3 },
        ),
        Plot.dot(
          at((p) => p.text === undefined && p.crashed === true),
          { ...facet, y: "y", stroke: "#d62728", fill: "white", strokeWidth: 1.5, r: 3.5 },
        ),
        Plot.text(
          at((p) => p.text !== undefined),
          { ...facet, y: "y", text: "text", fill: "#d62728", fontWeight: "bold", dy: -6 },
        ),
        Plot.text(
          at((p) => p.share !== undefined),
          { ...facet, y: "y", text: "share", fill: "#333", dy: -10, fontSize: 8 },
        ),
        f.label,
      ],
    };
  },
  text(table, o = {}) {
    const d = prepare(table, o);
    const cell = (m: string, k: string) => {
      const p = d.points.find((q) => q.metric === m && q.kernel === k);
      if (!p) return AT_END.has(m) && d.crashing.includes(k) ? "BUG" : "–";
      return `${formatNumber(p.y)}${p.crashed ? "†" : ""}`;
    };
    const rowKeys = d.metrics.map(label);
    const byLabel = new Map(d.metrics.map((m) => [label(m), m as string]));
    const runsRow = "runs hit BUG()";
    const t = matrixTable(
      "metric \\ kernel (mean/run)",
      d.crashing.length ? [rowKeys[0]!, runsRow, ...rowKeys.slice(1)] : rowKeys,
      d.kernels,
      (r, k) => {
        if (r === runsRow) {
          const c = d.crashes.get(k)!;
          return `${c.crashed}/${c.runs}`;
        }
        return cell(byLabel.get(r)!, k);
      },
    );
    const at = describeFixed(d.fixed);
    const none = d.metrics.includes("crashedAt") ? ["first BUG (s): – no run hit ext4's BUG()."] : [];
    const notes = !d.crashing.length
      ? none
      : [
          `first BUG (s): mean time of ext4's BUG() over the runs that hit it; ${runsRow}: of the runs.`,
          "† runs of this release stopped at BUG(): their counts stop at the crash, and their lost data is only what eviction lost before it.",
          ...(bugLabels(d).some((b) => b.text === "BUG")
            ? ["BUG: every run stopped before the end-of-run sync, where lost data is counted: not measured."]
            : []),
        ];
    return fitWidth(
      `What each kernel release does to one workload\n${t}${notes.map((n) => `${n}\n`).join("")}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`,
    );
  },
};
