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
 * resolved parameters; the sweep planner calls checkSweep; the CLI calls checkWorkers. The
 * event streams a run is weighed by are in event-streams.ts.
 */
import { availableParallelism } from "node:os";
import { InputError } from "../errors.js";
import { distributionMean, parseDistribution, type Distribution } from "./distributions.js";
import { estimatedBytes, folioBytes, pinnerPopulations } from "./state-bytes.js";
import type { Params } from "./params.js";
import { eventStreams, fmt, type EventStream, type StreamFactor } from "./event-streams.js";

export { estimatedBytes, folioBytes } from "./state-bytes.js";
export { eventStreams, expectedEvents, type EventStream, type StreamFactor } from "./event-streams.js";

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
  /**
   * Searches (policy × variant) of one `pinsim check`: the shipped scenarios make 155, and
   * the verdict table 9 × their variants; each search may take up to --max-states states.
   */
  searchesPerCheck: 10_000,
  /** Roots of one search (the page's alternatives × the actors'; src/checker/roots.ts): the shipped scenarios make at most 36. */
  rootsPerSearch: 100_000,
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
  /**
   * Children alive at once on backing anon (forkRate × processes × mean childLifetime): the
   * engine keeps each child's shared slots in a Map, whose size V8 caps at 2^24 entries
   * ("Map maximum size exceeded"); half of that leaves room for the draw's spread.
   */
  liveChildren: 2 ** 23,
  /**
   * Roots of one checker search (the page's alternatives × the actors'), even with
   * --no-budget: each is built (its choices, a closure, an initial state) and stored before
   * the first step, about 1.7 kB apiece: 4,192,256 roots took 7.0 GB resident and 2 min 23 s
   * before this limit (src/checker/roots.ts). 2^20 is about the default --max-states.
   */
  rootsPerSearch: 1 << 20,
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

/** Who gave the parameters: the fields given and the defaults they replaced (see blame). */
export interface GivenFields {
  /** Fields as refusals name them: `duration`, `pinnerGroups[0].pinGap`. */
  given: ReadonlySet<string>;
  /** Each flat parameter's default (a pinner group's field defaults to the flat value). */
  defaults: Readonly<Params>;
}

/** A number, or a distribution's mean; NaN for anything else. */
function magnitude(v: unknown): number {
  if (typeof v === "number") return v;
  try {
    return distributionMean(parseDistribution(v as string));
  } catch {
    return Number.NaN;
  }
}

/**
 * The field a refusal of stream `s` names: the first of its own field and its other
 * factors that the user gave with a value that makes the stream bigger than its default
 * would (`--duration 1e20` names duration, not the pinGap 10 it never typed;
 * `--duration 10 --pinners 16777216` does not name the duration), else its own field.
 */
