/**
 * What MODEL.md and kernel-notes §6 say each policy does, reproduced from simulation runs.
 * Each test derives the numbers it expects in its comments, as a kernel developer would.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { simulate } from "../src/engine/index.js";
import { kupdatePeriod } from "../src/engine/flusher.js";
import type { ParamsInput } from "../src/model/params.js";

const E = 30; // dirty_expire_centisecs = 3000
const P = kupdatePeriod(5, 250); // dirty_writeback_centisecs = 500 at HZ=250: 5.12 s

/**
 * One pinner over many one-page files: every pin lands on a file whose inode is clean
 * (the previous pin of any file ended pinGap = 40 s > E + P ago, so kupdate has cleaned
 * it), so the page is dirtied at GUP time t and first cleaned at the first kupdate tick
 * T_k >= t + E, i.e. in [t + E, t + E + P).
 */
const lonePinner = (pinDuration: number, extra: ParamsInput = {}): ParamsInput => ({
  policy: "dirty-at-gup",
  files: 4096,
  pagesPerFile: 1,
  pagesPerPin: 1,
  pinners: 1,
  pinGap: 40,
  pinDuration,
  dmaWriteRate: 5,
  cpuWriteRate: 0,
  duration: 7200,
  ...extra,
});

test("kupdate period: the timer wheel rounds W up to a level boundary", () => {
  // j = 1250 jiffies: level 2 (512 <= j < 4096), granularity 64: (19 + 1) * 64 = 1280 -> 5.12 s.
  assert.equal(P, 5.12);
  assert.equal(kupdatePeriod(5, 0), 5); // idealised
  // HZ=100: j = 500 < 512, level 1, granularity 8: (62 + 1) * 8 = 504 jiffies = 5.04 s.
  assert.equal(kupdatePeriod(5, 100), 5.04);
  // HZ=1000: j = 5000, level 3 (4096 <= j < 32768), granularity 512: 10 * 512 = 5120 -> 5.12 s.
  assert.equal(kupdatePeriod(5, 1000), 5.12);
  // j = 25 < 64: level 0, granularity 1: 26 jiffies.
  assert.equal(kupdatePeriod(0.1, 250), 26 / 250);
  assert.equal(kupdatePeriod(0, 250), 0); // W = 0 disables kupdate
});

test("dirty-at-gup: pins shorter than E never see a clean page", () => {
  // Pin 29 s < E: the first clean comes at t + E or later, after the release.
  const r = simulate(lonePinner(29));
  assert.ok(r.metrics.pinsTaken! > 80, `pins ${r.metrics.pinsTaken}`); // 7200 / 69 ≈ 104 cycles
  assert.ok(r.metrics.dmaWrites! > 10000);
  assert.equal(r.metrics.writeToCleanPage, 0);
  assert.equal(r.metrics.lostData, 0);
});

test("dirty-at-gup: pins longer than E + P lose data in every pin", () => {
  // Pin 36 s > E + P = 35.12 s: every page is cleaned mid-pin, with at least 0.88 s of
  // device writes (5/s) still to come: P(no write) <= exp(-4.4) ≈ 1.2 %. put_page leaves
  // the page clean with mem != disk, and nobody pins that file again, so nearly every pin
  // is one lost page at the end of the run.
  const r = simulate(lonePinner(36));
  const pins = r.metrics.pinsTaken!;
  assert.ok(r.metrics.writeToCleanPage! > 0);
  assert.ok(r.metrics.lostData! >= 0.9 * pins, `lost ${r.metrics.lostData} of ${pins} pins`);
  assert.ok(r.metrics.lostData! <= pins);
});

test("dirty-at-gup: between E and E + P the loss ramps with the flusher's phase", () => {
  // Pin E + P/2: the page is cleaned mid-pin iff the tick lands in the first half of its
  // period after t + E: probability 1/2 (random phase). Then a write must follow within
  // the remaining P/2 - x: expected share of pins losing data
  // 1/2 - (1 - exp(-5 * P/2)) / (5 P) ≈ 0.5 - 0.039 = 0.46.
  const r = simulate(lonePinner(E + P / 2, { duration: 14400 }));
  const share = r.metrics.lostData! / r.metrics.pinsTaken!;
  assert.ok(share > 0.3 && share < 0.62, `share ${share.toFixed(3)} of ${r.metrics.pinsTaken} pins`);
});

test("dirty-at-gup: a page in an inode already dirty is cleaned early (inode aging)", () => {
  // Same 29 s pins, but CPU stores keep every inode dirty: dirtied_when is the older time
  // of the inode, so kupdate can clean the pinned page seconds after GUP.
  const r = simulate(lonePinner(29, { files: 16, pagesPerFile: 16, cpuWriteRate: 0.05 }));
  assert.ok(r.metrics.writeToCleanPage! > 0);
});

