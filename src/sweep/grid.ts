/**
 * The cartesian grid of a sweep: axes expand in config order, the first axis outermost,
 * so the grid (and every point's index, key and seeds) depends only on the config.
 */
import { InputError } from "../errors.js";
import { expectedEvents } from "../model/budget.js";
import { ParamError, resolveParams, SYSCTL_ALIASES, type ParamsInput } from "../model/params.js";
import type { IdleParam } from "../model/idle-params.js";
import { canonicalJson, deriveSeed } from "./hash.js";
import type { Cell, SweepConfig } from "./types.js";

/** One point of the grid. */
export interface SweepPoint {
  /** Position in grid order. */
  index: number;
  /** Canonical JSON of the axis values (sorted keys): stable across runs and machines. */
  key: string;
  /** Axis values in config order. */
  axes: Record<string, Cell>;
  /** base overridden by the axis values; the seed is added per run. */
  params: Record<string, unknown>;
  /** Expected events of one run of this point (src/model/budget.ts), for the sweep's budget. */
  expectedEvents: number;
}

/** The values of one axis: a list as given, or a range expanded (12 significant digits). */
export function expandAxis(axis: SweepConfig["axes"][string]): Cell[] {
  if (Array.isArray(axis)) return axis as Cell[];
  const { from, to, steps, scale = "linear" } = axis;
  if (steps === 1) return [from];
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const f = i / (steps - 1);
    const v = scale === "log" ? Math.exp(Math.log(from) + f * (Math.log(to) - Math.log(from))) : from + f * (to - from);
    // Round off float noise so 10^(log range) prints as a user would write it.
    out.push(i === 0 ? from : i === steps - 1 ? to : Number(v.toPrecision(12)));
  }
  return out;
}

const ALIAS_OF = new Map<string, string>(
  Object.entries(SYSCTL_ALIASES).flatMap(([alias, name]) => [
    [alias, name],
    [name, alias],
  ]),
);

/**
 * Expand a (parsed) config into its points, validating every point's parameters with
 * resolveParams so that nothing runs unless every point is valid.
 */
export function expandGrid(config: SweepConfig): SweepPoint[] {
  const names = Object.keys(config.axes);
  const values = names.map((n) => expandAxis(config.axes[n]!));
  names.forEach((n, j) => checkDistinct(n, values[j]!));
  const total = values.reduce((a, v) => a * v.length, 1);
  if (total > 1_000_000) throw new ParamError("axes", `${total} points`, "at most 1000000 points per sweep");
  const points: SweepPoint[] = [];
  const idx = new Array<number>(names.length).fill(0);
  const idle = new Map<string, { count: number; last: IdleParam }>();
  for (let index = 0; index < total; index++) {
    const axes: Record<string, Cell> = {};
    names.forEach((n, j) => (axes[n] = values[j]![idx[j]!]!));
    const params: Record<string, unknown> = { ...(config.base ?? {}) };
    for (const n of names) {
      // An axis overrides the base, whichever spelling (sysctl or seconds) the base used.
      delete params[n];
      const alias = ALIAS_OF.get(n);
      if (alias) delete params[alias];
    }
    Object.assign(params, axes);
    let events: number;
    try {
      // A parameter idle at this point (base dioDest where the caller axis is generic) is
      // dropped from it, so its runs do not refuse it; one idle at every point is refused below.
      const onIdle = (list: IdleParam[]) => {
        for (const i of list) {
          delete params[i.field];
          idle.set(i.field, { count: (idle.get(i.field)?.count ?? 0) + 1, last: i });
        }
      };
      events = expectedEvents(resolveParams(params as ParamsInput, { onIdle }));
    } catch (e) {
      if (!(e instanceof InputError) || e.field === undefined) throw e;
      const f = e.field;
      // `pinnerGroups[0].pinGap` is given by the axis or base key `pinnerGroups`.
      const top = f.replace(/[[.].*$/, "");
      const where = Object.hasOwn(axes, top)
        ? `axes.${f}`
        : config.base && Object.hasOwn(config.base, top)
          ? `base.${f}`
          : f;
      throw new ParamError(where, e.value, `${e.allowed}; at point ${canonicalJson(axes)}`);
    }
    points.push({ index, key: canonicalJson(axes), axes, params, expectedEvents: events });
    for (let j = names.length - 1; j >= 0; j--) {
      if (++idx[j]! < values[j]!.length) break;
      idx[j] = 0;
    }
  }
  for (const [field, { count, last }] of idle)
    if (count === total)
      throw new ParamError(
        Object.hasOwn(config.axes, field) ? `axes.${field}` : `base.${field}`,
        Object.hasOwn(config.axes, field) ? config.axes[field] : last.value,
        `${last.allowed}; at every point of the sweep`,
      );
  return points;
}

/**
 * A value of axis `name` as the simulation sees it: resolveParams' value of the parameter
 * (the distribution re-printed by formatDistribution, a sysctl alias in seconds), alone,
 * as canonical JSON; the value as written if it does not resolve alone (the grid's own
 * check then names it).
 */
function normalisedAxisValue(name: string, v: Cell): string {
  const target = Object.hasOwn(SYSCTL_ALIASES, name) ? SYSCTL_ALIASES[name as keyof typeof SYSCTL_ALIASES] : name;
  try {
    return canonicalJson((resolveParams({ [name]: v } as ParamsInput) as unknown as Record<string, unknown>)[target]);
  } catch (e) {
    if (e instanceof InputError) return JSON.stringify(v);
    throw e;
  }
}

/**
 * Refuse two values of one axis that are the same parameter value (5 and "5", "exp:5" and
 * "exp:5.0"): they would make two points of one key in the results files, which the
 * readers then call corrupted.
 */
function checkDistinct(name: string, values: Cell[]): void {
  const first = new Map<string, number>();
  values.forEach((v, i) => {
    const k = normalisedAxisValue(name, v);
    const j = first.get(k);
    if (j !== undefined)
      throw new ParamError(
        `axes.${name}[${i}]`,
        v,
        `values distinct after normalisation: it is ${k}, as axes.${name}[${j}] (${JSON.stringify(values[j])}) is`,
      );
    first.set(k, i);
  });
}

/** The seeds of a point's replicates 0..seeds-1. */
export function pointSeeds(config: SweepConfig, point: SweepPoint): number[] {
  return Array.from({ length: config.seeds }, (_, r) => deriveSeed(config.rootSeed, point.key, r));
}
