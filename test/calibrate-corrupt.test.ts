/**
 * A corrupt calibration.json (a tester's reproducer: a clean-delay sample "zz" made `pinsim
 * plot` die with `RangeError: Invalid array length`, `model: {}` with a TypeError, and
 * `pinsim report` printed a report from it). `model` and the `kernel` fields the figures
 * read now have a schema: `plot` and `report` say in one line the file, the field's path,
 * its value (cut to 200 characters) and what is allowed, exit 2. The three shipped example
 * folders still plot and report, byte for byte as before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pinsim } from "./helpers/cli.js";

const EXAMPLES = new URL("../data/results/examples/", import.meta.url).pathname;
const TMP = mkdtempSync(join(tmpdir(), "pinsim-calibrate-corrupt-"));
let n = 0;

// biome-ignore lint/suspicious/noExplicitAny: the test edits arbitrary JSON
type Json = any;

/** A copy of the 6.12 example with `edit` applied to its calibration.json. */
function corrupt(edit: (d: Json) => void): string {
  const dir = join(TMP, `c${n++}`);
  cpSync(join(EXAMPLES, "calibrate-6.12"), dir, { recursive: true });
  const f = join(dir, "calibration.json");
  const d = JSON.parse(readFileSync(f, "utf8"));
  edit(d);
  writeFileSync(f, JSON.stringify(d));
  return dir;
}