/** The default workload without memory pressure: 16 pinners, 60 s pins, 10 s gaps. */
const noPressure = (policy: string): ParamsInput => ({
  policy: policy as ParamsInput["policy"],
  duration: 1200,
  seed: 7,
});

test("put-user-pages-dirty: double writebacks but no lost data without memory pressure", () => {
  // Release dirties a page that writeback cleaned (the !PageDirty check): the data written
  // after the clean reaches disk at the next writeback or the final sync, so nothing is
  // lost. If no device write landed since the clean, that writeback writes mem == disk.
  const r = simulate(noPressure("put-user-pages-dirty"));
  assert.equal(r.metrics.lostData, 0);
  assert.ok(r.metrics.doubleWritebacks! > 0);
  assert.ok(r.metrics.writeToCleanPage! > 0); // 60 s pins outlive E + P: same F2 as legacy
  assert.equal(r.metrics.dirtyWithoutBuffers, 0);
  // dirty-at-gup on the same workload loses what was written after the clean.
  assert.ok(simulate(noPressure("dirty-at-gup")).metrics.lostData! > 0);
});

test("legacy-put-page: reclaim strips buffers of a pinned page; the guard helps only FOLL_PIN", () => {
  // Jan Kara's race as the kernel runs it: the flusher (kupdate, on by default) cleans a
  // page a GUP user holds; reclaim finds it clean, unmaps it and frees its buffers
  // (try_to_release_page checks no reference; __remove_mapping then fails on the GUP
  // reference); the release's set_page_dirty_lock dirties a page without buffers
  // (ext4_set_page_dirty WARN). Reclaim itself never writes the held page (PAGE_KEEP).
  const pressure = { reclaimRate: 0.005, duration: 1200, seed: 3 } as const;
  const legacy = simulate({ policy: "legacy-put-page", ...pressure });
  assert.equal(legacy.params.reclaimGuard, false);
  assert.ok(legacy.metrics.dirtyWithoutBuffers! > 0);
  assert.ok(legacy.metrics.bufferlessWriteback! > 0);
  assert.ok(legacy.metrics.lostData! > 0); // ext4-warn clears PG_dirty and drops the page's data

  // Under FOLL_PIN the guard (on by default) sees the bias and keeps the buffers.
  const guarded = simulate({ policy: "foll-pin", ...pressure });
  assert.equal(guarded.params.reclaimGuard, true);
  assert.equal(guarded.metrics.dirtyWithoutBuffers, 0);
  assert.equal(guarded.metrics.bufferlessWriteback, 0);
  assert.equal(guarded.metrics.lostData, 0);
  assert.equal(guarded.metrics.falseNegatives, 0);
  const unguarded = simulate({ policy: "foll-pin", ...pressure, reclaimGuard: false });
  assert.ok(unguarded.metrics.dirtyWithoutBuffers! > 0);

  // A FOLL_GET reference is invisible to the detector: the guard cannot help legacy.
  const legacyGuarded = simulate({ policy: "legacy-put-page", ...pressure, reclaimGuard: true });
  assert.ok(legacyGuarded.metrics.dirtyWithoutBuffers! > 0);
  assert.ok(legacyGuarded.metrics.falseNegatives! > 0);
});

/**
 * Detector false positives with no pin at all: CPU stores dirty pages (buffers attached,
 * the page mapped by its S sharers) and kupdate writes them; keep-dirty asks the detector
 * at every writeback. The refcount it reads: 1 (page cache) + 1 (buffers) + S (mappings)
 * + transient, plus the writeback's own folio-batch reference: S + 3 + transient.
 * It says "pinned" from S + 3 + transient >= bias: S >= bias - 3 - transient.
 */
const noPins = (shareCount: number, extra: ParamsInput = {}): ParamsInput => ({
  policy: "keep-dirty",
  pinners: 0,
  files: 8,
  pagesPerFile: 8,
  cpuWriteRate: 0.02,
  duration: 300,
  shareCount,
  ...extra,
});

test("detector false positives begin at exactly S = bias - 3", () => {
  for (const [bias, transient] of [
    [1024, 0],
    [1024, 5],
    [256, 0],
  ]) {
    const threshold = bias - 3 - transient;
    const below = simulate(noPins(threshold - 1, { bias, transientRefs: transient }));
    const at = simulate(noPins(threshold, { bias, transientRefs: transient }));
    assert.ok(below.metrics.detectorChecks! > 0);
    assert.equal(below.metrics.falsePositives, 0, `bias ${bias} transient ${transient} S ${threshold - 1}`);
    assert.ok(at.metrics.detectorChecks! > 0);
    assert.equal(
      at.metrics.falsePositives,
      at.metrics.detectorChecks,
      `bias ${bias} transient ${transient} S ${threshold}`,
    );
    // The cost under keep-dirty: the page is never cleaned by background writeback.
    assert.equal(below.metrics.keptDirty, 0);
    assert.ok(at.metrics.keptDirty! > 0);
  }
});

