/**
 * `pinsim calibrate`'s logic on probe output recorded on this project's reference machine
 * (Linux 6.18.44, x86_64, CONFIG_HZ 250, ext4 without journal, E = 30 s, W = 5 s), checked
 * in under test/fixtures/calibrate/, so it runs on any machine: parsing, the statistics,
 * the model's side, the comparison table, the results folder, the figures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildProbes,
  calibrate,
  CalibrateInputError,
  CalibrateUnavailableError,
  chooseHz,
  cleanDelayKernel,
  comparisonText,
  compilerVersion,
  detectorKernel,
  estimatePeriod,
  expectedRegistration,
  finish,
  firstCompilerError,
  inWindow,
  ksDistanceUniform,
  loadCalibration,
  longtermKernel,
  modelForkCopies,
  modelOdirect,
  modelRegistrations,
  modelThreshold,
  presetFor,
  parseCleanDelay,
  parseDetector,
  parseLongterm,
  parseParts,
  ProbeError,
  probeSourceDir,
  resultsKind,
  thresholdStep,
  unavailableMessage,
  windowFraction,
  type ForkTrial,
} from "../src/calibrate/index.js";
import { kupdatePeriod } from "../src/engine/flusher.js";
import { CALIBRATION_FIGURES, renderCalibrationFigure } from "../src/plot/calibration.js";
import { referenceEnv } from "./helpers/calibrate.js";

const FIX = new URL("./fixtures/calibrate/", import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(FIX, name), "utf8");
const TMP = mkdtempSync(join(tmpdir(), "pinsim-calibrate-"));
const close = (a: number, b: number, eps = 1e-6) => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test("clean-delay output parses: 6 trials, page 0 in a clean inode, page 1 stored 10 s later", () => {
  const raw = parseCleanDelay(fixture("clean-delay.jsonl"));
  assert.equal(raw.start.trials, 6);
  assert.equal(raw.start.second, 10);
  assert.equal(raw.samples.length, 12);
  assert.equal(raw.samples.filter((s) => s.inode === "clean").length, 6);
  assert.equal(raw.timeouts.length, 0);
  assert.equal(raw.interrupted, false);
  assert.ok(
    raw.prepared.every((p) => p.clean),
    "every trial page read clean after fsync",
  );
});

test("the flusher's period from the lattice of clean instants: 5.114 s, bounds containing 5.12", () => {
  const raw = parseCleanDelay(fixture("clean-delay.jsonl"));
  const k = cleanDelayKernel(raw, 30, 5);
  // Passes seen (first clean poll of their earliest page): 1718.676056, 1723.780125,
  // 1728.904079 (trial 5's page was seen one poll later, 1728.931596, same pass).
  assert.deepEqual(
    k.period.passes.map((p) => p.pages),
    [4, 4, 4],
  );
  assert.deepEqual(
    k.period.passes.map((p) => p.index),
    [0, 1, 2],
  );
  // Least squares on indices 0, 1, 2 is (t2 - t0) / 2 = (1728.904079 - 1718.676056) / 2.
  close(k.period.period!, 5.1140115);
  // Bounds: a pass's first sampled page is cleaned at most the tolerance after the pass
  // began: 3 x the median poll bracket (0.039987, 0.060764, 0.036031 s) = 0.119961 s. The
  // widest pair decides: (lastDirty_last - tol - first_first) / 2 =
  // (1728.868048 - 0.119961 - 1718.676056) / 2 and (first_last - lastDirty_first + tol) / 2 =
  // (1728.904079 - 1718.636069 + 0.119961) / 2.
  close(k.period.tolerance, 0.119961);
  close(k.period.lo!, 5.0360155);
  close(k.period.hi!, 5.1939855);
  assert.equal(k.period.offLattice, 0);
  // The model: 1250 jiffies at HZ 250 land on the next 64-jiffy boundary, 1280 = 5.12 s.
  assert.equal(kupdatePeriod(5, 250), 5.12);
  assert.ok(Math.abs(k.period.period! - kupdatePeriod(5, 250)) <= 0.05);
});

test("clean delays lie in [E, E+P) for a clean inode and in [E-d, E-d+P) for an already dirty one", () => {
  const k = cleanDelayKernel(parseCleanDelay(fixture("clean-delay.jsonl")), 30, 5);
  assert.equal(k.cleanInode.window.inWindow, 6);
  assert.equal(k.cleanInode.window.count, 6);
  // Trial 5: 1728.931596 - 1698.849165; trial 0: 1718.676056 - 1685.837533.
  close(k.cleanInode.min!, 30.082431);
  close(k.cleanInode.max!, 32.838523);
  // Page 1 of each file, stored 10 s later, inherits dirtied_when: window [20, 25.11).
  assert.equal(k.dirtyInode.window.inWindow, 6);
  close(k.dirtyInode.min!, 20.096825);
  assert.deepEqual(k.samePass, { count: 6, of: 6 });
  // Without the inherited time the dirty-inode delays (~20-23 s) would all miss [30, 35.11).
  assert.equal(
    windowFraction(
      k.dirtyInode.samples.map((d) => ({ delay: d, lo: d - 0.02, offset: 0 })),
      30,
      5.114,
    ).inWindow,
    0,
  );
});

test("a second recorded run gives the same lattice period within 0.05 s of the model", () => {
  const k = cleanDelayKernel(parseCleanDelay(fixture("clean-delay-6x2.jsonl")), 30, 5);
  assert.equal(k.cleanInode.window.inWindow, k.cleanInode.window.count);
  assert.ok(Math.abs(k.period.period! - 5.12) <= 0.05, String(k.period.period));
});

test("the full run (80 trials, 0.8 s apart): all in [E, E+P), flat on the window, P = 5.12 within 0.05 s", () => {
  const raw = parseCleanDelay(readFileSync(join(FIX, "clean-delay-full.jsonl"), "utf8"));
  const k = cleanDelayKernel(raw, 30, 5);
  assert.equal(k.cleanInode.count, 80);
  assert.equal(k.cleanInode.window.inWindow, 80);
  // 0.8 s staggering against a 5.12 s lattice: 32 trials cover 32 phases 0.16 s apart, so the
  // delays spread over the window: min 30.028, max 34.999, mean 32.519 (E + P/2 = 32.56).
  close(k.cleanInode.min!, 30.028264, 1e-5);
  close(k.cleanInode.max!, 34.998913, 1e-5);
  assert.ok(Math.abs(k.cleanInode.mean! - 32.56) < 0.1);
  // One-sample KS test at 5 %: critical 1.358 / sqrt(80) = 0.152.
  assert.ok(k.cleanInode.ks! < 1.358 / Math.sqrt(80), String(k.cleanInode.ks));
  assert.ok(Math.abs(k.period.period! - 5.12) <= 0.05);
  assert.ok(k.period.lo! <= 5.12 && 5.12 <= k.period.hi!, `[${k.period.lo}, ${k.period.hi}]`);
  // Page 1 stored d = 15 s later: window [15, 20.12), same pass as page 0 in every trial.
  assert.equal(k.dirtyInode.window.inWindow, 80);
  assert.deepEqual(k.samePass, { count: 80, of: 80 });
  const d = detectorKernel(parseDetector(readFileSync(join(FIX, "detector-full.jsonl"), "utf8")));
  assert.equal(d.lru.threshold, 1022); // 3 forks at each k in 1016..1028
  assert.equal(d.batch.threshold, 1021);
  assert.deepEqual(d.noPinnedFlag, { k: 1100, trials: 3, copied: 0 });
});

test("inWindow uses the poll bracket (lo, delay]: a clean instant inside the window counts", () => {
  // E = 30, P = 5.12: window [30, 35.12).
  assert.equal(inWindow({ delay: 35.13, lo: 35.11, offset: 0 }, 30, 5.12), true); // instant may be 35.115
  assert.equal(inWindow({ delay: 35.2, lo: 35.13, offset: 0 }, 30, 5.12), false); // wholly after
  assert.equal(inWindow({ delay: 29.99, lo: 29.97, offset: 0 }, 30, 5.12), false); // wholly before
  assert.equal(inWindow({ delay: 30.0, lo: 29.98, offset: 0 }, 30, 5.12), true); // E itself is in
  assert.equal(inWindow({ delay: 21, lo: 20.98, offset: 10 }, 30, 5.12), true); // shifted window [20, 25.12)
});

test("estimatePeriod: a gap of two periods is counted as two, not one", () => {
  // Passes at 0, 5.12, 15.36 (one pass without a cleaned page between): indices 0, 1, 3.
  const s = [0, 5.12, 15.36].map((at) => ({ at, atLo: at - 0.02 }));
  const e = estimatePeriod(s, 5);
  assert.deepEqual(
    e.passes.map((p) => p.index),
    [0, 1, 3],
  );
  close(e.period!, 5.12);
  assert.equal(estimatePeriod([{ at: 1, atLo: 0.98 }], 5).period, null);
});

test("ksDistanceUniform: 0.5/n for the midpoints of n equal bins, 1 for a point mass at the edge", () => {
  const n = 8;
  const v = Array.from({ length: n }, (_, i) => 30 + ((i + 0.5) * 5.12) / n);
  close(ksDistanceUniform(v, 30, 35.12)!, 0.5 / n);
  close(ksDistanceUniform([30, 30, 30], 30, 35.12)!, 1);
  assert.equal(ksDistanceUniform([], 30, 35.12), null);
});

test("detector output: fork copies from k = 1022 on the LRU and k = 1021 in the lru_add batch", () => {
  const d = detectorKernel(parseDetector(fixture("detector.jsonl")));
  // Accounting at fork's check (calibration-notes V5): PTE 1 + the child's reference 1 +
  // k (+1 while in the per-CPU batch) >= 1024.
  assert.equal(d.lru.threshold, 1022);
  assert.equal(d.batch.threshold, 1021);
  assert.equal(d.lru.monotone, true);
  assert.deepEqual(d.noPinnedFlag, { k: 1100, trials: 1, copied: 0 });
  assert.deepEqual(d.thp, { k: 8192, copied: false });
  assert.deepEqual(d.ioUringPin, { copied: true, pinErrno: 0 });
});

test("thresholdStep: a non-monotone step or an unbracketed one gives no threshold", () => {
  const f = (k: number, copied: boolean): ForkTrial => ({
    type: "fork",
    kind: "order0",
    k,
    drain: 1,
    lru: 1,
    thp: 0,
    ioUringPin: 0,
    pinErrno: 0,
    pfn: 1,
    childPfn: copied ? 2 : 1,
    copied,
  });
  const nonMono = thresholdStep([f(1020, false), f(1021, true), f(1022, false), f(1023, true)], "lru");
  assert.equal(nonMono.threshold, null);
  assert.equal(nonMono.monotone, false);
  const allCopied = thresholdStep([f(1022, true), f(1023, true)], "lru");
  assert.equal(allCopied.threshold, null); // no k without a copy: (?, 1022]
  assert.equal(allCopied.hi, 1022);
  assert.equal(thresholdStep([f(1022, true)], "batch").perK.length, 0); // classed by the LRU bit seen
});

test("the model's detector: threshold 1022 on the LRU, 1021 with the batch's reference, bias 1024", () => {
  // maybeDmaPinned reads refcount + 1 (the consumer's own reference): the page holds 1
  // (owner) + k (+1 batch), so 1 + k + 1 >= 1024 from k = 1022, and from 1021 with the batch.
  assert.equal(modelThreshold(0), 1022);
  assert.equal(modelThreshold(1), 1021);
  assert.equal(modelThreshold(0, 512), 510);
  assert.equal(modelForkCopies({ k: 1100, batch: 0, hasPinned: false }), false); // no MMF_HAS_PINNED
  assert.equal(modelForkCopies({ k: 0, batch: 0, pins: 1, hasPinned: true }), true); // 1 + 1024 + 1
  assert.deepEqual(modelOdirect(), { pinned: true, dirty: true, buffers: true, follPin: true });
  // Before 6.3 (FEATURES.odirectPin: block/bio.c took FOLL_GET) the read pins nothing; xfs
  // attaches no private data (BACKING_PROFILES.xfs.privateData null), btrfs its extent marker.
  assert.equal(modelOdirect(1024, "6.1").follPin, false);
  assert.equal(modelOdirect(1024, "6.6").follPin, true);
  assert.equal(modelOdirect(1024, "6.12", "xfs").buffers, false);
  assert.equal(modelOdirect(1024, "6.12", "btrfs").buffers, true);
});

test("long-term pins on ext4 6.18: anon, private and memfd pinned; shared and read-only shared refused", () => {
  const l = longtermKernel(parseLongterm(fixture("longterm.jsonl")));
  const v = Object.fromEntries(l.registrations.map((r) => [r.mapping, r.verdict]));
  assert.deepEqual(v, {
    anon: "pinned",
    "file-shared": "refused (EFAULT)",
    "file-private": "pinned",
    "memfd-shared": "pinned",
    "file-shared-ro": "refused (EFAULT)",
  });
  // The rules give the same matrix for ext4 at 6.18 ...
  for (const [kind, verdict] of Object.entries(v))
    assert.equal(expectedRegistration(kind as never, "ext4", "6.18.44-fc-v782").verdict, verdict, kind);
  // ... and pin a shared ext4 mapping before 6.5 (commit 8ac268436e6d), and on tmpfs always.
  assert.equal(expectedRegistration("file-shared", "ext4", "6.4.0").verdict, "pinned");
  assert.equal(expectedRegistration("file-shared", "tmpfs", "6.18.0").verdict, "pinned");
  assert.equal(expectedRegistration("file-shared-ro", "tmpfs", "6.18.0").verdict, "refused (EFAULT)"); // FOLL_WRITE on a R/O VMA
  // The model's side: the coverage issue's preset 6.18 (gupDecide, caller io_uring) for the
  // file and memfd mappings, the VMA-permission rule for the read-only one.
  const m = modelRegistrations("ext4", "6.18.44-fc-v782");
  assert.deepEqual(Object.fromEntries(m.map((r) => [r.mapping, r.verdict])), v);
  assert.deepEqual(
    m.filter((r) => r.source.startsWith("gupDecide, preset 6.18")).map((r) => r.mapping),
    ["file-shared", "file-private", "memfd-shared"],
  );
  // 6.1 has no GUP refusal but io_uring's own check refuses any file but shmem/hugetlbfs (EOPNOTSUPP).
  const old = Object.fromEntries(modelRegistrations("ext4", "6.1.0").map((r) => [r.mapping, r.verdict]));
  assert.equal(old["file-shared"], "refused (EOPNOTSUPP)");
  assert.equal(old["file-private"], "refused (EOPNOTSUPP)");
  assert.equal(old["memfd-shared"], "pinned");
  assert.deepEqual(presetFor("6.9.1-x"), { id: "6.6", exact: false });
  assert.deepEqual(l.odirect, {
    count: 8,
    succeeded: 8,
    dataCorrect: 8,
    dirtyAfter: 8,
    cleanBefore: 4,
    mappedBefore: 4,
    privateAfter: 8,
  });
  assert.deepEqual(l.pins, { preads: 8, acquiredDelta: 8, releasedDelta: 8 });
});

test("bad probe output is one line naming the probe, the line and the field", () => {
  assert.throws(
    () =>
      parseDetector(
        '{"type":"start","probe":"detector","cpu":0,"klo":1,"khi":2,"reps":1,"nopinK":1,"thpK":1}\nnot json',
      ),
    (e: unknown) => e instanceof ProbeError && /probe detector: output line 2 is not JSON/.test(e.message),
  );
  assert.throws(
    () => parseLongterm('{"type":"start","probe":"longterm","fsMagic":"0xef53"}\n{"type":"register","mapping":"anon"}'),
    (e: unknown) => e instanceof ProbeError && /line 2: field touched/.test(e.message),
  );
  assert.throws(
    () => parseCleanDelay('{"type":"error","step":"fsync","errno":5,"message":"Input/output error"}'),
    (e: unknown) =>
      e instanceof ProbeError && e.message === "probe clean-delay failed at fsync: Input/output error (errno 5)",
  );
  assert.throws(
    () => parseCleanDelay(""),
    (e: unknown) => e instanceof ProbeError && /no "start" record/.test(e.message),
  );
});

const ENV = referenceEnv();

test("a machine that lacks something: one line naming it and the parts that can still run", () => {
  assert.equal(unavailableMessage(ENV, ["clean-delay", "detector", "longterm"]), null);
  assert.equal(
    unavailableMessage({ ...ENV, ioUringDisabled: 2 }, ["clean-delay", "detector", "longterm"]),
    "cannot calibrate longterm: missing io_uring (/proc/sys/kernel/io_uring_disabled = 2); these parts can still run: --only clean-delay,detector",
  );
  assert.equal(unavailableMessage({ ...ENV, ioUringDisabled: 2 }, ["detector"]), null);
  assert.match(
    unavailableMessage({ ...ENV, root: false }, ["detector"])!,
    /^cannot calibrate detector: missing root .*; no part can run on this machine$/,
  );
  assert.match(unavailableMessage({ ...ENV, kpageflags: false }, ["longterm"])!, /missing \/proc\/kpageflags/);
  assert.match(
    unavailableMessage({ ...ENV, platform: "darwin" }, ["longterm"])!,
    /missing a Linux kernel \(this is darwin\)/,
  );
  for (const m of [
    unavailableMessage({ ...ENV, root: false }, ["clean-delay"]),
    unavailableMessage({ ...ENV, ioUringDisabled: 2 }, ["longterm"]),
  ])
    assert.ok(!m!.includes("\n"));
});

test("calibrate() on a machine without root refuses before creating anything", async () => {
  const out = join(TMP, "never");
  await assert.rejects(
    calibrate({ out, quick: true, environment: { ...ENV, root: false } }),
    CalibrateUnavailableError,
  );
  assert.equal(existsSync(out), false);
});

test("--only: names checked, order kept as the run order", () => {
  assert.deepEqual(parseParts("longterm,clean-delay"), ["clean-delay", "longterm"]);
  assert.throws(
    () => parseParts("detector,bogus"),
    (e: unknown) =>
      e instanceof CalibrateInputError &&
      e.message === "invalid --only: detector,bogus (allowed: clean-delay, detector, longterm, comma-separated)",
  );
  assert.throws(() => parseParts(""), CalibrateInputError);
});

test("HZ: CONFIG_HZ where the kernel says it, else the candidate whose period is nearest the measured one", () => {
  assert.deepEqual(chooseHz(250, 5.3, 5), { hz: 250, source: "CONFIG_HZ" });
  // kernel/time/timer.c: at HZ 100, W = 5 s is 500 jiffies, level 1 (g = 8): (62 + 1) * 8 =
  // 504 jiffies = 5.04 s; at HZ 250, 300 and 1000 it is 1280, 1536 and 5120 jiffies = 5.12 s.
  assert.equal(kupdatePeriod(5, 100), 5.04);
  assert.equal(kupdatePeriod(5, 300), 5.12);
  assert.equal(kupdatePeriod(5, 1000), 5.12);
  assert.equal(chooseHz(null, 5.04, 5).hz, 100);
  assert.equal(chooseHz(null, 5.114, 5).hz, 250);
  assert.match(chooseHz(null, 5.114, 5).source, /HZ 250, 300, 1000 give the same period/);
  assert.equal(chooseHz(null, null, 5).hz, 250);
});

/** The three probes' fixture output, parsed. */
const fixtureRaw = () => ({
  cleanDelay: parseCleanDelay(fixture("clean-delay.jsonl")),
  detector: parseDetector(fixture("detector.jsonl")),
  longterm: parseLongterm(fixture("longterm.jsonl")),
});
const SYS = { "vm.dirty_expire_centisecs": 3000, "vm.dirty_writeback_centisecs": 500 };

