/**
 * Lost data against pin duration, one panel per policy, with rules at E (dirty_expire) and
 * E + P (P the flusher's period): a pin held past E + P has seen the flusher clean the page
 * under it at least once. By default per page-pin: the share of releases that left their
 * data unsaved (releasesUnsaved / pinsCompleted) and the share of pins a DMA write reached
 * in a clean page, with Wilson intervals. Per run (`y: "per-run"`) it draws the pages lost
 * and the DMA writes into clean pages per run, which fall for long pins because fewer
 * pins fit in a run: dirty-at-gup loses 847 pages per run at 45 s and 472 at 120 s, while
 * the share of its releases that leave data unsaved rises from 81 % to 95 % (sweep default).
 */
import * as Plot from "@observablehq/plot";
import { kupdatePeriod } from "../engine/flusher.js";
import type { Cell, ResultsTable, Row } from "../sweep/types.js";
import { formatNumber, formatPercent, formatShare } from "./format.js";
import {
  facetColumns,
  facetWrap,
  panelY,
  policyOrder,
  wantsLog,
  type BandPoint,
  type Figure,
  type FigureOpts,
} from "./figure.js";
import { fitWidth, textChart } from "./text-chart.js";
import { matrixTable } from "./text-table.js";
import {
  baseParam,
  describeDropped,
  describeFixed,
  meanOf,
  num,
  PlotInputError,
  provenance,
  rateOf,
  requireNeeds,
  slice,
  type FigureNeeds,
} from "./table.js";

/** What the lost-data figure puts on y: `per-pin` (the default) or `per-run`. */
export const LOST_DATA_QUANTITIES = ["per-pin", "per-run"] as const;
/** One of {@link LOST_DATA_QUANTITIES}. */
export type LostDataQuantity = (typeof LOST_DATA_QUANTITIES)[number];

type Getter = (r: Row, metric: string) => { v: number | null; lo: number | null; hi: number | null };

/** One quantity: the two series (metric, legend label) and how a summary row gives them. */
interface QuantitySpec {
  get: Getter;
  loss: { metric: string; label: string };
  clean: { metric: string; label: string };
  needs: string[];
}

const QUANTITY: Record<LostDataQuantity, QuantitySpec> = {
  "per-pin": {
    get: rateOf,
    loss: { metric: "releasesUnsaved", label: "releases leaving data unsaved" },
    clean: { metric: "pinsWithWriteToCleanPage", label: "pins with a DMA write into a clean page" },
    needs: ["releasesUnsaved", "pinsWithWriteToCleanPage"].flatMap((m) => [
      `${m}_rate`,
      `${m}_rate_lo`,
      `${m}_rate_hi`,
    ]),
  },
  "per-run": {
    get: meanOf,
    loss: { metric: "lostData", label: "lost data" },
    clean: { metric: "writeToCleanPage", label: "DMA writes into clean pages" },
    needs: ["lostData", "writeToCleanPage"].flatMap((m) => [`${m}_mean`, `${m}_lo`, `${m}_hi`]),
  },
};

const NEEDS: FigureNeeds = {
  axes: ["pinDuration"],
  numericAxes: ["pinDuration"],
  summary: [...QUANTITY["per-pin"].needs, ...QUANTITY["per-run"].needs],
};

interface Point extends BandPoint {
  policy: string;
  metric: string;
}

/** The quantity `o.y` names, default per-pin; PlotInputError naming the allowed ones. */
export function lostDataQuantity(y: string | undefined): LostDataQuantity {
  if (y === undefined) return "per-pin";
  if (!(LOST_DATA_QUANTITIES as readonly string[]).includes(y))
    throw new PlotInputError(`invalid y for figure lost-data: ${y} (allowed: ${LOST_DATA_QUANTITIES.join(", ")})`);
  return y as LostDataQuantity;
}

/**
 * The rules' positions: E = dirty_expire and E + P, P the flusher's period as the kernel
 * arms it (kupdatePeriod: W in whole jiffies, on the timer wheel's grain): 5.12 s for
 * W = 5 s at HZ 250, so E + P = 35.12 s.
 */
export function expireRules(
  fixed: Record<string, Cell>,
  table: ResultsTable,
): { E: number; W: number; P: number; hz: number } {
  const param = (k: string) => Number(fixed[k] ?? baseParam(table, k));
  const E = param("dirtyExpire"),
    W = param("writebackInterval"),
    hz = param("hz");
  return { E, W, P: kupdatePeriod(W, hz), hz };
}

