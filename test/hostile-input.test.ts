/**
 * Hostile input, generated (fast-check): configs and sweep configs with hostile keys
 * (`constructor`, `__proto__`, `toString`), extreme magnitudes (1e300, 1e-300, 5e-324),
 * deep nesting and huge lists. Every input is either accepted within its budget (and then
 * runs, when small enough to run here) or refused with an InputError of one line; never a
 * TypeError, a RangeError, a hang or a crash. The command line is checked on a few of
 * them: exit 2 and one line on stderr.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import fc from "fast-check";
import { InputError } from "../src/errors.js";
import { simulate } from "../src/engine/simulate.js";
import { BUDGET, expectedEvents } from "../src/model/budget.js";
import { PARAM_NAMES, resolveParams } from "../src/model/params.js";
import { makePlan } from "../src/sweep/index.js";
import { parseIntegerFlag } from "../src/numbers.js";

const BIN = fileURLToPath(new URL("../bin/pinsim.js", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "pinsim-hostile-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const HOSTILE_KEYS = [
  "constructor",
  "toString",
  "__proto__",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "__defineGetter__",
];

/** A value nested `depth` deep, built without recursion. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const extreme = fc.constantFrom(
  1e300,
  -1e300,
  1e-300,
  5e-324,
  1e307,
  2 ** 53,
  -0,
  0,
  1,
  16777216,
  1e9,
  Infinity,
  -Infinity,
  NaN,
);
const distText = fc.oneof(
  fc.constantFrom(
    "exp:1e-300",
    "exp:1e300",
    "uniform:0:1e-300",
    "pareto:1e-300:0.5",
    "zipf:1:16777216",
    "lognormal:700:1",
    "hist:1=1",
    "exp:",
  ),
  fc.integer({ min: 1, max: 30_000 }).map((n) => `hist:${Array.from({ length: n }, (_, i) => `${i}=1`).join(",")}`),
);
const value = fc.oneof(
  extreme,
  fc.double(),
  fc.integer(),
  distText,
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: 0, max: 5000 }).map(nested),
  fc.integer({ min: 0, max: 100_000 }).map((n) => new Array(n).fill(1)),
  fc.string(),
);
const key = fc.oneof(
  fc.constantFrom(...PARAM_NAMES),
  fc.constantFrom(...HOSTILE_KEYS),
  fc.constantFrom("dirty_writeback_centisecs", "dirty_expire_centisecs"),
  fc.string(),
);
/** An object with own keys as JSON.parse makes them (own "__proto__" included). */
const config = fc.array(fc.tuple(key, value), { maxLength: 6 }).map((pairs) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of pairs)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
});

/** The outcome of validating: accepted, or one line of InputError; anything else fails the property. */
function judge(fn: () => unknown): "accepted" | "refused" {
  try {
    fn();
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof InputError, `not an InputError: ${(e as Error)?.stack ?? e}`);
    assert.ok(!e.message.includes("\n"), `two lines: ${e.message}`);
    assert.ok(e.message.length < 2000, `a ${e.message.length}-character message`);
    return "refused";
  }
}

test("generated configs: accepted within the budget (and run when small), or one line of InputError", () => {
  fc.assert(
    fc.property(config, (c) => {
      let p: ReturnType<typeof resolveParams> | null = null;
      if (judge(() => (p = resolveParams(c))) === "refused") return;
      const events = expectedEvents(p!);
      assert.ok(events <= BUDGET.eventsPerRun, `accepted ${events} expected events`);
      // Small enough to run here: it must end (a hang fails the test by its timeout).
      if (events < 5_000 && p!.files * p!.pagesPerFile < 20_000) simulate(p!);
    }),
    { numRuns: 150, seed: 12 },
  );
});

