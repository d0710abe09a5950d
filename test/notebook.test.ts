// Notebook parameters (papermill's convention in TypeScript), display bundles and the CLI's
// bad-input handling: none of this needs Jupyter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  INJECTED_TAG,
  JUPYTER_DISPLAY,
  NotebookInputError,
  RunView,
  SvgFigure,
  DataTable,
  checkOverrides,
  describeType,
  injectParameters,
  parsePairs,
  parseParametersSource,
  parseTypeAnnotation,
  progressDisplay,
  readNotebook,
  resolveNotebook,
  listNotebooks,
  toBundle,
  valueFromText,
  cellSource,
  literalSource,
  runParameterFor,
  injectedSource,
} from "../src/notebook/index.js";
import { simulate } from "../src/engine/simulate.js";

const FIXTURES = join(import.meta.dirname, "notebook-fixtures");
const root = join(import.meta.dirname, "..");

test("parameters cell: declarations with literal and annotated types", () => {
  const ps = parseParametersSource(
    [
      "// comment",
      "let pinDuration = 60;      // seconds",
      "const policy: string = 'foll-pin';",
      "var ratio = 1.5e-3",
      'let policies = ["foll-pin", "keep-dirty"];',
      "let flag = false;",
      'let mode: "fast" | "slow" = "fast";',
      "let spec: number | string = 60;",
      "let computed = Math.max(1, 2);",
      "console.log(pinDuration);",
    ].join("\n"),
  );
  assert.deepEqual(
    ps.map((p) => p.name),
    ["pinDuration", "policy", "ratio", "policies", "flag", "mode", "spec", "computed"],
  );
  assert.deepEqual(
    ps.map((p) => p.value),
    [60, "foll-pin", 1.5e-3, ["foll-pin", "keep-dirty"], false, "fast", 60, undefined],
  );
  assert.equal(describeType(ps[0]!.type!), "a number");
  assert.equal(describeType(ps[3]!.type!), "a list of strings (JSON or comma-separated)");
  assert.equal(describeType(ps[5]!.type!), '"fast" or "slow"');
  assert.equal(ps[7]!.type, null);
});

test("parameters cell parsed by TypeScript: the inputs the regular expression got wrong", () => {
  // Each line below was misread or refused by the old line regex (issue 13):
  // `//` inside a string was taken for a comment, so the default of outDir became `"out`;
  // `let a = 1, b = 2;`, `1_000` and `as number` were refused as "not a literal".
  const ps = parseParametersSource(
    [
      'let outDir = "out//figs";   // where figures go',
      "let a = 1, b = 2;",
      "const pages = 1_000;",
      "let pinDuration = 60 as number;",
      'const base = { seeds: 3, policies: ["foll-pin"] } satisfies Record<string, unknown>;',
      "let offset = -2.5e-3;",
      "let label = `plain template`;",
      "if (a > b) console.log('not a declaration');",
    ].join("\n"),
  );
  const byName = Object.fromEntries(ps.map((p) => [p.name, p]));
  assert.deepEqual(
    ps.map((p) => p.name),
    ["outDir", "a", "b", "pages", "pinDuration", "base", "offset", "label"],
  );
  assert.equal(byName.outDir!.value, "out//figs");
  assert.deepEqual([byName.a!.value, byName.b!.value, byName.a!.keyword], [1, 2, "let"]);
  assert.equal(byName.pages!.value, 1000);
  assert.equal(byName.pinDuration!.value, 60);
  assert.deepEqual(byName.pinDuration!.type, { kind: "number" });
  assert.deepEqual(byName.base!.value, { seeds: 3, policies: ["foll-pin"] });
  assert.equal(byName.offset!.value, -0.0025);
  assert.equal(byName.label!.value, "plain template");
  // A cell that is not TypeScript is refused with one line, not half-read.
  assert.throws(
    () => parseParametersSource("let x = ;", "bad.ipynb"),
    (e: Error) =>
      e instanceof NotebookInputError &&
      /bad\.ipynb: the parameters cell does not parse as TypeScript \(1:9: Expression expected\.\)/.test(e.message),
  );
});

test("injected values are written as TypeScript literals that read back to the same value", () => {
  const ps = parseParametersSource(
    'let outDir = "out//figs";\nlet pinDuration = 60 as number;\nconst base = { seeds: 3 } satisfies object;\nlet xs = [1, 2];',
  );
  const values = {
    outDir: 'a "quoted" // path\n',
    pinDuration: -0.5,
    base: { seeds: 5, "odd-key": [null, true] },
    xs: [],
  };
  const src = injectedSource(ps, values);
  // The `as` / `satisfies` suffixes are kept, so the redeclaration has the declared type.
  assert.match(src, /^let pinDuration = -0\.5 as number;$/m);
  assert.match(src, /^const base = \{ seeds: 5, "odd-key": \[null, true\] \} satisfies object;$/m);
  const back = Object.fromEntries(parseParametersSource(src).map((p) => [p.name, p.value]));
  assert.deepEqual(back, values);
  assert.equal(literalSource("it's"), '"it\'s"');
});

