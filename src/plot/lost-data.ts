/**
 * Lost data and device writes into clean pages against pin duration, one panel per
 * policy, with rules at E (dirty_expire) and E + W: a pin held past E + W has seen the
 * flusher clean the page under it at least once.
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
  baseParam,
  describeDropped,
  describeFixed,
  meanOf,
  num,
  provenance,
  requireNeeds,
  slice,
  type FigureNeeds,
} from "./table.js";

const NEEDS: FigureNeeds = {
  axes: ["pinDuration"],
  numericAxes: ["pinDuration"],
  summary: [
    "lostData_mean",
    "lostData_lo",
    "lostData_hi",
    "writeToCleanPage_mean",
    "writeToCleanPage_lo",
    "writeToCleanPage_hi",
  ],
};

const SERIES = { lostData: "lost data", writeToCleanPage: "DMA writes into clean pages" } as const;

interface Point extends BandPoint {
  policy: string;
  metric: string;
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("lost-data", table, NEEDS);
  const hasPolicy = table.manifest.axes.includes("policy");
  const { rows, fixed } = slice(table, hasPolicy ? ["pinDuration", "policy"] : ["pinDuration"], o.at);
  const points: Point[] = [];
  for (const r of rows) {
    const x = num(r.pinDuration);
    if (x === null) continue;
    for (const m of ["lostData", "writeToCleanPage"] as const) {
      const v = meanOf(r, m);
      if (v.v === null) continue;
      points.push({
        x,
        y: v.v,
        lo: Math.max(0, v.lo ?? v.v),
        hi: v.hi ?? v.v,
        metric: SERIES[m],
        policy: hasPolicy ? String(r.policy) : String(baseParam(table, "policy")),
      });
    }
  }
  points.sort((a, b) => a.x - b.x);
  const E = Number(fixed.dirtyExpire ?? baseParam(table, "dirtyExpire"));
  const W = Number(fixed.writebackInterval ?? baseParam(table, "writebackInterval"));
  return { points, policies: policyOrder(points.map((p) => p.policy)), fixed, E, W };
}

/**
 * Lost data and DMA writes into clean pages (mean per run, 95 % t intervals) against pin duration, rules at the dirty expire E and at E + W (W the writeback interval), one panel per policy.
 *
 * Needs a sweep with a numeric `pinDuration` axis.
 * Render it with {@link renderFigure}(table, "lost-data", format).
 */
export const lostDataFigure: Figure = {
  name: "lost-data",
  description:
    "lost data and DMA writes into clean pages against pin duration, rules at E and E + W, faceted by policy",
  needs: NEEDS,
  plot(table, o = {}) {
    const { points, policies, fixed, E, W } = prepare(table, o);
    const cols = facetColumns(policies.length);
    const f = facetWrap(points as unknown as Record<string, unknown>[], (d) => String(d.policy), policies, cols);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    const rules = [
      { x: E, label: "E", anchor: "end", dx: -3 },
      { x: E + W, label: "E+W", anchor: "start", dx: 3 },
    ].filter((r) => !xs.length || (r.x >= xs[0] && r.x <= xs[xs.length - 1]));
    return {
      title: "Lost data and DMA writes into clean pages against pin duration",
      subtitle: `mean per run (band: 95 % t interval); y on a symlog scale; dashed rules: E = ${E} s (dirty_expire) and E + W = ${E + W} s (one flusher period later)`,
      caption: [
        describeFixed(fixed) && `at ${describeFixed(fixed)}`,
        describeDropped(table, "pinDuration"),
        provenance(table.manifest),
      ]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 760,
      height: 90 + 160 * f.rows,
      marginLeft: 50,
      marginTop: 26,
      x: { type: wantsLog(xs) ? "log" : "linear", label: "pin duration (s) →", tickFormat: formatNumber },
      y: {
        ...panelY(
          points.flatMap((p) => [p.lo, p.y, p.hi]),
          "symlog",
        ),
        label: "↑ events per run",
        grid: true,
        tickFormat: formatNumber,
      },
      fx: { axis: null, padding: 0.08 },
      fy: { axis: null, padding: 0.12 },
      color: { legend: true, domain: Object.values(SERIES), range: ["#d62728", "#ff9f1c"] },
      marks: [
        Plot.frame({ stroke: "#ddd" }),
        Plot.ruleX(rules, { x: "x", stroke: "#777", strokeDasharray: "4,3" }),
        ...rules.map((r) =>
          Plot.text([r], {
            x: "x",
            text: "label",
            frameAnchor: "top",
            textAnchor: r.anchor as "start" | "end",
            dx: r.dx,
            dy: 16,
            fill: "#555",
            fontSize: 9,
          }),
        ),
        Plot.areaY(f.data, {
          x: "x",
          y1: "lo",
          y2: "hi",
          z: "metric",
          fx: "fcol",
          fy: "frow",
          fill: "metric",
          fillOpacity: 0.15,
        }),
        Plot.line(f.data, { x: "x", y: "y", z: "metric", fx: "fcol", fy: "frow", stroke: "metric", strokeWidth: 1.8 }),
        Plot.dot(f.data, { x: "x", y: "y", fx: "fcol", fy: "frow", fill: "metric", r: 2.2 }),
        f.label,
      ],
    };
  },
  text(table, o = {}) {
    const { points, policies, fixed, E, W } = prepare(table, o);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    const val = (p: string, x: number, m: string) =>
      points.find((q) => q.policy === p && q.x === x && q.metric === m)?.y ?? null;
    const lossy = policies.filter((p) => xs.some((x) => (val(p, x, SERIES.lostData) ?? 0) > 0));
    const chart = textChart({
      title: "Lost data per run (mean) against pin duration",
      yLabel: `policies that lose data: ${lossy.length} of ${policies.length} (every policy drawn)`,
      xLabel: "pin duration (s)",
      x: xs,
      logX: wantsLog(xs),
      series: policies.map((p) => ({ name: p, values: xs.map((x) => val(p, x, SERIES.lostData)) })),
      marks: [
        { x: E, label: `E = ${E} s` },
        { x: E + W, label: `E + W = ${E + W} s` },
      ],
    });
    const keys = xs.map((x) => formatNumber(x));
    const cell = (m: string) => (p: string, c: string) => formatNumber(val(p, xs[keys.indexOf(c)], m));
    const t1 = matrixTable("lost data \\ pin (s)", policies, keys, cell(SERIES.lostData));
    const t2 = matrixTable("clean writes \\ pin (s)", policies, keys, cell(SERIES.writeToCleanPage));
    const at = describeFixed(fixed);
    return fitWidth(`${chart}\n${t1}\n${t2}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`);
  },
};
