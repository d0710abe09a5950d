/**
 * Papermill's convention for TypeScript notebooks: the cell tagged `parameters` declares the
 * defaults as literals (`let pinDuration = 60;`); a rerun inserts a cell tagged
 * `injected-parameters` right after it that redeclares the overridden ones (tslab lets a
 * later cell redeclare a `let` or `const`). Papermill itself has no TypeScript translator.
 *
 * The type of each parameter is the type of its literal, or its annotation when that is
 * made of number, string, boolean, null, string literals and arrays; overrides are checked
 * against it here, before any kernel starts.
 */
import { cellSource, NotebookInputError, type Notebook, type NotebookCell } from "./ipynb.js";

export const PARAMETERS_TAG = "parameters";
export const INJECTED_TAG = "injected-parameters";

/** The type a parameter accepts. */
export type ParamType =
  | { kind: "number" | "string" | "boolean" | "null" }
  | { kind: "literal"; value: string }
  | { kind: "array"; of: ParamType }
  | { kind: "union"; of: ParamType[] };

/** One declaration of the parameters cell. */
export interface NotebookParameter {
  name: string;
  keyword: "let" | "const" | "var";
  /** The annotation as written, if any. */
  annotation: string | null;
  /** The default's source text. */
  literal: string;
  /** The default's value, or undefined when it is an expression rather than a literal. */
  value: unknown;
  type: ParamType | null;
  /** The declaration line, for error messages. */
  line: string;
}

const DECL = /^\s*(?:export\s+)?(let|const|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*([^=]+?))?\s*=\s*(.+?)\s*;?\s*(?:\/\/.*)?$/;

/** Index of the cell tagged `parameters`, or -1. */
export function findParametersCell(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "code" && (c.metadata?.tags ?? []).includes(PARAMETERS_TAG));
}

/** The declarations of the notebook's parameters cell; throws NotebookInputError if it has none. */
export function notebookParameters(nb: Notebook, where = "notebook"): NotebookParameter[] {
  const i = findParametersCell(nb);
  if (i < 0)
    throw new NotebookInputError(`${where} has no cell tagged "${PARAMETERS_TAG}", so it cannot take parameters (tag the cell that declares them, as papermill does)`);
  return parseParametersSource(cellSource(nb.cells[i]!));
}

/** Parse `let|const|var name[: type] = literal;` lines; other lines are ignored. */
export function parseParametersSource(source: string): NotebookParameter[] {
  const out: NotebookParameter[] = [];
  for (const line of source.split("\n")) {
    const m = DECL.exec(line);
    if (!m) continue;
    const [, keyword, name, annotation, literal] = m as unknown as [string, NotebookParameter["keyword"], string, string | undefined, string];
    const value = parseLiteral(literal);
    const fromAnnotation = annotation ? parseTypeAnnotation(annotation) : null;
    out.push({
      name, keyword, annotation: annotation?.trim() ?? null, literal, value,
      type: fromAnnotation ?? (value === undefined ? null : typeOfValue(value)),
      line: line.trim(),
    });
  }
  return out;
}

/** The value of a TypeScript literal (JSON, or single-quoted strings), or undefined for an expression. */
export function parseLiteral(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    // 'x' and ['a', 'b']: rewrite single-quoted strings as JSON ones.
    const rewritten = t.replace(/'((?:[^'\\]|\\.)*)'/g, (_m, s: string) => JSON.stringify(s.replace(/\\'/g, "'")));
    try {
      return JSON.parse(rewritten.replace(/,\s*([\]}])/g, "$1"));
    } catch {
      return undefined;
    }
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
    if (!first) return { kind: "array", of: { kind: "union", of: [{ kind: "number" }, { kind: "string" }, { kind: "boolean" }] } };
    return { kind: "array", of: kinds.every((k) => k!.kind === first.kind) ? first : { kind: "union", of: kinds as ParamType[] } };
  }
  return null; // objects: not settable from the command line
}

