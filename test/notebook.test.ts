// Notebook parameters (papermill's convention in TypeScript), display bundles and the CLI's
// bad-input handling: none of this needs Jupyter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  INJECTED_TAG, JUPYTER_DISPLAY, NotebookInputError, RunView, SvgFigure, DataTable, checkOverrides, describeType,
  injectParameters, parsePairs, parseParametersSource, parseTypeAnnotation, progressDisplay, readNotebook,
  resolveNotebook, listNotebooks, toBundle, valueFromText, cellSource,
} from "../src/notebook/index.js";
import { simulate } from "../src/engine/simulate.js";

const FIXTURES = join(import.meta.dirname, "notebook-fixtures");
const root = join(import.meta.dirname, "..");

test("parameters cell: declarations with literal and annotated types", () => {
  const ps = parseParametersSource([
    "// comment",
    "let pinDuration = 60;      // seconds",
    "const policy: string = 'foll-pin';",
    "var ratio = 1.5e-3",
    "let policies = [\"foll-pin\", \"keep-dirty\"];",
    "let flag = false;",
    "let mode: \"fast\" | \"slow\" = \"fast\";",
    "let spec: number | string = 60;",
    "let computed = Math.max(1, 2);",
    "console.log(pinDuration);",
  ].join("\n"));
  assert.deepEqual(ps.map((p) => p.name), ["pinDuration", "policy", "ratio", "policies", "flag", "mode", "spec", "computed"]);
  assert.deepEqual(ps.map((p) => p.value), [60, "foll-pin", 1.5e-3, ["foll-pin", "keep-dirty"], false, "fast", 60, undefined]);
  assert.equal(describeType(ps[0]!.type!), "a number");
  assert.equal(describeType(ps[3]!.type!), "a list of strings (JSON or comma-separated)");
  assert.equal(describeType(ps[5]!.type!), '"fast" or "slow"');
  assert.equal(ps[7]!.type, null);
});

test("type annotations", () => {
  assert.deepEqual(parseTypeAnnotation("number[]"), { kind: "array", of: { kind: "number" } });
  assert.deepEqual(parseTypeAnnotation("Array<string>"), { kind: "array", of: { kind: "string" } });
  assert.deepEqual(parseTypeAnnotation("readonly (number | null)[]"), { kind: "array", of: { kind: "union", of: [{ kind: "number" }, { kind: "null" }] } });
  assert.equal(parseTypeAnnotation("PolicyId"), null); // named types: the literal decides
});

test("-p text converts to the declared type", () => {
  assert.equal(valueFromText("120", { kind: "number" }), 120);
  assert.equal(valueFromText("1e3", { kind: "number" }), 1000);
  assert.equal(valueFromText("abc", { kind: "number" }), undefined);
  assert.equal(valueFromText("", { kind: "number" }), undefined);
  assert.equal(valueFromText("true", { kind: "boolean" }), true);
  assert.equal(valueFromText("yes", { kind: "boolean" }), undefined);
  assert.equal(valueFromText("keep-dirty", { kind: "string" }), "keep-dirty");
  assert.equal(valueFromText('"keep-dirty"', { kind: "string" }), "keep-dirty");
  assert.equal(valueFromText("120", { kind: "string" }), "120");
  assert.deepEqual(valueFromText("a,b", { kind: "array", of: { kind: "string" } }), ["a", "b"]);
  assert.deepEqual(valueFromText("[1, 2]", { kind: "array", of: { kind: "number" } }), [1, 2]);
  assert.equal(valueFromText("1,x", { kind: "array", of: { kind: "number" } }), undefined);
  const spec = { kind: "union", of: [{ kind: "string" }, { kind: "number" }] } as const;
  assert.equal(valueFromText("120", spec), 120);
  assert.equal(valueFromText("exp:60", spec), "exp:60");
});

