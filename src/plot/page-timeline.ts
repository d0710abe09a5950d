/**
 * One page's life around a race, from a traced run: pinned, PG_dirty, pte writable,
 * buffers, unsaved data (mem ≠ disk) as bars; DMA writes, CPU stores and writeback
 * starts as ticks. Made to be linked from a mail thread to explain how data gets lost.
 */
import * as Plot from "@observablehq/plot";
import { DMA_WRITE_EVENT, simulate, type TraceRow } from "../engine/simulate.js";
import { kupdatePeriod } from "../engine/flusher.js";
import { METRIC } from "../model/metrics.js";
import { resolveParams, type ParamsInput } from "../model/params.js";
import type { Cell, ResultsTable, Row } from "../sweep/types.js";
import { formatNumber } from "./format.js";
import type { Figure, FigureOpts } from "./figure.js";
import type { FigureOptions } from "./svg.js";
import { endOfRun, eventTable, pinCallsLine, pinnedAt } from "./page-events.js";
import { fitWidth, packed } from "./text-chart.js";
import { meanOf, num, PlotInputError, provenance, requireNeeds, type FigureNeeds } from "./table.js";

/** A traced page and the moment worth looking at. */
export interface PageTimeline {
  /** The run's parameters (policy, seed, …), as given to simulate(). */
  params: ParamsInput;
  /** Index of the traced page (file × pagesPerFile + offset). */
  page: number;
  /** The page's trace rows, in time order (simulate with tracePages). */
  trace: TraceRow[];
  /** Time of the first DMA write into a clean page (the race): that write's own instant in the trace, or null if none. */
  focus: number | null;
  /** Time range shown. */
  window: [number, number];
  /** Where it comes from, for the caption. */
  provenance: string;
  /**
   * How the run ended: its last instant (seconds) and the ext4 BUG() that stopped it, if
   * one did (RunResult.crashedAt). Absent in a timeline built by hand: the table then says
   * nothing of the end.
   */
  end?: {
    /** The run's last instant, seconds (its duration, or the BUG's time). */
    t: number;
    /** Seconds of the ext4 BUG() that stopped the run, null when it ran to its end. */
    crashedAt: number | null;
  };
}

/** Which page of a run {@link tracePage} follows, and over what time. */
export interface TraceOptions {
  /** Page to trace. Default: the first page a DMA write hits while it is clean (else the first pinned). */
  page?: number;
  /** Time range to show. Default: that pin, from just before it to E + P after its release (P: the flusher's period). */
  window?: [number, number];
  /** Provenance line for the caption. Default: the run's pinsim version, policy and seed. */
  provenance?: string;
}

const TRACKS = [
  "pinned (GUP refs)",
  "PG_dirty",
  "pte writable",
  "buffers",
  "unsaved (mem ≠ disk)",
  "writeback starts",
  "DMA writes",
  "CPU stores",
] as const;
const KINDS = ["DMA write into a clean page", "DMA write into a dirty page", "writeback start", "CPU store"] as const;
const KIND_TRACK: Record<(typeof KINDS)[number], (typeof TRACKS)[number]> = {
  "DMA write into a clean page": "DMA writes",
  "DMA write into a dirty page": "DMA writes",
  "writeback start": "writeback starts",
  "CPU store": "CPU stores",
};

