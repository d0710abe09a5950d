/**
 * Sweep configs: the one place where a sweep as users write it is validated. Every error
 * is a ParamError naming the field (`axes.pinDuration[2]`), the value and what is allowed.
 */
import { z } from "zod";
import { checkInputShape } from "../model/budget.js";
import { PARAM_NAMES, ParamError, SYSCTL_ALIASES } from "../model/params.js";
import type { SweepConfig } from "./types.js";

const CONFIG_KEYS = ["name", "question", "base", "axes", "seeds", "rootSeed"] as const;
/** Axis and base keys: parameter names and sysctl aliases, except the seed (derived per run). */
export const AXIS_NAMES: readonly string[] = [
  ...PARAM_NAMES.filter((n) => n !== "seed"),
  ...Object.keys(SYSCTL_ALIASES),
];

const NAME = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/);
const CELL = z.union([z.number().finite(), z.string(), z.boolean(), z.null()]);
const RANGE = z
  .object({
    from: z.number().finite(),
    to: z.number().finite(),
    steps: z.number().int().min(1).max(100000),
    scale: z.enum(["linear", "log"]).optional(),
  })
  .strict();
const RANGE_TEXT =
  'a non-empty list of values, or {from, to, steps (an integer in 1..100000), scale: "linear" | "log"}';

// Each top-level field's schema and the allowed-values text its error prints.
const FIELDS: Record<(typeof CONFIG_KEYS)[number], [z.ZodType, string, boolean]> = {
  name: [NAME, "1-100 letters, digits, '.', '_' or '-', starting with a letter or digit", true],
  question: [z.string(), "a string", false],
  base: [z.record(z.string(), z.unknown()), "an object of parameters (docs/model.md#parameters)", false],
  axes: [z.record(z.string(), z.unknown()), `an object: parameter name -> ${RANGE_TEXT}`, true],
  seeds: [z.number().int().min(1).max(100000), "an integer in 1..100000", true],
  rootSeed: [
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    "an integer in 0..4294967295",
    true,
  ],
};

/**
 * Validate the shape of a sweep config (not yet its points: see expandGrid). Returns a
 * fresh plain object with the same content, ready to hash.
 */
export function parseSweepConfig(input: unknown): SweepConfig {
  if (input === null || typeof input !== "object" || Array.isArray(input))
    throw new ParamError("sweep config", input, `a JSON object with keys ${CONFIG_KEYS.join(", ")}`);
  checkInputShape(input, "sweep config");
  const raw = input as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key))
      throw new ParamError("sweep config key", key, CONFIG_KEYS.join(", "));
  }
  for (const key of CONFIG_KEYS) {
    const [schema, allowed, required] = FIELDS[key];
    if (raw[key] === undefined) {
      if (required) throw new ParamError(key, undefined, `required: ${allowed}`);
      continue;
    }
    if (!schema.safeParse(raw[key]).success) throw new ParamError(key, raw[key], allowed);
  }
  const base = raw.base as Record<string, unknown> | undefined;
  if (base) {
    for (const k of Object.keys(base)) {
      if (k === "seed")
        throw new ParamError(
          "base.seed",
          base[k],
          "nothing: each run's seed derives from rootSeed, the point and the replicate",
        );
      if (!AXIS_NAMES.includes(k)) throw new ParamError("base parameter name", k, AXIS_NAMES.join(", "));
    }
  }
  const axes = raw.axes as Record<string, unknown>;
  const names = Object.keys(axes);
  if (names.length === 0) throw new ParamError("axes", axes, `at least one axis: parameter name -> ${RANGE_TEXT}`);
  for (const name of names) {
    if (name === "seed")
      throw new ParamError("axes.seed", axes[name], "no seed axis: use seeds (replicates) and rootSeed");
    if (!AXIS_NAMES.includes(name)) throw new ParamError("axis name", name, AXIS_NAMES.join(", "));
    checkAxis(name, axes[name]);
  }
  return JSON.parse(JSON.stringify(raw)) as SweepConfig;
}

function checkAxis(name: string, value: unknown): void {
  const field = `axes.${name}`;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ParamError(field, value, `${RANGE_TEXT} (an empty list makes an empty grid)`);
    const seen = new Set<string>();
    value.forEach((v, i) => {
      if (!CELL.safeParse(v).success) throw new ParamError(`${field}[${i}]`, v, "a number, string, boolean or null");
      const k = JSON.stringify(v);
      if (seen.has(k)) throw new ParamError(`${field}[${i}]`, v, "distinct values (a repeated value repeats a point)");
      seen.add(k);
    });
    return;
  }
  if (value === null || typeof value !== "object") throw new ParamError(field, value, RANGE_TEXT);
  const r = value as Record<string, unknown>;
  if (r.steps === 0) throw new ParamError(`${field}.steps`, 0, "an integer >= 1 (0 steps make an empty grid)");
  if (!RANGE.safeParse(value).success) throw new ParamError(field, value, RANGE_TEXT);
  const { from, to, scale } = value as { from: number; to: number; scale?: string };
  if (scale === "log" && !(from > 0 && to > 0))
    throw new ParamError(field, value, "a log range needs from > 0 and to > 0");
}