test("the attack's inputs: each refused with one line naming the field and the limit", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [JSON.parse('{"constructor": 1}'), /invalid parameter: "constructor"/],
    [JSON.parse('{"__proto__": {"duration": 1}}'), /invalid parameter: "__proto__"/],
    // A group's own __proto__ (JSON.parse makes one) reaches the group check, not dropped by a copy.
    [JSON.parse('{"pinnerGroups": [{"__proto__": {"x": 1}}]}'), /invalid pinnerGroups\[0\] key: "__proto__"/],
    [{ toString: 5 }, /invalid parameter: "toString"/],
    [{ cpuWriteRate: 1e300 }, /invalid cpuWriteRate: 1e\+300 .*2\^40/],
    [{ writebackInterval: 1e307, hz: 100 }, /invalid writebackInterval: 1e\+307 \(allowed: at most 1000000000 s/],
    [{ pinGap: 1e-300, pinDuration: 0 }, /invalid pinGap: 1e-300 .*advances the clock/],
    [
      { duration: 1e9 },
      /invalid duration: 1000000000 \(allowed: at most .* s with these rates and pages .*--no-budget/,
    ],
    // 16 Mi pinners × 4 pages × 0.1 device writes/s × 600 s ≈ 1e10 events: over the budget,
    // named by the field given (issue 24: not the default dmaWriteRate 0.1 it never typed).
    [{ pinners: 16777216 }, /invalid pinners: 16777216 .*67108864 pinned pages.*--no-budget/],
    [
      { pinners: 16777216, pagesPerPin: 64, pagesPerFile: 64 },
      /invalid pinners: 16777216 .*pinners × pagesPerPin at most 268435456/,
    ],
    [
      { pinGap: `hist:${Array.from({ length: 12000 }, (_, i) => `${i}=1`).join(",")}` },
      /invalid pinGap: "hist: with 12000 entries" \(allowed: a hist: of at most 10000 entries\)/,
    ],
    [{ pinDuration: nested(4200) }, /invalid parameters: "a value nested 33\+ levels deep"/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => resolveParams(input),
      (e: unknown) => e instanceof InputError && message.test(e.message) && !e.message.includes("\n"),
      `${Object.keys(input).join(",")} -> ${message}`,
    );
  }
});

const axisValues = fc.oneof(
  fc.array(value, { minLength: 0, maxLength: 4 }),
  fc.record({ from: extreme, to: extreme, steps: fc.oneof(fc.integer({ min: 0, max: 100_000 }), extreme) }),
  fc.integer({ min: 0, max: 5000 }).map(nested),
);
const sweepConfig = fc.record({
  name: fc.oneof(fc.constant("x"), fc.string()),
  base: fc.oneof(config, fc.constant(undefined)),
  axes: fc.array(fc.tuple(key, axisValues), { maxLength: 4 }).map((pairs) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of pairs)
      Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
  seeds: fc.oneof(fc.integer({ min: 1, max: 10 }), extreme, fc.constant(100_000)),
  rootSeed: fc.oneof(fc.integer({ min: 0, max: 10 }), extreme),
});

