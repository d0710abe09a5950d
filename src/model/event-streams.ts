/**
 * The expected events of a run, stream by stream: what the budgets in budget.ts weigh a run
 * by (BUDGET.eventsPerRun) and name in a refusal. Upper estimates from rates × pages ×
 * duration, one stream per driving parameter (engine/*.ts schedule the events themselves).
 */
import { distributionMean, parseDistribution } from "./distributions.js";
import { builtInRunEnv, pinnerPopulations } from "./state-bytes.js";
import type { PinnerGroup } from "./coverage-params.js";
import type { Params } from "./params.js";
import { pinDecision } from "./env.js";

/**
 * One stream of a run's events: the parameter that drives it, its value, expected events,
 * the formula. `field` is a path as the user writes it: `dmaWriteRate`, or
 * `pinnerGroups[1].dmaWriteRate` for a pinner group's own.
 */
export interface EventStream {
  /** The parameter whose value drives the stream, as a path (`dmaWriteRate`, `pinnerGroups[1].dmaWriteRate`). */
  field: string;
  /** That parameter's value in this run. */
  value: unknown;
  /** Expected events of the stream over the run (an upper estimate). */
  events: number;
  /** How `events` was computed, as printed in a budget error (e.g. `duration / pinGap × pinners`). */
  formula: string;
  /** The events grow as `value` rises (a rate), or as it falls (a pin gap, a period). */
  up: boolean;
  /**
   * Further fields the stream grows with (`up`: as the value rises; else as it falls: a
   * pin cycle's hold and gap), in the order a refusal would rather name them (see blame).
   */
  alsoBy: StreamFactor[];
}

/** A field a stream's events grow with: `up`, as its value rises; else as it falls. */
export interface StreamFactor {
  field: string;
  value: unknown;
  up: boolean;
}

/** A count or a time to three figures, as a refusal prints it (1.23e6). */
export const fmt = (x: number): string =>
  Number.isFinite(x) ? Number(x.toPrecision(3)).toExponential().replace("e+", "e") : String(x);

/** The two streams of one pinner population: its pin cycles and the device writes into its pinned pages. */
function pinnerStreams(p: Params, prefix: string, g: PinnerGroup): EventStream[] {
  const T = p.duration;
  const mean = (spec: Params["pinDuration"]): number => distributionMean(parseDistribution(spec));
  const hold = mean(g.pinDuration),
    gap = mean(g.pinGap);
  // A pinner's cycle: hold + gap; a refused pin (GUP's answer for the group, asked of the
  // policy and the preset) retries after the gap, or after the hold when the gap is 0
  // (engine/pinners.ts retryAfterRefusal).
  const refused = refusedEveryTime(p, g);
  const cycle = refused ? (gap > 0 ? gap : hold) : hold + gap;
  const cycles = g.pinners === 0 ? 0 : cycle > 0 ? (g.pinners * T) / cycle : Infinity;
  // Device writes land only while pinned: at most dmaWriteRate per pinned page.
  const heldShare = refused ? 0 : hold + gap > 0 && Number.isFinite(hold) ? hold / (hold + gap) : 1;
  const dma = g.dmaWriteRate * g.pinners * g.pagesPerPin * heldShare * T;
  const duration = { field: "duration", value: T, up: true };
  // A group's value equal to the flat one is (or may be) inherited from it: name the flat field.
  const name = (k: "pinners" | "pinGap" | "pinDuration" | "dmaWriteRate" | "pagesPerPin"): string =>
    prefix !== "" && g[k] === p[k] ? k : `${prefix}${k}`;
  const pinners = { field: name("pinners"), value: g.pinners, up: true };
  return [
    {
      field: name("pinGap"),
      value: g.pinGap,
      events: 2 * cycles,
      formula: `2 × pinners ${g.pinners} × duration ${T} s / (pin cycle ${fmt(cycle)} s)`,
      up: false,
      alsoBy: [{ field: name("pinDuration"), value: g.pinDuration, up: false }, duration, pinners],
    },
    {
      field: name("dmaWriteRate"),
      value: g.dmaWriteRate,
      events: 3 * dma,
      formula: `3 × dmaWriteRate ${g.dmaWriteRate} × ${g.pinners * g.pagesPerPin} pinned pages × duration ${T} s`,
      up: true,
      alsoBy: [duration, pinners, { field: name("pagesPerPin"), value: g.pagesPerPin, up: true }],
    },
  ];
}