/** Run `params` twice: once to find the page and moment of the race, once tracing that page. */
export function tracePage(params: ParamsInput, options: TraceOptions = {}): PageTimeline {
  let page = options.page ?? -1;
  let focus: number | null = null;
  if (page < 0) {
    let clean = 0,
      pinned = 0,
      first = -1;
    simulate(params, {
      onEvent: (pc, t) => {
        if (page >= 0) return;
        const c = pc.counters;
        if (c[METRIC.writeToCleanPage] > clean) {
          // The page just written: held (or device-mapped), clean, and now newer than disk.
          for (let p = 0; p < pc.pages; p++) {
            if (
              !pc.dirty(p) &&
              pc.attached(p) &&
              pc.mem(p) !== pc.disk(p) &&
              (pc.pins[p] > 0 || pc.gets[p] > 0 || pc.policy.reference === "none")
            ) {
              page = p;
              focus = t;
              break;
            }
          }
          clean = c[METRIC.writeToCleanPage];
        }
        if (first < 0 && c[METRIC.pinsTaken] > pinned) {
          for (let p = 0; p < pc.pages; p++)
            if (pc.pins[p] > 0 || pc.gets[p] > 0) {
              first = p;
              break;
            }
          pinned = c[METRIC.pinsTaken];
        }
      },
    });
    if (page < 0) page = Math.max(0, first);
  }
  const run = simulate(params, { tracePages: [page] });
  const trace = run.trace ?? [];
  // The counter moves when the engine applies a page's device writes (lazily, at the page's
  // next event, seconds later); the trace has each write at its own instant: use that.
  focus = firstCleanWrite(trace) ?? focus;
  const duration = run.params.duration;
  const EP = run.params.dirtyExpire + kupdatePeriod(run.params.writebackInterval, run.params.hz);
  return {
    params,
    page,
    trace,
    focus,
    window: options.window ?? defaultWindow(trace, focus, EP, duration),
    provenance: options.provenance ?? `${run.pinsim} · policy ${run.params.policy} · seed ${run.params.seed}`,
    end: { t: run.crashedAt ?? duration, crashedAt: run.crashedAt },
  };
}

function firstCleanWrite(trace: TraceRow[]): number | null {
  for (let i = 1; i < trace.length; i++) {
    const a = trace[i - 1],
      b = trace[i];
    if (isDmaWrite(b) && b.mem > a.mem && !a.dirty) return b.t;
  }
  return null;
}

/** The pin around the focus: from just before GUP to E + P after the release. */
function defaultWindow(trace: TraceRow[], focus: number | null, ew: number, duration: number): [number, number] {
  if (trace.length === 0) return [0, duration];
  const at = focus ?? trace.find(pinnedAt)?.t ?? trace[0].t;
  let start = at,
    end = at;
  for (let i = 0; i < trace.length; i++) {
    const r = trace[i];
    if (r.t <= at && pinnedAt(r) && (i === 0 || !pinnedAt(trace[i - 1]))) start = r.t;
    if (r.t > at && !pinnedAt(r)) {
      end = r.t;
      break;
    }
  }
  if (end <= at) end = Math.min(duration, at + ew);
  const len = Math.max(1, end - start);
  return [Math.max(0, start - 0.1 * len), Math.min(duration, end + ew + 0.1 * len)];
}

interface Bar {
  x1: number;
  x2: number;
  track: string;
}
interface Tick {
  t: number;
  track: string;
  kind: string;
  what: string;
}

/** A device write: the engine traces them as `dma-write` rows (an MMU-notifier device's as pinner events). */
const isDmaWrite = (r: TraceRow): boolean => r.event === DMA_WRITE_EVENT || r.event === "pinner";

/** Bars (state intervals) and ticks (events) of the trace inside the window. */
export function timelineMarks(tl: PageTimeline): { bars: Bar[]; ticks: Tick[] } {
  const [t0, t1] = tl.window;
  const tr = tl.trace;
  const state: [string, (r: TraceRow) => boolean][] = [
    [TRACKS[0], pinnedAt],
    [TRACKS[1], (r) => r.dirty > 0],
    [TRACKS[2], (r) => r.pteWritable > 0],
    [TRACKS[3], (r) => r.buffers > 0],
    [TRACKS[4], (r) => r.mem !== r.disk],
  ];
  const bars: Bar[] = [];
  for (const [track, on] of state) {
    let since: number | null = null;
    for (let i = 0; i < tr.length; i++) {
      const r = tr[i];
      const v = on(r);
      if (v && since === null) since = r.t;
      if (!v && since !== null) {
        if (r.t > t0 && since < t1) bars.push({ x1: Math.max(since, t0), x2: Math.min(r.t, t1), track });
        since = null;
      }
    }
    if (since !== null && since < t1) bars.push({ x1: Math.max(since, t0), x2: t1, track });
  }
  const ticks: Tick[] = [];
  for (let i = 1; i < tr.length; i++) {
    const a = tr[i - 1],
      b = tr[i];
    if (b.t < t0 || b.t > t1) continue;
    if (b.mem > a.mem && isDmaWrite(b)) {
      const kind = a.dirty ? KINDS[1] : KINDS[0];
      ticks.push({ t: b.t, track: KIND_TRACK[kind], kind, what: kind });
    } else if (b.mem > a.mem && b.event === "cpu-store")
      ticks.push({ t: b.t, track: "CPU stores", kind: KINDS[3], what: "CPU store" });
    if (b.writeback && !a.writeback)
      ticks.push({ t: b.t, track: "writeback starts", kind: KINDS[2], what: `writeback start (${b.event})` });
  }
  return { bars, ticks };
}