const CASES: [string, (d: Json) => void, RegExp][] = [
  [
    "a samples entry a string",
    (d) => (d.model.cleanDelay.cleanInode.samples[0] = "zz"),
    /field model\.cleanDelay\.cleanInode\.samples\[0\]: "zz" \(allowed: a finite number ≥ 0\)$/,
  ],
  [
    "a samples entry an object",
    (d) => (d.model.cleanDelay.cleanInode.samples[0] = {}),
    /field model\.cleanDelay\.cleanInode\.samples\[0\]: \{\} \(allowed: a finite number ≥ 0\)$/,
  ],
  [
    "samples not an array",
    (d) => (d.model.cleanDelay.cleanInode.samples = "zz"),
    /field model\.cleanDelay\.cleanInode\.samples: "zz" \(allowed: an array of finite numbers ≥ 0/,
  ],
  ["model {}", (d) => (d.model = {}), /field model\.cleanDelay: missing \(allowed: an object or null\)$/],
  [
    "a negative count",
    (d) => (d.model.cleanDelay.dirtyInode.count = -1),
    /field model\.cleanDelay\.dirtyInode\.count: -1 \(allowed: an integer ≥ 0\)$/,
  ],
  [
    "NaN where a count is (JSON writes null)",
    (d) => (d.model.cleanDelay.cleanInode.count = Number.NaN),
    /field model\.cleanDelay\.cleanInode\.count: null \(allowed: an integer ≥ 0\)$/,
  ],
  [
    "a negative sample",
    (d) => (d.model.cleanDelay.cleanInode.samples[3] = -2.5),
    /field model\.cleanDelay\.cleanInode\.samples\[3\]: -2\.5 \(allowed: a finite number ≥ 0\)$/,
  ],
  [
    "missing lru",
    (d) => delete d.model.detector.lru,
    /field model\.detector\.lru: missing \(allowed: an integer ≥ 0 or null\)$/,
  ],
  [
    "a bad mapping kind",
    (d) => (d.model.longterm.registrations[1].mapping = "zzz"),
    /field model\.longterm\.registrations\[1\]\.mapping: "zzz" \(allowed: one of "anon", /,
  ],
  [
    "a kernel sample a string",
    (d) => (d.kernel.cleanDelay.cleanInode.samples[0] = "zz"),
    /field kernel\.cleanDelay\.cleanInode\.samples\[0\]: "zz" \(allowed: a finite number\)$/,
  ],
  [
    "a kernel fork count of 0 trials",
    (d) => (d.kernel.detector.lru.perK[0].trials = 0),
    /field kernel\.detector\.lru\.perK\[0\]\.trials: 0 \(allowed: an integer > 0\)$/,
  ],
  [
    "a huge value, cut",
    (d) => (d.model.detector.preset = { x: "y".repeat(5000) }),
    /field model\.detector\.preset: \{"x":"y{194}… \(5008 characters\) \(allowed: a string\)$/,
  ],
];

for (const [what, edit, re] of CASES) {
  test(`corrupt calibration.json, ${what}: plot and report say the field in one line, exit 2`, () => {
    const dir = corrupt(edit);
    for (const args of [
      ["plot", dir, "--format", "txt", "--out", join(dir, "figs")],
      ["report", dir],
    ]) {
      const r = pinsim(...args);
      assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `${args[0]}: ${r.stderr}`);
      assert.ok(lines[0]!.startsWith(`pinsim: ${join(dir, "calibration.json")}: not a pinsim calibration: `), lines[0]);
      assert.match(lines[0]!, re);
      assert.ok(lines[0]!.length < 500, `${lines[0]!.length} characters`);
      assert.equal(r.stdout, "");
    }
  });
}

test("a clean delay thousands of periods from the window: plot refuses it in one line (was RangeError), exit 2", () => {
  const dir = corrupt((d) => (d.model.cleanDelay.cleanInode.samples[0] = 1e12));
  const r = pinsim("plot", dir, "--format", "txt", "--out", join(dir, "figs"));
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /clean delays from 30 to 1000000000000 s span more than 20000 bins/);
});

test("plot --figure with a 5000-character name on a calibration: the name cut to 200 characters", () => {
  const r = pinsim("plot", join(EXAMPLES, "calibrate-6.12"), "--figure", "x".repeat(5000), "--out", join(TMP, "f"));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /invalid --figure: "x{199}… \(5002 characters\) \(a calibration has: calibration-clean-delay/);
});

const sha = (s: string | Buffer) => createHash("sha256").update(s).digest("hex").slice(0, 16);

/** SHA-256 (first 16 hex digits) of each output before the schema (pinsim at d4b21d7). */
const BEFORE: Record<string, Record<string, string>> = {
  "6.1": {
    report: "e0820513df39399b",
    "calibration-clean-delay.svg": "fcacc0ddaced8ea1",
    "calibration-refusal.svg": "448fff8fd8707252",
    "calibration-threshold.svg": "0646d8997945621e",
    "calibration-clean-delay.txt": "ca08261a39b008ad",
    "calibration-refusal.txt": "c28537575c1e457c",
    "calibration-threshold.txt": "cb866ab026ee04b3",
  },
  "6.12": {
    report: "5dd4a237ad3294c0",
    "calibration-clean-delay.svg": "b338a5c76831a4aa",
    "calibration-refusal.svg": "7514706ad2a6c80d",
    "calibration-threshold.svg": "7492f85259f3aca8",
    "calibration-clean-delay.txt": "4dc2dd090909f996",
    "calibration-refusal.txt": "225f41b075d44a69",
    "calibration-threshold.txt": "c72dfcff2a48de7a",
  },
  "6.18": {
    report: "9a1a61f4e7c8365a",
    "calibration-clean-delay.svg": "951e4e1c0dfdf31a",
    "calibration-refusal.svg": "77ab29002d75da9d",
    "calibration-threshold.svg": "6ee3138c3c0431c6",
    "calibration-clean-delay.txt": "a5fd0a2a11427f69",
    "calibration-refusal.txt": "f7b0a38aac4d5301",
    "calibration-threshold.txt": "1569c6a5bc764a4b",
  },
};

for (const v of Object.keys(BEFORE)) {
  test(`the example calibrate-${v} still reports and plots (txt, svg), byte-identical to before`, () => {
    const dir = join(EXAMPLES, `calibrate-${v}`);
    const got: Record<string, string> = {};
    const rep = pinsim("report", dir);
    assert.equal(rep.code, 0, rep.stderr);
    got.report = sha(rep.stdout);
    for (const format of ["txt", "svg"]) {
      const out = join(TMP, `ex-${v}-${format}`);
      const r = pinsim("plot", dir, "--format", format, "--out", out);
      assert.equal(r.code, 0, r.stderr);
      for (const f of readdirSync(out)) got[f] = sha(readFileSync(join(out, f)));
    }
    assert.deepEqual(got, BEFORE[v]);
  });
}

test("a calibration.json of another pinsim version: the version line first, whatever its fields", () => {
  // 0.0.x wrote another layout (here: no model at all); a field error would send the user
  // mending JSON where the answer is to calibrate again (store.ts loadCalibration).
  const dir = corrupt((d) => {
    d.pinsim = "0.0.1";
    d.model = {};
  });
  for (const args of [
    ["report", dir],
    ["plot", dir, "--format", "txt", "--out", join(TMP, "v-out")],
  ]) {
    const r = pinsim(...args);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(
      r.stderr,
      /calibration\.json: written by 0\.0\.1, this is pinsim \d+\.\d+\.\d+: rerun pinsim calibrate$/m,
    );
  }
});
