/**
 * Papermill's convention for TypeScript notebooks: the cell tagged `parameters` declares the
 * defaults as literals (`let pinDuration = 60;`); a rerun inserts a cell tagged
 * `injected-parameters` right after it that redeclares the overridden ones (tslab lets a
 * later cell redeclare a `let` or `const`). Papermill itself has no TypeScript translator.
 *
 * The cell is parsed by the TypeScript compiler API (`ts.createSourceFile`), so what the
 * kernel accepts is what this accepts: `let a = 1, b = 2;`, `1_000`, `"out//figs"`,
 * `60 as number`, `{ … } satisfies T`, arrays and objects of literals. The type of each
 * parameter is its annotation (or `as` type) when made of number, string, boolean, null,
 * string literals, arrays and unions; else the type of its literal. Overrides are checked
 * against it here, before any kernel starts, and a parameter named like a pinsim run
 * parameter (`policy`, `pinDuration`, …; or its plural holding a list: `policies`) is also
 * checked by the same schema as `pinsim run` (resolveParams, src/model/params.ts).
 *
 * The notebook's other code cells are parsed too, to see where each parameter goes: a
 * parameter written as the value of a property (`seeds: seeds`, `axes: { writebackInterval:
 * intervals }`, `{ ...system, seed }`) is checked by that property's schema: a sweep config's
 * `seeds` and `rootSeed` and each axis by parseSweepConfig (src/sweep/config.ts: an integer
 * count of seeds, a non-empty list of distinct values), a run parameter by resolveParams.
 * A parameter named `seeds` or `rootSeed` is held to the sweep config's field wherever it goes.
 */
import { createRequire } from "node:module";
import type * as TS from "typescript";
import { ParamError, PARAM_NAMES, resolveParams, SYSCTL_ALIASES } from "../model/params.js";
import { AXIS_NAMES, parseSweepConfig } from "../sweep/config.js";
import { cellSource, NotebookInputError, type Notebook, type NotebookCell } from "./ipynb.js";

/** The tag of a notebook's parameters cell (papermill's convention): its declarations are the defaults. */
export const PARAMETERS_TAG = "parameters";
/** The tag of the cell a run inserts after the parameters cell with the overrides. */
export const INJECTED_TAG = "injected-parameters";

/** The type a parameter accepts. */
export type ParamType =
  | { kind: "number" | "string" | "boolean" | "null" | "object" }
  | { kind: "literal"; value: string }
  | { kind: "array"; of: ParamType }
  | { kind: "union"; of: ParamType[] };

/** One declaration of the parameters cell. */
export interface NotebookParameter {
  /** The variable's name (a run parameter's, a sweep config field's, or the notebook's own). */
  name: string;
  /** How it is declared; an override is injected with the same keyword. */
  keyword: "let" | "const" | "var";
  /** The annotation as written, if any. */
  annotation: string | null;
  /** The default's source text (the initialiser, `as`/`satisfies` included). */
  literal: string;
  /** The default's value, or undefined when it is an expression rather than a literal. */
  value: unknown;
  /** The type an override must have: the annotation's, else the `as` type's, else the default value's; null when none says. */
  type: ParamType | null;
  /** The declaration as written (`let pinDuration = 60`), for error messages. */
  line: string;
  /** `as T` / `satisfies T` suffixes of the initialiser, innermost first, kept when a value is injected. */
  suffixes: string[];
}

let tsModule: typeof TS | null = null;
/** The TypeScript compiler, loaded on first use (~0.3 s): only parameter parsing needs it. */
function ts(): typeof TS {
  if (!tsModule) tsModule = createRequire(import.meta.url)("typescript") as typeof TS;
  return tsModule;
}

/** Index of the cell tagged `parameters`, or -1. */
export function findParametersCell(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "code" && (c.metadata?.tags ?? []).includes(PARAMETERS_TAG));
}

