/**
 * `pinsim calibrate` as a user meets it: bad flags as one line with exit 2, and, on a
 * Linux machine as root (CI), the real `--quick` run: exit 0, a comparison table whose
 * every row has both sides, `pinsim report` and `pinsim plot` on the folder, no scratch
 * file left; and an interrupted run that leaves no scratch file either.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir, platform } from "node:os";
import { join } from "node:path";

const BIN = new URL("../bin/pinsim.js", import.meta.url).pathname;
const pinsim = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 240000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const TMP = mkdtempSync(join(tmpdir(), "pinsim-calibrate-cli-"));

/** Why the real run cannot happen here, or null. */
function realRunSkip(): string | false {
  if (platform() !== "linux") return `not Linux (${platform()})`;
  if (process.getuid?.() !== 0) return "not root (the probes read PFNs and /proc/kpageflags)";
  if (!existsSync("/proc/kpageflags")) return "no /proc/kpageflags";
  if (spawnSync("cc", ["--version"]).status !== 0) return "no C compiler (cc)";
  const dis = (() => {
    try {
      return Number(readFileSync("/proc/sys/kernel/io_uring_disabled", "utf8"));
    } catch {
      return 0;
    }
  })();
  if (dis === 2) return "io_uring disabled (/proc/sys/kernel/io_uring_disabled = 2)";
  const expire = Number(readFileSync("/proc/sys/vm/dirty_expire_centisecs", "utf8")) / 100;
  if (expire + 5 > 150) return `dirty_expire_centisecs = ${expire * 100}: a trial would outlast --quick`;
  return false;
}

const oneLine = (s: string) => s.trim().split("\n").length === 1;

test("bad flags: one line, exit 2", () => {
  for (const args of [["--only", "bogus"], ["--only", ""], ["--seed", "-1"], ["--seed", "x"], ["--frobnicate"]]) {
    const r = pinsim("calibrate", ...args, "--out", join(TMP, "bad"));
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(oneLine(r.stderr), r.stderr);
    assert.equal(r.stdout, "");
  }
  assert.equal(
    pinsim("calibrate", "--only", "bogus").stderr.trim(),
    "pinsim: invalid --only: bogus (allowed: clean-delay, detector, longterm, comma-separated)",
  );
  assert.equal(existsSync(join(TMP, "bad")), false);
});

test("report and plot on a folder that is no calibration and no sweep: one line, exit 2", () => {
  const r = pinsim("report", join(TMP, "nothing"));
  assert.equal(r.code, 2);
  assert.ok(oneLine(r.stderr), r.stderr);
});

test("pinsim calibrate --quick on this machine: exit 0, every row with both sides, report and plot work", {
  skip: realRunSkip(),
  timeout: 300000,
}, () => {
  const out = join(TMP, "quick");
  const r = pinsim("calibrate", "--quick", "--out", out);
  assert.equal(r.code, 0, r.stderr);
  // --quick's 6 trials cannot refute the clean-delay rows: they say so (issue 24).
  assert.match(
    r.stdout.replace(/\n {2}/g, " "),
    /quantities: \d+ agree, [1-9]\d* not refuted by their few samples, \d+ differ/,
  );
  const c = JSON.parse(readFileSync(join(out, "calibration.json"), "utf8"));
  // The load average, before and after the probes, is recorded.
  assert.equal(c.machine.loadAverage.length, 3);
  assert.equal(c.machine.loadAverageEnd.length, 3);
  assert.equal(c.format, "pinsim-calibration/1");
  assert.ok(c.comparison.length >= 15, `${c.comparison.length} rows`);
  for (const row of c.comparison) {
    assert.ok(row.kernel.length > 0, `kernel side of ${row.quantity}`);
    assert.ok(row.model.length > 0, `model side of ${row.quantity}`);
  }
  assert.deepEqual(c.sysctls.changed, []);
  assert.equal(c.probes.sourceHash.length, 64);
  assert.ok(
    c.raw.cleanDelay.samples.length > 0 && c.raw.detector.forks.length > 0 && c.raw.longterm.registers.length > 0,
  );
  // Nothing left behind but the results: no scratch folder, no probe file.
  assert.deepEqual(readdirSync(out).sort(), ["calibration.json", "manifest.json", "raw"]);
  const rep = pinsim("report", out);
  assert.equal(rep.code, 0, rep.stderr);
  assert.match(rep.stdout, /^pinsim calibrate \(quick/);
  const plot = pinsim("plot", out, "--format", "txt");
  assert.equal(plot.code, 0, plot.stderr);
  assert.deepEqual(readdirSync(join(out, "figures")).sort(), [
    "calibration-clean-delay.txt",
    "calibration-refusal.txt",
    "calibration-threshold.txt",
  ]);
  // A second calibration into the same folder replaces it; a sweep's folder is refused.
  const sweepDir = new URL("../data/results/examples/", import.meta.url).pathname;
  // A sweep's manifest has no `kind` (a calibration's says "calibration"): refused before any probe runs.
  const isSweep = (d: string) => {
    try {
      return JSON.parse(readFileSync(join(d, "manifest.json"), "utf8")).kind === undefined;
    } catch {
      return false;
    }
  };
  const firstSweep = existsSync(sweepDir)
    ? readdirSync(sweepDir)
        .map((d) => join(sweepDir, d))
        .find(isSweep)
    : undefined;
  if (firstSweep) {
    const before = readFileSync(join(firstSweep, "manifest.json"), "utf8");
    const refused = pinsim("calibrate", "--quick", "--only", "detector", "--out", firstSweep);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /holds a sweep's results: use another --out/);
    assert.equal(readFileSync(join(firstSweep, "manifest.json"), "utf8"), before);
  }
});

test("SIGINT during the clean-delay trials: exit 130, scratch files removed", {
  skip: realRunSkip(),
  timeout: 120000,
}, async () => {
  const out = join(TMP, "interrupted");
  const child = spawn(process.execPath, [BIN, "calibrate", "--quick", "--only", "clean-delay", "--out", out], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  // Wait until the probe has made its trial files in the scratch folder.
  const deadline = Date.now() + 60000;
  let scratch: string | undefined;
  while (Date.now() < deadline) {
    scratch = existsSync(out) ? readdirSync(out).find((n) => n.startsWith(".calibrate-scratch-")) : undefined;
    if (scratch && readdirSync(join(out, scratch)).some((n) => n.startsWith("cd-"))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(scratch, "the scratch folder appeared");
  child.kill("SIGINT");
  const code = await new Promise<number | null>((r) => child.on("close", (c) => r(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted by SIGINT; scratch files removed/);
  // The run created `out` and wrote nothing to it: the folder goes too.
  assert.equal(existsSync(out), false);
});
