/**
 * `calibrate --out DIR` against what DIR already holds (a fresh tester's defects 1 and 5d):
 * a calibration of another kernel is refused in one line and left as it was; a rerun of
 * the same kernel removes the raw files (per filesystem too) and figures it makes stale;
 * a folder the run created goes again when the run stops before writing anything. No QEMU
 * boots and no real probe runs: the probes are shell scripts in a fake cache.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calibrate, CalibrateInputError, compilerVersion } from "../src/calibrate/index.js";
import { heldKernel, refuseOtherKernel, removeStale } from "../src/calibrate/held.js";
import { fakeProbeCache as fakeProbeCacheIn, referenceEnv } from "./helpers/calibrate.js";

const BIN = new URL("../bin/pinsim.js", import.meta.url).pathname;
const FIX = new URL("./fixtures/calibrate/", import.meta.url).pathname;
const EX = new URL("../data/results/examples/", import.meta.url).pathname;
const TMP = mkdtempSync(join(tmpdir(), "pinsim-calibrate-out-"));
const hasCc = compilerVersion() !== null;

/** The machine of the committed host example (data/results/examples/calibrate-6.18: machine.kernelRelease). */
const ENV = referenceEnv("6.18.44-fc-v1300");
const fakeProbeCache = (script: string) => fakeProbeCacheIn(TMP, script);

/** Every path under `dir` with its contents ("(dir)" for a folder): what "unchanged" compares. */
const snapshot = (dir: string) =>
  Object.fromEntries(
    (readdirSync(dir, { recursive: true }) as string[]).sort().map((n) => {
      const p = join(dir, n);
      return [n, statSync(p).isDirectory() ? "(dir)" : readFileSync(p, "utf8")];
    }),
  );

test("the kernel a folder holds: lab.spec and lab.release for a guest, host and machine.kernelRelease otherwise", () => {
  // data/results/examples/calibrate-6.1/calibration.json: lab.spec "debian:6.1", lab.release "6.1.0-57-amd64".
  assert.deepEqual(heldKernel(join(EX, "calibrate-6.1")), { release: "6.1.0-57-amd64", source: "debian:6.1" });
  assert.deepEqual(heldKernel(join(EX, "calibrate-6.18")), { release: "6.18.44-fc-v1300", source: "host" });
  assert.equal(heldKernel(join(TMP, "nothing-here")), null);
});

test("--out holding a guest's calibration, a host run asked: refused in one line, the folder unchanged", {
  skip: hasCc ? false : "no C compiler",
}, async () => {
  const out = join(TMP, "x");
  cpSync(join(EX, "calibrate-6.1"), out, { recursive: true });
  const before = snapshot(out);
  const cache = fakeProbeCache(`cat ${JSON.stringify(join(FIX, "detector.jsonl"))}`);
  // Before the fix: rc 0, the 77-row guest calibration.json replaced by the host's 5 rows, the 20 guest raw files kept.
  await assert.rejects(
    calibrate({ out, quick: true, only: ["detector"], environment: ENV, cacheDir: cache }),
    (e: unknown) =>
      e instanceof CalibrateInputError &&
      e.message ===
        `invalid --out: ${out} holds a calibration of debian:6.1 (6.1.0-57-amd64), not of the kernel asked for, host (6.18.44-fc-v1300): use another --out (a rerun into a calibration folder must measure the same kernel)`,
  );
  assert.deepEqual(snapshot(out), before, "nothing changed");
});

test("--out holding the host's calibration, a guest asked (same release from another source too): refused", () => {
  const out = join(TMP, "y");
  cpSync(join(EX, "calibrate-6.18"), out, { recursive: true });
  const refused = (asked: { release: string; source: string }, held: string) =>
    assert.throws(
      () => refuseOtherKernel(out, asked),
      (e: unknown) =>
        e instanceof CalibrateInputError &&
        e.message.startsWith(`invalid --out: ${out} holds a calibration of ${held}, not of the kernel asked for, `) &&
        e.message.includes(`${asked.source} (${asked.release})`) &&
        !e.message.includes("\n"),
    );
  refused({ release: "6.1.0-57-amd64", source: "debian:6.1" }, "host (6.18.44-fc-v1300)");
  // The same release built by the developer (--kernel PATH) is another kernel: another source.
  refused({ release: "6.18.44-fc-v1300", source: "/boot/bzImage" }, "host (6.18.44-fc-v1300)");
  // The host again, same release: a rerun, allowed.
  refuseOtherKernel(out, { release: "6.18.44-fc-v1300", source: "host" });
});