/** The declarations of the notebook's parameters cell; throws NotebookInputError if it has none. */
export function notebookParameters(nb: Notebook, where = "notebook"): NotebookParameter[] {
  const i = findParametersCell(nb);
  if (i < 0)
    throw new NotebookInputError(
      `${where} has no cell tagged "${PARAMETERS_TAG}", so it cannot take parameters (tag the cell that declares them, as papermill does)`,
    );
  return parseParametersSource(cellSource(nb.cells[i]!), where);
}

/**
 * Every top-level `let`/`const`/`var` declaration of the cell (several per statement
 * allowed); other statements are ignored. Throws NotebookInputError on a syntax error.
 */
export function parseParametersSource(source: string, where = "parameters cell"): NotebookParameter[] {
  const t = ts();
  const sf = t.createSourceFile("parameters.ts", source, t.ScriptTarget.ES2022, true, t.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics?: TS.Diagnostic[] }).parseDiagnostics ?? [];
  if (diags.length) {
    const d = diags[0]!;
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
    throw new NotebookInputError(
      `${where}: the parameters cell does not parse as TypeScript (${line + 1}:${character + 1}: ${t.flattenDiagnosticMessageText(d.messageText, " ")})`,
    );
  }
  const out: NotebookParameter[] = [];
  for (const st of sf.statements) {
    if (!t.isVariableStatement(st)) continue;
    const flags = st.declarationList.flags;
    const keyword = flags & t.NodeFlags.Const ? "const" : flags & t.NodeFlags.Let ? "let" : "var";
    for (const d of st.declarationList.declarations) {
      if (!t.isIdentifier(d.name) || !d.initializer) continue;
      const annotation = d.type ? d.type.getText(sf) : null;
      // Peel `as T`, `satisfies T`, `<T>x` and parentheses; the outermost type that says something wins.
      let init: TS.Expression = d.initializer;
      const suffixes: string[] = [];
      let asType: ParamType | null = null;
      for (;;) {
        if (t.isAsExpression(init) || t.isSatisfiesExpression(init)) {
          const tt = typeFromNode(init.type);
          if (tt && !asType && t.isAsExpression(init)) asType = tt;
          suffixes.unshift(`${t.isAsExpression(init) ? "as" : "satisfies"} ${init.type.getText(sf)}`);
          init = init.expression;
        } else if (t.isParenthesizedExpression(init)) init = init.expression;
        else if (t.isTypeAssertionExpression(init)) init = init.expression;
        else break;
      }
      const value = literalValue(init);
      const fromAnnotation = d.type ? typeFromNode(d.type) : null;
      out.push({
        name: d.name.text,
        keyword,
        annotation,
        literal: d.initializer.getText(sf),
        value,
        type: fromAnnotation ?? asType ?? (value === undefined ? null : typeOfValue(value)),
        line: `${keyword} ${d.getText(sf)}`,
        suffixes: suffixes.reverse().filter((x) => !/^as const$/.test(x)),
      });
    }
  }
  return out;
}

const NOT_LITERAL = Symbol("not a literal");

/** The value of a literal expression (number, string, boolean, null, arrays and objects of them), or undefined. */
function literalValue(e: TS.Expression): unknown {
  const v = literalOrNot(e);
  return v === NOT_LITERAL ? undefined : v;
}

