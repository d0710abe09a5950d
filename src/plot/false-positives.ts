/**
 * False-positive rate of the pin detector against share count: one line per bias (or per
 * policy), Wilson bands, and the threshold the refcount formula predicts as a rule. At
 * writeback a dirty mapped page with buffers and no pin reads 1 (page cache) + 1 (buffers)
 * + shares + 1 (the folio batch's own reference) >= bias from shares >= bias - 3
 * (docs/model.md#policies).
 */
import * as Plot from "@observablehq/plot";
import { KERNEL_IDS } from "../model/kernels.js";
import type { Cell, ResultsTable } from "../sweep/types.js";
import { formatNumber, formatPercent, formatInterval } from "./format.js";
import { numericValues, policyOrder, type Figure, type FigureOpts, type BandPoint } from "./figure.js";
import { fitWidth, textChart } from "./text-chart.js";
import { textTable } from "./text-table.js";
import {
  baseParam,
  describeDropped,
  describeFixed,
  distinct,
  num,
  provenance,
  rateOf,
  requireNeeds,
  slice,
  type FigureNeeds,
} from "./table.js";

/** The false-positives figure's options: the common ones and what a line stands for. */
export interface FalsePositivesOpts extends FigureOpts {
  /**
   * One line per `bias`, per `kernel` preset or per `policy`. Default: bias when it is
   * swept (more than one value), else kernel when it is, else policy when it is an axis.
   */
  series?: "bias" | "kernel" | "policy";
}

const NEEDS: FigureNeeds = {
  axes: ["shareCount"],
  numericAxes: ["shareCount"],
  summary: ["falsePositives_rate", "falsePositives_rate_lo", "falsePositives_rate_hi"],
};

interface Point extends BandPoint {
  series: string;
}

/** Share count at which the detector starts seeing a pin that does not exist. */
export function predictedThreshold(bias: number): number {
  return bias - 3;
}

/**
 * What a line stands for: `o.series`, else the first of bias, kernel (each when swept, more
 * than one value) and policy (when an axis) that `o.at` does not hold; null for one line.
 * A swept kernel is a line each: held at its first value (4.19, before any detector) the
 * fork-copies preset's figure had no data at all. `--at bias=1024` on a sweep of bias and
 * policy holds bias and draws a line per policy.
 */
function seriesKey(table: ResultsTable, o: FalsePositivesOpts): string | null {
  if (o.series) return o.series;
  const axes = table.manifest.axes;
  const free = (axis: string) => axes.includes(axis) && !(o.at && axis in o.at);
  const swept = (axis: string) => free(axis) && distinct(table.summary, axis).length > 1;
  return swept("bias") ? "bias" : swept("kernel") ? "kernel" : free("policy") ? "policy" : null;
}

/** The axes the figure draws: share count on x, a line per series key. */
function shows(table: ResultsTable, o: FalsePositivesOpts = {}): Record<string, string> {
  const key = seriesKey(table, o);
  return key ? { shareCount: "x axis", [key]: "series" } : { shareCount: "x axis" };
}

function prepare(table: ResultsTable, o: FalsePositivesOpts) {
  requireNeeds("false-positives", table, NEEDS);
  const key = seriesKey(table, o);
  const { rows, fixed } = slice(table, Object.keys(shows(table, o)), o.at);
  const points: Point[] = [];
  for (const r of rows) {
    const rate = rateOf(r, "falsePositives");
    const x = num(r.shareCount);
    if (rate.v === null || x === null || x <= 0) continue; // no detector in this policy; log x
    points.push({ x, y: rate.v, lo: rate.lo ?? rate.v, hi: rate.hi ?? rate.v, series: key ? String(r[key]) : "all" });
  }
  points.sort((a, b) => a.x - b.x);
  const seriesKeys =
    key === "policy" ? policyOrder(points.map((p) => p.series)) : [...new Set(points.map((p) => p.series))];
  if (key === "bias") seriesKeys.sort((a, b) => Number(a) - Number(b));
  if (key === "kernel") {
    const rank = (k: string) => (KERNEL_IDS as readonly string[]).indexOf(k);
    seriesKeys.sort((a, b) => rank(a) - rank(b));
  }
  const biases = key === "bias" ? seriesKeys.map(Number) : [Number(fixed.bias ?? baseParam(table, "bias"))];
  const thresholds = biases.map((b) => ({
    x: predictedThreshold(b),
    series: key === "bias" ? String(b) : "all",
    label: `bias − 3 = ${predictedThreshold(b)}`,
  }));
  return { key, points, seriesKeys, thresholds, fixed };
}

/**
 * The pin detector's false-positive rate (falsePositives / detectorChecks, pooled over
 * seeds, 95 % Wilson interval) against the share count, one line per bias or policy, with
 * the predicted threshold bias − 3 (page_maybe_dma_pinned counts the consumer's own
 * reference, the page cache's, the buffers' and one per mapping; see {@link predictedThreshold}).
 *
 * Needs a sweep with a numeric `shareCount` axis.
 * Render it with {@link renderFigure}(table, "false-positives", format).
 */