test("a parameter named like a pinsim parameter is checked by pinsim run's schema before any kernel", () => {
  const ps = parseParametersSource(
    'let policy = "foll-pin";\nlet policies = ["foll-pin"];\nlet pinDuration = 60;\nlet label = "x";',
  );
  assert.equal(runParameterFor("policy", "x"), "policy");
  assert.equal(runParameterFor("policies", ["x"]), "policy");
  assert.equal(runParameterFor("label", "x"), null);
  // resolveParams' own message (src/model/params.ts), prefixed with the notebook parameter.
  assert.throws(
    () => checkOverrides(ps, { policy: "keep-dirt" }),
    (e: Error) =>
      e instanceof NotebookInputError &&
      /^parameter policy: invalid policy: "keep-dirt" \(allowed: legacy-put-page, .*mmu-notifier\)$/.test(e.message),
  );
  assert.throws(
    () => checkOverrides(ps, { policies: "foll-pin,keep-dirt" }),
    (e: Error) => /^parameter policies: invalid policy: "keep-dirt"/.test(e.message),
  );
  assert.throws(
    () => checkOverrides(ps, { pinDuration: "-1" }),
    (e: Error) => /^parameter pinDuration: invalid pinDuration: -1/.test(e.message),
  );
  assert.deepEqual(checkOverrides(ps, { policy: "keep-dirty", label: "keep-dirt" }), {
    policy: "keep-dirty",
    label: "keep-dirt",
  });
});

test("type annotations", () => {
  assert.deepEqual(parseTypeAnnotation("number[]"), { kind: "array", of: { kind: "number" } });
  assert.deepEqual(parseTypeAnnotation("Array<string>"), { kind: "array", of: { kind: "string" } });
  assert.deepEqual(parseTypeAnnotation("readonly (number | null)[]"), {
    kind: "array",
    of: { kind: "union", of: [{ kind: "number" }, { kind: "null" }] },
  });
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
  assert.deepEqual(parsePairs(["pinDuration=120", "shareCount=zipf:1.1:4096", "expr=a=b"]), {
    pinDuration: "120",
    shareCount: "zipf:1.1:4096",
    expr: "a=b",
  });
  assert.throws(() => parsePairs(["pinDuration"]), /expected key=value/);
  assert.throws(() => parsePairs(["=3"]), /expected key=value/);
  // A key given twice is refused (a tester's `-p pinDuration=1 -p pinDuration=2` ran with 2).
  assert.throws(
    () => parsePairs(["pinDuration=1", "seeds=3", "pinDuration=2"]),
    (e: Error) => e.message === '-p pinDuration: given twice ("1" and "2"); give each parameter once',
  );
});