function literalOrNot(e: TS.Expression): unknown {
  const t = ts();
  if (
    t.isAsExpression(e) ||
    t.isSatisfiesExpression(e) ||
    t.isParenthesizedExpression(e) ||
    t.isTypeAssertionExpression(e)
  )
    return literalOrNot(e.expression);
  if (t.isNumericLiteral(e)) return Number(e.text); // ts normalises 1_000 and 0x10 in .text
  if (t.isStringLiteral(e) || t.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (e.kind === t.SyntaxKind.TrueKeyword) return true;
  if (e.kind === t.SyntaxKind.FalseKeyword) return false;
  if (e.kind === t.SyntaxKind.NullKeyword) return null;
  if (
    t.isPrefixUnaryExpression(e) &&
    (e.operator === t.SyntaxKind.MinusToken || e.operator === t.SyntaxKind.PlusToken)
  ) {
    const v = literalOrNot(e.operand);
    return typeof v === "number" ? (e.operator === t.SyntaxKind.MinusToken ? -v : v) : NOT_LITERAL;
  }
  if (t.isArrayLiteralExpression(e)) {
    const out: unknown[] = [];
    for (const x of e.elements) {
      const v = literalOrNot(x);
      if (v === NOT_LITERAL) return NOT_LITERAL;
      out.push(v);
    }
    return out;
  }
  if (t.isObjectLiteralExpression(e)) {
    const out: Record<string, unknown> = {};
    for (const p of e.properties) {
      if (!t.isPropertyAssignment(p)) return NOT_LITERAL;
      const key =
        t.isIdentifier(p.name) || t.isStringLiteral(p.name) || t.isNumericLiteral(p.name) ? p.name.text : null;
      if (key === null) return NOT_LITERAL;
      const v = literalOrNot(p.initializer);
      if (v === NOT_LITERAL) return NOT_LITERAL;
      out[key] = v;
    }
    return out;
  }
  return NOT_LITERAL;
}

/** A type node made of number, string, boolean, null, "literals", arrays, unions, objects; null otherwise (named types). */
function typeFromNode(n: TS.TypeNode): ParamType | null {
  const t = ts();
  if (t.isParenthesizedTypeNode(n)) return typeFromNode(n.type);
  if (t.isTypeOperatorNode(n) && n.operator === t.SyntaxKind.ReadonlyKeyword) return typeFromNode(n.type);
  if (t.isArrayTypeNode(n)) {
    const of = typeFromNode(n.elementType);
    return of ? { kind: "array", of } : null;
  }
  if (
    t.isTypeReferenceNode(n) &&
    t.isIdentifier(n.typeName) &&
    (n.typeName.text === "Array" || n.typeName.text === "ReadonlyArray") &&
    n.typeArguments?.length === 1
  ) {
    const of = typeFromNode(n.typeArguments[0]!);
    return of ? { kind: "array", of } : null;
  }
  if (t.isUnionTypeNode(n)) {
    const of = n.types.map(typeFromNode);
    return of.every((x) => x !== null) ? { kind: "union", of: of as ParamType[] } : null;
  }
  if (t.isLiteralTypeNode(n)) {
    if (t.isStringLiteral(n.literal)) return { kind: "literal", value: n.literal.text };
    if (n.literal.kind === t.SyntaxKind.NullKeyword) return { kind: "null" };
    return null;
  }
  if (t.isTypeLiteralNode(n)) return { kind: "object" };
  switch (n.kind) {
    case t.SyntaxKind.NumberKeyword:
      return { kind: "number" };
    case t.SyntaxKind.StringKeyword:
      return { kind: "string" };
    case t.SyntaxKind.BooleanKeyword:
      return { kind: "boolean" };
    case t.SyntaxKind.NullKeyword:
      return { kind: "null" };
    default:
      return null; // a named type (PolicyId …): the literal's type decides
  }
}

function typeOfValue(v: unknown): ParamType | null {
  if (v === null) return { kind: "null" };
  if (typeof v === "number") return { kind: "number" };
  if (typeof v === "string") return { kind: "string" };
  if (typeof v === "boolean") return { kind: "boolean" };
  if (Array.isArray(v)) {
    const kinds = v.map(typeOfValue);
    if (kinds.some((k) => k === null)) return null;
    const first = kinds[0];
    if (!first)
      return {
        kind: "array",
        of: { kind: "union", of: [{ kind: "number" }, { kind: "string" }, { kind: "boolean" }] },
      };
    return {
      kind: "array",
      of: kinds.every((k) => k!.kind === first.kind) ? first : { kind: "union", of: kinds as ParamType[] },
    };
  }
  if (typeof v === "object") return { kind: "object" };
  return null;
}

/** The value of a TypeScript literal's source text (JSON, single quotes, 1_000, trailing commas …), or undefined for an expression. */
export function parseLiteral(text: string): unknown {
  const t = ts();
  const sf = t.createSourceFile("literal.ts", `(${text.trim()});`, t.ScriptTarget.ES2022, true, t.ScriptKind.TS);
  const diags = (sf as unknown as { parseDiagnostics?: TS.Diagnostic[] }).parseDiagnostics ?? [];
  const st = sf.statements[0];
  if (diags.length || sf.statements.length !== 1 || !st || !t.isExpressionStatement(st)) return undefined;
  return literalValue(st.expression);
}

/** Parse an annotation made of number, string, boolean, null, "literals", T[], Array<T>, (…), unions; null otherwise. */
export function parseTypeAnnotation(text: string): ParamType | null {
  const t = ts();
  const sf = t.createSourceFile("type.ts", `let x: ${text};`, t.ScriptTarget.ES2022, true, t.ScriptKind.TS);
  const st = sf.statements[0];
  if (!st || !t.isVariableStatement(st)) return null;
  const n = st.declarationList.declarations[0]?.type;
  return n ? typeFromNode(n) : null;
}

/** How a type reads in messages: `a number`, `an array of strings`, `"a" or "b"`. */
export function describeType(t: ParamType): string {
  switch (t.kind) {
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "null":
      return "null";
    case "object":
      return "a JSON object";
    case "literal":
      return JSON.stringify(t.value);
    case "array":
      return `a list of ${describeType(t.of).replace(/^an? /, "")}${t.of.kind === "union" || t.of.kind === "literal" ? "" : "s"} (JSON or comma-separated)`;
    case "union":
      return t.of.map(describeType).join(" or ");
  }
}

/** Whether a value has the type (for values given programmatically). */
export function valueHasType(v: unknown, t: ParamType): boolean {
  switch (t.kind) {
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "string":
      return typeof v === "string";
    case "boolean":
      return typeof v === "boolean";
    case "null":
      return v === null;
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "literal":
      return v === t.value;
    case "array":
      return Array.isArray(v) && v.every((x) => valueHasType(x, t.of));
    case "union":
      return t.of.some((x) => valueHasType(v, x));
  }
}

/** Convert `-p` text to a value of the type, or undefined when it does not fit. */
export function valueFromText(text: string, t: ParamType): unknown {
  switch (t.kind) {
    case "number": {
      const n = Number(text);
      if (text.trim() !== "" && Number.isFinite(n)) return n;
      const lit = /^[-+]?[\d._]+(e[-+]?\d+)?$/i.test(text.trim()) ? parseLiteral(text) : undefined; // 1_000, as TypeScript writes it
      return typeof lit === "number" && Number.isFinite(lit) ? lit : undefined;
    }
    case "boolean":
      return text === "true" ? true : text === "false" ? false : undefined;
    case "null":
      return text === "null" ? null : undefined;
    case "object": {
      try {
        const v = JSON.parse(text) as unknown;
        return valueHasType(v, t) ? v : undefined;
      } catch {
        return undefined;
      }
    }
    case "string": {
      // -p policy=foll-pin and -p 'policy="foll-pin"' mean the same.
      if (/^".*"$/s.test(text)) {
        const v = parseLiteral(text);
        if (typeof v === "string") return v;
      }
      return text;
    }
    case "literal": {
      const s = valueFromText(text, { kind: "string" });
      return s === t.value ? s : undefined;
    }
    case "array": {
      const trimmed = text.trim();
      if (trimmed.startsWith("[")) {
        const v = parseLiteral(trimmed);
        return Array.isArray(v) && v.every((x) => valueHasType(x, t.of)) ? v : undefined;
      }
      const items = trimmed === "" ? [] : trimmed.split(",").map((s) => valueFromText(s.trim(), t.of));
      return items.some((x) => x === undefined) ? undefined : items;
    }
    case "union": {
      // Most specific first, so "120" is a number and "true" a boolean when both are allowed.
      const order = ["null", "boolean", "number", "literal", "array", "object", "string"];
      const alts = [...t.of].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
      for (const a of alts) {
        const v = valueFromText(text, a);
        if (v !== undefined) return v;
      }
      return undefined;
    }
  }
}

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
function ownSet<T>(o: Record<string, T>, key: string, value: T): void {
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

/** Parse `key=value` pairs given with -p; throws NotebookInputError on a malformed one. */
export function parsePairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? "" : pair.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_$][\w$]*$/.test(key))
      throw new NotebookInputError(`-p ${JSON.stringify(pair)}: expected key=value, e.g. -p pinDuration=120`);
    ownSet(out, key, pair.slice(eq + 1)); // `-p __proto__=1` stays a key (and is refused as unknown)
  }
  return out;
}