/** finish() on the fixtures into TMP/folder (the --quick settings, E = 30 s, W = 5 s). */
function finishFixture(): ReturnType<typeof finish> {
  return finish({
    opts: { out: join(TMP, "folder") },
    env: ENV,
    fs: { type: "ext4", magic: "0xef53", mountPoint: "/", source: "/dev/vda", options: "rw,relatime" },
    cfg: {
      mode: "quick",
      parts: ["clean-delay", "detector", "longterm"],
      seed: 1,
      cleanDelay: { trials: 6, stagger: 2.6, second: 10, pollMs: 20 },
      detector: { klo: 1019, khi: 1024, reps: 1, nopinK: 1100, thpK: 8192 },
      longterm: { settle: 2.5 },
    },
    probes: { sourceHash: "f".repeat(64), sourceFiles: {}, compiler: "cc 12" },
    raw: fixtureRaw(),
    sysStart: SYS,
    sysEnd: SYS,
    changed: [],
    E: 30,
    W: 5,
    startedAt: "2026-11-30T01:40:00.000Z",
  });
}

test("finish: a results folder with every row carrying both sides", () => {
  const c = finishFixture();
  assert.ok(c.comparison.length >= 15, String(c.comparison.length));
  for (const r of c.comparison) {
    assert.ok(r.kernel.length > 0 && r.model.length > 0, r.quantity);
  }
  const byQ = (re: RegExp) => c.comparison.find((r) => re.test(r.quantity))!;
  assert.equal(byQ(/flusher period/).agree, true);
  assert.equal(byQ(/LRU \(lru_add batch drained\)/).agree, true);
  assert.equal(byQ(/per-CPU lru_add batch/).agree, true);
  assert.ok(
    c.comparison
      .filter((r) => r.part === "longterm" && /REGISTER_BUFFERS/.test(r.quantity))
      .every((r) => r.agree === true),
  );
});