/**
 * Whether every GUP call of pinner group `g` is refused (pinDecision in the run's
 * environment: the policy's refuseGup, GUP's long-term rule, a caller's own refusal). A
 * policy id that is not built in (a user's own value, run with simulate's `policy` option)
 * is taken as never refusing: the estimate then counts its device writes too, an upper bound.
 */
function refusedEveryTime(p: Params, g: PinnerGroup): boolean {
  const env = builtInRunEnv(p);
  if (env === null || g.pinners === 0) return false;
  const shape = { caller: g.caller, access: g.pinAccess, path: g.gupPath, longTerm: g.longTerm };
  return pinDecision(env, shape).gup.refused !== null;
}

/**
 * The expected events of a run, stream by stream (upper estimates from rates × pages ×
 * duration; a writeback starts and ends per dirtying at most, counted as 2 more). Each
 * pinner group has its own two streams (pin cycles and device writes).
 */
export function eventStreams(p: Params): EventStream[] {
  const pages = p.files * p.pagesPerFile;
  const T = p.duration;
  const duration = { field: "duration", value: T, up: true };
  const sizes = (perPage: boolean): StreamFactor[] => [
    duration,
    { field: "files", value: p.files, up: true },
    ...(perPage ? [{ field: "pagesPerFile", value: p.pagesPerFile, up: true }] : []),
  ];
  const out: EventStream[] = pinnerPopulations(p).flatMap(({ prefix, g }) => pinnerStreams(p, prefix, g));
  const rated = (
    field: "cpuWriteRate" | "reclaimRate" | "truncateRate" | "fsyncRate" | "invalidateRate",
    factor: number,
    units: number,
    what: string,
  ): EventStream => ({
    field,
    value: p[field],
    events: factor * p[field] * units * T,
    formula: `${factor === 1 ? "" : `${factor} × `}${field} ${p[field]} × ${units} ${what} × duration ${T} s`,
    up: true,
    alsoBy: sizes(what === "pages"),
  });
  out.push(
    rated("cpuWriteRate", 3, pages, "pages"),
    rated("reclaimRate", 1, pages, "pages"),
    rated("truncateRate", 1, p.files, "files"),
    rated("fsyncRate", 1, p.files, "files"),
    rated("invalidateRate", 1, p.files, "files"),
  );
  if (p.backing === "anon" && p.forkRate > 0) {
    // engine/anon.ts: forkRate per process (a file is one process's memory), each fork an
    // event and its child's exit another, and copy_page_range's copy_present_pte over
    // every page of the process (the copy loop is the work, as the device writes' catch-up is).
    const forks = p.forkRate * p.files * T;
    out.push({
      field: "forkRate",
      value: p.forkRate,
      events: forks * (2 + p.pagesPerFile),
      formula: `forkRate ${p.forkRate} × ${p.files} processes × duration ${T} s × (2 events + copy_present_pte over ${p.pagesPerFile} pages)`,
      up: true,
      alsoBy: sizes(true),
    });
  }
  if (p.writebackInterval > 0) {
    // kupdatePeriod rounds W up to whole jiffies (and the timer wheel's granularity): at
    // least one jiffy at hz > 0, W itself at hz 0.
    const period = p.hz > 0 ? Math.max(p.writebackInterval, 1 / p.hz) : p.writebackInterval;
    out.push({
      field: "writebackInterval",
      value: p.writebackInterval,
      events: T / period,
      formula: `duration ${T} s / kupdate period ${fmt(period)} s`,
      up: false,
      alsoBy: [duration],
    });
  }
  return out;
}

/** Expected events of a run (sum of its streams). */
export function expectedEvents(p: Params): number {
  return eventStreams(p).reduce((a, s) => a + s.events, 0);
}