/** The source of the injected cell: one redeclaration per override, in the parameters cell's order. */
export function injectedSource(params: NotebookParameter[], values: Record<string, unknown>): string {
  const lines = ["// Injected by `pinsim notebook run -p`: these override the parameters cell above."];
  for (const p of params) {
    if (!(p.name in values)) continue;
    const ann = p.annotation ? `: ${p.annotation}` : "";
    const suffix = p.suffixes.length ? ` ${p.suffixes.join(" ")}` : "";
    lines.push(`${p.keyword} ${p.name}${ann} = ${literalSource(values[p.name])}${suffix};`);
  }
  return lines.join("\n");
}

/**
 * A value as TypeScript literal source, printed by the compiler's own printer (strings
 * double-quoted and escaped, negative numbers as prefix minus, arrays and objects of them),
 * so that parseParametersSource reads back exactly the value.
 */
export function literalSource(value: unknown): string {
  const t = ts();
  const f = t.factory;
  const node = (v: unknown): TS.Expression => {
    if (v === null) return f.createNull();
    if (typeof v === "boolean") return v ? f.createTrue() : f.createFalse();
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new NotebookInputError(`cannot write ${v} as a TypeScript literal`);
      return v < 0 || Object.is(v, -0)
        ? f.createPrefixUnaryExpression(t.SyntaxKind.MinusToken, f.createNumericLiteral(String(-v)))
        : f.createNumericLiteral(String(v));
    }
    if (typeof v === "string") return f.createStringLiteral(v);
    if (Array.isArray(v)) return f.createArrayLiteralExpression(v.map(node), false);
    if (typeof v === "object") {
      return f.createObjectLiteralExpression(
        Object.entries(v as Record<string, unknown>).map(([k, x]) =>
          f.createPropertyAssignment(
            /^[A-Za-z_$][\w$]*$/.test(k) ? f.createIdentifier(k) : f.createStringLiteral(k),
            node(x),
          ),
        ),
        false,
      );
    }
    throw new NotebookInputError(`cannot write ${typeof v} as a TypeScript literal`);
  };
  const sf = t.createSourceFile("x.ts", "", t.ScriptTarget.ES2022, false, t.ScriptKind.TS);
  return t.createPrinter({ newLine: t.NewLineKind.LineFeed }).printNode(t.EmitHint.Expression, node(value), sf);
}

/**
 * A copy of the notebook with the overrides injected after the parameters cell (replacing
 * an injected cell left by an earlier run). Throws NotebookInputError on bad input; the
 * notebook passed in is not modified.
 */
export function injectParameters(
  nb: Notebook,
  overrides: ParameterOverrides,
  options: { fromText?: boolean; where?: string } = {},
): { notebook: Notebook; values: Record<string, unknown> } {
  const where = options.where ?? "notebook";
  const params = notebookParameters(nb, where);
  const values = checkOverrides(params, overrides, { ...options, uses: parameterUses(nb, params) });
  const copy = JSON.parse(JSON.stringify(nb)) as Notebook;
  copy.cells = copy.cells.filter((c) => !(c.metadata?.tags ?? []).includes(INJECTED_TAG));
  if (Object.keys(values).length === 0) return { notebook: copy, values };
  const cell: NotebookCell = {
    cell_type: "code",
    execution_count: null,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    source: injectedSource(params, values),
  };
  if (copy.nbformat_minor >= 5) cell.id = "injected-parameters";
  copy.cells.splice(findParametersCell(copy) + 1, 0, cell);
  return { notebook: copy, values };
}