test("detector under a share-count distribution: false positives only from pages past the threshold", () => {
  // zipf(1.1) capped at 4096 puts a few pages past 1021 sharers; hist with all mass below it none.
  const zipf = simulate(noPins(0, { shareCount: "zipf:0.5:4096", files: 32, pagesPerFile: 32 }));
  assert.ok(zipf.metrics.falsePositives! > 0 && zipf.metrics.falsePositives! < zipf.metrics.detectorChecks!);
  const small = simulate(noPins(0, { shareCount: "hist:1=90,1020=10" }));
  assert.equal(small.metrics.falsePositives, 0);
});

test("longterm-refused refuses long-term pins and nothing else", () => {
  const base = { duration: 600, seed: 11, reclaimRate: 0.001, fsyncRate: 0.01 } as const;
  // Long-term: every GUP fails in check_vma_flags; nothing is pinned or written by DMA.
  const refused = simulate({ policy: "longterm-refused", ...base, longTerm: true });
  assert.equal(refused.metrics.pinsTaken, 0);
  assert.equal(refused.metrics.dmaWrites, 0);
  assert.ok(refused.metrics.refusedPins! > 0);
  assert.equal(refused.metrics.refusedPins! % refused.params.pagesPerPin, 0);
  // Everything else is what foll-pin does with no pinner at all (separate random streams).
  const idle = simulate({ policy: "foll-pin", ...base, pinners: 0 });
  assert.deepEqual({ ...refused.metrics, refusedPins: 0 }, idle.metrics);
  // Short-term pins (O_DIRECT) are allowed: identical to foll-pin.
  const short = simulate({ policy: "longterm-refused", ...base, longTerm: false });
  const follPin = simulate({ policy: "foll-pin", ...base, longTerm: false });
  assert.deepEqual(short.metrics, follPin.metrics);
  assert.equal(short.metrics.refusedPins, 0);
});

test("refcount overflow: a pin that would pass 2^31 - 1 is refused, one below is taken", () => {
  // After the write fault: refcount = 1 + 1 (buffers) + S. A FOLL_PIN adds 1024.
  // S = 2^31 - 1 - 2 - 1024 = 2147482621 reaches exactly 2^31 - 1: allowed.
  const one = {
    pinners: 1,
    files: 1,
    pagesPerFile: 1,
    pagesPerPin: 1,
    cpuWriteRate: 0,
    duration: 100,
    pinDuration: 10,
    pinGap: 10,
  } as const;
  const fits = simulate({ policy: "foll-pin", ...one, shareCount: 2147482621 });
  assert.ok(fits.metrics.pinsTaken! > 0);
  assert.equal(fits.metrics.refusedPins, 0);
  const over = simulate({ policy: "foll-pin", ...one, shareCount: 2147482622 });
  assert.equal(over.metrics.pinsTaken, 0);
  assert.ok(over.metrics.refusedPins! > 0);
  // FOLL_GET adds 1: still room.
  assert.equal(simulate({ policy: "legacy-put-page", ...one, shareCount: 2147482622 }).metrics.refusedPins, 0);
});

test("keep-dirty: no write to a clean page, no loss; WB_SYNC_ALL writes pinned pages in place", () => {
  const base = { duration: 1200, seed: 5, fsyncRate: 0.02 } as const;
  const kd = simulate({ policy: "keep-dirty", ...base });
  assert.equal(kd.metrics.writeToCleanPage, 0);
  assert.equal(kd.metrics.lostData, 0);
  assert.ok(kd.metrics.keptDirty! > 0);
  // Pinned pages stay dirty for the whole pin: the dirty age reaches the pin duration.
  assert.ok(kd.metrics.maxDirtyAgeWhilePinned! > 55, `${kd.metrics.maxDirtyAgeWhilePinned}`);
  // fsync writes a pinned page while the device writes into it: stable-page violations.
  assert.ok(kd.metrics.modifiedUnderWriteback! > 0);
  // The bounce variant writes a copy instead: none.
  const kdb = simulate({ policy: "keep-dirty-bounce", ...base });
  assert.equal(kdb.metrics.modifiedUnderWriteback, 0);
  assert.ok(kdb.metrics.bounceCopies! > 0);
  assert.equal(kdb.metrics.lostData, 0);
});