test("injection: a tagged cell after the parameters cell, redeclaring only the overrides", () => {
  const nb = readNotebook(join(FIXTURES, "params.ipynb"));
  const before = JSON.stringify(nb);
  const { notebook, values } = injectParameters(
    nb,
    { pinDuration: "120", policies: "keep-dirty" },
    { where: "params.ipynb" },
  );
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

test("parameters are followed into the code cells: where a value goes decides its schema", async () => {
  const { parameterUses } = await import("../src/notebook/index.js");
  const nb = readNotebook(join(root, "notebooks", "04-double-writeback.ipynb"));
  const uses = parameterUses(
    nb,
    parseParametersSource(cellSource(nb.cells.find((c) => (c.metadata?.tags ?? []).includes("parameters"))!)),
  );
  // The sweep cell has `axes: { writebackInterval: intervals, policy: policies }, seeds: seeds` and
  // `base: { pinDuration: pinDuration, … }`; tracePage gets `pinDuration: pinDuration` too.
  const has = (parameter: string, key: string, axis: boolean) =>
    uses.some((u) => u.parameter === parameter && u.key === key && u.axis === axis);
  assert.ok(has("intervals", "writebackInterval", true), JSON.stringify(uses));
  assert.ok(has("policies", "policy", true));
  assert.ok(has("seeds", "seeds", false));
  assert.ok(has("pinDuration", "pinDuration", false));
  // A valid override passes every check; a bad one names the parameter and the field it feeds.
  assert.deepEqual(injectParameters(nb, { intervals: "1,5", seeds: "2" }).values, { intervals: [1, 5], seeds: 2 });
  assert.throws(
    () => injectParameters(nb, { seeds: "0" }),
    /^NotebookInputError: parameter seeds: invalid seeds: 0 \(allowed: an integer in 1\.\.100000\)$/,
  );
  // Values given programmatically (not -p text) are held to the same schemas.
  assert.throws(
    () => injectParameters(nb, { intervals: [] }, { fromText: false }),
    /parameter intervals: invalid axes\.writebackInterval: \[\]/,
  );
});

test("-p __proto__=1 stays a key and is refused as unknown, like toString and constructor", () => {
  const pairs = parsePairs(["__proto__=1"]);
  assert.deepEqual(Object.keys(pairs), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(pairs), Object.prototype);
  const nb = readNotebook(join(FIXTURES, "params.ipynb"));
  for (const key of ["__proto__", "toString", "constructor", "hasOwnProperty"]) {
    assert.throws(
      () => injectParameters(nb, parsePairs([`${key}=1`]), { where: "params.ipynb" }),
      new RegExp(`unknown parameter '${key}' for params\\.ipynb`),
    );
  }
});

test("bad parameters: unknown name, wrong type, no parameters cell", () => {
  const nb = readNotebook(join(FIXTURES, "params.ipynb"));
  assert.throws(
    () => injectParameters(nb, { pinDuraton: "120" }, { where: "params.ipynb" }),
    (e: Error) =>
      e instanceof NotebookInputError &&
      /unknown parameter 'pinDuraton' for params\.ipynb \(its parameters cell declares: pinDuration, policy, policies, trace\)/.test(
        e.message,
      ),
  );
  assert.throws(
    () => injectParameters(nb, { pinDuration: "two minutes" }),
    (e: Error) =>
      e instanceof NotebookInputError &&
      /parameter pinDuration: expected a number \(the parameters cell has `let pinDuration = 60`\), got "two minutes"/.test(
        e.message,
      ),
  );
  assert.throws(() => injectParameters(nb, { trace: "maybe" }), /expected true or false/);
  assert.throws(
    () => checkOverrides(parseParametersSource("let a = 1;"), { a: "1" }, { fromText: false }),
    /expected a number/,
  );
  const none = readNotebook(join(FIXTURES, "no-parameters.ipynb"));
  assert.throws(
    () => injectParameters(none, { a: "1" }, { where: "no-parameters.ipynb" }),
    /no-parameters\.ipynb has no cell tagged "parameters"/,
  );
});

function pinsim(args: string[]) {
  return spawnSync(process.execPath, [join(root, "bin", "pinsim.js"), ...args], { encoding: "utf8", cwd: root });
}
const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

// The runner takes whole seconds (scripts/run-notebook.py, argparse type=int): 0.0001 ran
// as 1 s, 1e21 died in argparse's usage text, exit 1. At most a timer's 2^31 - 1 ms.
test("CLI: --timeout is a whole number of seconds, 1..2147483", () => {
  const params = join(FIXTURES, "params.ipynb");
  for (const [v, re] of [
    ["0.0001", /^pinsim: invalid --timeout: "0\.0001" \(allowed: a whole number of seconds, 1\.\.2147483\)$/],
    ["1e21", /^pinsim: invalid --timeout: "1e21" \(allowed: a whole number/],
    ["2147484", /^pinsim: invalid --timeout: "2147484"/],
  ] as const) {
    const r = pinsim(["notebook", "run", params, "--timeout", v]);
    assert.equal(r.status, 2, v);
    assert.match(r.stderr.trim(), re);
  }
});

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
    // Issue 13: this started a kernel and died 8–12 s later with a 21-line stack trace.
    [
      ["notebook", "run", params, "-p", "policy=keep-dirt"],
      /^pinsim: parameter policy: invalid policy: "keep-dirt" \(allowed: [^\n]*\)\n$/,
    ],
    // Notebook 03 passes seeds and policies to sweep() (seeds: seeds, axes: { policy: policies }):
    // these started the kernel and failed ~15 s later with parseSweepConfig's stack trace, exit 1.
    [
      ["notebook", "run", "03", "-p", "seeds=1.5"],
      /^pinsim: parameter seeds: invalid seeds: 1\.5 \(allowed: an integer in 1\.\.100000\)\n$/,
    ],
    [
      ["notebook", "run", "03", "-p", "seeds=-3"],
      /^pinsim: parameter seeds: invalid seeds: -3 \(allowed: an integer in 1\.\.100000\)\n$/,
    ],
    [
      ["notebook", "run", "03", "-p", "seeds=1e9"],
      /^pinsim: parameter seeds: invalid seeds: 1000000000 \(allowed: an integer in 1\.\.100000\)\n$/,
    ],
    [
      ["notebook", "run", "03", "-p", "policies="],
      /^pinsim: parameter policies: invalid axes\.policy: \[\] \(allowed: a non-empty list/,
    ],
    // Notebook 04's intervals go to axes.writebackInterval: the name alone says nothing.
    [
      ["notebook", "run", "04", "-p", "intervals="],
      /^pinsim: parameter intervals: invalid axes\.writebackInterval: \[\]/,
    ],
    [
      ["notebook", "run", "04", "-p", "intervals=5,-1"],
      /^pinsim: parameter intervals: invalid writebackInterval: -1 \(allowed: non-negative seconds/,
    ],
    // Assigning __proto__ to a plain object sets its prototype: the key vanished and the run went on with defaults.
    [["notebook", "run", params, "-p", "__proto__=1"], /^pinsim: unknown parameter '__proto__' for params\.ipynb/],
    [["notebook", "run", params, "-p", "constructor=1"], /^pinsim: unknown parameter 'constructor' for params\.ipynb/],
    // The output path is checked before the kernel: this ran every cell, then nbformat's
    // write failed with an 18-line Python traceback.
    [
      ["notebook", "run", params, "-p", "pinDuration=0x10", "--out", "/dev/null/x"],
      /^pinsim: invalid --out: "\/dev\/null\/x" \(allowed: a file in an existing, writable directory; \/dev\/null is not a directory\)\n$/,
    ],
    [["notebook", "run", params, "--out", root], /^pinsim: invalid --out: .* is a directory\)\n$/],
    [
      ["notebook", "run", params, "--out", join(root, "no-such-dir", "x.ipynb")],
      /^pinsim: invalid --out: .*no-such-dir does not exist\)\n$/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = pinsim(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^pinsim: /);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  }
  assert.deepEqual([sha(params), sha(none)], before);
});

test("shipped notebooks: each has a parameters cell of literals and ends with a figure", () => {
  const paths = listNotebooks();
  // Numbered 01, 02, ... in order, unique; a number may be reserved (issue 14 names 08-calibrate).
  const nums = paths.map((p) => Number(p.split("/").pop()!.slice(0, 2)));
  assert.equal(nums[0], 1);
  assert.ok(
    nums.every((n, i) => i === 0 || n > nums[i - 1]),
    nums.join(","),
  );
  assert.ok(paths.length >= 1);
  for (const p of paths) {
    const nb = readNotebook(p);
    const { values } = injectParameters(nb, {}, { where: p });
    assert.deepEqual(values, {});
    const cells = nb.cells.filter((c) => c.cell_type === "code");
    assert.ok(
      cells.some((c) => /show\(|showPng\(/.test(cellSource(c))),
      `${p} shows something`,
    );
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
  const t = new DataTable([
    { a: 1, b: "x<y" },
    { a: 2.5, b: null },
  ]);
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
    p.onProgress({
      name: "s",
      runsDone: i,
      runsTotal: 10,
      pointsDone: i,
      pointsTotal: 10,
      pointsResumed: 0,
      elapsedMs: 0,
      etaMs: null,
    });
  }
  assert.ok(lines.length >= 2 && lines.length <= 4, lines.join("\n"));
  assert.match(lines.at(-1)!, /^sweep: 10\/10 █+ 5\.5 s · 10\/10 points$/);
  p.finish(); // after completion: nothing more
  assert.ok(lines.length <= 4);
});

test("progress ends at N/N: a sweep's last run is counted before its point is recorded", () => {
  // sweep() reports {runsDone: N, pointsDone: P − 1} after the last run, then {N, P} once the
  // point is stored (src/sweep/run.ts); the display used to stop at the first and show P − 1/P.
  const lines: string[] = [];
  let now = 0;
  const p = progressDisplay({ label: "sweep", now: () => now, write: (s) => lines.push(s) });
  const ev = (runs: number, points: number) => ({
    name: "s",
    runsDone: runs,
    runsTotal: 4,
    pointsDone: points,
    pointsTotal: 2,
    pointsResumed: 0,
    elapsedMs: 0,
    etaMs: null,
  });
  for (const [r, pts] of [
    [0, 0],
    [1, 0],
    [2, 1],
    [3, 1],
    [4, 1],
    [4, 2],
  ] as const) {
    now += 3000;
    p.onProgress(ev(r, pts));
  }
  assert.match(lines.at(-1)!, /^sweep: 4\/4 █+ 18\.0 s · 2\/2 points$/);
  assert.ok(!lines.some((l) => /4\/4.*1\/2 points$/.test(l) && l === lines.at(-1)));
});