/** Plot options for a traced page. */
export function pageTimelinePlot(tl: PageTimeline, options: { width?: number; title?: string } = {}): FigureOptions {
  const { bars, ticks } = timelineMarks(tl);
  const focus =
    tl.focus !== null && tl.focus >= tl.window[0] && tl.focus <= tl.window[1]
      ? [{ t: tl.focus, label: "first DMA write into a clean page" }]
      : [];
  const policy = String(tl.params.policy ?? "foll-pin");
  return {
    title: options.title ?? `One page's timeline: ${policy}, page ${tl.page}`,
    subtitle: [
      "bars: page state; ticks: events. A DMA write into a clean page sets no dirty bit: unless the release dirties the page again, the flusher never writes that data",
      pinCallsLine(tl),
      endOfRun(tl)?.replace(/^e/, "E"),
    ]
      .filter(Boolean)
      .join(". "),
    caption: `${tl.provenance} · page ${tl.page} · t ${formatNumber(tl.window[0])}–${formatNumber(tl.window[1])} s`,
    width: options.width ?? 760,
    height: 300,
    marginLeft: 140,
    marginRight: 20,
    marginTop: 22,
    x: { domain: tl.window, label: "time (s) →", grid: true },
    y: { domain: [...TRACKS], label: null, padding: 0.25 },
    color: { domain: [...KINDS], range: ["#d62728", "#1f4e99", "#2ca02c", "#888888"], legend: true },
    marks: [
      Plot.barX(bars, { x1: "x1", x2: "x2", y: "track", fill: "#8fb3de" }),
      Plot.tickX(ticks, { x: "t", y: "track", stroke: "kind", strokeWidth: 1.5 }),
      Plot.ruleX(focus, { x: "t", stroke: "#d62728", strokeDasharray: "3,3" }),
      Plot.text(focus, { x: "t", text: "label", frameAnchor: "top", dy: -14, fill: "#d62728", fontWeight: "bold" }),
    ],
  };
}

/** The timeline as text: a 72-column strip chart and the events around the race. */
export function pageTimelineText(tl: PageTimeline): string {
  const { bars, ticks } = timelineMarks(tl);
  const [t0, t1] = tl.window;
  const labelW = 21,
    cols = 72 - labelW - 1;
  const col = (t: number) => Math.min(cols - 1, Math.max(0, Math.floor(((t - t0) / (t1 - t0 || 1)) * cols)));
  const glyph: Record<string, string> = { [KINDS[0]]: "!", [KINDS[1]]: "|", [KINDS[2]]: "w", [KINDS[3]]: "c" };
  const lines = [`One page's timeline: ${String(tl.params.policy ?? "foll-pin")}, page ${tl.page}`, ""];
  for (const track of TRACKS) {
    const row = [..."·".repeat(cols)];
    for (const b of bars.filter((b) => b.track === track))
      for (let c = col(b.x1); c <= col(Math.max(b.x1, b.x2 - 1e-9)); c++) row[c] = "█";
    for (const k of ticks.filter((k) => k.track === track)) if (row[col(k.t)] !== "!") row[col(k.t)] = glyph[k.kind];
    lines.push(`${track.padEnd(labelW)} ${row.join("")}`);
  }
  const axis = [..." ".repeat(cols)];
  const put = (c: number, s: string) => [...s].forEach((ch, i) => c + i < cols && (axis[c + i] = ch));
  put(0, `${formatNumber(t0)} s`);
  const mid = `${formatNumber((t0 + t1) / 2)} s`;
  put(Math.floor(cols / 2 - mid.length / 2), mid);
  const end = `${formatNumber(t1)} s`;
  put(cols - end.length, end);
  lines.push(`${"time".padEnd(labelW)} ${axis.join("")}`.trimEnd());
  lines.push(
    ...packed(
      [
        "█ state on",
        "! DMA write into a clean page",
        "| DMA write into a dirty page",
        "w writeback start",
        "c CPU store",
      ],
      72,
    ),
  );
  lines.push(
    ...eventTable(
      tl,
      ticks.filter((k) => k.kind !== KINDS[1]),
    ),
  );
  lines.push(`${tl.provenance} · page ${tl.page}`);
  return fitWidth(lines.join("\n") + "\n");
}

