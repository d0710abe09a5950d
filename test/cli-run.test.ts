/**
 * `pinsim run` and `pinsim policies` as a user meets them: output, and bad input as one
 * line on stderr with exit code 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { POLICY_IDS } from "../src/model/policy-ids.js";
import { METRIC_NAMES } from "../src/model/metrics.js";

const BIN = new URL("../bin/pinsim.js", import.meta.url).pathname;
const pinsim = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const TMP = mkdtempSync(join(tmpdir(), "pinsim-cli-"));
const file = (name: string, text: string) => {
  writeFileSync(join(TMP, name), text);
  return join(TMP, name);
};

test("pinsim run --json prints a RunResult with every metric and the parameters filled in", () => {
  const r = pinsim("run", "--policy", "keep-dirty", "--duration", "60", "--share-count", "zipf:1.1:4096", "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out.metrics), [...METRIC_NAMES]);
  assert.equal(out.params.policy, "keep-dirty");
  assert.equal(out.params.shareCount, "zipf:1.1:4096");
  assert.equal(out.params.reclaimGuard, true); // the policy's default, resolved
  assert.match(out.pinsim, /^pinsim \d+\.\d+\.\d+$/);
  assert.match(out.prng, /xoroshiro128plus/);
  assert.ok(out.events > 0);
});

test("flags override the config file; sysctl names in centiseconds", () => {
  const cfg = file(
    "c.json",
    JSON.stringify({ policy: "dirty-at-gup", dirty_expire_centisecs: 1500, duration: 30, seed: 9 }),
  );
  const r = pinsim("run", "--config", cfg, "--seed", "4", "--json");
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout).params;
  assert.equal(p.dirtyExpire, 15);
  assert.equal(p.seed, 4);
  assert.equal(p.policy, "dirty-at-gup");
  // The same run twice: byte-identical.
  assert.equal(pinsim("run", "--config", cfg, "--seed", "4", "--json").stdout, r.stdout);
});

test("the readable table names every metric; policies lists all nine", () => {
  const r = pinsim("run", "--policy", "foll-pin", "--duration", "30");
  assert.equal(r.code, 0, r.stderr);
  for (const m of METRIC_NAMES) assert.match(r.stdout, new RegExp(`^${m} `, "m"));
  const p = pinsim("policies");
  assert.equal(p.code, 0);
  assert.deepEqual(
    p.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(/\s+/)[0]),
    [...POLICY_IDS],
  );
});

test("bad input: one line naming the field and the allowed values, exit 2", () => {
  const cases: [string[], RegExp][] = [
    [["--policy", "nope"], /invalid policy: "nope" \(allowed: legacy-put-page, .*mmu-notifier\)/],
    [["--pin-duration", "-5"], /invalid pinDuration: -5 .*negative/],
    [["--pin-gap", "NaN"], /invalid pinGap: "NaN"/],
    [["--duration", "-1"], /invalid duration: -1 \(allowed: a positive number of seconds\)/],
    [["--writeback-interval", "abc"], /invalid writebackInterval/],
    [["--share-count", "zipf:1.1"], /invalid shareCount: "zipf:1.1" .*expected zipf:S:CAP/],
    [["--pin-duration", "lognormal:1"], /expected lognormal:MU:SIGMA/],
    [["--share-count", "hist:1=0.5,2"], /expected hist:V=W/],
    [["--share-count", "exp:10"], /bounded distribution/],
    [["--share-count", "2147483647"], /invalid shareCount: 2147483647 \(allowed: at most 2147483645/],
    // The refcount at rest is 1 (page cache) + 1 (buffers) + shares + transient <= 2^31 - 1;
    // with the default shareCount 1 transientRefs may be at most 2147483647 - 3 = 2147483644.
    [
      ["--transient-refs", "2147483647"],
      /^pinsim: invalid transientRefs: 2147483647 \(allowed: at most 2147483644 so that .* with shareCount 1\)$/m,
    ],
    [
      ["--transient-refs", "uniform:0:2147483647"],
      /invalid transientRefs: "uniform:0:2147483647" \(allowed: at most 2147483644 /,
    ],
    // Both too large: the larger maximum is named, the other one's maximum taken off (2147483647 - 2 - 1000).
    [
      ["--share-count", "1000", "--transient-refs", "2147483000"],
      /invalid transientRefs: 2147483000 \(allowed: at most 2147482645 /,
    ],
    [
      ["--share-count", "2147483000", "--transient-refs", "1000"],
      /invalid shareCount: 2147483000 \(allowed: at most 2147482645 /,
    ],
    [["--gup-path", "fastest"], /invalid gupPath: "fastest" \(allowed: slow, fast, fast-no-recheck\)/],
    [
      ["--config", file("unknown.json", '{"pinDurration": 5}')],
      /invalid parameter: "pinDurration" \(allowed: policy, .*pinDuration/,
    ],
    [["--config", file("bad.json", "{ not json")], /bad\.json: not valid JSON/],
    [["--config", file("array.json", "[1, 2]")], /expected a JSON object/],
    [["--config", join(TMP, "missing.json")], /missing\.json: cannot read \(ENOENT\)/],
    // the command and what it takes, not commander's bare "error: unknown option"
    [
      ["--bogus", "1"],
      /^pinsim: unknown option '--bogus' for pinsim run \(allowed: --config, .*--pin-duration, .*--help\)$/m,
    ],
  ];
  for (const [args, message] of cases) {
    const r = pinsim("run", ...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, `one line for ${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
  }
});

test("an unknown command names the command given and the commands allowed, one line, exit 2", () => {
  // commander's own line was `error: unknown command 'frob'`, naming no command allowed
  const r = pinsim("frob");
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    "pinsim: unknown command 'frob' for pinsim (allowed: run, policies, sweep, merge, check, notebook, plot, report, calibrate, kernels, help)\n",
  );
  assert.equal(r.stdout, "");
  const n = pinsim("notebook", "frob");
  assert.equal(n.code, 2, n.stderr);
  assert.equal(
    n.stderr,
    "pinsim: unknown command 'frob' for pinsim notebook (allowed: run, test, params, open, help)\n",
  );
});

test("help of an unknown command is refused in one line, exit 2; a command with subcommands given none exits 2", () => {
  // commander printed the top-level help and exited 0 for `pinsim help frob`, as it did for a
  // bare `pinsim`: a script's typo looked like success.
  const h = pinsim("help", "frob");
  assert.equal(h.code, 2, h.stderr);
  assert.equal(
    h.stderr,
    "pinsim: unknown command 'frob' for pinsim help (allowed: run, policies, sweep, merge, check, notebook, plot, report, calibrate, kernels, help)\n",
  );
  assert.equal(h.stdout, "");
  const nh = pinsim("notebook", "help", "frob");
  assert.equal(nh.code, 2, nh.stderr);
  assert.match(
    nh.stderr,
    /^pinsim: unknown command 'frob' for pinsim notebook help \(allowed: run, test, params, open, help\)\n$/,
  );
  // the help asked for still exits 0, on stdout
  for (const args of [["help", "check"], ["help"], ["--help"], ["notebook", "help", "run"]]) {
    const ok = pinsim(...args);
    assert.equal(ok.code, 0, args.join(" "));
    assert.match(ok.stdout, /^Usage: pinsim/, args.join(" "));
  }
  // no command: one line naming the commands to choose from (was the whole usage), exit 2
  for (const [args, line] of [
    [
      [],
      "pinsim: missing <command> for pinsim (allowed: run, policies, sweep, merge, check, notebook, plot, report, calibrate, kernels, help)",
    ],
    [["notebook"], "pinsim: missing <command> for pinsim notebook (allowed: run, test, params, open, help)"],
  ] as const) {
    const bare = pinsim(...args);
    assert.equal(bare.code, 2, `pinsim ${args.join(" ")}`);
    assert.equal(bare.stdout, "");
    assert.equal(bare.stderr, `${line}\n`);
  }
});

test("an unknown option of a subcommand names the command and its options, one line, exit 2", () => {
  // report takes --partial only (a tester's `report DIR --at x=y` got commander's bare line)
  const r = pinsim("report", "data/results/examples/kernel-eras", "--at", "x=y");
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, "pinsim: unknown option '--at' for pinsim report (allowed: --partial, --help)\n");
  // a known flag given a value (`--partial=yes`): it takes none, not "unknown"
  const v = pinsim("report", "data/results/examples/kernel-eras", "--partial=yes");
  assert.equal(v.code, 2, v.stderr);
  assert.equal(v.stderr, "pinsim: --partial takes no value, got '--partial=yes' (for pinsim report)\n");
  const n = pinsim("notebook", "run", "01-quickstart", "--frob");
  assert.equal(n.code, 2, n.stderr);
  assert.match(
    n.stderr,
    /^pinsim: unknown option '--frob' for pinsim notebook run \(allowed: --param, --out, --timeout, --verbose, --help\)\n$/,
  );
});

test("a missing or extra argument, an option without its value, --config '': one pinsim line naming it, exit 2", () => {
  // commander's own lines ("error: too many arguments for 'run'. Expected 0 arguments but
  // got 1.", "error: missing required argument 'dirs'") named neither the form nor the usage
  const cases: [string[], string][] = [
    [
      ["run", "extra-arg"],
      "pinsim: unexpected argument 'extra-arg' for pinsim run (it takes no arguments; usage: pinsim run [options])",
    ],
    [["merge"], "pinsim: missing <dirs> for pinsim merge (usage: pinsim merge [options] <dirs...>)"],
    [["run", "--config"], "pinsim: --config <file> needs a value (for pinsim run)"],
    // an empty path ran with the defaults, exit 0
    [["run", "--config", ""], 'pinsim: invalid --config: "" (allowed: the path of a JSON file of parameters)'],
  ];
  for (const [args, line] of cases) {
    const r = pinsim(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, `${line}\n`, args.join(" "));
    assert.equal(r.stdout, "");
  }
});