/** Seconds with at most two decimals: 35.12, 30. */
function sec(v: number): string {
  return String(Number(v.toFixed(2)));
}

function prepare(table: ResultsTable, o: FigureOpts) {
  requireNeeds("lost-data", table, NEEDS);
  const q = lostDataQuantity(o.y);
  const spec = QUANTITY[q];
  const hasPolicy = table.manifest.axes.includes("policy");
  const { rows, fixed } = slice(table, Object.keys(shows(table)), o.at);
  const points: Point[] = [];
  const policyOf = (r: Row) => (hasPolicy ? String(r.policy) : String(baseParam(table, "policy")));
  for (const r of rows) {
    const x = num(r.pinDuration);
    if (x === null) continue;
    for (const s of [spec.loss, spec.clean]) {
      const v = spec.get(r, s.metric);
      if (v.v === null) continue;
      points.push({
        x,
        y: v.v,
        lo: Math.max(0, v.lo ?? v.v),
        hi: v.hi ?? v.v,
        metric: s.label,
        policy: policyOf(r),
      });
    }
  }
  points.sort((a, b) => a.x - b.x);
  const policies = policyOrder(rows.map(policyOf));
  // Policies with no page-pins to count per (mmu-notifier: the device mirrors, no GUP
  // reference; longterm-refused: every pin refused), drawn as a panel that says so.
  const noPins = policies.filter((p) => !points.some((q) => q.policy === p));
  return { q, spec, rows, points, policies, noPins, fixed, ...expireRules(fixed, table) };
}

/** "E + P = 35.12 s (P = W 5 s as the flusher's timer gives it at HZ 250)". */
function ruleText(E: number, W: number, P: number, hz: number): string {
  const how = hz === 0 ? "P = W, idealised (hz 0)" : `P = ${sec(P)} s: W = ${sec(W)} s in jiffies at HZ ${hz}`;
  return `E = ${sec(E)} s (dirty_expire) and E + P = ${sec(E + P)} s (${how})`;
}

/** The axes the figure draws: pin duration on x, a line per policy. */
function shows(table: ResultsTable): Record<string, string> {
  return table.manifest.axes.includes("policy")
    ? { pinDuration: "x axis", policy: "series" }
    : { pinDuration: "x axis" };
}

/**
 * Lost data against pin duration, one panel per policy, rules at E (dirty_expire) and
 * E + P (P: the flusher's period, {@link kupdatePeriod}). `y` (`options.y`): `per-pin`,
 * the default, the share of page-pins whose release left data unsaved
 * (releasesUnsaved / pinsCompleted pooled over seeds, 95 % Wilson interval) beside the
 * share of pins with a DMA write into a clean page; `per-run`, pages lost and DMA writes
 * into clean pages per run (mean, 95 % t interval). Throws PlotInputError for another `y`.
 *
 * Needs a sweep with a numeric `pinDuration` axis.
 * Render it with {@link renderFigure}(table, "lost-data", format, { y }).
 */
