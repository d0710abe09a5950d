/**
 * Overrides held to the notebook: each to its parameter's type, and, where the notebook's
 * code passes a parameter on (a sweep config's field or axis, a run parameter), to that
 * field's own schema (parseSweepConfig, resolveParams), before any kernel starts.
 */
import type * as TS from "typescript";
import { ParamError, PARAM_NAMES, resolveParams, SYSCTL_ALIASES } from "../model/params.js";
import { AXIS_NAMES, parseSweepConfig } from "../sweep/config.js";
import { cellSource, INJECTED_TAG, NotebookInputError, PARAMETERS_TAG, type Notebook } from "./ipynb.js";
import { describeType, ts, valueFromText, valueHasType } from "./param-types.js";
import type { NotebookParameter } from "./parameters.js";

/** Overrides, as `-p key=value` text or as values. */
export type ParameterOverrides = Record<string, string | unknown>;

/**
 * Check overrides against the parameters cell and return them typed. Throws
 * NotebookInputError naming the parameter, the value, and what is allowed.
 * `fromText`: the values are `-p` text to convert (true), or values to check (false).
 */
export function checkOverrides(
  params: NotebookParameter[],
  overrides: ParameterOverrides,
  {
    fromText = true,
    where = "notebook",
    uses = [],
  }: { fromText?: boolean; where?: string; uses?: ParameterUse[] } = {},
): Record<string, unknown> {
  const byName = new Map(params.map((p) => [p.name, p]));
  const out: Record<string, unknown> = {};
  for (const [name, given] of Object.entries(overrides)) {
    const p = byName.get(name);
    if (!p) {
      const known = params.map((q) => q.name).join(", ") || "(none)";
      throw new NotebookInputError(`unknown parameter '${name}' for ${where} (its parameters cell declares: ${known})`);
    }
    if (!p.type)
      throw new NotebookInputError(
        `parameter ${name} of ${where} cannot be set: its default \`${p.literal}\` is not a literal of a simple type (\`${p.line}\`)`,
      );
    const v = fromText ? valueFromText(String(given), p.type) : valueHasType(given, p.type) ? given : undefined;
    if (v === undefined) {
      const shown = fromText ? JSON.stringify(String(given)) : (JSON.stringify(given) ?? String(given));
      throw new NotebookInputError(
        `parameter ${name}: expected ${describeType(p.type)} (the parameters cell has \`${p.line}\`), got ${shown}`,
      );
    }
    checkRunParameter(name, v);
    checkSweepParameter(name, v);
    for (const use of uses) if (use.parameter === name) checkUse(use, v);
    ownSet(out, name, v);
  }
  return out;
}

