/**
 * Budgets on every path (issue 24): a parameter goes through the same magnitude checks
 * (src/model/budget.ts) wherever it is given (a flat flag, a pinner group, a distribution,
 * a sweep's base or axis, a notebook parameter), and a refusal names a field the user
 * gave, never a default it did not type.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { InputError } from "../src/errors.js";
import { PARAM_NAMES, resolveParams } from "../src/model/params.js";
import { makePlan } from "../src/sweep/index.js";
import { BIN } from "./helpers/cli.js";

const TMP = mkdtempSync(join(tmpdir(), "pinsim-budget-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/** The InputError resolveParams throws for `input` (fails if it accepts it). */
function refusal(input: Record<string, unknown>): InputError {
  try {
    resolveParams(input);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e;
  }
  assert.fail(`accepted ${JSON.stringify(input)}`);
}

test("a pinner group is held to the flat parameters' hard limits (these hung forever before)", () => {
  // 3 × 1e300 writes/s × 64 pinned pages × 600 s ≫ 2^40 events: each step is below one ulp of the clock.
  const rate = refusal({ pinnerGroups: [{ dmaWriteRate: 1e300 }] });
  assert.equal(rate.field, "pinnerGroups[0].dmaWriteRate");
  assert.match(rate.message, /^invalid pinnerGroups\[0\]\.dmaWriteRate: 1e\+300 \(allowed: a time step that advances/);
  // Hold 0 and gap 0: a pinner that cycles at one instant (the flat rule, per group).
  const zero = refusal({ pinnerGroups: [{ pinners: 2 }, { pinDuration: 0, pinGap: 0 }] });
  assert.equal(zero.field, "pinnerGroups[1].pinGap");
  assert.match(zero.message, /> 0 when pinDuration is 0: a pinner would cycle forever at one instant/);
  // The group's own distribution: exp:1e-300 has mean 1e-300 s, so 16 pinners × 600 s / 1e-300 cycles.
  const dist = refusal({ pinnerGroups: [{ pinDuration: 0, pinGap: "exp:1e-300" }] });
  assert.equal(dist.field, "pinnerGroups[0].pinGap");
  // The group inherits the flat pinGap 0 it did not override: the flat field is the one typed.
  const flat = refusal({ pinGap: 0, pinnerGroups: [{ pinDuration: 0 }] });
  assert.equal(flat.field, "pinnerGroups[0].pinDuration");
  // 2^28 pin slots: 2^26 pinners × 4 pages in one group, 2^26 + 1 in two.
  const slots = refusal({ pinnerGroups: [{ pinners: 2 ** 24 }, { pinners: 2 ** 24, pagesPerPin: 64 }] });
  assert.equal(slots.field, "pinnerGroups[0].pinners");
  assert.match(slots.message, /pinners × pagesPerPin at most 268435456/);
  // A group's hist: and zipf: are sized like the flat ones.
  const hist = `hist:${Array.from({ length: 10_001 }, (_, i) => `${i}=1`).join(",")}`;
  assert.equal(refusal({ pinnerGroups: [{ pinGap: hist }] }).field, "pinnerGroups[0].pinGap");
  assert.equal(refusal({ pinnerGroups: [{ pinDuration: "zipf:1:2000000" }] }).field, "pinnerGroups[0].pinDuration");
});

test("a budget refusal names the field given, not a default (--duration 1e20 said 'invalid pinGap: 10')", () => {
  const long = refusal({ duration: 1e20 });
  assert.equal(long.field, "duration");
  assert.match(long.message, /^invalid duration: 100000000000000000000 \(allowed: a time step that advances the clock/);
  // A short run with 2^24 pinners: the duration given is not what is too big; pinners is.
  assert.equal(refusal({ duration: 10, pinners: 2 ** 24 }).field, "pinners");
  assert.equal(refusal({ duration: 10, pinnerGroups: [{ pinners: 16_000_000 }] }).field, "pinnerGroups[0].pinners");
  // A big page cache under a fast CPU: 3 × 0.001 × 2^26 pages × 600 s ≈ 1.2e8 events > 1e8.
  assert.equal(refusal({ files: 1 << 16, pagesPerFile: 1024 }).field, "files");
});

const EXTREME = [1e300, 1e-300, 1e20, 1e9, 2 ** 24, 2 ** 20, 1e-9, 0];
const NUMERIC = PARAM_NAMES.filter(
  (n) => typeof (resolveParams({}) as unknown as Record<string, unknown>)[n] === "number",
);
const GROUP_KEYS = ["pinners", "pinDuration", "pinGap", "pagesPerPin", "dmaWriteRate"];

test("generated inputs: every magnitude refusal names a field that was given", () => {
  const pairs = (keys: string[]) =>
    fc.array(fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...EXTREME)), { minLength: 1, maxLength: 3 });
  const input = fc.record({
    flat: pairs(NUMERIC),
    groups: fc.option(fc.array(pairs(GROUP_KEYS), { minLength: 1, maxLength: 2 })),
  });
  fc.assert(
    fc.property(input, ({ flat, groups }) => {
      const o: Record<string, unknown> = Object.fromEntries(flat);
      const given = new Set(Object.keys(o));
      if (groups) {
        o.pinnerGroups = groups.map((g) => Object.fromEntries(g));
        groups.forEach((g, i) => g.forEach(([k]) => given.add(`pinnerGroups[${i}].${k}`)));
      }
      try {
        resolveParams(o);
      } catch (e) {
        assert.ok(e instanceof InputError, String(e));
        if (/expected events|advances the clock|MiB of state|cycle forever/.test(e.message))
          assert.ok(given.has(e.field!), `${e.message} names ${e.field}, given ${[...given].join(", ")}`);
      }
    }),
    { numRuns: 300, seed: 24 },
  );
});

