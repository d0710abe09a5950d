/**
 * The zod schemas of calibration.json's `model` (the model's side, written by finish.ts from
 * model.ts, typed against Calibration["model"]) and of the `kernel` fields the figures read,
 * and the one-line message of a schema issue: the field's path, its value (cut, showValue)
 * and what is allowed. Every field `pinsim plot` and `pinsim report` read is checked, so a
 * corrupt file is refused at load, never half-drawn.
 */
import { z } from "zod";
import { showValue } from "../errors.js";
import type { CleanDelayStats } from "../engine/clean-delays.js";
import type { CleanDelayModel, ModelRegistration } from "./model.js";
import { MAPPING_KINDS } from "./refusal.js";
import type { Calibration } from "./store.js";

const orNull = (allowed: string) => `${allowed} or null`;

/** A finite number ≥ 0 (zod's number refuses NaN and ±Infinity). */
function nonNegative(allowed = "a finite number ≥ 0") {
  return z.number({ error: allowed }).min(0, { error: allowed });
}
/** An integer ≥ 0. */
function count(allowed = "an integer ≥ 0") {
  return z.number({ error: allowed }).int({ error: allowed }).min(0, { error: allowed });
}
/** A finite number > 0. */
function positive(allowed = "a finite number > 0") {
  return z.number({ error: allowed }).gt(0, { error: allowed });
}
const bool = () => z.boolean({ error: "true or false" });
const str = () => z.string({ error: "a string" });
const nullableStr = () => z.string({ error: orNull("a string") }).nullable();

const CLEAN_DELAY_STATS: z.ZodType<CleanDelayStats> = z.object(
  {
    count: count(),
    min: nonNegative(orNull("a finite number ≥ 0")).nullable(),
    max: nonNegative(orNull("a finite number ≥ 0")).nullable(),
    mean: nonNegative(orNull("a finite number ≥ 0")).nullable(),
    fractionInWindow: z
      .number({ error: orNull("a number in [0, 1]") })
      .min(0, { error: orNull("a number in [0, 1]") })
      .max(1, { error: orNull("a number in [0, 1]") })
      .nullable(),
    histogram: z.object(
      {
        start: z.number({ error: "a finite number" }),
        binWidth: positive(),
        counts: z.array(count(), { error: "an array of integers ≥ 0" }),
      },
      { error: "an object" },
    ),
    samples: z.array(nonNegative(), { error: "an array of finite numbers ≥ 0 (seconds)" }),
  },
  { error: orNull("an object") },
);

const CLEAN_DELAY_MODEL: z.ZodType<CleanDelayModel> = z.object(
  {
    params: z.record(z.string(), z.unknown(), { error: "an object" }),
    period: positive(),
    expire: nonNegative(),
    cleanInode: CLEAN_DELAY_STATS.nullable(),
    dirtyInode: CLEAN_DELAY_STATS.nullable(),
    unavailable: nullableStr(),
  },
  { error: orNull("an object") },
);

const REGISTRATION: z.ZodType<ModelRegistration> = z.object(
  {
    mapping: z.enum(MAPPING_KINDS, { error: `one of ${MAPPING_KINDS.join(", ")}` }),
    verdict: str(),
    why: str(),
    source: str(),
  },
  { error: "an object" },
);

const DETECTOR = z.object(
  {
    preset: str(),
    lru: count(orNull("an integer ≥ 0")).nullable(),
    batch: count(orNull("an integer ≥ 0")).nullable(),
    noPinnedFlag: bool(),
    ioUringPin: bool(),
    thp: bool(),
    bias: count("an integer > 0").min(1, { error: "an integer > 0" }),
    noThresholdWhy: nullableStr().optional(),
  },
  { error: orNull("an object") },
);

const LONGTERM = z.object(
  {
    preset: str(),
    source: str(),
    registrations: z.array(REGISTRATION, { error: "an array of registrations" }),
    odirect: z.object(
      { pinned: bool(), dirty: bool(), buffers: bool(), follPin: bool().optional() },
      { error: "an object" },
    ),
  },
  { error: orNull("an object") },
);

/** calibration.json's `model`: each part an object or null (a part not run). */
export const MODEL_SCHEMA: z.ZodType<Calibration["model"]> = z.object(
  { cleanDelay: CLEAN_DELAY_MODEL.nullable(), detector: DETECTOR.nullable(), longterm: LONGTERM.nullable() },
  { error: "an object" },
);

/** A zod path as JSON reads it: `model.cleanDelay.cleanInode.samples[0]`. */
export function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== "object" || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** What an issue without a message of our own allows, in words (zod's defaults say what was wrong). */
function allowedOf(iss: z.core.$ZodIssue): string {
  if (iss.code === "invalid_type") return `${/^[aeiou]/.test(iss.expected) ? "an" : "a"} ${iss.expected}`;
  if (iss.code === "invalid_value") return `one of ${iss.values.map((v) => showValue(v)).join(", ")}`;
  return iss.message;
}

/** `field PATH: VALUE (allowed: ...)`, VALUE from `root` (cut to MAX_VALUE_TEXT) or `missing`. */
export function issueText(iss: z.core.$ZodIssue | undefined, root: unknown): string {
  if (!iss) return "field (file): not valid";
  const v = valueAt(root, iss.path);
  const shown = v === undefined ? "missing" : showValue(v);
  const allowed = /^Invalid input/.test(iss.message) || iss.code === "invalid_value" ? allowedOf(iss) : iss.message;
  return `field ${pathText(iss.path) || "(file)"}: ${shown} (allowed: ${allowed})`;
}

const STEP = z.object(
  {
    perK: z.array(
      z.object(
        { k: count(), trials: count("an integer > 0").min(1, { error: "an integer > 0" }), copied: count() },
        { error: "an object" },
      ),
      { error: "an array" },
    ),
    threshold: count(orNull("an integer ≥ 0")).nullable(),
  },
  { error: "an object" },
);

/**
 * calibration.json's `kernel`: the fields the figures read (stats.ts writes more; those are
 * only printed through the comparison rows), each part an object or null.
 */
export const KERNEL_SCHEMA = z.object(
  {
    cleanDelay: z
      .object(
        {
          windowPeriod: positive(),
          period: z.object({ period: positive(orNull("a finite number > 0")).nullable() }, { error: "an object" }),
          cleanInode: z.object(
            {
              samples: z.array(z.number({ error: "a finite number" }), {
                error: "an array of finite numbers (seconds)",
              }),
              window: z.object({ inWindow: count() }, { error: "an object" }),
            },
            { error: "an object" },
          ),
        },
        { error: orNull("an object") },
      )
      .nullable(),
    detector: z.object({ lru: STEP, batch: STEP }, { error: orNull("an object") }).nullable(),
    longterm: z
      .object(
        {
          registrations: z.array(z.object({ mapping: str(), verdict: str() }, { error: "an object" }), {
            error: "an array",
          }),
        },
        { error: orNull("an object") },
      )
      .nullable(),
  },
  { error: "an object" },
);
