// Every `@example` in a doc comment of src/ runs, so the examples cannot rot (as SimPy
// runs its example programs). A line `expr; // => VALUE (note)` also asserts that expr's
// value equals VALUE: numbers written with a trailing `…` match to the digits shown
// (|actual - shown| < 10^-decimals), other numbers to 1e-12 relative, arrays and objects
// element by element. Names exported by src/index.ts (and by the folder indexes, for an
// internal's example) are in scope; `import … from "pinsim"` lines may be written as a
// user would and are resolved to the same modules.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import * as root from "../src/index.js";
import * as model from "../src/model/index.js";
import * as checker from "../src/checker/index.js";
import * as engine from "../src/engine/index.js";
import * as sweepMod from "../src/sweep/index.js";
import * as plot from "../src/plot/index.js";
import * as notebook from "../src/notebook/index.js";
import * as stats from "../src/stats/index.js";
import * as policies from "../src/policies/index.js";

const SRC = join(import.meta.dirname, "..", "src");
const MODULES: Record<string, Record<string, unknown>> = {
  pinsim: root,
  "pinsim/model": model,
  "pinsim/checker": checker,
};
// Root names win over the folder indexes' names of the same spelling.
const scope: Record<string, unknown> = {
  ...policies,
  ...stats,
  ...notebook,
  ...plot,
  ...sweepMod,
  ...engine,
  ...checker,
  ...model,
  ...root,
};
const names = Object.keys(scope).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));

interface Example {
  /** file:line of the @example tag. */
  where: string;
  /** The declaration the doc comment belongs to. */
  owner: string;
  code: string;
}

/** Every @example of the doc comments in `files`, code fences removed. */
function extractExamples(files: string[]): Example[] {
  const out: Example[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
      const lines = m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
      const after = text
        .slice(m.index! + m[0].length)
        .match(
          /^\s*(?:export\s+)?(?:declare\s+)?(?:async\s+)?(?:function\*?|class|const|let|interface|type|abstract class)?\s*([\w$]+)/,
        );
      for (let i = 0; i < lines.length; i++) {
        if (!/^@example\b/.test(lines[i]!)) continue;
        const body: string[] = [];
        const first = lines[i]!.replace(/^@example\s*/, "");
        if (first) body.push(first);
        let j = i + 1;
        while (j < lines.length && !/^@\w/.test(lines[j]!)) body.push(lines[j++]!);
        const code = body
          .filter((l) => !/^```/.test(l.trim()))
          .join("\n")
          .trim();
        const line = text.slice(0, m.index!).split("\n").length + i;
        out.push({
          where: `${relative(join(SRC, ".."), file)}:${line}`,
          owner: m[1]!.includes("@packageDocumentation") ? "the package" : (after?.[1] ?? "?"),
          code,
        });
      }
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const APPROX = Symbol("approx");
type Approx = { [APPROX]: string };

/** Compare with the expected value of a `// =>` comment (see the file's header). */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected && typeof expected === "object" && APPROX in expected) {
    const shown = (expected as Approx)[APPROX];
    const decimals = (shown.split(".")[1] ?? "").length;
    return typeof actual === "number" && Math.abs(actual - Number(shown)) < 10 ** -decimals;
  }
  if (typeof expected === "number") {
    return (
      typeof actual === "number" &&
      (actual === expected || Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected)))
    );
  }
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) && actual.length === expected.length && expected.every((e, k) => matches(actual[k], e))
    );
  }
  if (expected && typeof expected === "object") {
    if (!actual || typeof actual !== "object") return false;
    const keys = Object.keys(expected);
    return keys.every((k) => matches((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k]));
  }
  return Object.is(actual, expected);
}

/** The example as the body of an async function: assertions wired in, imports resolved. */
function compileExample(code: string): string {
  const withChecks = code
    .split("\n")
    .map((line) => {
      const m = line.match(/^(\s*)(.+?);\s*\/\/\s*=>\s*(.+?)(\s+\(.*\))?\s*$/);
      if (!m) return line;
      const expected = m[3]!.replace(/(-?\d+(?:\.\d+)?)…/g, '__approx("$1")');
      return `${m[1]}__check(${m[2]}, ${expected}, ${JSON.stringify(line.trim())});`;
    })
    .join("\n");
  const js = ts.transpileModule(withChecks, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false },
  }).outputText;
  const body = js
    .replace(/^import\s*\{([^}]*)\}\s*from\s*"(pinsim(?:\/\w+)?)";?$/gm, (_, list: string, mod: string) => {
      const own = list
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s && !names.includes(s));
      return own.length ? `const { ${own.join(", ")} } = __modules[${JSON.stringify(mod)}];` : "";
    })
    .replace(
      /^import\s*\{([^}]*)\}\s*from\s*("[^"]+");?$/gm,
      (_, list: string, mod: string) => `const {${list.replace(/\bas\b/g, ":")}} = await import(${mod});`,
    )
    .replace(
      /^import\s*\*\s*as\s+([\w$]+)\s*from\s*("[^"]+");?$/gm,
      (_, id: string, mod: string) => `const ${id} = await import(${mod});`,
    )
    .replace(/^export\s*\{\s*\};?$/gm, "");
  // A block, so an example may declare a name that is also an export (it shadows it).
  return `{\n${body}\n}`;
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...a: unknown[]) => Promise<unknown>;

const examples = extractExamples(sourceFiles(SRC));

test("the entry points named by issue 15 carry an @example", () => {
  // simulate, sweep, checkConfig and plotSvg are the four ways into the kit.
  for (const name of ["simulate", "sweep", "checkConfig", "plotSvg"]) {
    assert.ok(
      examples.some((e) => e.owner === name),
      `${name} has no @example`,
    );
  }
});

test("the example runner's assertions can fail", async () => {
  // A wrong expected value must fail, or every example below would pass vacuously.
  const body = compileExample("wilsonInterval(81, 263); // => [0.2554…, 0.3662…]");
  const run = new AsyncFunction("__check", "__approx", "__modules", ...names, body);
  let failures = 0;
  const check = (a: unknown, e: unknown) => {
    if (!matches(a, e)) failures++;
  };
  await run(check, (s: string) => ({ [APPROX]: s }), MODULES, ...names.map((n) => scope[n]));
  // 0.2553… is the true lower end (Newcombe 1998): 0.2554… is off by more than 1e-4.
  assert.equal(failures, 1);
});

for (const ex of examples) {
  test(`@example of ${ex.owner} (${ex.where}) runs and shows what it says`, { timeout: 120_000 }, async () => {
    const body = compileExample(ex.code);
    const run = new AsyncFunction("__check", "__approx", "__modules", ...names, body);
    const check = (actual: unknown, expected: unknown, line: string) =>
      assert.ok(matches(actual, expected), `${ex.where}: ${line}\n  actual: ${JSON.stringify(actual)}`);
    await run(check, (s: string) => ({ [APPROX]: s }), MODULES, ...names.map((n) => scope[n]));
  });
}