/** Parse an annotation made of number, string, boolean, null, "literals", T[], Array<T>, (…); null otherwise. */
export function parseTypeAnnotation(text: string): ParamType | null {
  let t = text.trim().replace(/^readonly\s+/, "");
  const parts = splitTop(t, "|").map((s) => s.trim()).filter((s) => s !== "");
  if (parts.length > 1) {
    const of = parts.map(parseTypeAnnotation);
    return of.every((x) => x !== null) ? { kind: "union", of: of as ParamType[] } : null;
  }
  t = parts[0] ?? "";
  if (t.endsWith("[]")) {
    const of = parseTypeAnnotation(t.slice(0, -2));
    return of ? { kind: "array", of } : null;
  }
  const arr = /^(?:ReadonlyArray|Array)<(.+)>$/.exec(t);
  if (arr) {
    const of = parseTypeAnnotation(arr[1]!);
    return of ? { kind: "array", of } : null;
  }
  if (t.startsWith("(") && t.endsWith(")")) return parseTypeAnnotation(t.slice(1, -1));
  if (t === "number" || t === "string" || t === "boolean" || t === "null") return { kind: t };
  const lit = /^"([^"]*)"$|^'([^']*)'$/.exec(t);
  if (lit) return { kind: "literal", value: lit[1] ?? lit[2]! };
  return null; // a named type (PolicyId …): the literal's type decides
}

function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0, quote = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) { if (c === quote) quote = ""; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === "(" || c === "<" || c === "[") depth++;
    else if (c === ")" || c === ">" || c === "]") depth--;
    else if (c === sep && depth === 0) { out.push(s.slice(start, i)); start = i + 1; }
  }
  out.push(s.slice(start));
  return out;
}

/** How a type reads in messages: `a number`, `an array of strings`, `"a" or "b"`. */
export function describeType(t: ParamType): string {
  switch (t.kind) {
    case "number": return "a number";
    case "string": return "a string";
    case "boolean": return "true or false";
    case "null": return "null";
    case "literal": return JSON.stringify(t.value);
    case "array": return `a list of ${describeType(t.of).replace(/^an? /, "")}${t.of.kind === "union" || t.of.kind === "literal" ? "" : "s"} (JSON or comma-separated)`;
    case "union": return t.of.map(describeType).join(" or ");
  }
}

/** Whether a value has the type (for values given programmatically). */
export function valueHasType(v: unknown, t: ParamType): boolean {
  switch (t.kind) {
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "string": return typeof v === "string";
    case "boolean": return typeof v === "boolean";
    case "null": return v === null;
    case "literal": return v === t.value;
    case "array": return Array.isArray(v) && v.every((x) => valueHasType(x, t.of));
    case "union": return t.of.some((x) => valueHasType(v, x));
  }
}

/** Convert `-p` text to a value of the type, or undefined when it does not fit. */
export function valueFromText(text: string, t: ParamType): unknown {
  switch (t.kind) {
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : undefined;
    }
    case "boolean":
      return text === "true" ? true : text === "false" ? false : undefined;
    case "null":
      return text === "null" ? null : undefined;
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
      const order = ["null", "boolean", "number", "literal", "array", "string"];
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
  { fromText = true, where = "notebook" }: { fromText?: boolean; where?: string } = {},
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
      throw new NotebookInputError(`parameter ${name} of ${where} cannot be set: its default \`${p.literal}\` is not a literal of a simple type (\`${p.line}\`)`);
    const v = fromText ? valueFromText(String(given), p.type) : valueHasType(given, p.type) ? given : undefined;
    if (v === undefined) {
      const shown = fromText ? JSON.stringify(String(given)) : JSON.stringify(given) ?? String(given);
      throw new NotebookInputError(`parameter ${name}: expected ${describeType(p.type)} (the parameters cell has \`${p.line}\`), got ${shown}`);
    }
    out[name] = v;
  }
  return out;
}

/** Parse `key=value` pairs given with -p; throws NotebookInputError on a malformed one. */
export function parsePairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? "" : pair.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_$][\w$]*$/.test(key))
      throw new NotebookInputError(`-p ${JSON.stringify(pair)}: expected key=value, e.g. -p pinDuration=120`);
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** The source of the injected cell: one redeclaration per override, in the parameters cell's order. */
export function injectedSource(params: NotebookParameter[], values: Record<string, unknown>): string {
  const lines = ["// Injected by `pinsim notebook run -p`: these override the parameters cell above."];
  for (const p of params) {
    if (!(p.name in values)) continue;
    const ann = p.annotation ? `: ${p.annotation}` : "";
    lines.push(`${p.keyword} ${p.name}${ann} = ${JSON.stringify(values[p.name])};`);
  }
  return lines.join("\n");
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
  const values = checkOverrides(params, overrides, options);
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