test("parsePairs: key=value, with '=' allowed in the value", () => {
  assert.deepEqual(parsePairs(["pinDuration=120", "shareCount=zipf:1.1:4096", "expr=a=b"]), { pinDuration: "120", shareCount: "zipf:1.1:4096", expr: "a=b" });
  assert.throws(() => parsePairs(["pinDuration"]), /expected key=value/);
  assert.throws(() => parsePairs(["=3"]), /expected key=value/);
});

test("injection: a tagged cell after the parameters cell, redeclaring only the overrides", () => {
  const nb = readNotebook(join(FIXTURES, "params.ipynb"));
  const before = JSON.stringify(nb);
  const { notebook, values } = injectParameters(nb, { pinDuration: "120", policies: "keep-dirty" }, { where: "params.ipynb" });
  assert.deepEqual(values, { pinDuration: 120, policies: ["keep-dirty"] });
  assert.equal(JSON.stringify(nb), before, "the input notebook object is not modified");
  const i = notebook.cells.findIndex((c) => (c.metadata.tags ?? []).includes("parameters"));
  const injected = notebook.cells[i + 1]!;
  assert.deepEqual(injected.metadata.tags, [INJECTED_TAG]);
  const src = cellSource(injected);
  assert.match(src, /^let pinDuration = 120;$/m);
  assert.match(src, /^let policies = \["keep-dirty"\];$/m);
  assert.doesNotMatch(src, /policy:/);
  assert.equal(notebook.cells.length, nb.cells.length + 1);
  // Rerunning an executed copy replaces its injected cell instead of stacking another.
  const again = injectParameters(notebook, { pinDuration: "30" });
  assert.equal(again.notebook.cells.length, nb.cells.length + 1);
  assert.match(cellSource(again.notebook.cells[i + 1]!), /let pinDuration = 30;/);
  // Annotations are kept, so the redeclaration has the declared type.
  const typed = injectParameters(nb, { policy: "keep-dirty" });
  assert.match(cellSource(typed.notebook.cells[i + 1]!), /^const policy: string = "keep-dirty";$/m);
});

test("bad parameters: unknown name, wrong type, no parameters cell", () => {
  const nb = readNotebook(join(FIXTURES, "params.ipynb"));
  assert.throws(() => injectParameters(nb, { pinDuraton: "120" }, { where: "params.ipynb" }),
    (e: Error) => e instanceof NotebookInputError && /unknown parameter 'pinDuraton' for params\.ipynb \(its parameters cell declares: pinDuration, policy, policies, trace\)/.test(e.message));
  assert.throws(() => injectParameters(nb, { pinDuration: "two minutes" }),
    (e: Error) => e instanceof NotebookInputError && /parameter pinDuration: expected a number \(the parameters cell has `let pinDuration = 60;`\), got "two minutes"/.test(e.message));
  assert.throws(() => injectParameters(nb, { trace: "maybe" }), /expected true or false/);
  assert.throws(() => checkOverrides(parseParametersSource("let a = 1;"), { a: "1" }, { fromText: false }), /expected a number/);
  const none = readNotebook(join(FIXTURES, "no-parameters.ipynb"));
  assert.throws(() => injectParameters(none, { a: "1" }, { where: "no-parameters.ipynb" }), /no-parameters\.ipynb has no cell tagged "parameters"/);
});

function pinsim(args: string[]) {
  return spawnSync(process.execPath, [join(root, "bin", "pinsim.js"), ...args], { encoding: "utf8", cwd: root });
}
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

test("CLI: bad input exits 2 with one clear line and leaves the notebook untouched", () => {
  const params = join(FIXTURES, "params.ipynb");
  const none = join(FIXTURES, "no-parameters.ipynb");
  const before = [sha(params), sha(none)];
  const cases: [string[], RegExp][] = [
    [["notebook", "run", params, "-p", "nope=1"], /unknown parameter 'nope'/],
    [["notebook", "run", params, "-p", "pinDuration=abc"], /parameter pinDuration: expected a number/],
    [["notebook", "run", params, "-p", "pinDuration"], /expected key=value/],
    [["notebook", "run", none, "-p", "a=1"], /has no cell tagged "parameters"/],
    [["notebook", "run", "no-such-notebook"], /no notebook "no-such-notebook"/],
    [["notebook", "run", params, "--timeout", "-1"], /invalid --timeout/],
  ];
  for (const [args, message] of cases) {
    const r = pinsim(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^pinsim: /);
  }
  assert.deepEqual([sha(params), sha(none)], before);
});