test("generated sweep configs: a plan within the sweep budget, or one line of InputError", () => {
  fc.assert(
    fc.property(sweepConfig, (c) => {
      let plan: ReturnType<typeof makePlan> | null = null;
      if (judge(() => (plan = makePlan(c))) === "refused") return;
      const runs = plan!.points.length * plan!.config.seeds;
      assert.ok(runs <= BUDGET.runsPerSweep, `accepted ${runs} runs`);
    }),
    { numRuns: 120, seed: 13 },
  );
  // The attack's: a 10^6-point grid, 100 000 seeds, refused before the grid is expanded.
  const big = {
    name: "big",
    axes: { pinDuration: { from: 1, to: 2, steps: 1000 }, pinGap: { from: 1, to: 2, steps: 1000 } },
    seeds: 1,
    rootSeed: 1,
  };
  assert.throws(() => makePlan(big), /invalid axes: "1000000 points" \(allowed: at most 50000 runs per sweep/);
  assert.throws(
    () => makePlan({ ...big, axes: { policy: ["foll-pin"] }, seeds: 100_000 }),
    /invalid seeds: 100000 \(allowed: at most 50000 runs/,
  );
});

test("the command line: hostile files and flags are one line on stderr and exit 2", () => {
  const deep = join(TMP, "deep.json");
  writeFileSync(deep, "[".repeat(100_000) + "]".repeat(100_000));
  const proto = join(TMP, "proto.json");
  writeFileSync(proto, '{"constructor": {"prototype": 1}}');
  const protoGroup = join(TMP, "proto-group.json");
  writeFileSync(protoGroup, '{"pinnerGroups": [{"__proto__": {"x": 1}}]}');
  const protoBase = join(TMP, "proto-base.json");
  writeFileSync(
    protoBase,
    '{"name": "p", "base": {"__proto__": {"duration": 1}}, "axes": {"pinners": [1]}, "seeds": 1, "rootSeed": 1}',
  );
  const cases: [string[], RegExp][] = [
    [["run", "--config", "/dev/zero"], /invalid config: "\/dev\/zero" \(allowed: a regular file/],
    // A nested __proto__ is refused where it stands, not dropped by a copy (exit 0 before).
    [
      ["run", "--config", protoGroup],
      /proto-group\.json:1:20: invalid key "__proto__" in pinnerGroups\[0\] \(allowed: /,
    ],
    [
      ["sweep", protoBase, "--out", join(TMP, "pb")],
      /proto-base\.json:1:24: invalid key "__proto__" in base \(allowed: /,
    ],
    [
      ["run", "--pinner-groups", '[{"__proto__": {"x": 1}}]'],
      /--pinner-groups: invalid key "__proto__" in pinnerGroups\[0\]/,
    ],
    [["run", "--config", deep], /nested 33\+ levels deep/],
    [
      ["sweep", "default", "--workers", "100000", "--out", join(TMP, "w")],
      /invalid workers: 100000 \(allowed: 0\.\.\d+/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  }
});

// ---------------------------------------------------------------------------------------
// Scenario files (the checker's parser, src/checker/scenario.ts): hostile option names and
// values, extreme counts, 10^5 actors or variants, very long lines.

const word = fc.oneof(
  fc.constantFrom(...HOSTILE_KEYS, "cpu", "gup", "flusher", "reclaim", "all", "clean", "dirty", "P0", "P1"),
  fc.string({ maxLength: 8 }),
);
const optVal = fc.oneof(
  fc.constantFrom("1", "2", "1e300", "-1", "0..100000", "a|b|c", "slow|fast", "on", "none", "NaN", "9".repeat(400)),
  word,
);
const actorLine = fc
  .tuple(fc.integer({ min: 0, max: 12 }), word, fc.array(fc.tuple(word, optVal), { maxLength: 4 }))
  .map(([n, kind, opts]) => `Actor P${n}: ${kind} ${opts.map(([k, v]) => `${k}=${v}`).join(" ")}`);
const scenarioLine = fc.oneof(
  actorLine,
  fc
    .tuple(word, fc.array(fc.tuple(word, optVal), { maxLength: 3 }))
    .map(([n, kv]) => `Variant ${n}: ${kv.map(([k, v]) => `${k}=${v}`).join(" ")}`),
  fc.constantFrom(
    "Scenario: X",
    "Purpose: p",
    "Policies: all",
    "Policies: constructor",
    "Page: clean",
    "Page: toString",
    "Result: lostData Never",
    "Result: __proto__ Always",
    "Knobs: stable=on|off",
  ),
  fc.string({ maxLength: 40 }),
);
const scenarioText = fc
  .array(scenarioLine, { maxLength: 20 })
  .map((ls) => ["Scenario: fuzz", "Policies: all", "Page: clean", ...ls].join("\n"));
// The attack's sizes, once each: 10^5 actors, 2·10^4 variants (the parser has no bound on
// variants and takes ~0.1 ms each, linear: 10^5 would cost ~10 s here), a 10^6-character line.
const HEAD = [
  "Scenario: big",
  "Policies: all",
  "Page: clean",
  "Actor P0: cpu stores=1",
  "Actor P1: flusher passes=1 sync=none",
];
const BIG_SCENARIOS = [
  [...HEAD, ...Array.from({ length: 100_000 }, (_, i) => `Actor P${i + 2}: cpu stores=1`)].join("\n"),
  [...HEAD, ...Array.from({ length: 20_000 }, (_, i) => `Variant v${i}: P0.stores=${(i % 3) + 1}`)].join("\n"),
  [...HEAD, `Purpose: ${"x".repeat(1_000_000)}`].join("\n"),
];

test("generated scenario files: parsed, or one line of InputError (ScenarioError), never a crash or a hang", {
  timeout: 120_000,
}, async () => {
  const { parseScenario } = await import("../src/checker/scenario.js");
  fc.assert(
    fc.property(scenarioText, (text) => {
      judge(() => parseScenario(text, "fuzz.scenario"));
    }),
    { numRuns: 100, seed: 14 },
  );
  for (const text of BIG_SCENARIOS) judge(() => parseScenario(text, "big.scenario"));
});

test("a reader that closes the pipe first (pinsim kernels | head) gets no stack trace", async () => {
  // The read end is closed before the child has even started, so its first write fails with
  // EPIPE (pipe(7)); a command line tool then stops quietly, as cat(1) and grep(1) do.
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [BIN, "kernels"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise((resolve) => child.on("close", resolve));
  assert.equal(stderr, "");
  assert.equal(code, 0);
});

// ---------------------------------------------------------------------------------------
// Defects found by hand (each test failed before its fix).

/** pinsim ARGS with a timeout (a hang fails instead of blocking the suite). */
function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 30_000,
    killSignal: "SIGKILL",
    cwd: opts.cwd,
    env: opts.env ?? process.env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** Exit 2 and exactly one line on stderr matching `message`. */
function refused(args: string[], message: RegExp, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = cli(args, opts);
  assert.equal(r.signal, null, `${args.join(" ")}: killed by ${r.signal} (a hang)`);
  assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, message, args.join(" "));
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
}

let tinyResults: string | null = null;
/** A finished two-point sweep (pinDuration 5, 50) for plot and report. */
function tiny(): string {
  if (tinyResults) return tinyResults;
  const cfg = join(TMP, "tiny.json");
  writeFileSync(
    cfg,
    JSON.stringify({ name: "tiny", base: { duration: 60 }, axes: { pinDuration: [5, 50] }, seeds: 2, rootSeed: 1 }),
  );
  const dir = join(TMP, "tiny");
  const r = cli(["sweep", cfg, "--out", dir, "--workers", "0", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  return (tinyResults = dir);
}

test("--out of plot and check --witness: a file, a device, a path under a file, empty or /proc/x is one line, exit 2, no hang", () => {
  const file = join(TMP, "my.json");
  writeFileSync(file, "{}\n");
  const cwd = mkdtempSync(join(TMP, "cwd-"));
  const bad: [string, RegExp][] = [
    ["/proc/x", /^pinsim: invalid --out: "\/proc\/x" \(allowed: a directory that can be created and written/],
    ["/proc/x/y", /invalid --out: "\/proc\/x\/y" \(allowed: a directory that can be created and written/],
    [file, /invalid --out: ".*my\.json" \(allowed: a directory that can be created and written; .*is a file\)/],
    ["/dev/null/x", /invalid --out: "\/dev\/null\/x" .*\/dev\/null is a character device/],
    ["/dev/full", /invalid --out: "\/dev\/full" .*a character device/],
    ["", /invalid --out: "" \(allowed: a directory that can be created and written/],
  ];
  const results = tiny();
  for (const [out, message] of bad) {
    refused(["plot", results, "--format", "txt", "--out", out], message, { cwd });
    refused(
      [
        "check",
        "GUP-slow+WB+reclaim+release",
        "--policy",
        "legacy-put-page",
        "--variant",
        "base",
        "--witness",
        "lostData",
        "--out",
        out,
      ],
      message,
      { cwd },
    );
  }
  assert.deepEqual(readdirSync(cwd), [], "nothing left behind in the working directory");
  // A new nested directory is made, level by level.
  const fresh = join(TMP, "figs", "a", "b");
  const r = cli(["plot", results, "--format", "txt", "--out", fresh]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readdirSync(fresh).includes("lost-data.txt"));
});

test("numbers on the command line are decimal only, and errors echo the text typed", () => {
  const run = ["run", "--duration", "10"];
  refused([...run, "--pin-duration", "0x10"], /invalid pinDuration: "0x10" .*finite decimal number, got '0x10'/);
  refused(
    [...run, "--pin-duration", "exp:0x10"],
    /invalid pinDuration: "exp:0x10" .*exp mean must be a finite decimal number, got '0x10'/,
  );
  refused([...run, "--seed", "0x10"], /invalid seed: "0x10" \(allowed: an integer/);
  refused([...run, "--seed", "0b101"], /invalid seed: "0b101"/);
  refused([...run, "--seed", "abc"], /invalid seed: "abc"/);
  refused([...run, "--pinners", ""], /invalid pinners: ""/);
  refused([...run, "--files", " "], /invalid files: " "/);
  const out = join(TMP, "never");
  refused(
    ["sweep", "smoke", "--seeds", "0x10", "--out", out],
    /invalid --seeds: "0x10" \(allowed: a decimal integer in 1\.\.9007199254740991\)/,
  );
  refused(
    ["sweep", "smoke", "--workers", "", "--out", out],
    /invalid --workers: "" \(allowed: a decimal integer in 0\.\.9007199254740991\)/,
  );
  refused(["sweep", "smoke", "--workers", " ", "--out", out], /invalid --workers: " "/);
  refused(["sweep", "smoke", "--shard-count", "0x3", "--out", out], /invalid --shard-count: "0x3"/);
  refused(
    ["check", "--max-states", "0x10"],
    /invalid --max-states: "0x10" \(allowed: a decimal integer in 1\.\.9007199254740991\)/,
  );
  refused(["calibrate", "--seed", "0x10"], /invalid --seed: "0x10" \(allowed: a decimal integer in 0\.\.4294967295\)/);
  // An integer flag takes decimal digits alone, as its message says (a tester's reproducers
  // 1e0, " 2", 1e3, 1e1 were accepted while 02 was not). 2^53 + 1 = 9007199254740993 reads as
  // 2^53 in a double: refused, the upper bound (2^53 - 1, the largest exact integer) stated.
  refused(["check", "--workers", "1e0"], /invalid --workers: "1e0" \(allowed: a decimal integer in 1\.\.64\)/);
  refused(["check", "--max-states", "1e3"], /invalid --max-states: "1e3"/);
  refused(["check", "--bitstate", "1e1"], /invalid --bitstate: "1e1" \(allowed: a decimal integer in 10\.\.34\)/);
  refused(["check", "--workers", "+1"], /invalid --workers: "\+1"/);
  refused(
    ["check", "--max-states", "9007199254740993"],
    /invalid --max-states: "9007199254740993" \(allowed: a decimal integer in 1\.\.9007199254740991\)/,
  );
  refused(["sweep", "smoke", "--workers", "1e0", "--out", out], /invalid --workers: "1e0"/);
  for (const [text, n] of [
    ["02", 2],
    ["0", 0],
    ["9007199254740991", 2 ** 53 - 1],
  ] as const)
    assert.equal(parseIntegerFlag("--n", text, 0), n, text);
  for (const text of ["1e0", " 2", "2 ", "+2", "-0", "0x2", "2.0", "", "9".repeat(400)])
    assert.throws(() => parseIntegerFlag("--n", text, 0), InputError, JSON.stringify(text));
  // Decimal spellings still work in a parameter flag: an exponent, a fraction.
  const ok = cli([...run, "--seed", "1e3", "--pin-duration", "exp:2.5", "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).params.seed, 1000);
});

test("--config on a FIFO is refused at once (no writer, no hang)", () => {
  const fifo = join(TMP, "config.fifo");
  const mk = spawnSync("mkfifo", [fifo]);
  assert.equal(mk.status, 0, "mkfifo");
  refused(["run", "--config", fifo], /invalid config: ".*config\.fifo" \(allowed: a regular file/);
  refused(["sweep", fifo, "--out", join(TMP, "never")], /config\.fifo.*a regular file/);
});

test("--shard-count without JOB_COMPLETION_INDEX (or a Slurm array) is refused: every pod would run the whole grid", () => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === "JOB_COMPLETION_INDEX" || k.startsWith("SLURM_ARRAY_")) delete env[k];
  const out = join(TMP, "shardless");
  refused(["sweep", "smoke", "--shard-count", "3", "--out", out], /--shard-count 3 needs JOB_COMPLETION_INDEX/, {
    env,
  });
  assert.ok(!existsSync(out), "nothing written");
  refused(["sweep", "smoke", "--shard", "1/3", "--shard-count", "4", "--out", out], /invalid shard-count: 4/, { env });
});

test('axis values that are one value after normalisation (5 and "5") are refused up front', () => {
  const s19 = { name: "s19", axes: { pinDuration: [5, "5"] }, seeds: 2, rootSeed: 1 };
  assert.throws(
    () => makePlan(s19),
    (e: unknown) =>
      e instanceof InputError &&
      /^invalid axes\.pinDuration\[1\]: "5" \(allowed: values distinct after normalisation/.test(e.message),
  );
  assert.throws(
    () => makePlan({ ...s19, axes: { pinGap: ["exp:5", "exp:5.0"] } }),
    /invalid axes\.pinGap\[1\]: "exp:5\.0"/,
  );
  assert.throws(
    () => makePlan({ ...s19, axes: { dirty_expire_centisecs: { from: 3000, to: 3000.0000000000005, steps: 3 } } }),
    /invalid axes\.dirty_expire_centisecs\[1\]/,
  );
  // Distinct values stay accepted.
  assert.equal(makePlan({ ...s19, axes: { pinDuration: [5, "exp:5", "6"] } }).points.length, 3);
  const cfg = join(TMP, "s19.json");
  writeFileSync(cfg, JSON.stringify(s19));
  const out = join(TMP, "s19");
  refused(["sweep", cfg, "--out", out], /invalid axes\.pinDuration\[1\]: "5"/);
  assert.ok(!existsSync(out), "nothing written");
});

test("cosmetics: the budget's advice reads once, run --trace-clean rounds P", () => {
  assert.throws(
    () => makePlan({ name: "big", axes: { policy: ["foll-pin"] }, seeds: 100_000, rootSeed: 1 }),
    (e: unknown) =>
      e instanceof InputError &&
      !/\bor or\b/.test(e.message) &&
      /shard it \(--shard I\/N\), or pass --no-budget/.test(e.message),
  );
  const r = cli(["run", "--hz", "7", "--trace-clean", "--duration", "40"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /clean delays \(E 30 s, P 5\.143 s, window/);
});

test("--out of sweep and merge: empty, /proc/x, a file or under a file is one line, exit 2, nothing left behind", () => {
  const file = join(TMP, "my.json");
  writeFileSync(file, "{}\n");
  const cwd = mkdtempSync(join(TMP, "cwd-sweep-"));
  const results = tiny();
  const bad: [string, RegExp][] = [
    ["", /^pinsim: invalid --out: "" \(allowed: a directory that can be created and written/],
    ["/proc/x", /^pinsim: invalid --out: "\/proc\/x" \(allowed: a directory that can be created and written/],
    [file, /invalid --out: ".*my\.json" \(allowed: .*is a file\)/],
    ["/dev/null/x", /invalid --out: "\/dev\/null\/x" .*a character device/],
  ];
  for (const [out, message] of bad) {
    refused(["sweep", "smoke", "--out", out, "--workers", "0", "--quiet"], message, { cwd });
    refused(["merge", results, "--out", out], message, { cwd });
  }
  assert.deepEqual(readdirSync(cwd), [], "no lock or owner file left in the working directory");
});

test("a sweep into a directory of other files (notes.txt) is refused as foreign, changing nothing", () => {
  const dir = mkdtempSync(join(TMP, "foreign-"));
  writeFileSync(join(dir, "notes.txt"), "mine\n");
  refused(
    ["sweep", "smoke", "--out", dir, "--workers", "0", "--quiet"],
    /output directory .*foreign-.* holds no pinsim results but other files \(notes\.txt\)/,
  );
  refused(["merge", tiny(), "--out", dir], /holds no pinsim results but other files \(notes\.txt\)/);
  assert.deepEqual(readdirSync(dir), ["notes.txt"]);
});

test("a summary.csv cut at a row boundary is refused by report and plot; a rerun says so and rewrites it from the journal", () => {
  const results = tiny();
  const copy = join(TMP, "tiny-copy");
  cpSync(results, copy, { recursive: true });
  const whole = readFileSync(join(results, "summary.csv"), "utf8");
  const cut = whole.split("\n").slice(0, 2).join("\n") + "\n"; // the header and the first point
  writeFileSync(join(copy, "summary.csv"), cut);
  refused(
    ["report", copy],
    /summary\.csv: holds 1 of the 2 points manifest\.json lists as done: truncated.*left untouched/,
  );
  refused(["plot", copy, "--format", "txt"], /summary\.csv: holds 1 of the 2 points/);
  assert.equal(readFileSync(join(copy, "summary.csv"), "utf8"), cut, "untouched");
  assert.ok(!existsSync(join(copy, "figures")));
  // The same state is what a sweep killed between the manifest's rename and summary.csv's
  // leaves: the rerun continues, and says what it rewrote.
  const cfg = join(TMP, "tiny.json");
  const r = cli(["sweep", cfg, "--out", copy, "--workers", "0", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /summary\.csv: holds 1 of the 2 points .*rewritten from the journal/);
  assert.equal(readFileSync(join(copy, "summary.csv"), "utf8"), whole);
});

test("the report's Rerun recipe names --out when the results are not in data/results/NAME", () => {
  const r = cli(["report", tiny()]);
  assert.equal(r.code, 0, r.stderr);
  // A config file's sweep (tiny is no preset): the recipe writes the config and runs that file.
  // (Past 72 columns the flags go on a continuation line.)
  const command = r.stdout.replace(/ \\\n +--out/, " --out");
  assert.ok(command.includes(`  node bin/pinsim.js sweep "$cfg" --out ${tiny()}\n`), r.stdout);
  // into a new folder (mktemp -d), never over a tiny.sweep.json of the current directory
  assert.match(
    r.stdout,
    / {2}cfg=\$\(mktemp -d\)\/tiny\.sweep\.json &&\n {2}printf '%s' > "\$cfg" \\\n {4}'\{"name":"tiny",/,
  );
});

// ---------------------------------------------------------------------------------------
// simulate's options object (issue 24): generated, beside the params fuzz above. A user's
// own policy with a field or hook missing or of the wrong kind, onEvent: 5, unknown keys:
// the options are checked before the run (src/engine/options.ts), so every case either
// runs or is one InputError line, never a TypeError from inside the engine.

test("generated simulate options: run, or one line of InputError before the run", async () => {
  const { getPolicy } = await import("../src/policies/index.js");
  const bases = [getPolicy("foll-pin"), getPolicy("mmu-notifier"), getPolicy("legacy-put-page")];
  const junk = fc.constantFrom<unknown>(undefined, null, 5, "x", true, [], {}, () => 1, NaN);
  const policyField = fc.constantFrom(...Object.keys(bases[0]!), "deviceMirror", "release", "constructor");
  const policy = fc
    .tuple(fc.constantFrom(0, 1, 2), fc.array(fc.tuple(policyField, junk), { maxLength: 2 }))
    .map(([b, edits]) => {
      const p: Record<string, unknown> = { ...bases[b]! };
      for (const [k, v] of edits)
        Object.defineProperty(p, k, { value: v, enumerable: true, writable: true, configurable: true });
      return p;
    });
  const optionKey = fc.constantFrom("onEvent", "tracePages", "traceClean", "policy", ...HOSTILE_KEYS);
  const options = fc.oneof(
    junk,
    fc
      .array(fc.tuple(optionKey, fc.oneof(junk, policy, fc.constant([0, 1, -1, 1e9]))), { maxLength: 4 })
      .map((pairs) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of pairs)
          Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }),
  );
  const tiny = { duration: 20, files: 1, pagesPerFile: 4, pinners: 1, pinDuration: 5, pinGap: 1 };
  fc.assert(
    fc.property(options, (o) => {
      judge(() => simulate(tiny, o as never));
    }),
    { numRuns: 400, seed: 24 },
  );
});