test("a rerun of the same kernel: raw files of parts and filesystems not run and the old figures go, other files stay", () => {
  const out = join(TMP, "rerun-lab");
  mkdirSync(join(out, "raw"), { recursive: true });
  mkdirSync(join(out, "figures"), { recursive: true });
  const raw = ["detector.jsonl", "clean-delay-ext4.jsonl", "reclaim-guard-xfs.jsonl", "race-btrfs.jsonl"];
  for (const f of [...raw, "guest.jsonl", "console.log", "notes.txt"]) writeFileSync(join(out, "raw", f), "{}\n");
  for (const f of ["calibration-clean-delay.png", "calibration-matrix.svg", "calibration-refusal.txt", "mine.png"])
    writeFileSync(join(out, "figures", f), "x");
  // A guest run of longterm only, on ext4 and xfs: it writes these and the guest's own two.
  removeStale(out, ["detector.jsonl", "longterm-ext4.jsonl", "longterm-xfs.jsonl", "guest.jsonl", "console.log"]);
  assert.deepEqual(readdirSync(join(out, "raw")).sort(), ["console.log", "detector.jsonl", "guest.jsonl", "notes.txt"]);
  assert.deepEqual(readdirSync(join(out, "figures")), ["mine.png"]);
});

test("a host rerun into its own folder: the old figures and a part's raw file go", {
  skip: hasCc ? false : "no C compiler",
}, async () => {
  const out = join(TMP, "rerun-host");
  cpSync(join(EX, "calibrate-6.18"), out, { recursive: true });
  const cache = fakeProbeCache(`cat ${JSON.stringify(join(FIX, "detector.jsonl"))}`);
  await calibrate({ out, quick: true, only: ["detector"], environment: ENV, cacheDir: cache });
  // Before: figures/ kept the nine figures of the full run (clean-delay, refusal and threshold) it no longer shows.
  assert.deepEqual(readdirSync(join(out, "raw")), ["detector.jsonl"]);
  assert.deepEqual(readdirSync(join(out, "figures")), []);
});

test("a run that stops before writing anything removes the folder it created (a failing probe, SIGINT)", {
  skip: hasCc ? false : "no C compiler",
}, async () => {
  const out = join(TMP, "new", "deeper");
  const cache = fakeProbeCache("echo boom >&2; exit 3");
  await assert.rejects(
    calibrate({ out, quick: true, only: ["detector"], environment: ENV, cacheDir: cache }),
    /probe detector exited with code 3: boom/,
  );
  assert.equal(existsSync(join(TMP, "new")), false, "both levels it made are gone");
});

test("an interrupted host calibrate --out NEW: exit 130 and no NEW left", {
  skip:
    hasCc && process.platform === "linux" && process.getuid?.() === 0 && existsSync("/proc/kpageflags")
      ? false
      : "needs cc, Linux and root (the CLI reads the real machine)",
  timeout: 60000,
}, async () => {
  const mark = join(TMP, "probe-started");
  const cache = fakeProbeCache(`touch ${JSON.stringify(mark)}; exec sleep 30`);
  const out = join(TMP, "int-new");
  const child = spawn(process.execPath, [BIN, "calibrate", "--quick", "--only", "detector", "--quiet", "--out", out], {
    env: { ...process.env, PINSIM_CACHE_DIR: cache },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on("close", (c) => res(c)));
  for (let i = 0; i < 300 && !existsSync(mark) && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(mark), `the probe never started: ${stderr}`);
  child.kill("SIGINT");
  assert.equal(await exited, 130, stderr);
  // Before the fix: an empty int-new/ stayed behind.
  assert.equal(existsSync(out), false);
});