test("finish: a mismatch is shown, not hidden", () => {
  const c = finishFixture();
  // Flip one kernel verdict and the row says so.
  const flipped = structuredClone(fixtureRaw().longterm);
  flipped.registers.forEach((r) => {
    if (r.mapping === "file-shared") {
      r.ret = 0;
      r.errno = 0;
      r.errnoName = "";
    }
  });
  const c2 = finish({
    ...({} as never),
    opts: { out: join(TMP, "flipped") },
    env: ENV,
    fs: c.machine.filesystem,
    cfg: c.config,
    probes: { sourceHash: "f".repeat(64), sourceFiles: {}, compiler: "cc" },
    raw: { cleanDelay: null, detector: null, longterm: flipped },
    sysStart: SYS,
    sysEnd: SYS,
    changed: [],
    E: 30,
    W: 5,
    startedAt: c.startedAt,
  });
  const row = c2.comparison.find((r) => /over file-shared$/.test(r.quantity))!;
  assert.equal(row.agree, false);
  assert.match(comparisonText(c2), /\[DIFFER\] io_uring REGISTER_BUFFERS/);
});

test("finish: report and figures read the folder back", () => {
  const out = join(TMP, "folder");
  const c = finishFixture();
  assert.equal(resultsKind(out), "calibration");
  const back = loadCalibration(out);
  assert.deepEqual(back.comparison, c.comparison);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8"));
  assert.equal(manifest.kind, "calibration");
  assert.equal(manifest.kernelRelease, "6.18.44-fc-v782");
  assert.deepEqual(manifest.axes, []);
  const text = comparisonText(back);
  for (const line of text.split("\n")) assert.ok(line.length <= 72, `over 72 columns: ${line}`);
  for (const f of CALIBRATION_FIGURES) {
    const t = renderCalibrationFigure(back, f.name, "txt") as string;
    for (const line of t.split("\n")) assert.ok(line.length <= 72, `${f.name} over 72 columns: ${line}`);
    assert.match(
      renderCalibrationFigure(back, f.name, "svg") as string,
      /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/,
    );
  }
});