/** `o[key] = value` as an own property even for `__proto__` (plain assignment would set the prototype and drop the key). */
export function ownSet<T>(o: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Sweep config fields a parameter of that name feeds (src/sweep/config.ts), wherever it is used. */
const SWEEP_FIELDS = ["seeds", "rootSeed"] as const;

/** A sweep config that is valid but for `patch`, so that parseSweepConfig judges only the patched field. */
function sweepWith(patch: Record<string, unknown>): Record<string, unknown> {
  return { name: "notebook", axes: { policy: ["foll-pin"] }, seeds: 1, rootSeed: 0, ...patch };
}

function sweepCheck(name: string, config: Record<string, unknown>): void {
  try {
    parseSweepConfig(config);
  } catch (e) {
    if (e instanceof ParamError) throw new NotebookInputError(`parameter ${name}: ${e.message}`);
    throw e;
  }
}

/** `seeds` and `rootSeed` by name: the sweep config's own schema (an integer seed count, a 32-bit root seed). */
function checkSweepParameter(name: string, value: unknown): void {
  if ((SWEEP_FIELDS as readonly string[]).includes(name)) sweepCheck(name, sweepWith({ [name]: value }));
}

/**
 * Where a code cell passes a parameter on: as the value of property `key` of an object
 * literal, inside a sweep config's `axes` or not. Found by parameterUses.
 */
export interface ParameterUse {
  /** The notebook parameter. */
  parameter: string;
  /** The property it is the value of (`seeds`, `writebackInterval`, `pinDuration`, …). */
  key: string;
  /** The object literal is the value of an `axes` property: a sweep axis. */
  axis: boolean;
}

/** Check a value where it is used: an axis by the sweep config's schema and each value by resolveParams; a sweep field; a run parameter. */
function checkUse(use: ParameterUse, value: unknown): void {
  const name = use.parameter;
  if (use.axis) {
    if (!AXIS_NAMES.includes(use.key)) return;
    sweepCheck(name, sweepWith({ axes: { [use.key]: value } }));
    for (const v of Array.isArray(value) ? value : []) runCheck(name, use.key, v);
  } else if ((SWEEP_FIELDS as readonly string[]).includes(use.key)) {
    sweepCheck(name, sweepWith({ [use.key]: value }));
  } else if (AXIS_NAMES.includes(use.key) || use.key === "seed") {
    runCheck(name, use.key, value);
  }
}

function runCheck(name: string, param: string, value: unknown): void {
  try {
    resolveParams({ [param]: value });
  } catch (e) {
    if (e instanceof ParamError) throw new NotebookInputError(`parameter ${name}: ${e.message}`);
    throw e;
  }
}

/**
 * Where the notebook's code cells (all but the parameters and injected ones) pass its
 * parameters on: every property `key: NAME` (or shorthand `{ NAME }`, `NAME as T`,
 * `(NAME)`) of an object literal whose value is a parameter's name, parsed with the
 * TypeScript compiler API. A parameter used in an expression (`[...durations, pinDuration]`)
 * is not followed.
 */
export function parameterUses(nb: Notebook, params: NotebookParameter[]): ParameterUse[] {
  const t = ts();
  const names = new Set(params.map((p) => p.name));
  const out: ParameterUse[] = [];
  const seen = new Set<string>();
  const add = (parameter: string, key: string, axis: boolean) => {
    const k = `${parameter}\0${key}\0${axis}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push({ parameter, key, axis });
    }
  };
  const peel = (e: TS.Expression): TS.Expression =>
    t.isAsExpression(e) ||
    t.isSatisfiesExpression(e) ||
    t.isParenthesizedExpression(e) ||
    t.isTypeAssertionExpression(e) ||
    t.isNonNullExpression(e)
      ? peel(e.expression)
      : e;
  const keyOf = (n: TS.PropertyName): string | null => (t.isIdentifier(n) || t.isStringLiteral(n) ? n.text : null);
  const inAxes = (obj: TS.Node): boolean => {
    const parent = obj.parent;
    return !!parent && t.isPropertyAssignment(parent) && keyOf(parent.name) === "axes";
  };
  const visit = (n: TS.Node): void => {
    if (t.isPropertyAssignment(n)) {
      const key = keyOf(n.name),
        v = peel(n.initializer);
      if (key !== null && t.isIdentifier(v) && names.has(v.text)) add(v.text, key, inAxes(n.parent));
    } else if (t.isShorthandPropertyAssignment(n) && names.has(n.name.text)) {
      add(n.name.text, n.name.text, inAxes(n.parent));
    }
    t.forEachChild(n, visit);
  };
  for (const cell of nb.cells) {
    const tags = cell.metadata?.tags ?? [];
    if (cell.cell_type !== "code" || tags.includes(PARAMETERS_TAG) || tags.includes(INJECTED_TAG)) continue;
    visit(t.createSourceFile("cell.ts", cellSource(cell), t.ScriptTarget.ES2022, true, t.ScriptKind.TS));
  }
  return out;
}

/** The pinsim run parameter a notebook parameter names: itself, or the singular of a list (`policies` → `policy`). */
export function runParameterFor(name: string, value: unknown): string | null {
  const known = new Set<string>([...PARAM_NAMES, ...Object.keys(SYSCTL_ALIASES)]);
  if (known.has(name)) return name;
  if (!Array.isArray(value)) return null;
  for (const single of [name.replace(/ies$/, "y"), name.replace(/es$/, ""), name.replace(/s$/, "")]) {
    if (single !== name && known.has(single)) return single;
  }
  return null;
}

/**
 * A value for a parameter named like a pinsim run parameter goes through the same schema as
 * `pinsim run` (resolveParams), each element of a list on its own: `-p policy=keep-dirt` is
 * refused here with resolveParams' one line, instead of inside the kernel seconds later.
 */
function checkRunParameter(name: string, value: unknown): void {
  const param = runParameterFor(name, value);
  if (!param) return;
  for (const v of Array.isArray(value) ? value : [value]) {
    try {
      resolveParams({ [param]: v });
    } catch (e) {
      if (e instanceof ParamError) {
        throw new NotebookInputError(`parameter ${name}: ${e.message}`);
      }
      throw e;
    }
  }
}
