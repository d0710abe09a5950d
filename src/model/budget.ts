/**
 * Magnitude budgets: validate what a run or a sweep would cost, not only the types of its
 * input, so that a typo (`duration: 1e9`, `--pinners 16777216`, `seeds: 100000`) is one
 * line and exit 2 instead of a run that takes hours or exhausts memory.
 *
 * Two kinds of limit:
 * - HARD limits hold even with `--no-budget`: they are what keeps the program correct.
 *   Every event stream must advance the clock (see `MAX_STREAM_EVENTS`), typed arrays must
 *   fit, periods must be finite after the CONFIG_HZ rounding, input nesting and sizes
 *   must be sane.
 * - BUDGETS (soft) can be lifted with `--no-budget` (setBudget(false)): expected events per
 *   run, estimated memory per run, runs and expected events per sweep, workers per core.
 *
 * All checks throw InputError (src/errors.ts) naming the field, the value and the limit.
 * resolveParams (src/model/params.ts) calls checkInputShape on its input and checkRun on the
 * resolved parameters; the sweep planner calls checkSweep; the CLI calls checkWorkers.
 */
import { availableParallelism } from "node:os";
import { InputError } from "../errors.js";
import { distributionMean, parseDistribution, type Distribution } from "./distributions.js";
import type { Params } from "./params.js";

/** The soft budgets (lifted by `--no-budget`). */
export const BUDGET = {
  /** Expected events (and lazily applied device writes) of one run: ~20 s to a few minutes of one core. */
  eventsPerRun: 1e8,
  /** Estimated bytes of one run's per-page and per-pinner state. */
  bytesPerRun: 1 << 30,
  /** Runs (points × seeds) of one sweep. */
  runsPerSweep: 50_000,
  /** Expected events of one sweep, all runs together. */
  eventsPerSweep: 2e9,
  /** zipf:S:CAP's CAP: the sampler holds 16 bytes per value. */
  zipfCap: 1_000_000,
} as const;

/**
 * The hard limits (kept with `--no-budget`).
 * - MAX_STREAM_EVENTS: the expected events of any one stream of a run (a rate × its pages ×
 *   the duration, a pinner's cycles, kupdate's ticks) at most 2^40, so that the mean step
 *   of every stream is at least duration × 2^-40, i.e. >= 4096 ulps of the clock at its
 *   largest (a double has 52 bits of mantissa): the clock always advances. A rate of 1e300
 *   (step 1e-304 < ulp) or a pinGap of 1e-300 would otherwise be a fixed point: t + dt == t.
 * - MAX_PERIOD: writebackInterval and dirtyExpire in seconds; msecs_to_jiffies(W) at any hz
 *   stays finite (W = 1e307 at hz 100 overflowed to Infinity and the timer-wheel rounding
 *   loop of kupdatePeriod never ended).
 * - MAX_PINNED_SLOTS: pinners × pagesPerPin, the length of the engine's per-pin Int32Array
 *   and Uint32Array (2^28 elements = 1 GiB each; V8 refuses larger typed arrays on some
 *   builds and the allocation would crash with a RangeError).
 */
export const HARD = {
  streamEvents: 2 ** 40,
  period: 1e9,
  pinnedSlots: 2 ** 28,
  /** Entries of one hist: distribution. */
  histEntries: 10_000,
  /** Characters of one string value (a distribution, a name). */
  stringLength: 100_000,
  /** Nesting depth of any input value (configs, sweep configs). */
  depth: 32,
  /** Keys and elements in one input value, all levels together. */
  nodes: 1_000_000,
  /** Bytes of a config file. */
  configBytes: 4 << 20,
} as const;

let enabled = true;

/** Whether the soft budgets are checked (false after `--no-budget`). */
export function budgetEnabled(): boolean {
  return enabled;
}

/** Turn the soft budgets on or off (`--no-budget`). Per thread: sweep workers receive it per task. */
export function setBudget(on: boolean): void {
  enabled = on;
}

const NO_BUDGET = "or pass --no-budget";

/**
 * Nesting depth, size and string lengths of an input value, walked without recursion (a
 * value nested 100 000 deep must not overflow the stack before it is refused).
 * @throws InputError naming `where`.
 */