test("loadCalibration: one line for a folder that is not a calibration", () => {
  const dir = join(TMP, "bad");
  cpSync(FIX, dir, { recursive: true });
  assert.throws(
    () => loadCalibration(dir),
    (e: unknown) => e instanceof CalibrateInputError && /calibration\.json: cannot read \(ENOENT\)/.test(e.message),
  );
  writeFileSync(join(dir, "calibration.json"), JSON.stringify({ format: "pinsim-calibration/1" }));
  assert.throws(
    () => loadCalibration(dir),
    (e: unknown) => e instanceof CalibrateInputError && /not a pinsim calibration: field pinsim/.test(e.message),
  );
  writeFileSync(join(dir, "calibration.json"), "{");
  assert.throws(
    () => loadCalibration(dir),
    (e: unknown) => e instanceof CalibrateInputError && /not valid JSON/.test(e.message),
  );
});

test("a probe that does not compile: one line with the compiler's first error", {
  skip: compilerVersion() ? false : "no C compiler (cc) on this machine",
}, () => {
  const src = join(TMP, "broken-src");
  cpSync(probeSourceDir(), src, { recursive: true });
  writeFileSync(
    join(src, "detector.c"),
    readFileSync(join(src, "detector.c"), "utf8").replace("int main(", "int main( oops"),
  );
  assert.throws(
    () => buildProbes({ srcDir: src, cacheDir: join(TMP, "cache") }),
    (e: unknown) => {
      assert.ok(e instanceof ProbeError);
      assert.match(e.message, /^probe detector did not compile: calibrate\/detector\.c:\d+:\d+: error: /);
      assert.ok(!e.message.includes("\n"));
      return true;
    },
  );
  assert.equal(
    firstCompilerError("x.c: In function 'f':\n/a/b/x.c:3:1: error: expected ';'\n", "/a/b/"),
    "calibrate/x.c:3:1: error: expected ';'",
  );
});