// ---- from a results table -------------------------------------------------------------------

const NEEDS: FigureNeeds = { axes: [], summary: ["lostData_mean", "writeToCleanPage_mean"], runs: ["seed"] };
const cache = new WeakMap<ResultsTable, Map<string, PageTimeline>>();

function sameCell(a: Cell | undefined, b: Cell | undefined): boolean {
  if (a === b) return true;
  const x = num(a ?? null),
    y = num(b ?? null);
  return x !== null && x === y;
}

/**
 * The run to trace from a results table: the sweep point with the most lost data (then the
 * most DMA writes into clean pages), or the one `at` names; its first replicate's seed.
 */
export function timelineFromResults(table: ResultsTable, options: FigureOpts & TraceOptions = {}): PageTimeline {
  requireNeeds("page-timeline", table, NEEDS);
  const axes = table.manifest.axes;
  const at = options.at ?? {};
  const rows = table.summary.filter((r) => Object.entries(at).every(([k, v]) => sameCell(r[k], v)));
  if (rows.length === 0) throw new PlotInputError(`figure page-timeline: no sweep point matches ${JSON.stringify(at)}`);
  const score = (r: Row) => [meanOf(r, "lostData").v ?? -1, meanOf(r, "writeToCleanPage").v ?? -1];
  const best = rows.reduce((a, b) => {
    const [x1, y1] = score(a),
      [x2, y2] = score(b);
    return x2 > x1 || (x2 === x1 && y2 > y1) ? b : a;
  });
  const run = table.runs.find((r) => axes.every((a) => sameCell(r[a], best[a])));
  const seed = num(run?.seed ?? null);
  if (seed === null)
    throw new PlotInputError(
      `figure page-timeline needs a run with a seed at ${axes.map((a) => `${a}=${best[a]}`).join(", ")}`,
    );
  const params: Record<string, unknown> = { ...(table.manifest.config?.base ?? {}) };
  for (const a of axes) params[a] = best[a];
  params.seed = seed;
  // A base parameter idle at this point (src/model/idle-params.ts) is dropped, as the sweep did.
  try {
    resolveParams(params as ParamsInput, { onIdle: (l) => l.forEach((i) => delete params[i.field]) });
  } catch {
    // tracePage refuses it, naming the field
  }
  const key = JSON.stringify([params, options.page, options.window]);
  let m = cache.get(table);
  if (!m) cache.set(table, (m = new Map()));
  let tl = m.get(key);
  if (!tl) {
    const where = axes
      .filter((a) => a !== "policy")
      .map((a) => `${a}=${best[a]}`)
      .join(", ");
    tl = tracePage(params as ParamsInput, {
      ...options,
      provenance: `${provenance(table.manifest)}${where ? ` · ${where}` : ""} · run seed ${seed}`,
    });
    m.set(key, tl);
  }
  return tl;
}

/**
 * One page's timeline (pinned, dirty, under writeback, DMA writes) from a re-run of the sweep point that lost the most data (same seed, so the same events).
 *
 * Needs `lostData_mean` in the summary and `seed` in the runs.
 * Render it with {@link renderFigure}(table, "page-timeline", format).
 */
export const pageTimelineFigure: Figure = {
  name: "page-timeline",
  description:
    "one page's timeline (pinned, dirty, writeback, DMA writes) from a re-run of the sweep point that lost most data",
  needs: NEEDS,
  plot(table, o = {}) {
    return pageTimelinePlot(timelineFromResults(table, o), { width: o.width });
  },
  text(table, o = {}) {
    return pageTimelineText(timelineFromResults(table, o));
  },
};