test("mmu-notifier: no incident under stable writes, the price is device refaults", () => {
  // The device refaults through page_mkwrite after every invalidation, so it never writes
  // a clean page and nothing is lost. Under stable writes page_mkwrite waits for the I/O.
  const base = {
    policy: "mmu-notifier",
    duration: 1200,
    reclaimRate: 0.002,
    fsyncRate: 0.01,
    truncateRate: 0.0005,
    writebackLatency: 0.2,
  } as const;
  const r = simulate({ ...base, stableWrites: true });
  for (const name of [
    "dirtyWithoutBuffers",
    "bufferlessWriteback",
    "writeToCleanPage",
    "lostData",
    "modifiedUnderWriteback",
    "truncatedWhilePinned",
  ] as const) {
    assert.equal(r.metrics[name], 0, name);
  }
  assert.ok(r.metrics.deviceRefaults! > 0);
  // Nothing refuses the registration here (generic caller, no kernel preset): 0, counted.
  assert.equal(r.metrics.refusedPins, 0);
  assert.equal(r.metrics.maxDirtyAgeWhilePinned, null);
  assert.equal(r.metrics.detectorChecks, null);
  // Without stable writes a refault right after set_page_writeback lets the device write
  // under that I/O (the checker's DEV-mirror+WB+CPU witness); still no data is lost.
  const plain = simulate({ ...base, stableWrites: false });
  assert.ok(plain.metrics.modifiedUnderWriteback! > 0);
  assert.equal(plain.metrics.lostData, 0);
  assert.equal(plain.metrics.writeToCleanPage, 0);
});

test("block-bounce: pinned pages are bounced but still cleaned, so F2 stays", () => {
  const r = simulate({ policy: "block-bounce", duration: 1200 });
  assert.ok(r.metrics.bounceCopies! > 0);
  assert.ok(r.metrics.writeToCleanPage! > 0);
  assert.equal(r.metrics.keptDirty, null);
});

test("truncate during a pin is reported apart from lost data", () => {
  const r = simulate({ policy: "foll-pin", duration: 1200, truncateRate: 0.002, dmaWriteRate: 1 });
  assert.ok(r.metrics.truncatedWhilePinned! > 0);
  assert.equal(r.metrics.lostData, 0);
});

test("stable writes: CPU and GUP faults wait for writeback", () => {
  const base = { policy: "foll-pin", duration: 600, cpuWriteRate: 0.05, writebackLatency: 0.5 } as const;
  const r = simulate({ ...base, stableWrites: true });
  const plain = simulate({ ...base, stableWrites: false });
  assert.notDeepEqual(r.metrics, plain.metrics);
  assert.ok(r.events > 0);
});

test("null where a policy makes a metric meaningless", () => {
  const legacy = simulate({ policy: "legacy-put-page", duration: 60 });
  assert.equal(legacy.metrics.detectorChecks, null);
  assert.equal(legacy.metrics.falsePositives, null);
  assert.equal(legacy.metrics.keptDirty, null);
  assert.equal(legacy.metrics.bounceCopies, null);
  assert.equal(legacy.metrics.deviceRefaults, null);
  const kd = simulate({ policy: "keep-dirty-bounce", duration: 60 });
  for (const name of ["detectorChecks", "falsePositives", "falseNegatives", "keptDirty", "bounceCopies"] as const) {
    assert.equal(typeof kd.metrics[name], "number", name);
  }
});

test("device writes: a Poisson process of dmaWriteRate per pinned page", () => {
  // One pinner holding 4 pages for 100 s out of every 100.5 s over 2000 s at 2 writes/s
  // per page: about 2 * 4 * 2000 * 100 / 100.5 ≈ 15,900 writes (Poisson sd ≈ 126).
  const r = simulate({
    policy: "foll-pin",
    pinners: 1,
    pagesPerPin: 4,
    pinDuration: 100,
    pinGap: 0.5,
    dmaWriteRate: 2,
    duration: 2000,
    cpuWriteRate: 0,
  });
  const expected = (2 * 4 * 2000 * 100) / 100.5;
  assert.ok(
    Math.abs(r.metrics.dmaWrites! - expected) < 5 * Math.sqrt(expected) + 8 * 100,
    `${r.metrics.dmaWrites} vs ${expected}`,
  );
});

test("tracing a page changes nothing in the results; its device writes appear at their times", () => {
  const params = {
    policy: "dirty-at-gup",
    files: 4,
    pagesPerFile: 4,
    pinners: 2,
    duration: 300,
    dmaWriteRate: 1,
  } as const;
  const plain = simulate(params);
  const traced = simulate(params, { tracePages: [0, 5] });
  assert.deepEqual(traced.metrics, plain.metrics);
  const rows = traced.trace!;
  assert.ok(rows.some((r) => r.event === "dma-write"));
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i].t >= rows[i - 1].t, "trace in time order");
});