test("shipped notebooks: each has a parameters cell of literals and ends with a figure", () => {
  const paths = listNotebooks();
  assert.deepEqual(paths.map((p) => p.split("/").pop()!.slice(0, 2)), paths.map((_, i) => String(i + 1).padStart(2, "0")));
  assert.ok(paths.length >= 1);
  for (const p of paths) {
    const nb = readNotebook(p);
    const { values } = injectParameters(nb, {}, { where: p });
    assert.deepEqual(values, {});
    const cells = nb.cells.filter((c) => c.cell_type === "code");
    assert.ok(cells.some((c) => /show\(|showPng\(/.test(cellSource(c))), `${p} shows something`);
    assert.equal((nb.metadata.kernelspec as { name: string }).name, "tslab");
    for (const c of nb.cells) assert.deepEqual(c.outputs ?? [], [], `${p}: committed without outputs`);
  }
  assert.equal(resolveNotebook("tour"), resolveNotebook("01-tour"));
  assert.equal(resolveNotebook("01"), resolveNotebook("notebooks/01-tour.ipynb"));
});

test("MIME bundles: figures, tables and runs render under any Jupyter.display kernel", () => {
  const fig = new SvgFigure('<svg width="10" height="10"></svg>', "tiny");
  const b = fig[JUPYTER_DISPLAY]();
  assert.match(b["image/svg+xml"]!, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(b["text/plain"], "<figure: tiny>");
  assert.equal(fig[Symbol.for("Jupyter.display") as typeof JUPYTER_DISPLAY], fig[JUPYTER_DISPLAY]);
  const png = fig.pngBytes(1);
  assert.deepEqual([...png.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const t = new DataTable([{ a: 1, b: "x<y" }, { a: 2.5, b: null }]);
  assert.match(t[JUPYTER_DISPLAY]()["text/html"]!, /<td style="text-align:right">2\.500<\/td>/);
  assert.match(t[JUPYTER_DISPLAY]()["text/html"]!, /x&lt;y/);
  assert.equal(t.text().split("\n")[0], "a      b");
  const run = simulate({ duration: 30, files: 2, pagesPerFile: 4, pinners: 1, pagesPerPin: 1 });
  const rb = new RunView(run)[JUPYTER_DISPLAY]();
  assert.match(rb["text/html"]!, /writeToCleanPage/);
  assert.deepEqual(Object.keys(toBundle(run)), Object.keys(rb));
  assert.deepEqual(Object.keys(toBundle("# hello")), ["text/markdown", "text/plain"]);
  assert.deepEqual(Object.keys(toBundle({ marks: [] })), ["image/svg+xml", "text/plain"]);
});

test("progress outside a kernel: throttled text lines, the last one always shown", () => {
  const lines: string[] = [];
  let now = 0;
  const p = progressDisplay({ label: "sweep", now: () => now, write: (s) => lines.push(s) });
  for (let i = 0; i <= 10; i++) {
    now += 500;
    p.onProgress({ name: "s", runsDone: i, runsTotal: 10, pointsDone: i, pointsTotal: 10, pointsResumed: 0, elapsedMs: 0, etaMs: null });
  }
  assert.ok(lines.length >= 2 && lines.length <= 4, lines.join("\n"));
  assert.match(lines.at(-1)!, /^sweep: 10\/10 █+ 5\.5 s · 10\/10 points$/);
  p.finish(); // after completion: nothing more
  assert.ok(lines.length <= 4);
});
