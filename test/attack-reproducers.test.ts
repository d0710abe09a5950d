/**
 * The hostile-input attack's reproducers of issue 24, each refused in one line with exit 2
 * within seconds (before the fixes: a TypeError from deep in the engine, a read that never
 * returned, a Python traceback after 19 s, last-wins JSON keys, a journal accepted as it was).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { InputError } from "../src/errors.js";
import { simulate } from "../src/engine/simulate.js";
import { checkConfig } from "../src/checker/index.js";
import { follPin } from "../src/policies/foll-pin.js";
import { refusedKey } from "../src/input-file.js";
import { BIN } from "./helpers/cli.js";

const TMP = mkdtempSync(join(tmpdir(), "pinsim-attack-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

function cli(args: string[], env?: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 30_000,
    killSignal: "SIGKILL",
    env: env ?? process.env,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** Exit 2, one line on stderr matching `message`, no hang (30 s, SIGKILL). */
function refused(args: string[], message: RegExp): void {
  const r = cli(args);
  assert.equal(r.signal, null, `${args.join(" ")}: a hang`);
  assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, message, args.join(" "));
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
}

const small = { duration: 30, files: 1, pagesPerFile: 4, pinners: 1 };

test("simulate's options: a policy missing a hook, onEvent: 5, a typo: one line before the run", () => {
  const cases: [unknown, RegExp][] = [
    [{ policy: {} }, /^invalid options\.policy\.id: undefined \(allowed: a non-empty string\)$/],
    [{ onEvent: 5 }, /^invalid options\.onEvent: 5 \(allowed: a function \(pc, now\) => void/],
    [{ traceClean: "yes" }, /^invalid options\.traceClean: "yes"/],
    [{ tracePages: 3 }, /^invalid options\.tracePages: 3 \(allowed: a list of page numbers/],
    [{ polcy: follPin }, /^invalid options key: "polcy" \(allowed: onEvent, tracePages, traceClean, policy\)$/],
    // A notebook user's own policy without its release: named, not a TypeError mid-run.
    [
      { policy: { ...follPin, id: "mine", release: undefined } },
      /^invalid options\.policy\.release: undefined \(allowed: \{ lock: "none" \| "lock" \| "trylock", dirty:/,
    ],
    [{ policy: { ...follPin, reference: "FOLL_LONG" } }, /^invalid options\.policy\.reference: "FOLL_LONG"/],
  ];
  let events = 0;
  for (const [options, message] of cases) {
    assert.throws(
      () => simulate(small, { onEvent: () => events++, ...(options as object) } as never),
      (e: unknown) => e instanceof InputError && message.test(e.message),
      String(message),
    );
  }
  assert.equal(events, 0, "no run started");
  assert.throws(() => simulate(small, null as never), /invalid options: null \(allowed: an object with keys/);
  // The checker holds a user's policy to the same rule.
  assert.throws(
    () =>
      checkConfig({
        policy: { ...follPin, afterGrab: 1 } as never,
        page: { dirty: false, buffers: true, pteWritable: false },
        knobs: {},
        actors: [{ kind: "gup", name: "P0" }],
      } as never),
    /invalid policy\.afterGrab: 1 \(allowed: a function/,
  );
});

test("check /dev/zero and a scenario FIFO: refused before a byte is read", () => {
  const fifo = join(TMP, "s.scenario");
  spawnSync("mkfifo", [fifo]);
  refused(["check", "/dev/zero"], /^pinsim: \/dev\/zero: expected a readable scenario file \(a regular file/);
  refused(["check", fifo], /s\.scenario: expected a readable scenario file \(a regular file/);
});

/** A finished two-point sweep (its folder), made once. */
let tinyDir: string | null = null;
function tiny(): string {
  if (tinyDir) return tinyDir;
  const cfg = join(TMP, "tiny.json");
  writeFileSync(
    cfg,
    JSON.stringify({ name: "tiny", base: { duration: 60 }, axes: { pinDuration: [5, 50] }, seeds: 2, rootSeed: 1 }),
  );
  const dir = join(TMP, "tiny");
  const r = cli(["sweep", cfg, "--out", dir, "--workers", "0", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  tinyDir = dir;
  return dir;
}

test("plot and report on a folder whose manifest.json is a FIFO or a link to /dev/zero", () => {
  const fifoDir = join(TMP, "fifo");
  mkdirSync(fifoDir);
  spawnSync("mkfifo", [join(fifoDir, "manifest.json")]);
  const zeroDir = join(TMP, "zero");
  cpSync(tiny(), zeroDir, { recursive: true });
  unlinkSync(join(zeroDir, "manifest.json"));
  symlinkSync("/dev/zero", join(zeroDir, "manifest.json"));
  for (const cmd of ["plot", "report"]) {
    refused([cmd, fifoDir], /manifest\.json: a FIFO, not a regular file/);
    refused([cmd, zeroDir], /manifest\.json: corrupted \(a symbolic link/);
  }
});

test("notebook run --out /proc/x is refused before the kernel starts (root passes access(2) there)", () => {
  refused(
    ["notebook", "run", "01-tour", "--out", "/proc/x"],
    /^pinsim: invalid --out: "\/proc\/x" \(allowed: a file in an existing, writable directory; cannot create a file in \/proc/,
  );
});

test("calibrate --out into a folder of other files is refused, as sweep refuses it", () => {
  const foreign = join(TMP, "notes");
  mkdirSync(foreign);
  writeFileSync(join(foreign, "notes.txt"), "mine\n");
  const cfg = join(TMP, "one.json");
  writeFileSync(cfg, JSON.stringify({ name: "one", axes: { pinDuration: [5] }, seeds: 1, rootSeed: 1 }));
  refused(["sweep", cfg, "--out", foreign], /holds no pinsim results but other files \(notes\.txt\)/);
  refused(
    ["calibrate", "--quick", "--only", "detector", "--out", foreign],
    /output directory .*notes holds no calibration but other files \(notes\.txt\): give --out an empty or new directory/,
  );
  assert.deepEqual(readdirSync(foreign), ["notes.txt"]);
});

test("a key given twice in a config, a sweep config or --pinner-groups is refused, not last-wins", () => {
  const run = join(TMP, "dup-run.json");
  writeFileSync(run, '{"duration": 10,\n  "duration": 20}');
  refused(["run", "--config", run], /dup-run\.json:2:3: key "duration" given twice in the top-level object/);
  const axes = join(TMP, "dup-axes.json");
  writeFileSync(axes, '{"name": "d", "axes": {"pinDuration": [1, 2], "pinDuration": [5]}, "seeds": 2, "rootSeed": 1}');
  refused(["sweep", axes, "--out", join(TMP, "d1")], /key "pinDuration" given twice in axes/);
  const seeds = join(TMP, "dup-seeds.json");
  writeFileSync(seeds, '{"name": "d", "axes": {"pinDuration": [1]}, "seeds": 2, "seeds": 30, "rootSeed": 1}');
  refused(["sweep", seeds, "--out", join(TMP, "d2")], /key "seeds" given twice/);
  refused(
    ["run", "--pinner-groups", '[{"pinners": 1}, {"pinners": 2, "pinners": 3}]'],
    /^pinsim: --pinner-groups: key "pinners" given twice in pinnerGroups\[1\]/,
  );
  // The same key in two objects is no duplicate; keys are compared after unescaping.
  assert.equal(refusedKey('{"a": {"x": 1}, "b": {"x": 2}}'), null);
  assert.equal(refusedKey('{"a\\u0062": 1, "ab": 2}')?.key, "ab");
});

test("a rerun on a journal whose records were deleted says so and journals them again; a record of no point is refused", () => {
  const cfg = join(TMP, "j.json");
  writeFileSync(
    cfg,
    JSON.stringify({ name: "j", base: { duration: 60 }, axes: { pinDuration: [5, 50, 90] }, seeds: 1, rootSeed: 1 }),
  );
  const dir = join(TMP, "j");
  assert.equal(cli(["sweep", cfg, "--out", dir, "--workers", "0", "--quiet"]).code, 0);
  const points = join(dir, ".points");
  const record = readFileSync(join(points, "000001.json"), "utf8");
  unlinkSync(join(points, "000001.json"));
  const r = cli(["sweep", cfg, "--out", dir, "--workers", "0", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /\.points: no journal record for 1 finished point \(\{"pinDuration":50\}; deleted\?\): taken from runs\.jsonl, whose rows check out, and journalled again/,
  );
  assert.equal(readFileSync(join(points, "000001.json"), "utf8"), record, "the same record, rewritten");
  // A record named after no point of the grid (index 7 of a 3-point sweep).
  writeFileSync(join(points, "000007.json"), record);
  refused(
    ["sweep", cfg, "--out", dir, "--workers", "0"],
    /000007\.json: a journal record of no point of this sweep \(grid index 7; this sweep's points are 0\.\.2\): remove it/,
  );
  refused(["report", dir], /000007\.json: a journal record of no point of this sweep/);
});
