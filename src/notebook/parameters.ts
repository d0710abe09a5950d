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
import type * as TS from "typescript";
import {
  cellSource,
  INJECTED_TAG,
  NotebookInputError,
  PARAMETERS_TAG,
  type Notebook,
  type NotebookCell,
} from "./ipynb.js";
import { checkOverrides, ownSet, parameterUses, type ParameterOverrides } from "./param-uses.js";
import { literalValue, ts, typeFromNode, typeOfValue, type ParamType } from "./param-types.js";

export { INJECTED_TAG, PARAMETERS_TAG } from "./ipynb.js";
export {
  describeType,
  parseLiteral,
  parseTypeAnnotation,
  valueFromText,
  valueHasType,
  type ParamType,
} from "./param-types.js";
export {
  checkOverrides,
  parameterUses,
  runParameterFor,
  type ParameterOverrides,
  type ParameterUse,
} from "./param-uses.js";

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

/** Parse `key=value` pairs given with -p; throws NotebookInputError on a malformed one or a key given twice. */
export function parsePairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? "" : pair.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_$][\w$]*$/.test(key))
      throw new NotebookInputError(`-p ${JSON.stringify(pair)}: expected key=value, e.g. -p pinDuration=120`);
    // A key given twice is refused, as a duplicate key in a JSON config is: which one was meant?
    if (Object.hasOwn(out, key))
      throw new NotebookInputError(
        `-p ${key}: given twice (${JSON.stringify(out[key])} and ${JSON.stringify(pair.slice(eq + 1))}); give each parameter once`,
      );
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
