/**
 * Double writebacks (a writeback that starts with mem == disk, "written back twice in a
 * row") per thousand pins against the writeback interval W, one panel per policy.
 */
import * as Plot from "@observablehq/plot";
import type { ResultsTable } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import {
  facetColumns,
  facetWrap,
  panelY,
  policyOrder,
  wantsLog,
  type Figure,
  type FigureOpts,
  type BandPoint,
} from "./figure.js";
import { fitWidth, textChart } from "./text-chart.js";
import { matrixTable } from "./text-table.js";
import {
  describeDropped,
  describeFixed,
  meanOf,
  num,
  PlotInputError,
  provenance,
  requireNeeds,
  slice,
  type FigureNeeds,
} from "./table.js";

const NEEDS: FigureNeeds = {
  axes: ["writebackInterval"],
  numericAxes: ["writebackInterval"],
  summary: ["doubleWritebacks_mean", "doubleWritebacks_lo", "doubleWritebacks_hi", "pinsTaken_mean"],
};

interface Point extends BandPoint {
  policy: string;
}

/** What double-writebacks puts on y: `per-pin` (per thousand pins, the default) or `per-run`. */
export const DOUBLE_WRITEBACK_QUANTITIES = ["per-pin", "per-run"] as const;

function quantity(y: string | undefined): (typeof DOUBLE_WRITEBACK_QUANTITIES)[number] {
  if (y === undefined) return "per-pin";
  if (!(DOUBLE_WRITEBACK_QUANTITIES as readonly string[]).includes(y))
    throw new PlotInputError(
      `invalid y for figure double-writebacks: ${y} (allowed: ${DOUBLE_WRITEBACK_QUANTITIES.join(", ")})`,
    );
  return y as (typeof DOUBLE_WRITEBACK_QUANTITIES)[number];
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("double-writebacks", table, NEEDS);
  const perPin = quantity(o.y) === "per-pin";
  const hasPolicy = table.manifest.axes.includes("policy");
  const { rows, fixed } = slice(table, Object.keys(shows(table)), o.at);
  const points: Point[] = [];
  const noPins = new Set<string>(); // e.g. longterm-refused: every pin refused
  for (const r of rows) {
    const d = meanOf(r, "doubleWritebacks"),
      pins = num(r.pinsTaken_mean),
      x = num(r.writebackInterval);
    if (d.v === null || x === null) continue;
    if (!pins && perPin) {
      noPins.add(hasPolicy ? String(r.policy) : "");
      continue;
    }
    // Per thousand pins: the mean count scaled by the mean pins of the point (pins vary little across seeds).
    const k = perPin ? 1000 / pins! : 1;
    points.push({
      x,
      y: d.v * k,
      lo: Math.max(0, (d.lo ?? d.v) * k),
      hi: (d.hi ?? d.v) * k,
      policy: hasPolicy ? String(r.policy) : String(table.manifest.config?.base?.policy ?? "foll-pin"),
    });
  }
  points.sort((a, b) => a.x - b.x);
  const empty = [...noPins].filter((p) => !points.some((q) => q.policy === p));
  return { points, policies: policyOrder([...points.map((p) => p.policy), ...empty]), noPins: empty, fixed, perPin };
}

/** The axes the figure draws: writeback interval on x, a line per policy. */
function shows(table: ResultsTable): Record<string, string> {
  return table.manifest.axes.includes("policy")
    ? { writebackInterval: "x axis", policy: "series" }
    : { writebackInterval: "x axis" };
}

/**
 * Double writebacks (a writeback that starts with mem == disk, MODEL.md §5) against the
 * writeback interval W, one panel per policy, with 95 % t intervals: per thousand pins
 * (`y: "per-pin"`, the default: the mean count scaled by the point's mean pins) or per run
 * (`y: "per-run"`). Throws PlotInputError for another `y`.
 *
 * Needs a sweep with a numeric `writebackInterval` axis (and usually `policy`).
 * Render it with {@link renderFigure}(table, "double-writebacks", format, { y }).
 */
export const doubleWritebacksFigure: Figure = {
  name: "double-writebacks",
  description: "double writebacks per thousand pins against writeback interval W, faceted by policy",
  needs: NEEDS,
  shows,
  quantities: DOUBLE_WRITEBACK_QUANTITIES,
  plot(table, o = {}) {
    const { points, policies, noPins, fixed, perPin } = prepare(table, o);
    const cols = facetColumns(policies.length);
    const f = facetWrap(points as unknown as Record<string, unknown>[], (d) => String(d.policy), policies, cols);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    return {
      title: `Double writebacks ${perPin ? "per thousand pins" : "per run"} against the writeback interval`,
      subtitle: `a writeback that starts with mem == disk (the page was written back twice in a row); band: 95 % t interval of the mean count${perPin ? ", scaled by the mean pins" : ""}`,
      caption: [
        describeFixed(fixed) && `at ${describeFixed(fixed)}`,
        describeDropped(table, "writebackInterval"),
        provenance(table.manifest),
      ]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 760,
      height: 90 + 150 * f.rows,
      marginLeft: 50,
      marginTop: 26,
      x: { type: wantsLog(xs) ? "log" : "linear", label: "writeback interval W (s) →", tickFormat: formatNumber },
      y: {
        ...panelY(
          points.flatMap((p) => [p.lo, p.y, p.hi]),
          "linear",
        ),
        label: perPin ? "↑ per 1000 pins" : "↑ per run",
        grid: true,
      },
      fx: { axis: null, padding: 0.08 },
      fy: { axis: null, padding: 0.12 },
      marks: [
        Plot.frame({ stroke: "#ddd" }),
        Plot.areaY(f.data, {
          x: "x",
          y1: "lo",
          y2: "hi",
          fx: "fcol",
          fy: "frow",
          fill: "steelblue",
          fillOpacity: 0.18,
        }),
        Plot.line(f.data, { x: "x", y: "y", fx: "fcol", fy: "frow", stroke: "steelblue", strokeWidth: 1.8 }),
        Plot.dot(f.data, { x: "x", y: "y", fx: "fcol", fy: "frow", fill: "steelblue", r: 2.5 }),
        Plot.text(
          noPins.map((k) => ({ k, fcol: policies.indexOf(k) % cols, frow: Math.floor(policies.indexOf(k) / cols) })),
          { fx: "fcol", fy: "frow", frameAnchor: "middle", text: () => "no pins taken (all refused)", fill: "#777" },
        ),
        f.label,
      ],
    };
  },
  text(table, o = {}) {
    const { points, policies, fixed, perPin } = prepare(table, o);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    const val = (p: string, x: number) => points.find((q) => q.policy === p && q.x === x)?.y ?? null;
    const chart = textChart({
      title: `Double writebacks ${perPin ? "per 1000 pins" : "per run (mean)"} against the writeback interval W`,
      yLabel: `every policy drawn (${policies.length})`,
      xLabel: "writeback interval W (s)",
      x: xs,
      logX: wantsLog(xs),
      series: policies.map((p) => ({ name: p, values: xs.map((x) => val(p, x)) })),
    });
    const tbl = matrixTable(
      "policy \\ W (s)",
      policies,
      xs.map((x) => formatNumber(x)),
      (p, c) => formatNumber(val(p, xs[xs.map((x) => formatNumber(x)).indexOf(c)])),
    );
    const at = describeFixed(fixed);
    return fitWidth(`${chart}\n${tbl}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`);
  },
};
