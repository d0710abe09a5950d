/**
 * A sweep fails one point at a time (issue 24): a run that throws (test/fixtures/failing-run.mjs
 * makes the runs a regular expression names throw, in the pool's threads) or that exceeds
 * --run-timeout is retried --retries times, then its point is recorded as failed in
 * manifest.json with its error, the other points finish, report and plot name it, and the
 * exit code is 3; a rerun retries it. Before: the first failing run ended the whole sweep.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { BIN } from "./helpers/cli.js";

const FAILING = fileURLToPath(new URL("./fixtures/failing-run.mjs", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "pinsim-failures-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const CONFIG = join(TMP, "f.json");
writeFileSync(
  CONFIG,
  JSON.stringify({ name: "f", base: { duration: 60 }, axes: { pinDuration: [5, 50, 90] }, seeds: 2, rootSeed: 1 }),
);

/** pinsim ARGS, with the runs whose parameters match `fail` throwing (none when null). */
function sweepRun(args: string[], fail: string | null) {
  const r = spawnSync(process.execPath, [...(fail ? ["--import", FAILING] : []), BIN, ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, FAIL_MATCH: fail ?? "^$" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));

test("a point whose runs throw is retried, recorded as failed, and the others finish: exit 3", () => {
  const out = join(TMP, "one");
  const r = sweepRun(
    ["sweep", CONFIG, "--out", out, "--workers", "1", "--retries", "1", "--quiet"],
    '"pinDuration":50,',
  );
  assert.equal(r.code, 3, r.stderr);
  // 1 attempt + 1 retry = 2 attempts of its first replicate, then the point is given up.
  assert.match(r.stderr, /^pinsim: point \{"pinDuration":50\} failed \(replicate 0, 2 attempts\): injected fault$/m);
  assert.match(
    r.stderr,
    /sweep incomplete: 1 point failed, listed in .*manifest\.json; rerun the same command to retry it/,
  );
  const m = manifest(out);
  assert.deepEqual(m.failed, [{ key: '{"pinDuration":50}', replicate: 0, attempts: 2, error: "injected fault" }]);
  assert.deepEqual(
    m.points.map((p: { status: string }) => p.status),
    ["done", "pending", "done"],
  );
  // report and plot name it.
  const report = sweepRun(["report", out, "--partial"], null);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /PARTIAL: 2 of 3 points, .*1 point failed:\s+\{"pinDuration":50\} \(injected fault\)/);
  const plot = sweepRun(["plot", out, "--format", "txt"], null);
  assert.equal(plot.code, 2);
  assert.match(
    plot.stderr,
    /holds only 2 of 3 points of sweep f \(1 point failed: \{"pinDuration":50\} \(injected fault\)\)/,
  );
  // A rerun without the fault retries the failed point only, and the manifest is whole again.
  const again = sweepRun(["sweep", CONFIG, "--out", out, "--workers", "1", "--quiet"], null);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /3 points, 6 runs \(2 run now in .* s, 4 resumed from /);
  assert.equal(manifest(out).failed, undefined);
});

test("--max-failed-points 0: no new run starts after the first failed point", () => {
  const out = join(TMP, "halt");
  const r = sweepRun(
    ["sweep", CONFIG, "--out", out, "--workers", "1", "--max-failed-points", "0", "--quiet"],
    '"pinDuration":5,',
  );
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /1 point failed and 2 not run \(more than --max-failed-points 0 failed\)/);
  assert.equal(manifest(out).points.filter((p: { status: string }) => p.status === "done").length, 0);
});

test("a run over --run-timeout fails its point; the quick points finish", () => {
  const cfg = join(TMP, "slow.json");
  // 256 files × 64 pages for 10^6 s: ~3.5e7 events, far beyond a second of one core.
  writeFileSync(
    cfg,
    JSON.stringify({ name: "slow", base: { files: 256 }, axes: { duration: [60, 1000000] }, seeds: 1, rootSeed: 1 }),
  );
  const out = join(TMP, "slow");
  const r = sweepRun(["sweep", cfg, "--out", out, "--workers", "1", "--run-timeout", "1", "--quiet"], null);
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    /point \{"duration":1000000\} failed \(replicate 0, 1 attempt\): ran longer than the run timeout of 1 s/,
  );
  assert.deepEqual(
    manifest(out).points.map((p: { status: string }) => p.status),
    ["done", "pending"],
  );
});

test("--run-timeout beyond a timer's range, or with --workers 0, is one line and exit 2, no folder made", () => {
  // setTimeout and AbortSignal.timeout take a 32-bit count of milliseconds: 2^31 - 1 ms =
  // 2,147,483 s is the longest; 5e6 s crashed with AbortSignal.timeout's RangeError after
  // the results folder was made. --workers 0 runs in the calling thread: nothing can stop a run.
  for (const [args, allowed] of [
    [["--run-timeout", "5000000"], "a positive number of seconds up to 2147483 (24.8 days)"],
    [["--run-timeout", "1e300"], "a positive number of seconds up to 2147483 (24.8 days)"],
    [
      ["--run-timeout", "3", "--workers", "0"],
      "only with --workers 1 or more (a run in the calling thread cannot be stopped)",
    ],
  ] as const) {
    const out = join(TMP, `rt-${args.join("")}`);
    const r = spawnSync(process.execPath, [BIN, "sweep", "smoke", "--out", out, "--quiet", ...args], {
      encoding: "utf8",
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `pinsim: invalid --run-timeout: "${args[1]}" (allowed: ${allowed})\n`);
    assert.equal(existsSync(out), false, `${out} was made`);
  }
});
