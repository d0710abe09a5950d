/**
 * The tester's calibrate defects, each as a reproducer that fails without its fix: a bad
 * cache folder (a /proc mkdir loop, an ENOTDIR stack trace), stdout on a full device, a
 * `--kernel` refusal after the results folder was made, stale raw/ files and a dead run's
 * scratch folder after a rerun, an interrupted lab run without its line, and the wording
 * of `--kernel` and `--only`. No QEMU boots: the probes and qemu are shell scripts here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "../src/errors.js";
import { buildProbes, calibrate, CalibrateInputError, compilerVersion, parseParts } from "../src/calibrate/index.js";
import { calibrateLab, parseLabParts } from "../src/calibrate/lab/run.js";
import { parseKernelSpec } from "../src/calibrate/lab/spec.js";
import { fakeProbeCache as fakeProbeCacheIn, referenceEnv } from "./helpers/calibrate.js";

const BIN = new URL("../bin/pinsim.js", import.meta.url).pathname;
const FIX = new URL("./fixtures/calibrate/", import.meta.url).pathname;
const TMP = mkdtempSync(join(tmpdir(), "pinsim-calibrate-fixes-"));
const oneLine = (s: string) => s.trim().split("\n").length === 1;
const hasCc = compilerVersion() !== null;
const hasBusybox = ["/bin/busybox", "/usr/bin/busybox"].some((p) => existsSync(p));

/** A machine that passes every requirement (the reference machine of test/calibrate.test.ts). */
const ENV = referenceEnv();
const fakeProbeCache = (script: string) => fakeProbeCacheIn(TMP, script);

/** A file that passes bzImageRelease: "HdrS" at 0x202, kernel_version at 0x20E + 0x200 (Documentation/arch/x86/boot.rst). */
function fakeBzImage(path: string): string {
  const b = Buffer.alloc(0x1000);
  b.write("HdrS", 0x202, "latin1");
  b.writeUInt16LE(0x300, 0x20e);
  b.write("6.1.0-fake (test) #1\0", 0x500, "latin1");
  writeFileSync(path, b);
  return path;
}

test("a cache folder that is a file or a device: one line naming the cache directory, nothing created", {
  skip: hasCc ? false : "no C compiler",
}, async () => {
  for (const cacheDir of ["/etc/passwd", "/dev/null"]) {
    // Before: mkdir '/etc/passwd/calibrate/…' threw a raw ENOTDIR (a stack trace, exit 1).
    assert.throws(
      () => buildProbes({ cacheDir }),
      (e: unknown) =>
        e instanceof InputError &&
        e.message.startsWith(`invalid cache directory (`) &&
        e.message.includes(JSON.stringify(cacheDir)),
    );
    const out = join(TMP, "never-cache");
    await assert.rejects(calibrate({ out, quick: true, only: ["detector"], environment: ENV, cacheDir }), InputError);
    assert.equal(existsSync(out), false, "the results folder is made only after the cache folder is good");
  }
});

test("a cache folder under /proc: one line, no endless mkdir loop", {
  skip: hasCc && existsSync("/proc/self") ? false : "no C compiler or no /proc",
}, () => {
  // Node 20's recursive mkdir loops forever on /proc/nonexist (ENOENT, then EEXIST on /proc):
  // run it in a child with a deadline, so a regression fails instead of hanging the suite.
  const code = `import { buildProbes } from ${JSON.stringify(new URL("../src/calibrate/build.ts", import.meta.url).pathname)};
try { buildProbes({ cacheDir: "/proc/nonexist" }); } catch (e) { console.log(e.name + ": " + e.message); }`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    encoding: "utf8",
    timeout: 30000,
  });
  assert.equal(r.signal, null, "buildProbes returned before the deadline");
  assert.match(r.stdout, /^InputError: invalid cache directory .*"\/proc\/nonexist".*mkdir \/proc\/nonexist: ENOENT/);
});

