/**
 * `pinsim report`: a plain-text summary of a results directory, ready to paste into a mail:
 * the question, the parameters, a text chart, the key numbers with intervals, how to rerun.
 */
import { METRICS, type MetricInfo, type MetricName } from "../model/metrics.js";
import { PACKAGE_VERSION } from "../version.js";
import type { ResultsTable, Row } from "../sweep/types.js";
import type { Figure } from "./figure.js";
import { forkCopiesTable } from "./fork-copies.js";
import { FIGURES, getFigure } from "./figures.js";
import { formatNumber } from "./format.js";
import { rerunLines } from "./rerun.js";
import { policyOrder } from "./figure.js";
import { wrapText } from "./text-chart.js";
import { fitTable } from "./text-table.js";
import {
  anyOf,
  completeness,
  describeFixed,
  distinct,
  meanOf,
  missingFor,
  partialNote,
  PlotInputError,
  provenance,
  rateOf,
  slice,
  sweptValues,
} from "./table.js";

/**
 * Check that a table is something the figures can read: a manifest of this major.minor
 * version, with points. Throws PlotInputError with one line otherwise.
 */
export function checkResults(table: ResultsTable): void {
  const m = table.manifest;
  const where = table.dir ?? "results";
  if (!m || typeof m !== "object") throw new PlotInputError(`${where}: no manifest`);
  const v = /^pinsim (\d+)\.(\d+)\.\d+/.exec(String(m.pinsim ?? ""));
  const ours = /^(\d+)\.(\d+)\./.exec(PACKAGE_VERSION);
  if (!v)
    throw new PlotInputError(`${where}: manifest has no pinsim version (got ${JSON.stringify(m.pinsim ?? null)})`);
  if (!ours || v[1] !== ours[1] || v[2] !== ours[2]) {
    throw new PlotInputError(`${where}: results of ${m.pinsim}, this is pinsim ${PACKAGE_VERSION}; rerun the sweep`);
  }
  if (!Array.isArray(m.axes)) throw new PlotInputError(`${where}: manifest has no axes`);
  if (table.summary.length === 0 || table.runs.length === 0)
    throw new PlotInputError(`${where}: no runs yet (summary.csv is empty)`);
}

/** The mail-ready report. */
export function report(table: ResultsTable, options: { chart?: string } = {}): string {
  checkResults(table);
  const m = table.manifest;
  const dir = (table.dir ?? `data/results/${m.name}`).replace(/(.)\/+$/, "$1");
  const out: string[] = [];
  out.push(`pinsim report: ${m.name}`);
  // A shard or an unfinished sweep (--partial) says so first: the numbers below miss points.
  const partial = partialNote(m);
  if (partial) out.push(...wrapText(partial));
  out.push("");
  if (m.config?.question) out.push(...wrapText(`Question: ${m.config.question}`), "");
  out.push(...parameterLines(table, dir));
  const chart = chartFigure(table, options.chart);
  if (chart) out.push(withoutProvenance(chart.text(table), provenance(m)), "");
  out.push(...forkLines(table, chart?.name === "fork-copies"));
  out.push(...(m.axes.includes("policy") ? keyNumbersByPolicy(table) : keyNumbersByPoint(table)));
  out.push(...rerunLines(table, dir));
  return out.map((l) => l.trimEnd()).join("\n") + "\n";
}