function blame(s: EventStream, p: Params, who: GivenFields | undefined): { field: string; value: unknown } {
  if (who === undefined) return s;
  const own: StreamFactor = { field: s.field, value: s.value, up: s.up };
  // A pinner group's field the group left out takes the flat parameter's value: that flat
  // field, if the user gave it, is the one to name.
  const source = (f: StreamFactor): StreamFactor | null => {
    if (who.given.has(f.field)) return f;
    const name = f.field.replace(/^pinnerGroups\[\d+\]\./, "");
    return name !== f.field && who.given.has(name) ? { ...f, field: name } : null;
  };
  const culprit = (f: StreamFactor | null): f is StreamFactor => {
    if (f === null) return false;
    const name = f.field.replace(/^pinnerGroups\[\d+\]\./, "") as keyof Params;
    const base = magnitude(f.field === name ? who.defaults[name] : p[name]);
    const v = magnitude(f.value);
    return f.up ? v > base : v < base;
  };
  return [own, ...s.alsoBy].map(source).find(culprit) ?? s;
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
 * @param p resolved parameters (resolveParams)
 * @param given the fields the user gave (`duration`, `pinnerGroups[0].dmaWriteRate`) and
 *   the defaults, so that a refusal names one of them rather than a default (default:
 *   name each stream's own field)
 * @throws InputError naming the parameter, its value and the limit.
 */
export function checkRun(p: Params, given?: GivenFields): void {
  for (const name of ["writebackInterval", "dirtyExpire"] as const) {
    if (p[name] > HARD.period)
      throw new InputError(
        name,
        p[name],
        `at most ${HARD.period} s (a period must stay finite in jiffies at any CONFIG_HZ)`,
      );
  }
  checkSlots(p);
  checkLiveChildren(p);
  checkDistributionSizes(p);
  const streams = eventStreams(p);
  for (const s of streams) {
    if (!(s.events <= HARD.streamEvents)) {
      const b = blame(s, p, given);
      throw new InputError(
        b.field,
        b.value,
        `a time step that advances the clock: at most 2^40 expected events per stream, here ${s.formula} = ${fmt(s.events)}`,
      );
    }
  }
  if (!enabled) return;
  checkEventBudget(p, streams, given);
  checkMemoryBudget(p);
}

/** Pinners × pagesPerPin within the engine's per-pin typed arrays (HARD.pinnedSlots). */
function checkSlots(p: Params): void {
  const pops = pinnerPopulations(p);
  const pinners = pops.reduce((a, { g }) => a + g.pinners, 0);
  const ppp = Math.max(...pops.map(({ g }) => g.pagesPerPin));
  const slots = pinners * ppp;
  if (slots <= HARD.pinnedSlots) return;
  const top = pops.reduce((a, b) => (b.g.pinners > a.g.pinners ? b : a));
  throw new InputError(
    `${top.prefix}pinners`,
    top.g.pinners,
    `pinners × pagesPerPin at most ${HARD.pinnedSlots} (the engine's per-pin typed arrays); got ${pinners} × ${ppp} = ${slots}`,
  );
}

/** Expected children alive at once on backing anon within HARD.liveChildren. @throws InputError naming forkRate or childLifetime. */
function checkLiveChildren(p: Params): void {
  if (p.backing !== "anon" || p.forkRate <= 0) return;
  const life = magnitude(p.childLifetime);
  const alive = p.forkRate * p.files * life;
  if (alive <= HARD.liveChildren) return;
  const field = p.forkRate * p.files > HARD.liveChildren ? "forkRate" : "childLifetime";
  throw new InputError(
    field,
    field === "forkRate" ? p.forkRate : p.childLifetime,
    `at most ${HARD.liveChildren} children alive at once (forkRate × processes × mean childLifetime = ${p.forkRate} × ${p.files} × ${fmt(life)} s = ${fmt(alive)})`,
  );
}

/** hist: entries (hard) and zipf: caps (budget) of every distribution, the groups' included. */
function checkDistributionSizes(p: Params): void {
  const specs: [string, unknown][] = (
    ["pinDuration", "pinGap", "shareCount", "transientRefs", "writebackLatency"] as const
  ).map((n) => [n, p[n]]);
  for (const [i, g] of (p.pinnerGroups ?? []).entries())
    specs.push([`pinnerGroups[${i}].pinDuration`, g.pinDuration], [`pinnerGroups[${i}].pinGap`, g.pinGap]);
  for (const [name, spec] of specs) {
    const d = histOrZipf(spec);
    if (d?.kind === "hist" && d.values.length > HARD.histEntries)
      throw new InputError(
        name,
        `hist: with ${d.values.length} entries`,
        `a hist: of at most ${HARD.histEntries} entries`,
      );
    if (d?.kind === "zipf" && enabled && d.cap > BUDGET.zipfCap)
      throw new InputError(
        name,
        spec,
        `zipf:S:CAP with CAP at most ${BUDGET.zipfCap} (its sampler holds 16 bytes per value), ${NO_BUDGET}`,
      );
  }
}

/** BUDGET.eventsPerRun: the duration if it alone breaks it, else the biggest stream's field. */
function checkEventBudget(p: Params, streams: EventStream[], given: GivenFields | undefined): void {
  const total = streams.reduce((a, s) => a + s.events, 0);
  if (total <= BUDGET.eventsPerRun) return;
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
  const b = blame(top, p, given);
  throw new InputError(
    b.field,
    b.value,
    `a run of at most ${fmt(BUDGET.eventsPerRun)} expected events; here ${fmt(total)}, mostly ${top.formula}: lower it, the pages or the duration, ${NO_BUDGET}`,
  );
}

/** BUDGET.bytesPerRun, naming files or the (largest group's) pinners. */
function checkMemoryBudget(p: Params): void {
  const bytes = estimatedBytes(p);
  if (bytes <= BUDGET.bytesPerRun) return;
  const pages = p.files * Math.max(1, p.pagesPerFile >> p.folioOrder) * folioBytes(p);
  const pops = pinnerPopulations(p);
  const top = pops.reduce((a, b) => (b.g.pinners > a.g.pinners ? b : a));
  const [field, value] = pages >= bytes - pages ? ["files", p.files] : [`${top.prefix}pinners`, top.g.pinners];
  throw new InputError(
    field,
    value,
    `a run of at most ${BUDGET.bytesPerRun / 2 ** 20} MiB of state; folios × ${folioBytes(p)} B + pinners × (300 + 44 × pagesPerPin) B = ${Math.round(bytes / 2 ** 20)} MiB here, ${NO_BUDGET}`,
  );
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
 * The budget of one `pinsim check`: at most BUDGET.searchesPerCheck searches (every
 * policy × variant of every scenario the command would run). `enabled` is the command's own
 * --no-budget (it parses in its task thread); `table` true for `--table`, which refuses
 * --policy and --variant, so the message does not offer them. @throws InputError naming the scenarios.
 */
export function checkSearches(
  searches: number,
  { enabled: on = enabled, table = false }: { enabled?: boolean; table?: boolean } = {},
): void {
  // --table refuses --policy and --variant: only fewer scenarios or variants narrow it.
  const narrow = table
    ? "fewer scenarios or Variant lines (--table judges every policy)"
    : "fewer Variant lines, --policy or --variant to narrow it";
  if (on && searches > BUDGET.searchesPerCheck)
    throw new InputError(
      "scenarios",
      `${searches} searches (policies × variants)`,
      `at most ${BUDGET.searchesPerCheck} searches per check; ${narrow}, ${NO_BUDGET}`,
    );
}

/**
 * Worker threads at most the core count (more only slows every run down and multiplies
 * memory): a sweep's (`workers`, 0 = the main thread) and `check --workers` (from 1; `enabled`
 * from its own --no-budget, since it parses in its task thread). @throws InputError.
 */
export function checkWorkers(
  workers: number,
  { field = "workers", min = 0, enabled: on = enabled }: { field?: string; min?: number; enabled?: boolean } = {},
): void {
  const cores = availableParallelism();
  if (on && workers > cores)
    throw new InputError(field, workers, `${min}..${cores} (the cores of this machine), ${NO_BUDGET}`);
}