export function checkInputShape(value: unknown, where: string): void {
  const stack: [unknown, number][] = [[value, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (++nodes > HARD.nodes) throw new InputError(where, `${nodes}+ values`, `at most ${HARD.nodes} values in all`);
    if (typeof v === "string" && v.length > HARD.stringLength)
      throw new InputError(
        where,
        `a string of ${v.length} characters`,
        `strings of at most ${HARD.stringLength} characters`,
      );
    if (v === null || typeof v !== "object") continue;
    if (depth >= HARD.depth)
      throw new InputError(where, `a value nested ${depth + 1}+ levels deep`, `nesting at most ${HARD.depth} levels`);
    const children = Array.isArray(v) ? v : Object.values(v as object);
    if (children.length > HARD.nodes)
      throw new InputError(where, `${children.length} values`, `at most ${HARD.nodes} values in all`);
    for (const c of children) stack.push([c, depth + 1]);
  }
}

/** One stream of a run's events: the parameter that drives it, its value, expected events, the formula. */
export interface EventStream {
  field: keyof Params;
  value: unknown;
  events: number;
  formula: string;
}

const fmt = (x: number): string =>
  Number.isFinite(x) ? Number(x.toPrecision(3)).toExponential().replace("e+", "e") : String(x);

/**
 * The expected events of a run, stream by stream (upper estimates from rates × pages ×
 * duration; a writeback starts and ends per dirtying at most, counted as 2 more).
 */
export function eventStreams(p: Params): EventStream[] {
  const pages = p.files * p.pagesPerFile;
  const T = p.duration;
  const mean = (spec: Params["pinDuration"]): number => distributionMean(parseDistribution(spec));
  const hold = mean(p.pinDuration),
    gap = mean(p.pinGap);
  // A pinner's cycle: hold + gap; a refused pin (longterm-refused with FOLL_LONGTERM)
  // retries after the gap, or after the hold when the gap is 0 (simulate.ts retryAfterRefusal).
  const refused = p.policy === "longterm-refused" && p.longTerm;
  const cycle = refused ? (gap > 0 ? gap : hold) : hold + gap;
  const cycles = p.pinners === 0 ? 0 : cycle > 0 ? (p.pinners * T) / cycle : Infinity;
  // Device writes land only while pinned: at most dmaWriteRate per pinned page.
  const heldShare = refused ? 0 : hold + gap > 0 && Number.isFinite(hold) ? hold / (hold + gap) : 1;
  const dma = p.dmaWriteRate * p.pinners * p.pagesPerPin * heldShare * T;
  const out: EventStream[] = [
    {
      field: "pinners",
      value: p.pinners,
      events: 2 * cycles,
      formula: `2 × pinners ${p.pinners} × duration ${T} s / (pin cycle ${fmt(cycle)} s)`,
    },
    {
      field: "dmaWriteRate",
      value: p.dmaWriteRate,
      events: 3 * dma,
      formula: `3 × dmaWriteRate ${p.dmaWriteRate} × ${p.pinners * p.pagesPerPin} pinned pages × duration ${T} s`,
    },
    {
      field: "cpuWriteRate",
      value: p.cpuWriteRate,
      events: 3 * p.cpuWriteRate * pages * T,
      formula: `3 × cpuWriteRate ${p.cpuWriteRate} × ${pages} pages × duration ${T} s`,
    },
    {
      field: "reclaimRate",
      value: p.reclaimRate,
      events: p.reclaimRate * pages * T,
      formula: `reclaimRate ${p.reclaimRate} × ${pages} pages × duration ${T} s`,
    },
    {
      field: "truncateRate",
      value: p.truncateRate,
      events: p.truncateRate * p.files * T,
      formula: `truncateRate ${p.truncateRate} × ${p.files} files × duration ${T} s`,
    },
    {
      field: "fsyncRate",
      value: p.fsyncRate,
      events: p.fsyncRate * p.files * T,
      formula: `fsyncRate ${p.fsyncRate} × ${p.files} files × duration ${T} s`,
    },
  ];
  if (p.writebackInterval > 0) {
    // kupdatePeriod rounds W up to whole jiffies (and the timer wheel's granularity): at
    // least one jiffy at hz > 0, W itself at hz 0.
    const period = p.hz > 0 ? Math.max(p.writebackInterval, 1 / p.hz) : p.writebackInterval;
    out.push({
      field: "writebackInterval",
      value: p.writebackInterval,
      events: T / period,
      formula: `duration ${T} s / kupdate period ${fmt(period)} s`,
    });
  }
  return out;
}

/** Expected events of a run (sum of its streams). */
export function expectedEvents(p: Params): number {
  return eventStreams(p).reduce((a, s) => a + s.events, 0);
}

/** Estimated bytes of a run's state: ~40 bytes per page (page cache, writeback, DMA), ~36 per pin slot. */
export function estimatedBytes(p: Params): number {
  return p.files * p.pagesPerFile * 40 + p.pinners * 32 + p.pinners * p.pagesPerPin * 8;
}

function histOrZipf(spec: unknown): Distribution | null {
  try {
    const d = parseDistribution(spec as string | number);
    return d.kind === "hist" || d.kind === "zipf" ? d : null;
  } catch {
    return null;
  }
}

/**
 * The hard limits and budgets of one run's resolved parameters.
 * @throws InputError naming the parameter, its value and the limit.
 */
export function checkRun(p: Params): void {
  for (const name of ["writebackInterval", "dirtyExpire"] as const) {
    if (p[name] > HARD.period)
      throw new InputError(
        name,
        p[name],
        `at most ${HARD.period} s (a period must stay finite in jiffies at any CONFIG_HZ)`,
      );
  }
  const slots = p.pinners * p.pagesPerPin;
  if (slots > HARD.pinnedSlots)
    throw new InputError(
      "pinners",
      p.pinners,
      `pinners × pagesPerPin at most ${HARD.pinnedSlots} (the engine's per-pin typed arrays); got ${p.pinners} × ${p.pagesPerPin} = ${slots}`,
    );
  for (const name of ["pinDuration", "pinGap", "shareCount", "transientRefs", "writebackLatency"] as const) {
    const d = histOrZipf(p[name]);
    if (d?.kind === "hist" && d.values.length > HARD.histEntries)
      throw new InputError(
        name,
        `hist: with ${d.values.length} entries`,
        `a hist: of at most ${HARD.histEntries} entries`,
      );
    if (d?.kind === "zipf" && enabled && d.cap > BUDGET.zipfCap)
      throw new InputError(
        name,
        p[name],
        `zipf:S:CAP with CAP at most ${BUDGET.zipfCap} (its sampler holds 16 bytes per value), ${NO_BUDGET}`,
      );
  }
  const streams = eventStreams(p);
  for (const s of streams) {
    if (!(s.events <= HARD.streamEvents)) {
      throw new InputError(
        s.field === "pinners" ? "pinGap" : s.field,
        s.field === "pinners" ? p.pinGap : s.value,
        `a time step that advances the clock: at most 2^40 expected events per stream, here ${s.formula} = ${fmt(s.events)}`,
      );
    }
  }
  if (!enabled) return;
  const total = streams.reduce((a, s) => a + s.events, 0);
  if (total > BUDGET.eventsPerRun) {
    // Every stream scales with the duration: when the duration alone is what breaks the
    // budget (the same parameters for 600 s would fit), name it.
    const maxDuration = (BUDGET.eventsPerRun / total) * p.duration;
    if (maxDuration >= 600)
      throw new InputError(
        "duration",
        p.duration,
        `at most ${fmt(maxDuration)} s with these rates and pages (a run of at most ${fmt(BUDGET.eventsPerRun)} expected events; here ${fmt(total)}), ${NO_BUDGET}`,
      );
    const top = streams.reduce((a, s) => (s.events > a.events ? s : a));
    throw new InputError(
      top.field,
      top.value,
      `a run of at most ${fmt(BUDGET.eventsPerRun)} expected events; here ${fmt(total)}, mostly ${top.formula}: lower it, the pages or the duration, ${NO_BUDGET}`,
    );
  }
  const bytes = estimatedBytes(p);
  if (bytes > BUDGET.bytesPerRun) {
    const field = p.files * p.pagesPerFile * 40 >= p.pinners * (32 + 8 * p.pagesPerPin) ? "files" : "pinners";
    throw new InputError(
      field,
      p[field],
      `a run of at most ${BUDGET.bytesPerRun / 2 ** 20} MiB of state; files × pagesPerFile × 40 B + pinners × (32 + 8 × pagesPerPin) B = ${Math.round(bytes / 2 ** 20)} MiB here, ${NO_BUDGET}`,
    );
  }
}

/**
 * The budget of a whole sweep: runs (points × seeds) and expected events of all runs.
 * @throws InputError naming seeds or axes.
 */
export function checkSweep(points: number, seeds: number, events: number): void {
  if (!enabled) return;
  const runs = points * seeds;
  if (runs > BUDGET.runsPerSweep) {
    const field = seeds > points ? "seeds" : "axes";
    throw new InputError(
      field,
      field === "seeds" ? seeds : `${points} points`,
      `at most ${BUDGET.runsPerSweep} runs per sweep (points × seeds = ${points} × ${seeds} = ${runs}); shard it (--shard I/N), ${NO_BUDGET}`,
    );
  }
  if (events > BUDGET.eventsPerSweep)
    throw new InputError(
      "axes",
      `${points} points × ${seeds} seeds`,
      `a sweep of at most ${fmt(BUDGET.eventsPerSweep)} expected events, here ${fmt(events)}; fewer points, seeds or a shorter duration, ${NO_BUDGET}`,
    );
}

/**
 * Worker threads at most the core count (more only slows every run down and multiplies
 * memory). @throws InputError.
 */
export function checkWorkers(workers: number): void {
  const cores = availableParallelism();
  if (enabled && workers > cores)
    throw new InputError("workers", workers, `0..${cores} (the cores of this machine), ${NO_BUDGET}`);
}