export const lostDataFigure: Figure = {
  name: "lost-data",
  description:
    "share of page-pins whose release left data unsaved (or lost data per run) against pin duration, rules at E and E + P, faceted by policy",
  needs: NEEDS,
  shows,
  quantities: LOST_DATA_QUANTITIES,
  plot(table, o = {}) {
    const d = prepare(table, o);
    const cols = facetColumns(d.policies.length);
    const f = facetWrap(d.points as unknown as Record<string, unknown>[], (p) => String(p.policy), d.policies, cols);
    const xs = [...new Set(d.points.map((p) => p.x))].sort((a, b) => a - b);
    const rules = [
      { x: d.E, label: "E", anchor: "end", dx: -3 },
      { x: d.E + d.P, label: "E+P", anchor: "start", dx: 3 },
    ].filter((r) => !xs.length || (r.x >= xs[0] && r.x <= xs[xs.length - 1]));
    const perPin = d.q === "per-pin";
    return {
      title: perPin
        ? "Share of page-pins whose release left data unsaved, against pin duration"
        : "Lost data and DMA writes into clean pages per run, against pin duration",
      subtitle: `${perPin ? "per page-pin, pooled over seeds (band: 95 % Wilson interval)" : "mean per run (band: 95 % t interval); y on a symlog scale"}; dashed rules: ${ruleText(d.E, d.W, d.P, d.hz)}`,
      caption: [
        otherPathsNote(d, "y per-run shows them"),
        describeFixed(d.fixed) && `at ${describeFixed(d.fixed)}`,
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
      y: yScale(d),
      fx: { axis: null, padding: 0.08 },
      fy: { axis: null, padding: 0.12 },
      color: { legend: true, domain: [d.spec.loss.label, d.spec.clean.label], range: ["#d62728", "#ff9f1c"] },
      marks: [
        Plot.frame({ stroke: "#ddd" }),
        ...ruleMarks(rules),
        ...seriesMarks(f.data),
        noPinsMark(d, cols),
        f.label,
      ],
    };
  },
  text(table, o = {}) {
    const d = prepare(table, o);
    return d.q === "per-pin" ? perPinText(table, d) : perRunText(table, d);
  },
};

/** The y scale: percent from 0 to 100 per pin; per run symlog up to a labelled decade above every value. */
function yScale(d: Prepared): Record<string, unknown> {
  if (d.q === "per-pin")
    return {
      domain: [0, 100],
      ticks: [0, 25, 50, 75, 100],
      percent: true,
      label: "↑ share of page-pins (%)",
      grid: true,
    };
  return {
    ...panelY(
      d.points.flatMap((p) => [p.lo, p.y, p.hi]),
      "symlog",
    ),
    label: "↑ events per run",
    grid: true,
    tickFormat: formatNumber,
  };
}

/** The dashed rules at E and E + P, each with its label at the top. */
function ruleMarks(rules: { x: number; label: string; anchor: string; dx: number }[]): Plot.Markish[] {
  return [
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
  ];
}

/** "no page-pins counted" in the panel of each policy without page-pins. */
function noPinsMark(d: Prepared, cols: number): Plot.Markish {
  return Plot.text(
    d.noPins.map((k) => ({ k, fcol: d.policies.indexOf(k) % cols, frow: Math.floor(d.policies.indexOf(k) / cols) })),
    { fx: "fcol", fy: "frow", frameAnchor: "middle", text: () => "no page-pins counted", fill: "#777" },
  );
}

/** Band, line and dots of both series in every panel. */
function seriesMarks(data: Record<string, unknown>[]): Plot.Markish[] {
  const facet = { fx: "fcol", fy: "frow" } as const;
  return [
    Plot.areaY(data, { x: "x", y1: "lo", y2: "hi", z: "metric", ...facet, fill: "metric", fillOpacity: 0.15 }),
    Plot.line(data, { x: "x", y: "y", z: "metric", ...facet, stroke: "metric", strokeWidth: 1.8 }),
    Plot.dot(data, { x: "x", y: "y", ...facet, fill: "metric", r: 2.2 }),
  ];
}

type Prepared = ReturnType<typeof prepare>;

/** The value of series `label` at (policy, x), or null. */
function pointAt(d: Prepared, policy: string, x: number, label: string): Point | null {
  return d.points.find((q) => q.policy === policy && q.x === x && q.metric === label) ?? null;
}

function xsOf(d: Prepared): number[] {
  return [...new Set(d.points.map((p) => p.x))].sort((a, b) => a - b);
}

/** The chart of the loss series, one line per policy, with the E and E + P marks. */
function lossChart(d: Prepared, title: string, yLabel: string, perPin: boolean): string {
  const xs = xsOf(d);
  const drawn = d.policies.filter((p) => !d.noPins.includes(p));
  return textChart({
    title,
    yLabel,
    xLabel: "pin duration (s)",
    x: xs,
    logX: wantsLog(xs),
    series: drawn.map((p) => ({ name: p, values: xs.map((x) => pointAt(d, p, x, d.spec.loss.label)?.y ?? null) })),
    ...(perPin ? { yMin: 0, format: (v: number) => `${Math.round(v * 100)} %`, valueFormat: formatPercent } : {}),
    marks: [
      { x: d.E, label: `E = ${sec(d.E)} s (dirty_expire)` },
      { x: d.E + d.P, label: `E + P = ${sec(d.E + d.P)} s (P: flusher period)` },
    ],
  });
}

/** Per page-pin: the chart of unsaved releases, then the two shares and the pins per run as tables. */
function perPinText(table: ResultsTable, d: Prepared): string {
  const xs = xsOf(d);
  const lossy = d.policies.filter((p) => xs.some((x) => (pointAt(d, p, x, d.spec.loss.label)?.y ?? 0) > 0));
  const chart = lossChart(
    d,
    "Share of page-pins whose release left data unsaved, against pin duration",
    `releasesUnsaved / pinsCompleted, pooled over seeds; ${lossy.length} of ${d.policies.length - d.noPins.length} policies leave data unsaved${d.noPins.length ? ` (no page-pins counted: ${d.noPins.join(", ")})` : ""}`,
    true,
  );
  const keys = xs.map((x) => formatNumber(x));
  const share = (label: string) => (p: string, c: string) => {
    const q = pointAt(d, p, xs[keys.indexOf(c)]!, label);
    return q ? formatShare(q.y, q.lo, q.hi) : "–";
  };
  const t1 = matrixTable("unsaved/pin \\ pin (s)", d.policies, keys, share(d.spec.loss.label));
  const t2 = matrixTable("clean-write/pin \\ pin (s)", d.policies, keys, share(d.spec.clean.label));
  const pins = (p: string, c: string) => {
    const r = d.rows.find((row) => String(row.policy ?? p) === p && num(row.pinDuration) === xs[keys.indexOf(c)]);
    return formatNumber(r ? meanOf(r, "pinsCompleted").v : null);
  };
  const t3 = matrixTable("page-pins/run \\ pin (s)", d.policies, keys, pins);
  const lines = [
    chart,
    "unsaved/pin: releases that left mem != disk on a clean page with no I/O",
    "carrying it; clean-write/pin: pins during which a DMA write landed in",
    "a clean page. [95 % Wilson interval]",
    "",
    t1,
    t2,
    t3 + (otherPathsNote(d, "see --y per-run") && `${otherPathsNote(d, "see --y per-run")}\n`),
  ];
  const at = describeFixed(d.fixed);
  return fitWidth(`${lines.join("\n")}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`);
}

/**
 * Policies that lose pages per run though none of their releases left data unsaved (they
 * lose it another way: legacy-put-page's release dirties a page reclaim stripped of its
 * buffers, and ext4-warn drops its writeback), with their most pages lost per run: said,
 * so that a share of 0 per pin does not read as safe.
 */
function otherPaths(d: Prepared): string[] {
  const xs = xsOf(d);
  return d.policies.flatMap((p) => {
    const lost = d.rows
      .filter((r) => String(r.policy ?? p) === p)
      .map((r) => meanOf(r, "lostData").v ?? 0)
      .reduce((a, b) => Math.max(a, b), 0);
    const unsaved = xs.some((x) => (pointAt(d, p, x, d.spec.loss.label)?.y ?? 0) > 0);
    return lost > 0 && !unsaved ? [`${p} (up to ${formatNumber(lost)} pages/run)`] : [];
  });
}

/** The {@link otherPaths} sentence, or "". */
function otherPathsNote(d: Prepared, see: string): string {
  const other = d.q === "per-pin" ? otherPaths(d) : [];
  return other.length ? `pages lost per run though no release left data unsaved: ${other.join(", ")}; ${see}` : "";
}

/** Per run: the chart of pages lost, then lost data and DMA writes into clean pages per run as tables. */
function perRunText(table: ResultsTable, d: Prepared): string {
  const xs = xsOf(d);
  const lossy = d.policies.filter((p) => xs.some((x) => (pointAt(d, p, x, d.spec.loss.label)?.y ?? 0) > 0));
  const chart = lossChart(
    d,
    "Lost data per run (mean) against pin duration",
    `policies that lose data: ${lossy.length} of ${d.policies.length} (every policy drawn)`,
    false,
  );
  const keys = xs.map((x) => formatNumber(x));
  const cell = (label: string) => (p: string, c: string) =>
    formatNumber(pointAt(d, p, xs[keys.indexOf(c)]!, label)?.y ?? null);
  const t1 = matrixTable("lost data \\ pin (s)", d.policies, keys, cell(d.spec.loss.label));
  const t2 = matrixTable("clean writes \\ pin (s)", d.policies, keys, cell(d.spec.clean.label));
  const at = describeFixed(d.fixed);
  return fitWidth(`${chart}\n${t1}\n${t2}${at ? `at ${at}\n` : ""}${provenance(table.manifest)}\n`);
}