/** Where the results are, who made them, the fixed parameters and the swept axes. */
function parameterLines(table: ResultsTable, dir: string): string[] {
  const m = table.manifest;
  const out: string[] = [];
  const seeds = m.config?.seeds ?? distinct(table.runs, "replicate").length;
  const c = completeness(m);
  const points = c.partial ? `${table.summary.length} of ${c.total} points` : `${table.summary.length} points`;
  out.push(...wrapText(`Results: ${dir}, ${points} × ${seeds} seeds = ${table.runs.length} runs`));
  out.push(...wrapText(`Made by: ${provenance(m)}, node ${m.node}`));
  if (m.prng) out.push(...wrapText(`PRNG: ${m.prng}`));
  const entries = Object.entries(m.config?.base ?? {});
  const scalar = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const base = entries.filter(([, v]) => !Array.isArray(v)).map(([k, v]) => `${k}=${scalar(v)}`);
  if (base.length) out.push(...wrapText(`Fixed: ${base.join(", ")} (others at their defaults)`));
  // Lists of objects (pinnerGroups) one item a line, so no line runs past 72 columns.
  for (const [k, v] of entries.filter(([, x]) => Array.isArray(x)) as [string, unknown[]][]) {
    v.forEach((item, i) => {
      const text =
        item !== null && typeof item === "object"
          ? Object.entries(item as Record<string, unknown>)
              .map(([kk, vv]) => `${kk}=${scalar(vv)}`)
              .join(", ")
          : scalar(item);
      out.push(...wrapText(`${k}[${i}]: ${text}`, 68).map((l, j) => (j ? `      ${l}` : `  ${l}`)));
    });
  }
  out.push("Swept:");
  for (const a of m.axes) {
    const vals = sweptValues(table, a); // the config's values, finished or not
    const shown =
      a === "policy" ? policyOrder(vals) : vals.map((v) => (typeof v === "number" ? formatNumber(v) : String(v)));
    out.push(
      ...wrapText(`${a} (${vals.length}): ${shown.join(", ")}`, 68).map((l, i) => (i ? `      ${l}` : `  ${l}`)),
    );
  }
  out.push("");
  return out;
}

/**
 * One text chart with its table (the numbers it draws): `chart`, else the first figure the
 * results can draw, in order of what mail threads ask. Its provenance line is said above.
 */
function chartFigure(table: ResultsTable, chart?: string): Figure | undefined {
  const order = chart
    ? [chart]
    : ["lost-data", "fork-copies", "false-positives", "double-writebacks", "kernel-versions"];
  return order
    .map((n) => FIGURES.find((f) => f.name === n))
    .find((f): f is Figure => !!f && !missingFor(f.name, table, f.needs));
}

/**
 * A sweep whose runs forked (backing anon, the fork-copies preset): pages copied per fork
 * and of them the needless ones (no FOLL_PIN held: folio_maybe_dma_pinned's false
 * positives at fork), a row per kernel preset and a column per share count; a table is
 * left out when the chart above (fork-copies) gave it. Issue 22.
 */
function forkLines(table: ResultsTable, chartHasCopies: boolean): string[] {
  // The fork-copies chart gives both tables itself when any kernel copied needlessly.
  if (chartHasCopies && table.summary.some((r) => (meanOf(r, "forkNeedlessCopies").v ?? 0) > 0)) return [];
  if (missingFor("fork-copies", table, getFigure("fork-copies").needs)) return [];
  if (!table.summary.some((r) => (meanOf(r, "forks").v ?? 0) > 0)) return [];
  const part = (title: string, y: "copies" | "needless") => [...wrapText(title), forkCopiesTable(table, y)];
  return [
    ...(chartHasCopies ? [] : part("Pages fork() copied per fork (mean over seeds), per kernel:", "copies")),
    ...part(
      "Needless copies per fork: pages fork() copied that no FOLL_PIN held (folio_maybe_dma_pinned's false positives), per kernel:",
      "needless",
    ),
    "",
  ];
}
/** A metric's row of the metrics table (its report label and rate note). */
function info(name: MetricName): MetricInfo {
  return METRICS.find((m) => m.name === name)!;
}

/** Key numbers per policy: data lost and what it costs, with intervals. */
function keyNumbersByPolicy(table: ResultsTable): string[] {
  const { rows, fixed } = slice(table, ["policy"]);
  const policies = policyOrder(rows.map((r) => r.policy));
  const byPolicy = (p: string) => rows.find((r) => String(r.policy) === p) as Row;
  const at = describeFixed(fixed);
  const out = wrapText(
    `Key numbers${at ? ` at ${at}` : ""} (mean per run [95 % t interval]; shares and rates [95 % Wilson]):`,
  );
  out.push("", lossTable(policies, byPolicy), "", costTable(policies, byPolicy));
  for (const m of [info("releasesUnsaved"), info("writeToCleanPage"), info("falsePositives")])
    out.push(`${m.label}: ${m.rateDoc}.`);
  out.push("");
  return out;
}