test("stdout on a full device: one line `cannot write stdout`, exit 2, for any command", {
  skip: existsSync("/dev/full") ? false : "no /dev/full",
}, () => {
  for (const args of [["policies"], ["check", "GUP-slow+WB+dirty-at-gup", "--json"]]) {
    const fd = openSync("/dev/full", "w");
    const r = spawnSync(process.execPath, [BIN, ...args], { stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
    closeSync(fd);
    // write(2) on /dev/full fails with ENOSPC (drivers/char/mem.c write_full).
    assert.equal(r.stderr, "pinsim: cannot write stdout: ENOSPC (no space left on device)\n", args.join(" "));
    assert.equal(r.status, 2);
  }
});

test("--kernel PATH whose modules lack virtio: refused before the results folder exists", {
  skip: hasBusybox && spawnSync("qemu-system-x86_64", ["--version"]).status === 0 ? false : "no qemu or busybox",
}, async () => {
  const img = fakeBzImage(join(TMP, "bzImage-fake"));
  const mods = mkdtempSync(join(TMP, "mods-"));
  const out = join(TMP, "newdeep", "lk");
  await assert.rejects(
    calibrateLab({ spec: { kind: "path", path: img, modules: mods }, out, quick: true }),
    /its modules lack virtio_pci/,
  );
  assert.equal(existsSync(join(TMP, "newdeep")), false, "validate first, create after");
  // A file that is no kernel image: the same order (README: "exits 2, before creating anything").
  const r = spawnSync(process.execPath, [BIN, "calibrate", "--kernel", "/etc/passwd", "--out", out], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2);
  assert.equal(existsSync(join(TMP, "newdeep")), false);
});

test("--kernel and --only wording: what the path is, the empty value quoted, a part named twice refused", () => {
  const refused = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof CalibrateInputError && re.test(e.message) && oneLine(e.message));
  refused(() => parseKernelSpec("/dev/zero"), /^invalid --kernel: "\/dev\/zero" is not a regular file \(allowed: /);
  refused(() => parseKernelSpec(TMP), /^invalid --kernel: ".*" is a directory \(allowed: /);
  refused(() => parseKernelSpec(""), /^invalid --kernel: "" names no known package or file \(allowed: /);
  refused(() => parseParts("detector,detector"), /^invalid --only: detector,detector names detector twice/);
  refused(() => parseLabParts("longterm,longterm"), /^invalid --only: longterm,longterm names longterm twice/);
});

test("a rerun into a calibration folder: stale raw files and a dead run's scratch folder go", {
  skip: hasCc ? false : "no C compiler",
}, async () => {
  const out = join(TMP, "rerun");
  mkdirSync(join(out, "raw"), { recursive: true });
  // An earlier full run's raw files, and a note of the user's inside raw/ (not ours: kept).
  for (const f of ["clean-delay.jsonl", "longterm.jsonl", "notes.txt"]) writeFileSync(join(out, "raw", f), "{}\n");
  // A run killed with -9: its PID is gone. A live run's (ours) stays.
  const dead = spawnSync("true").pid!;
  mkdirSync(join(out, `.calibrate-scratch-${dead}`));
  writeFileSync(join(out, `.calibrate-scratch-${dead}`, "f"), "x");
  mkdirSync(join(out, `.calibrate-scratch-${process.pid}`));
  const cache = fakeProbeCache(`cat ${JSON.stringify(join(FIX, "detector.jsonl"))}`);
  await calibrate({ out, quick: true, only: ["detector"], environment: ENV, cacheDir: cache });
  assert.deepEqual(readdirSync(join(out, "raw")).sort(), ["detector.jsonl", "notes.txt"]);
  assert.equal(existsSync(join(out, `.calibrate-scratch-${dead}`)), false);
  // The live PID's folder is this run's own scratch name: the run removed it when it ended.
  assert.equal(existsSync(join(out, "calibration.json")), true);
});

test("an interrupted --kernel run: the host mode's line, exit 130, no raw/ and no scratch left, qemu gone", {
  skip: hasBusybox && hasCc && process.platform === "linux" ? false : "needs busybox, cc (static libc) and Linux",
  timeout: 240000,
}, async () => {
  const bin = mkdtempSync(join(TMP, "fakebin-"));
  const mark = join(bin, "qemu.pid");
  // A qemu that answers --version and otherwise waits (it is SIGKILLed when pinsim exits).
  writeFileSync(
    join(bin, "qemu-system-x86_64"),
    `#!/bin/sh\n[ "$1" = --version ] && { echo fake; exit 0; }\necho $$ > ${JSON.stringify(mark)}\nexec sleep 120\n`,
  );
  chmodSync(join(bin, "qemu-system-x86_64"), 0o755);
  const img = fakeBzImage(join(TMP, "bzImage-int"));
  const out = join(TMP, "lab-int");
  const child = spawn(process.execPath, [BIN, "calibrate", "--kernel", img, "--quick", "--quiet", "--out", out], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<number | null>((res) => child.on("close", (c) => res(c)));
  for (let i = 0; i < 2000 && !existsSync(mark) && child.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(mark), `qemu never started: ${stderr}`);
  await new Promise((r) => setTimeout(r, 300));
  child.kill("SIGINT");
  const code = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /^pinsim: interrupted by SIGINT; scratch files removed, no results written$/m);
  // Nothing half-made: the folder the run created goes with its scratch folder.
  assert.equal(existsSync(out), false, "nothing half-made");
  const qemuPid = Number(readFileSync(mark, "utf8"));
  // Gone, or a zombie waiting for init to reap it (/proc/PID/stat's third field "Z").
  const gone = () =>
    !existsSync(`/proc/${qemuPid}`) || readFileSync(`/proc/${qemuPid}/stat`, "utf8").split(" ")[2] === "Z";
  for (let i = 0; i < 50 && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(gone(), "qemu died with pinsim");
});

test("a probe dies with its parent (a kill -9 of pinsim leaves no probe running)", {
  skip:
    hasCc && process.platform === "linux" && process.getuid?.() === 0 && existsSync("/proc/kpageflags")
      ? false
      : "needs cc, Linux and root (the probe opens /proc/kpageflags first)",
  timeout: 120000,
}, async () => {
  const probes = buildProbes({ cacheDir: join(TMP, "cache-real") });
  const dir = mkdtempSync(join(TMP, "probe-"));
  // A shell starts the long-term probe (SETTLE_S = 30: it would run about a minute) and exits.
  const sh = spawnSync("sh", ["-c", `"$0" "$1" 30 >/dev/null 2>&1 & echo $!; sleep 1`, probes.paths.longterm, dir], {
    encoding: "utf8",
  });
  const pid = Number(sh.stdout.trim());
  assert.ok(pid > 0, sh.stderr);
  // PR_SET_PDEATHSIG (prctl(2)): the parent's death sends SIGKILL; gone, or a zombie for init to reap.
  const gone = () => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] === "Z";
  for (let i = 0; i < 50 && !gone(); i++) await new Promise((r) => setTimeout(r, 100));
  const alive = !gone();
  if (alive) process.kill(pid, "SIGKILL"); // leave nothing running either way
  assert.equal(alive, false, "the probe outlived its parent");
});