export const falsePositivesFigure: Figure & {
  /** Plot options of the figure; `options.series` picks the line key. */
  plot(t: ResultsTable, o?: FalsePositivesOpts): ReturnType<Figure["plot"]>;
  /** The same data as text, at most 72 columns. */
  text(t: ResultsTable, o?: FalsePositivesOpts): string;
} = {
  name: "false-positives",
  description:
    "pin-detector false-positive rate against share count, one line per bias or policy, predicted threshold bias − 3",
  needs: NEEDS,
  shows,
  plot(table, o: FalsePositivesOpts = {}) {
    const { key, points, seriesKeys, thresholds, fixed } = prepare(table, o);
    const xs = numericValues(points as unknown as Record<string, Cell>[], "x");
    const inRange = thresholds.filter((t) => xs.length && t.x >= xs[0] / 2 && t.x <= xs[xs.length - 1] * 2);
    const colored = key !== null;
    return {
      title: "Pin detector false positives against share count",
      subtitle: `page_maybe_dma_pinned() on unpinned pages; steps: the rate holds until the next share count swept; band: 95 % Wilson interval; dashed rule: the threshold the refcount formula predicts (shares ≥ bias − 3)`,
      caption: [
        describeFixed(fixed) && `at ${describeFixed(fixed)}`,
        describeDropped(table, "shareCount"),
        provenance(table.manifest),
      ]
        .filter(Boolean)
        .join(" · "),
      width: o.width ?? 640,
      height: 340,
      marginRight: 20,
      x: { type: "log", label: "share count (mappings per page) →", tickFormat: formatNumber },
      y: { label: "↑ false positives (% of detector checks)", percent: true, domain: [0, 100], grid: true },
      color: colored
        ? { legend: true, label: key ?? undefined, domain: seriesKeys, scheme: "observable10" }
        : undefined,
      marks: [
        Plot.areaY(points, {
          x: "x",
          y1: "lo",
          y2: "hi",
          z: "series",
          fill: colored ? "series" : "steelblue",
          fillOpacity: 0.15,
          curve: "step-after",
        }),
        Plot.ruleX(inRange, {
          x: "x",
          stroke: key === "bias" ? "series" : "#888",
          strokeDasharray: "5,4",
          strokeWidth: 1.5,
        }),
        Plot.text(
          inRange.map((t, i) => ({ ...t, y: 0.6 - 0.1 * i })),
          {
            x: "x",
            y: "y",
            text: "label",
            dx: -5,
            textAnchor: "end",
            fill: "#333",
            stroke: "white",
            strokeWidth: 3,
            paintOrder: "stroke",
          },
        ),
        Plot.line(points, {
          x: "x",
          y: "y",
          z: "series",
          stroke: colored ? "series" : "steelblue",
          strokeWidth: 1.8,
          curve: "step-after",
        }),
        Plot.dot(points, { x: "x", y: "y", fill: colored ? "series" : "steelblue", r: 2.5 }),
        Plot.ruleY([0]),
      ],
    };
  },
  text(table, o: FalsePositivesOpts = {}) {
    const { key, points, seriesKeys, thresholds, fixed } = prepare(table, o);
    const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
    const series = seriesKeys.map((s) => ({
      name: key ? `${key} ${s}` : "false-positive rate",
      values: xs.map((x) => points.find((p) => p.series === s && p.x === x)?.y ?? null),
    }));
    const chart = textChart({
      title: "Pin detector false positives against share count",
      yLabel: "false positives, % of detector checks (pooled over seeds)",
      xLabel: "share count (mappings per page)",
      x: xs,
      series,
      logX: xs.length > 1 && xs[0] > 0,
      yMin: 0,
      yMax: 1,
      format: (v) => `${Math.round(v * 100)} %`,
      valueFormat: formatPercent,
      valuesBelow: "the table below gives the first share count with false positives, and its rate",
      marks: thresholds.map((t) => ({ x: t.x, label: `predicted threshold ${t.label}` })),
      step: true,
    });
    // Measured threshold (first share count with any false positive) against the prediction.
    const rows = seriesKeys.map((s) => {
      const first = points.filter((p) => p.series === s && p.y > 0).sort((a, b) => a.x - b.x)[0];
      const th = thresholds.find((t) => t.series === s) ?? thresholds[0];
      return [
        key ? `${key} ${s}` : "all",
        String(th?.x ?? "–"),
        first ? formatNumber(first.x) : "none",
        first ? formatInterval(first.y, first.lo, first.hi, formatPercent) : "–",
      ];
    });
    const table2 = textTable(["series", "predicted ≥", "first seen at", "rate there [95 % Wilson]"], rows);
    const at = describeFixed(fixed);
    return fitWidth(`${chart}\n${table2}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`);
  },
};
