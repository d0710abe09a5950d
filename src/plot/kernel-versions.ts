/**
 * The "kernel versions" figure: what each kernel release (the `kernel` presets of
 * src/model/kernels.ts) does to one workload, incident by incident and cost by cost, with
 * 95 % intervals. One panel per metric, releases left to right in version order.
 */
import * as Plot from "@observablehq/plot";
import { KERNELS, KERNEL_IDS, type KernelId } from "../model/kernels.js";
import { METRICS } from "../model/metrics.js";
import type { ResultsTable } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import { facetColumns, facetWrap, panelY, type Figure, type FigureOpts } from "./figure.js";
import { fitWidth } from "./text-chart.js";
import { matrixTable } from "./text-table.js";
import { baseParam, describeFixed, meanOf, provenance, requireNeeds, slice, type FigureNeeds } from "./table.js";

const NEEDS: FigureNeeds = {
  axes: ["kernel"],
  summary: ["lostData_mean", "lostData_lo", "lostData_hi"],
};

/** The metrics drawn, in this order, when the table has them (incidents first, then costs). */
const SHOWN = [
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

interface Point {
  kernel: string;
  metric: string;
  y: number;
  lo: number;
  hi: number;
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("kernel-versions", table, NEEDS);
  const { rows, fixed } = slice(table, ["kernel"], o.at);
  const order = (k: string) => {
    const i = (KERNEL_IDS as readonly string[]).indexOf(k);
    return i < 0 ? 99 : i;
  };
  const kernels = [...new Set(rows.map((r) => String(r.kernel)))].sort((a, b) => order(a) - order(b));
  const names = new Set(METRICS.map((m) => m.name as string));
  const metrics = SHOWN.filter((m) => names.has(m) && `${m}_mean` in (rows[0] ?? {}));
  const points: Point[] = [];
  for (const r of rows) {
    for (const m of metrics) {
      const v = meanOf(r, m);
      if (v.v === null) continue;
      points.push({ kernel: String(r.kernel), metric: m, y: v.v, lo: Math.max(0, v.lo ?? v.v), hi: v.hi ?? v.v });
    }
  }
  const drawn = metrics.filter((m) => points.some((p) => p.metric === m));
  // Releases whose preset BUG()s on a bufferless dirty page (ext4, before cc5095747edf):
  // a run stops at its first bufferless writeback, so it counts less of everything after.
  const fsGiven =
    baseParam(table, "fsBehavior") !== undefined && "fsBehavior" in ((table.manifest.config?.base ?? {}) as object);
  const crashing = kernels.filter(
    (k) =>
      k in KERNELS &&
      KERNELS[k as KernelId].fsBehavior === "ext4-bug" &&
      !fsGiven &&
      points.some((p) => p.kernel === k && p.metric === "bufferlessWriteback" && p.y > 0),
  );
  return { points, kernels, metrics: drawn, fixed, crashing };
}

function crashNote(crashing: string[]): string {
  return crashing.length
    ? `${crashing.join(", ")}: ext4 BUG()s at the first bufferless writeback and the run stops there (fewer pins and writebacks counted)`
    : "";
}

/**
 * The "kernel versions" figure (the kernel-versions sweep): one panel per incident and cost,
 * the kernel releases along x in release order, each point the mean per run with its 95 % t
 * interval; releases whose ext4 BUG()s (fsBehavior ext4-bug, before cc5095747edf in 5.18)
 * are named in the caption, since their runs stop at the first bufferless writeback.
 */
export const kernelVersionsFigure: Figure = {
  name: "kernel-versions",
  description:
    "what each kernel release does to one workload: every incident and cost per release, with 95 % intervals",
  needs: NEEDS,
  plot(table, o = {}) {
    const { points, kernels, metrics, fixed, crashing } = prepare(table, o);
    const cols = facetColumns(metrics.length);
    const f = facetWrap(points as unknown as Record<string, unknown>[], (d) => String(d.metric), metrics, cols);
    return {
      title: "What each kernel release does to one workload",
      subtitle:
        "mean per run with its 95 % t interval; y on a symlog scale; each panel one incident or cost; releases are the kernel presets (policy per caller, reclaim guard, ext4 BUG/warn, long-term refusal, io_uring's refusals)",
      caption: [crashNote(crashing), describeFixed(fixed) && `at ${describeFixed(fixed)}`, provenance(table.manifest)]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 820,
      height: 90 + 170 * f.rows,
      marginLeft: 52,
      marginTop: 26,
      x: { domain: kernels, label: "kernel →", tickRotate: -40 },
      // Decades up to one above every interval's end (symlog's default ticks crowd at the top).
      y: {
        ...panelY(
          points.flatMap((p) => [p.lo, p.y, p.hi]),
          "symlog",
        ),
        label: "↑ per run",
        grid: true,
        tickFormat: formatNumber,
      },
      fx: { axis: null, padding: 0.08 },
      fy: { axis: null, padding: 0.14 },
      marks: [
        Plot.frame({ stroke: "#ddd" }),
        Plot.ruleX(f.data, {
          x: "kernel",
          y1: "lo",
          y2: "hi",
          fx: "fcol",
          fy: "frow",
          stroke: "#4c78a8",
          strokeWidth: 2,
        }),
        Plot.dot(f.data, { x: "kernel", y: "y", fx: "fcol", fy: "frow", fill: "#4c78a8", r: 3 }),
        f.label,
      ],
    };
  },
  text(table, o = {}) {
    const { points, kernels, metrics, fixed, crashing } = prepare(table, o);
    const cell = (m: string, k: string) => {
      const p = points.find((q) => q.metric === m && q.kernel === k);
      return p ? formatNumber(p.y) : "–";
    };
    const t = matrixTable("metric \\ kernel (mean/run)", metrics as unknown as string[], kernels, cell);
    const at = describeFixed(fixed);
    const note = crashNote(crashing);
    return fitWidth(
      `What each kernel release does to one workload\n${t}${note ? `${note}\n` : ""}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`,
    );
  },
};
