/**
 * Heatmap of lost data (mean per run) over pin duration × writeback interval, one panel
 * per policy: where in the (how long, how often) plane each policy loses data.
 */
import * as Plot from "@observablehq/plot";
import type { ResultsTable } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import { facetColumns, facetWrap, policyOrder, type Figure, type FigureOpts } from "./figure.js";
import { fitWidth } from "./text-chart.js";
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
  axes: ["pinDuration", "writebackInterval"],
  numericAxes: ["pinDuration", "writebackInterval"],
  summary: ["lostData_mean"],
};

interface Cellv {
  pin: string;
  wb: string;
  v: number;
  label: string;
  policy: string;
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("lost-data-heatmap", table, NEEDS);
  const hasPolicy = table.manifest.axes.includes("policy");
  const { rows, fixed } = slice(table, Object.keys(shows(table)), o.at);
  const cells: Cellv[] = [];
  const pins = new Set<number>(),
    wbs = new Set<number>();
  for (const r of rows) {
    const p = num(r.pinDuration),
      w = num(r.writebackInterval),
      v = meanOf(r, "lostData").v;
    if (p === null || w === null || v === null) continue;
    pins.add(p);
    wbs.add(w);
    cells.push({
      pin: formatNumber(p),
      wb: formatNumber(w),
      v,
      label: formatNumber(v),
      policy: hasPolicy ? String(r.policy) : String(baseParam(table, "policy")),
    });
  }
  const pinKeys = [...pins].sort((a, b) => a - b).map(formatNumber);
  const wbKeys = [...wbs].sort((a, b) => a - b).map(formatNumber);
  return { cells, pinKeys, wbKeys, policies: policyOrder(cells.map((c) => c.policy)), fixed };
}

/** The axes the figure draws: pin duration on x, writeback interval on y, a panel per policy. */
function shows(table: ResultsTable): Record<string, string> {
  const plane = { pinDuration: "x axis", writebackInterval: "y axis" };
  return table.manifest.axes.includes("policy") ? { ...plane, policy: "panels" } : plane;
}

/**
 * Lost data (mean per run) over pin duration × writeback interval, one heatmap panel per policy.
 *
 * Needs a sweep with numeric `pinDuration` and `writebackInterval` axes.
 * Render it with {@link renderFigure}(table, "lost-data-heatmap", format).
 */
export const lostDataHeatmapFigure: Figure = {
  name: "lost-data-heatmap",
  description: "heatmap of lost data over pin duration × writeback interval, one panel per policy",
  needs: NEEDS,
  shows,
  plot(table, o = {}) {
    const { cells, pinKeys, wbKeys, policies, fixed } = prepare(table, o);
    const cols = facetColumns(policies.length);
    const f = facetWrap(cells as unknown as Record<string, unknown>[], (d) => String(d.policy), policies, cols);
    const max = Math.max(1, ...cells.map((c) => c.v));
    const cellH = Math.max(14, Math.min(26, 150 / Math.max(1, wbKeys.length)));
    return {
      title: "Lost data over pin duration × writeback interval",
      subtitle: "mean lost pages per run; numbers in the cells; one panel per policy",
      caption: [
        describeFixed(fixed) && `at ${describeFixed(fixed)}`,
        describeDropped(table, "pinDuration"),
        describeDropped(table, "writebackInterval"),
        provenance(table.manifest),
      ]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 760,
      height: 70 + (wbKeys.length * cellH + 34) * f.rows,
      marginLeft: 44,
      marginTop: 16,
      marginBottom: 36,
      x: { domain: pinKeys, label: "pin duration (s) →", padding: 0.04 },
      y: { domain: wbKeys, label: "↑ W (s)", reverse: true, padding: 0.06 },
      fx: { axis: null, padding: 0.06 },
      fy: { axis: null, padding: 0.2 },
      color: { type: "sqrt", scheme: "reds", domain: [0, max], legend: true, label: "lost data per run (mean)" },
      marks: [
        Plot.cell(f.data, { x: "pin", y: "wb", fx: "fcol", fy: "frow", fill: "v", inset: 0.5 }),
        Plot.text(f.data, {
          x: "pin",
          y: "wb",
          fx: "fcol",
          fy: "frow",
          text: "label",
          fontSize: 8.5,
          fill: (d: Cellv) => (d.v > max * 0.45 ? "white" : "black"),
        }),
        Plot.text(
          policies.map((k, i) => ({ k, fcol: i % cols, frow: Math.floor(i / cols) })),
          {
            fx: "fcol",
            fy: "frow",
            text: "k",
            frameAnchor: "top-left",
            dy: -13,
            fontWeight: "bold",
            fill: "#333",
          },
        ),
      ],
    };
  },
  text(table, o = {}) {
    const { cells, pinKeys, wbKeys, policies, fixed } = prepare(table, o);
    const parts: string[] = ["Lost data per run (mean) over pin duration × writeback interval W", ""];
    const clean: string[] = [];
    for (const p of policies) {
      const pc = cells.filter((c) => c.policy === p);
      if (pc.every((c) => c.v === 0)) {
        clean.push(p);
        continue;
      }
      parts.push(
        matrixTable(
          `${p}: W \\ pin (s)`,
          wbKeys,
          pinKeys,
          (w, pin) => pc.find((c) => c.wb === w && c.pin === pin)?.label ?? "–",
        ),
      );
    }
    if (clean.length) parts.push(`no lost data anywhere: ${clean.join(", ")}`);
    const at = describeFixed(fixed);
    if (at) parts.push(`at ${at}`);
    parts.push(provenance(table.manifest));
    return fitWidth(parts.join("\n") + "\n");
  },
};