/** pinsim ARGS, killed after 30 s (a hang fails instead of blocking the suite). */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000, killSignal: "SIGKILL" });
  return { code: r.status, stderr: r.stderr, signal: r.signal };
}

function refusedLine(args: string[], message: RegExp): void {
  const r = cli(...args);
  assert.equal(r.signal, null, `${args.join(" ")}: a hang`);
  assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
}

test("the command line: group flags, sweep bases and axes, notebook parameters: one line, exit 2", () => {
  refusedLine(
    ["run", "--pinner-groups", '[{"dmaWriteRate":1e300}]'],
    /^pinsim: invalid pinnerGroups\[0\]\.dmaWriteRate/,
  );
  refusedLine(
    ["run", "--pinner-groups", '[{"pinDuration":0,"pinGap":0}]'],
    /^pinsim: invalid pinnerGroups\[0\]\.pinGap: 0/,
  );
  refusedLine(["run", "--duration", "1e20"], /^pinsim: invalid duration: 1000/);
  const cfg = (name: string, c: Record<string, unknown>) => {
    const f = join(TMP, `${name}.json`);
    writeFileSync(f, JSON.stringify({ name, seeds: 1, rootSeed: 1, ...c }));
    return f;
  };
  const base = cfg("base", { base: { pinnerGroups: [{ dmaWriteRate: 1e300 }] }, axes: { policy: ["foll-pin"] } });
  refusedLine(
    ["sweep", base, "--out", join(TMP, "o1")],
    /^pinsim: invalid base\.pinnerGroups\[0\]\.dmaWriteRate: 1e\+300/,
  );
  const axis = cfg("axis", { axes: { duration: [60, 1e20] } });
  refusedLine(
    ["sweep", axis, "--out", join(TMP, "o2")],
    /^pinsim: invalid axes\.duration: 1000.*at point \{"duration":100000000000000000000\}/,
  );
  // Checked before the kernel starts (no Jupyter needed to be refused).
  refusedLine(
    ["notebook", "run", "01-tour", "-p", "duration=1e20", "--out", join(TMP, "nb.ipynb")],
    /invalid duration: 1000/,
  );
});

test("a sweep plan refuses a base pinner group over budget before any point runs", () => {
  assert.throws(
    () =>
      makePlan({
        name: "g",
        base: { duration: 10, pinnerGroups: [{ pinners: 16_000_000 }] },
        axes: { policy: ["foll-pin"] },
        seeds: 1,
        rootSeed: 1,
      }),
    /invalid base\.pinnerGroups\[0\]\.pinners: 16000000/,
  );
});

test("forkRate on backing anon is budgeted like every rate (a tester's --fork-rate 1e300 and 1e4 hung)", () => {
  // Hard limit: children alive at once = forkRate × processes (files, 64 by default) ×
  // mean childLifetime (1 s by default) at most 2^23 (the engine's Map of children; V8
  // caps a Map at 2^24 entries). 1e300 × 64 × 1 ≫ 2^23, refused even without the budget.
  const huge = refusal({ backing: "anon", forkRate: 1e300, duration: 1 });
  assert.equal(huge.field, "forkRate");
  assert.match(huge.message, /at most 8388608 children alive at once/);
  // Soft budget: 1e4 forks/s × 64 processes × 600 s × (2 events + 64 pages copied) =
  // 2.53e10 work units ≫ 1e8 per run (BUDGET.eventsPerRun), named by forkRate.
  const many = refusal({ backing: "anon", forkRate: 1e4 });
  assert.equal(many.field, "forkRate");
  assert.match(many.message, /here 2\.53e10, mostly forkRate 10000 × 64 processes × duration 600 s/);
  // A long-lived child: 1 × 64 × 1e9 s alive at once ≫ 2^23, named by childLifetime.
  assert.equal(refusal({ backing: "anon", forkRate: 1, childLifetime: 1e9 }).field, "childLifetime");
  // The default fork-copies sweep's rates pass: 0.2 forks/s × 64 × 600 s × 66 ≈ 5.1e5.
  assert.doesNotThrow(() => resolveParams({ backing: "anon", forkRate: 0.2 }));
  // A file backing never forks (engine/anon.ts runs forks on anon only): no stream; the rate
  // would do nothing, so it is refused as idle (src/model/idle-params.ts), not as a budget.
  assert.throws(
    () => resolveParams({ backing: "ext4", forkRate: 1e4 }),
    /invalid forkRate: 10000 \(allowed: only with backing anon/,
  );
});