test("the real probes compile and cache by source hash", {
  skip: compilerVersion() ? false : "no C compiler (cc) on this machine",
}, () => {
  const cache = join(TMP, "cache-ok");
  const a = buildProbes({ cacheDir: cache });
  assert.equal(a.compiled, true);
  const b = buildProbes({ cacheDir: cache });
  assert.equal(b.compiled, false);
  assert.equal(a.binDir, b.binDir);
  const r = spawnSync(a.paths.detector, [], { encoding: "utf8" });
  assert.equal(r.status, 2); // usage
  assert.match(r.stderr, /^usage: detector DIR/);
});

test("figure bins: E is a bin edge, [E, E+P) is exactly perPeriod bins, no sample falls outside", async () => {
  const { alignedBins, histogramShares } = await import("../src/plot/calibration.js");
  const values = [24.9, 30, 35.119, 41.3];
  const b = alignedBins(values, 30, 5.12, 10, 2);
  close(b.width, 0.512);
  close(b.start + b.first * b.width, 30); // E on an edge
  close(b.start + (b.first + 10) * b.width, 35.12); // E + P on an edge
  const shares = histogramShares(values, b.start, b.width, b.bins);
  close(
    shares.reduce((a, x) => a + x, 0),
    1,
  ); // every sample in some bin
  // Without outliers: the margins asked, 2 bins either side.
  assert.equal(alignedBins([30.5, 34], 30, 5.12, 10, 2).bins, 14);
});
