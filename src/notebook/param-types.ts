/**
 * The types and literal values of notebook parameters: what a parameters cell's annotation
 * or literal says a parameter accepts, how it reads in a message, and how `-p` text or a
 * given value is held to it. The TypeScript compiler (loaded on first use) reads the
 * annotations and literals, so what the kernel accepts is what this accepts.
 */
import { createRequire } from "node:module";
import type * as TS from "typescript";

/** The type a parameter accepts. */
export type ParamType =
  | { kind: "number" | "string" | "boolean" | "null" | "object" }
  | { kind: "literal"; value: string }
  | { kind: "array"; of: ParamType }
  | { kind: "union"; of: ParamType[] };

let tsModule: typeof TS | null = null;
/** The TypeScript compiler, loaded on first use (~0.3 s): only parameter parsing needs it. */
export function ts(): typeof TS {
  if (!tsModule) tsModule = createRequire(import.meta.url)("typescript") as typeof TS;
  return tsModule;
}

const NOT_LITERAL = Symbol("not a literal");

/** The value of a literal expression (number, string, boolean, null, arrays and objects of them), or undefined. */
export function literalValue(e: TS.Expression): unknown {
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
export function typeFromNode(n: TS.TypeNode): ParamType | null {
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

/** The type a default value gives its parameter: number, string, boolean, null, object, or an array of them (a union when the elements differ; an empty array takes numbers, strings or booleans); null for anything else. */
export function typeOfValue(v: unknown): ParamType | null {
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
