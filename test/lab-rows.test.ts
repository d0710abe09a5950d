/**
 * A fresh tester's lab defects 2, 3 and 5 (a-c), on recorded probe output (no QEMU): an
 * OOM-killed probe's row says so (from the console log), a pin row whose read was not seen
 * held is "not measured" rather than a differing kernel, the detector's text for a range
 * with no copy, the TCG note cut at a word, the guest's ETA from the parts run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { thresholdStep } from "../src/calibrate/stats.js";
import { detectorRows } from "../src/calibrate/compare.js";
import { parseDetector } from "../src/calibrate/parse.js";
import { detectorKernel } from "../src/calibrate/stats.js";
import { assembleLab } from "../src/calibrate/lab/assemble.js";
import { oomKills, oomWhy, startPid } from "../src/calibrate/lab/console.js";
import { parseGuestOutput } from "../src/calibrate/lab/output.js";
import { guardRows, parseGuard, parseRace, pinUnmeasured, raceRows } from "../src/calibrate/lab/pinned.js";
import { expectedGuestSeconds, labConfig, labPlan } from "../src/calibrate/lab/plan.js";
import { cutAtWord } from "../src/calibrate/lab/qemu.js";
import { calibrationConfig } from "../src/calibrate/run.js";

const fixture = (n: string) => readFileSync(join(import.meta.dirname, "fixtures", "lab", n), "utf8");
const lab = labConfig(true);

// What 6.12's console printed when the memcg reclaim probe was killed (the tester's raw/console.log),
// in the kernel's format (mm/oom_kill.c __oom_kill_process: "%s: Killed process %d (%s) total-vm:…").
const CONSOLE = [
  "[  150.120000] reclaim invoked oom-killer: gfp_mask=0x1100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0",
  "[  150.130000] memory: usage 32768kB, limit 32768kB, failcnt 912",
  "[  150.140000] Memory cgroup out of memory: Killed process 302 (reclaim) total-vm:1060kB, anon-rss:8kB, file-rss:0kB",
  "[  160.000000] Out of memory: Killed process 340 (reclaim) total-vm:700000kB, anon-rss:690000kB",
].join("\n");

test("console log: OOM kills parsed, the memcg one told from the machine-wide one, matched by the probe's PID", () => {
  assert.deepEqual(
    oomKills(CONSOLE).map((k) => [k.pid, k.comm, k.memcg]),
    [
      [302, "reclaim", true],
      [340, "reclaim", false],
    ],
  );
  // The probe's start record names its PID (calibrate/reclaim.c prints getpid()).
  const text = '{"type":"start","probe":"reclaim","mode":"memcg","mib":96,"limitMib":32,"hold":0,"pid":302}\n';
  assert.equal(startPid(text), 302);
  assert.equal(
    oomWhy(CONSOLE, 302),
    `the probe was killed by the memory cgroup's OOM killer (raw/console.log: "Memory cgroup out of memory: Killed process 302 (reclaim)")`,
  );
  // kswapd mode's anonymous filler (another PID) killed machine-wide is not the probe.
  assert.equal(oomWhy(CONSOLE, 303), null);
  assert.equal(oomWhy(CONSOLE, null), null);
});

test("pin rows: a read not seen held though it took a pin is not measured, never a differing kernel", () => {
  const g = parseGuard(fixture("pinned-guard-6.12-ext4.jsonl"));
  // The tester's xfs row on 6.12: pinsHeld 0 while the read took 5.138 s; the read's pin acquired once folded: 1.
  const missed = { ...g, pinsHeld: 0, pinsAcquired: 1, readSeconds: 5.138 };
  const [pin] = guardRows("ext4", missed, "6.12", "");
  assert.equal(pin.agree, null, "before the fix: false (DIFFER, kernel 'no pin: 0 held')");
  assert.match(pin.kernel, /^not measured here: no pin seen held in 5\.138 s of the read in flight, though it took 1 /);
  // 6.1's FOLL_GET read: 0 held, 0 acquired: a measurement ("no pin"), which agrees with FOLL_GET.
  const get = guardRows("ext4", { ...g, pinsHeld: 0, pinsAcquired: 0 }, "6.1", "")[0];
  assert.equal(get.agree, true);
  assert.equal(get.kernel, "no pin: 0 held (0 acquired in all)");
  // A read that ended before the counters were looked at (0.3 s in the guard, 1 s in the race) measured nothing.
  assert.match(
    pinUnmeasured({ readRc: 4096, readSeconds: 0.2, pinsHeld: 0 }, 0.3) ?? "",
    /completed in 0\.200 s, before/,
  );
  assert.match(pinUnmeasured({ readRc: -1, readSeconds: 5, pinsHeld: 0 }, 0.3) ?? "", /read failed/);
  const r = parseRace(fixture("pinned-race-6.12-ext4.jsonl"));
  const race = raceRows("ext4", { ...r, pinsHeld: 0, pinsAcquired: 1 }, "6.12", { hz: 250, lab, seed: 1 }, "");
  assert.equal(race[0].agree, null);
});

test("guard and race rows with a precondition unmet say why, and are not measured", () => {
  const g = parseGuard(fixture("pinned-guard-6.12-ext4.jsonl"));
  const rows = guardRows("ext4", { ...g, pressureInFlight: false }, "6.12", "");
  assert.deepEqual(
    rows.slice(1).map((x) => x.agree),
    [null, null],
  );
  assert.ok(rows.slice(1).every((x) => x.kernel.startsWith("not measured here: the read completed (5.188 s) before")));
  // The race's clear row: a read that ended at 2.5 s, before the window [E, E+P+poll) = [2, 3.044) s closed, saw no
  // flusher pass while held (E 2 s, W 1 s, P = kupdatePeriod(1, 250) = 1.024 s, poll 20 ms).
  const r = parseRace(fixture("pinned-race-6.12-ext4.jsonl"));
  const clear = raceRows("ext4", { ...r, readSeconds: 2.5 }, "6.12", { hz: 250, lab, seed: 1 }, "")[1];
  assert.equal(clear.agree, null);
  assert.match(clear.kernel, /^not measured here: the read completed at 2\.500 s, before the flusher's window ended/);
});

test("detector: no copy at any k in range reads 'no threshold', not 'not monotone' (6.1 without MMF_HAS_PINNED)", () => {
  // 6.1's quick run: k 1019..1024, one fork each, none copied (its O_DIRECT read takes FOLL_GET: no MMF_HAS_PINNED).
  const forks = [1019, 1020, 1021, 1022, 1023, 1024].map((k) => ({ kind: "order0", k, lru: 1, copied: false }));
  const s = thresholdStep(forks as never, "lru");
  assert.equal(s.monotone, true, "all zero is monotone (the step lies above the range)");
  const text = readFileSync(
    join(import.meta.dirname, "..", "data/results/examples/calibrate-6.1/raw/detector.jsonl"),
    "utf8",
  );
  const k = detectorKernel(parseDetector(text));
  const rows = detectorRows(k, {
    preset: "6.1",
    lru: null,
    batch: null,
    noPinnedFlag: false,
    ioUringPin: true,
    thp: false,
    bias: 1024,
    noThresholdWhy: "no MMF_HAS_PINNED",
  });
  assert.match(rows[0].kernel, /^no threshold in k 1019\.\.1024: no trial copied: 1019:0\/1 /);
  assert.ok(!rows[0].kernel.includes("not monotone"));
});

test("TCG note: qemu's message whole when short, else cut after a word with an ellipsis", () => {
  const msg =
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.";
  assert.equal(cutAtWord(msg, 160), msg); // 123 characters: whole (was cut at 120: "…nmsrs' faile")
  assert.equal(
    cutAtWord(msg, 120),
    "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs'…",
  );
});

test("guest ETA: only the steps planned (--only longterm: boot + 3 x longterm, not the whole run)", () => {
  const cfg = calibrationConfig(true, ["longterm"], 1, 30);
  const fss = ["ext4", "xfs", "btrfs"];
  const one = labPlan({ parts: ["longterm"], filesystems: fss, modules: [], cfg, lab });
  // 20 s boot + 3 x (2 x settle 2.5 s + 1 s) = 38 s (the tester saw ETA 3m28s, finished 4 s later).
  assert.equal(expectedGuestSeconds(one, cfg, lab), 38);
  const allCfg = calibrationConfig(true, ["clean-delay", "detector", "longterm"], 1, 30);
  const all = labPlan({
    parts: ["clean-delay", "detector", "longterm", "reclaim-writes", "reclaim-guard", "race"],
    filesystems: fss,
    modules: [],
    cfg: allCfg,
    lab,
  });
  // 20 + clean-delay group once (5 x 2.6 + 36 + 40 = 89) + detector (1 + 0.01 x 6 x 1 x 2 = 1.12) + 18 + reclaim 3 x 17
  // + guard 3 x 6 + race 3 x (5 + 2 + 1 + 3) = 230.12 -> 230 (the examples' guests took 216-228 s).
  assert.equal(expectedGuestSeconds(all, allCfg, lab), 230);
});

test("an OOM-killed reclaim probe: its row names the memory cgroup's OOM killer, from the console log", () => {
  // The committed 6.12 guest's output, with reclaim-memcg:ext4 cut as the tester's run left it: the probe's start
  // record, then SIGKILL (the guest's script records rc 137 = 128 + 9).
  const dir = join(import.meta.dirname, "..", "data/results/examples/calibrate-6.12");
  const c = JSON.parse(readFileSync(join(dir, "calibration.json"), "utf8"));
  const guest = parseGuestOutput(readFileSync(join(dir, "raw", "guest.jsonl"), "utf8"));
  const s = guest.sections.find((x) => x.id === "reclaim-memcg:ext4")!;
  const pid = startPid(s.text)!;
  s.text = `${s.text.split("\n").find((l) => l.includes('"type":"start"'))}\n`;
  s.rc = 137;
  const console = `[  150.140000] Memory cgroup out of memory: Killed process ${pid} (reclaim) total-vm:1060kB, anon-rss:8kB\n`;
  const { calibration } = assembleLab({
    out: "/nonexistent",
    image: {
      spec: "debian:6.12",
      vmlinuz: "/x",
      release: guest.boot!.release,
      modulesDir: null,
      config: null,
      source: "x",
    },
    guest: { ...guest, boot: guest.boot! },
    result: { accel: "tcg", accelNote: "TCG", end: "exited", lastLine: "", seconds: 200 },
    cfg: c.config,
    lab: c.lab.config,
    probes: { binDir: "/x", sourceHash: "0", sourceFiles: {}, compiler: "cc" },
    filesystems: ["ext4", "xfs", "btrfs"],
    notMeasured: [],
    timings: { fetch: 0, build: 0, guest: 200, guestBoot: 8 },
    startedAt: "2026-12-07T00:00:00.000Z",
    console,
  });
  const row = calibration.comparison.find(
    (r) => r.part === "reclaim-writes" && r.fs === "ext4" && /memory cgroup/.test(r.quantity),
  )!;
  assert.equal(row.agree, null);
  // Before: "not measured here: the probe did not finish".
  assert.equal(
    row.kernel,
    `not measured here: the probe was killed by the memory cgroup's OOM killer (raw/console.log: "Memory cgroup out of memory: Killed process ${pid} (reclaim)")`,
  );
});
