/**
 * The "kernel eras" figure: every policy of the sweep side by side on every incident and cost, as
 * a table heatmap (rows: metrics, columns: policies in era order). Each row is shaded
 * against its own largest value, since counts, rates and seconds do not share a scale.
 */
import * as Plot from "@observablehq/plot";
import { METRICS } from "../model/metrics.js";
import type { ResultsTable } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import { policyOrder, type Figure, type FigureOpts } from "./figure.js";
import { fitWidth, packed } from "./text-chart.js";
import { matrixTable } from "./text-table.js";
import { describeFixed, meanOf, provenance, requireNeeds, slice, type FigureNeeds } from "./table.js";

const NEEDS: FigureNeeds = {
  axes: ["policy"],
  summary: ["lostData_mean", "writeToCleanPage_mean"],
};

interface Tile {
  policy: string;
  metric: string;
  v: number | null;
  norm: number;
  label: string;
}

function metricLabel(m: (typeof METRICS)[number]): string {
  return m.group === "cost" ? `${m.name} (cost)` : m.unit === "seconds" ? `${m.name} (s)` : m.name;
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("kernel-eras", table, NEEDS);
  const { rows, fixed } = slice(table, Object.keys(shows()), o.at);
  const policies = policyOrder(rows.map((r) => r.policy));
  // A metric of a workload no run of the table has (null at every point because no run is
  // on anonymous memory or writes with O_DIRECT) is left out rather than drawn as a row of
  // dashes; a metric null for a policy's or a run's own reason keeps its row.
  const otherWorkload = (m: (typeof METRICS)[number]) =>
    (m.nullWhen ?? []).some((c) => c === "notAnonymous" || c === "noDioWrite") &&
    rows.every((r) => meanOf(r, m.name).v === null);
  const metrics = METRICS.filter((m) => `${m.name}_mean` in (rows[0] ?? {}) && !otherWorkload(m));
  const tiles: Tile[] = [];
  for (const m of metrics) {
    const vals = policies.map((p) => meanOf(rows.find((r) => String(r.policy) === p)!, m.name).v);
    const max = Math.max(0, ...vals.filter((v): v is number => v !== null));
    policies.forEach((p, i) => {
      const v = vals[i];
      tiles.push({
        policy: p,
        metric: metricLabel(m),
        v,
        norm: v === null || max === 0 ? 0 : v / max,
        label: formatNumber(v),
      });
    });
  }
  return { tiles, policies, metrics: metrics.map(metricLabel), fixed };
}

/** The axis the figure draws: a column per policy. */
const shows = (): Record<string, string> => ({ policy: "columns" });

/**
 * The policies side by side on every incident and cost (mean per run), one tile per policy × metric: the kernel eras of MODEL.md §4 compared.
 *
 * Needs a sweep with a `policy` axis.
 * Render it with {@link renderFigure}(table, "kernel-eras", format).
 */
export const kernelErasFigure: Figure = {
  name: "kernel-eras",
  description: "every policy of the sweep side by side on every incident and cost (mean per run)",
  needs: NEEDS,
  shows,
  plot(table, o = {}) {
    const { tiles, policies, metrics, fixed } = prepare(table, o);
    const width = o.width ?? Math.max(640, 240 + 78 * policies.length);
    return {
      title: "Kernel eras: every policy on every incident and cost",
      subtitle:
        "mean per run; each row shaded against its own largest value; – where the policy makes the metric meaningless",
      caption: [describeFixed(fixed) && `at ${describeFixed(fixed)}`, provenance(table.manifest)]
        .filter(Boolean)
        .join(" · "),
      width,
      height: 90 + 21 * metrics.length,
      marginLeft: 170,
      marginTop: 80,
      marginRight: 70,
      marginBottom: 10,
      x: { domain: policies, axis: "top", label: null, tickRotate: -30, padding: 0.04 },
      y: { domain: metrics, label: null, padding: 0.06 },
      color: {
        type: "linear",
        scheme: "oranges",
        domain: [0, 1],
        legend: true,
        label: "share of the row's largest value",
      },
      marks: [
        Plot.cell(
          tiles.filter((t) => t.v === null),
          { x: "policy", y: "metric", fill: "#f0f0f0" },
        ),
        Plot.cell(
          tiles.filter((t) => t.v !== null),
          { x: "policy", y: "metric", fill: "norm" },
        ),
        Plot.text(tiles, {
          x: "policy",
          y: "metric",
          text: "label",
          fontSize: 9.5,
          fill: (t: Tile) => (t.norm > 0.6 ? "white" : "black"),
        }),
      ],
    };
  },
  text(table, o = {}) {
    const { tiles, policies, metrics, fixed } = prepare(table, o);
    const codes = policies.map((_, i) => `[${i + 1}]`);
    const tbl = matrixTable(
      "metric (mean/run)",
      metrics,
      codes,
      (m, c) => tiles.find((t) => t.metric === m && t.policy === policies[codes.indexOf(c)])?.label ?? "–",
    );
    const key = policies.map((p, i) => `${codes[i]} ${p}`);
    const lines = ["Kernel eras: every policy on every incident and cost (mean per run)", "", tbl, ...packed(key, 72)];
    const at = describeFixed(fixed);
    if (at) lines.push(`at ${at}`);
    lines.push(provenance(table.manifest));
    return fitWidth(lines.join("\n") + "\n");
  },
};
