/**
 * The options object of simulate() checked before anything runs (issue 24): a notebook
 * user's own policy missing a hook, or `{ onEvent: 5 }`, used to throw a TypeError from
 * deep in the engine after the run had started. Each refusal is one InputError line naming
 * the option or the hook, the value and what is allowed.
 */
import { InputError } from "../errors.js";
import { bool, checkFields, checkPolicy, fn, isObject, optional, type Check } from "../model/policy-check.js";

/** The keys of SimulateOptions (src/engine/simulate.ts). */
export const SIMULATE_OPTION_KEYS = ["onEvent", "tracePages", "traceClean", "policy"] as const;

const OPTION_FIELDS: Record<string, Check> = {
  onEvent: optional(fn("(pc, now) => void", "called after every event")),
  tracePages: optional([(v) => Array.isArray(v), "a list of page numbers"]),
  traceClean: optional(bool("record clean delays")),
  policy: optional([(v) => v !== null && typeof v === "object" && !Array.isArray(v), "a Policy object"]),
};

/**
 * Check simulate()'s options before the run: known keys only, each of the right kind, and
 * a policy with every field and hook the engine calls (and a device mirror exactly when
 * its reference is "none").
 * @throws InputError `invalid options.policy.afterGrab: undefined (allowed: a function (pc, p) => void: …)`.
 */
export function checkSimulateOptions(options: unknown): void {
  if (!isObject(options))
    throw new InputError("options", options, `an object with keys ${SIMULATE_OPTION_KEYS.join(", ")}`);
  for (const k of Object.keys(options))
    if (!(SIMULATE_OPTION_KEYS as readonly string[]).includes(k))
      throw new InputError("options key", k, SIMULATE_OPTION_KEYS.join(", "));
  checkFields(options, OPTION_FIELDS, "options");
  if (options.policy !== undefined) checkPolicy(options.policy, "options.policy");
}