/** What each policy loses: unsaved releases per pin, lost data per run, runs losing data, DMA into clean pages. */
function lossTable(policies: string[], byPolicy: (p: string) => Row): string {
  const head = [
    "policy",
    info("releasesUnsaved").label!,
    `${info("lostData").label}/run`,
    "runs losing data",
    info("writeToCleanPage").label!,
  ];
  return fitTable(
    head,
    policies.map((p) => {
      const r = byPolicy(p);
      const u = rateOf(r, "releasesUnsaved"),
        l = meanOf(r, "lostData"),
        a = anyOf(r, "lostData"),
        c = rateOf(r, "writeToCleanPage");
      return [
        p,
        pct(u.v, u.lo, u.hi),
        interval(l.v, l.lo, l.hi, formatNumber),
        pct(a.v, a.lo, a.hi),
        pct(c.v, c.lo, c.hi),
      ];
    }),
  ).trimEnd();
}

/** What each policy costs: writebacks and double writebacks per run, the detector's false positives. */
function costTable(policies: string[], byPolicy: (p: string) => Row): string {
  const head = [
    "policy",
    `${info("writebacks").label}/run`,
    `${info("doubleWritebacks").label}/run`,
    info("falsePositives").label!,
  ];
  return fitTable(
    head,
    policies.map((p) => {
      const r = byPolicy(p);
      const w = meanOf(r, "writebacks"),
        d = meanOf(r, "doubleWritebacks"),
        f = rateOf(r, "falsePositives");
      return [
        p,
        interval(w.v, w.lo, w.hi, formatNumber),
        interval(d.v, d.lo, d.hi, formatNumber),
        pct(f.v, f.lo, f.hi),
      ];
    }),
  ).trimEnd();
}

/** No policy axis: one line per point (e.g. per kernel release), labelled by its axes. */
function keyNumbersByPoint(table: ResultsTable): string[] {
  // Lost data is measured at file writeback: a sweep of anonymous memory (fork-copies) has
  // none at any point, and 54 lines of "lost data/run –" said nothing.
  if (!table.summary.some((r) => meanOf(r, "lostData").v !== null || (anyOf(r, "crashedAt").v ?? 0) > 0)) return [];
  const out: string[] = [];
  for (const r of table.summary.slice(0, 40)) {
    const label = table.manifest.axes.map((ax) => `${ax} ${String(r[ax])}`).join(", ");
    out.push(...wrapText(`${label ? `${label}: ` : ""}${lostDataWords(r)}`, 68));
  }
  out.push("");
  return out;
}

/**
 * Lost data at one point, with the runs that ext4's BUG() stopped: where every run crashed
 * lost data was never measured (it is counted at the end-of-run sync) and is not shown as 0.
 */
function lostDataWords(r: Row): string {
  const runs = Number(r.runs ?? 0);
  const crashed = Math.round((anyOf(r, "crashedAt").v ?? 0) * runs);
  const t = meanOf(r, "crashedAt");
  const bug = `BUG() in ${crashed} of ${runs} runs, at ${formatNumber(t.v)} s${crashed > 1 ? " on average" : ""}`;
  if (crashed > 0 && crashed === runs) return `lost data not measured: ${bug}`;
  const l = meanOf(r, "lostData"),
    a = anyOf(r, "lostData");
  const lost = `lost data/run ${interval(l.v, l.lo, l.hi, formatNumber)}; runs losing: ${pct(a.v, a.lo, a.hi)}`;
  return crashed > 0 ? `${lost}; ${bug} (counted up to it)` : lost;
}

/** A figure's text (chart and tables) without its closing provenance line, said above. */
function withoutProvenance(text: string, line: string): string {
  const lines = text.trimEnd().split("\n");
  const head = line.slice(0, 30);
  const i = lines.findIndex((l) => l.startsWith(head));
  return (i < 0 ? lines : lines.slice(0, i)).join("\n").trimEnd();
}

function interval(v: number | null, lo: number | null, hi: number | null, f: (x: number | null) => string): string {
  if (v === null) return "–";
  if (lo === null || hi === null || (lo === v && hi === v)) return f(v);
  return `${f(v)} [${f(Math.max(0, lo))}, ${f(hi)}]`;
}

/** "12 % [5–25]": a proportion in percent with its interval, compact for tables. */
function pct(v: number | null, lo: number | null, hi: number | null): string {
  if (v === null) return "–";
  const p = (x: number) => {
    const y = x * 100;
    return y < 1e-9 ? "0" : y >= 10 ? y.toFixed(0) : y >= 1 ? y.toFixed(1) : y >= 0.1 ? y.toFixed(2) : y.toPrecision(1);
  };
  return lo === null || hi === null ? `${p(v)} %` : `${p(v)} % [${p(lo)}–${p(hi)}]`;
}
