/**
 * The coverage dimensions in the engine: pinner groups, callers, kernel presets, mappings,
 * backings, read pins and large folios. Each expected value is derived in a comment from
 * the kernel rule it stands for (src/model/kernels.ts, backings.ts, callers.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { simulate } from "../src/engine/index.js";
import type { ParamsInput } from "../src/model/params.js";

/**
 * A database host: O_DIRECT reads (2 pinners, 1 ms pins, one device write per pin on
 * average: dmaWriteRate 1000/s × 1 ms) and an RDMA registration (2 pinners, 300 s pins,
 * one device write per page per second) on the same 256 pages, with reclaim stripping
 * buffers (0.02/s per page) and no CPU stores, so every lost page is a device's.
 */
const mixed = (kernel: string, seed: number): ParamsInput => ({
  kernel: kernel as ParamsInput["kernel"],
  fsBehavior: "ext4-warn",
  seed,
  duration: 1800,
  files: 16,
  pagesPerFile: 16,
  reclaimRate: 0.02,
  cpuWriteRate: 0,
  pinnerGroups: [
    {
      caller: "odirect",
      pinners: 2,
      pinDuration: 0.001,
      pinGap: 5,
      pagesPerPin: 4,
      pinAccess: "write",
      gupPath: "slow",
      longTerm: false,
      dmaWriteRate: 1000,
    },
    {
      caller: "rdma",
      pinners: 2,
      pinDuration: 300,
      pinGap: 30,
      pagesPerPin: 4,
      pinAccess: "write",
      gupPath: "slow",
      longTerm: true,
      dmaWriteRate: 1,
    },
  ],
});

test("mixed populations: under a legacy kernel only the RDMA group's pages lose data; O_DIRECT's never do", () => {
  for (const seed of [1, 2, 3]) {
    const r = simulate(mixed("5.4", seed));
    const [od, rdma] = r.groups!;
    // Every page-pin is one group's: the groups' counts add up to the run's.
    assert.equal(od.counts.pinsTaken + rdma.counts.pinsTaken, r.metrics.pinsTaken);
    // O_DIRECT dirties its pages at submission (bio_set_pages_dirty) and redirties any page
    // found clean at completion (bio_check_pages_dirty): a release never leaves its data
    // unsaved, and its device write lands in a page that is dirty unless writeback cleans it
    // inside the 1 ms pin (expected 2880 pins × ~0.03 cleans/s/page × 0.001 s ≈ 0.1).
    assert.equal(od.counts.releasesUnsaved, 0);
    assert.equal(od.counts.writeToCleanPage, 0, `seed ${seed}`);
    assert.equal(od.counts.lostData, 0, `seed ${seed}`);
    // RDMA holds pages for 300 s: the flusher cleans them after E = 30 s (kupdate), reclaim
    // then strips their buffers (try_to_release_page, no reference check, no guard before
    // 6.4), the device keeps writing into clean pages, and the release dirties a page without
    // buffers, which ext4 drops at writeback (warn): lost. All the run's loss is RDMA's.
    assert.ok(rdma.counts.writeToCleanPage > 0);
    assert.ok(rdma.counts.lostData > 0, `seed ${seed}`);
    assert.equal(rdma.counts.lostData, r.metrics.lostData, `seed ${seed}`);
    // The preset said ext4-bug for 5.4 (cc5095747edf is 5.18); the run overrode it, and says so.
    assert.deepEqual(r.kernel, {
      id: "5.4",
      preset: { policy: "legacy-put-page", reclaimGuard: false, fsBehavior: "ext4-bug", hz: 250 },
      overridden: { fsBehavior: "ext4-warn" },
    });
  }
});

test("mixed populations on 6.6: the RDMA registration is refused (EFAULT), O_DIRECT runs, nothing is lost", () => {
  const r = simulate(mixed("6.6", 1));
  const [od, rdma] = r.groups!;
  // check_vma_flags: FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE on a shared ext4 mapping.
  assert.equal(rdma.refused, "EFAULT");
  assert.equal(rdma.counts.pinsTaken, 0);
  // Each attempt refuses its 4 pages; attempts repeat every pinGap (30 s): about 2 × 1800/30.
  assert.equal(rdma.counts.refusedPins % 4, 0);
  assert.ok(rdma.counts.refusedPins >= 4 * 100, String(rdma.counts.refusedPins));
  // O_DIRECT is a short pin (no FOLL_LONGTERM): taken, FOLL_PIN since ≈6.3.
  assert.equal(od.refused, null);
  assert.equal(od.flags.reference, "FOLL_PIN");
  assert.equal(r.metrics.lostData, 0);
});

test("one group is the flat parameters, draw for draw", () => {
  const flat: ParamsInput = {
    duration: 300,
    seed: 5,
    reclaimRate: 0.001,
    shareCount: "zipf:1.1:4096",
    pinners: 6,
    pinDuration: 40,
  };
  const a = simulate(flat);
  const b = simulate({ ...flat, pinnerGroups: [{ pinners: 6 }] });
  assert.deepEqual(b.metrics, a.metrics);
  assert.deepEqual(b.groups![0].counts.pinsTaken, a.metrics.pinsTaken);
});

test("large folios: an order-9 folio with 8,192 sharers is never a false positive; order 0 is", () => {
  // keep-dirty consults folio_maybe_dma_pinned at every writeback. Order 0: refcount =
  // 1 + buffers + 8192 shares >= 1024, so every unpinned check says pinned. Order 9: the
  // detector reads folio->_pincount (exact since 47e29d32afba, v5.7), which is 0 unpinned.
  const base: ParamsInput = {
    policy: "keep-dirty",
    backing: "xfs",
    files: 16,
    pagesPerFile: 512,
    pinners: 2,
    shareCount: 8192,
    duration: 600,
    seed: 1,
    reclaimRate: 0.001,
    cpuWriteRate: 0.0005,
  };
  const big = simulate({ ...base, folioOrder: 9 });
  const small = simulate(base);
  assert.ok((big.metrics.detectorChecksUnpinned ?? 0) > 0);
  assert.equal(big.metrics.falsePositives, 0);
  // Order 0: every unpinned check of a mapped page is a false positive (reclaim's unmap
  // drops the shares, so not every unpinned check is one).
  assert.ok((small.metrics.falsePositives ?? 0) > 0);
});

test("mapping, access, backing: private pins hold an anonymous copy, read pins write nothing, tmpfs has no writeback", () => {
  const base: ParamsInput = { kernel: "6.6", duration: 300, seed: 1, reclaimRate: 0.001 };
  // MAP_PRIVATE: a write pin breaks COW first; no page-cache folio is held.
  const priv = simulate({ ...base, mapping: "private" });
  assert.equal(priv.groups![0].anonymous, true);
  assert.ok((priv.metrics.pinsTaken ?? 0) > 0);
  assert.deepEqual(
    [priv.metrics.dmaWrites, priv.metrics.writeToCleanPage, priv.metrics.lostData, priv.metrics.refusedPins],
    [0, 0, 0, 0],
  );
  // A read-only long-term pin of shared ext4 is allowed on 6.6 and the device writes nothing.
  const ro = simulate({ ...base, pinAccess: "read" });
  assert.equal(ro.metrics.refusedPins, 0);
  assert.ok((ro.metrics.pinsTaken ?? 0) > 0);
  assert.equal(ro.metrics.dmaWrites, 0);
  // tmpfs needs no dirty tracking: the long-term write pin is taken; nothing is written back,
  // so the writeback incidents cannot happen (null).
  // (the model keeps tmpfs pages: reclaimRate has no effect there and is refused)
  const shm = simulate({ ...base, reclaimRate: undefined, backing: "tmpfs" });
  assert.equal(shm.metrics.refusedPins, 0);
  assert.ok((shm.metrics.dmaWrites ?? 0) > 0);
  assert.deepEqual([shm.metrics.writebacks, shm.metrics.lostData, shm.metrics.writeToCleanPage], [null, null, null]);
  // io_uring on 5.10 refuses a file-backed buffer itself (hugetlbfs only before 5.14).
  const uring = simulate({ ...base, kernel: "5.10", caller: "io_uring" });
  assert.equal(uring.groups![0].refused, "EOPNOTSUPP");
  assert.equal(uring.metrics.pinsTaken, 0);
});

test("btrfs reports device writes under writeback as checksum failures; xfs has no bufferless incidents", () => {
  const base: ParamsInput = {
    duration: 600,
    seed: 2,
    reclaimRate: 0.001,
    longTerm: false,
    pinDuration: 60,
    dmaWriteRate: 2,
  };
  const b = simulate({ ...base, backing: "btrfs" });
  // Data checksums are computed at submission: every write under PG_writeback mismatches.
  assert.ok((b.metrics.modifiedUnderWriteback ?? 0) > 0);
  assert.equal(b.checksumFailures, b.metrics.modifiedUnderWriteback);
  const x = simulate({ ...base, backing: "xfs" });
  assert.equal(x.checksumFailures, null);
  // iomap keeps no private data on an order-0 folio: nothing to strip, nothing to miss.
  assert.deepEqual([x.metrics.dirtyWithoutBuffers, x.metrics.bufferlessWriteback], [null, null]);
});

test("reclaim writes no dirty ext4 page from 6.2 and no file page from 6.16 (pageout: PAGE_ACTIVATE)", () => {
  // Only reclaim can write during these runs: no flusher (writebackInterval 0), no fsync,
  // no pinners; CPU stores dirty the pages. Where ->writepage exists (ext4 before 6.2,
  // dae999602eeb; xfs before 6.16, 6b0dfabb3555; no preset: MODEL.md's rule) reclaim's
  // pageout writes freeable dirty pages, so the run's writebacks are > 0. Where it does not,
  // pageout returns PAGE_ACTIVATE: exactly 0 writebacks during the run, the end-of-run sync
  // writes every page still dirty, and reclaim evicts clean pages only, hence fewer.
  const run = (kernel: string | null, backing: string) =>
    simulate({
      kernel,
      backing,
      policy: "foll-pin",
      reclaimGuard: true,
      pinners: 0,
      writebackInterval: 0,
      cpuWriteRate: 0.01,
      reclaimRate: 0.01,
      duration: 300,
      files: 16,
      pagesPerFile: 16,
    } as ParamsInput);
  const writes = [run(null, "ext4"), run("6.1", "ext4"), run("6.12", "xfs")];
  const activates = [run("6.6", "ext4"), run("6.18", "ext4"), run("6.18", "xfs")];
  for (const r of writes) assert.ok(r.metrics.writebacks! > 0, `${r.params.kernel}/${r.params.backing} writes`);
  for (const r of activates) {
    assert.equal(r.metrics.writebacks, 0, `${r.params.kernel}/${r.params.backing}`);
    assert.ok(r.finalSync!.writebacks > 0);
    assert.ok(r.metrics.evictions! < writes[0].metrics.evictions!);
  }
  // With policy and guard given, ext4 on 6.1 differs from no preset in nothing this run
  // uses (fsBehavior ext4-warn and HZ 250 are also the defaults), and 6.6 from 6.18 in
  // nothing either (the 6.16 change only adds other filesystems): equal metrics.
  assert.deepEqual(writes[1].metrics, writes[0].metrics);
  assert.deepEqual(activates[1].metrics, activates[0].metrics);
});

test("a mirroring device's registration refused by its caller is counted in refusedPins, not null", () => {
  // mmu-notifier through io_uring on 5.10: io_sqe_buffer_register refuses a file-backed
  // buffer (EOPNOTSUPP, before 6.5), so no page is ever registered and every try is refused.
  const r = simulate({ policy: "mmu-notifier", caller: "io_uring", kernel: "5.10", duration: 120, seed: 1 });
  assert.equal(r.groups![0].refused, "EOPNOTSUPP");
  assert.deepEqual([r.metrics.pinsTaken, r.metrics.dmaWrites], [0, 0]);
  // 16 pinners each try at least once in 120 s, 4 pages a try: at least 64 refused pages;
  // the group's count is the run's.
  assert.ok((r.metrics.refusedPins ?? 0) >= 16 * 4, `refusedPins ${r.metrics.refusedPins}`);
  assert.equal(r.metrics.refusedPins, r.groups![0].counts.refusedPins);
  // A mirror that nothing refuses counts 0 refusals, still a number; its pinned dirty age
  // stays null (a mirror holds no GUP reference).
  const ok = simulate({ policy: "mmu-notifier", duration: 120, seed: 1 });
  assert.equal(ok.metrics.refusedPins, 0);
  assert.equal(ok.metrics.maxDirtyAgeWhilePinned, null);
});

test("backings without writeback: finalDirtyPages counts the pages left dirty (sync(2) writes none of them)", () => {
  // One hugetlbfs file of one 2 MiB folio (512 pages, order 9), one pinner holding 4 of its
  // pages for 10 s in every 20 s. The first pin's write fault (FOLL_TOUCH) dirties the folio
  // and nothing ever cleans it: no flusher, no fsync, no reclaim, and the end-of-run sync
  // skips it (shmem/hugetlbfs have no ->writepages for sync to call). So exactly 1 folio is
  // still dirty at the end, and it has been dirty (and pinned) for most of the run.
  const r = simulate({
    policy: "legacy-put-page",
    backing: "hugetlbfs",
    files: 1,
    pinners: 1,
    pinDuration: 10,
    pinGap: 10,
    duration: 100,
    seed: 1,
  });
  assert.deepEqual([r.params.folioOrder, r.params.pagesPerFile], [9, 512]);
  assert.equal(r.metrics.finalDirtyPages, 1);
  assert.ok((r.metrics.maxDirtyAgeWhilePinned ?? 0) > 50, `maxDirtyAgeWhilePinned ${r.metrics.maxDirtyAgeWhilePinned}`);
  assert.deepEqual(r.finalSync, {});
  // Data cannot be lost where memory is the only copy: lostDataFinal is not applicable.
  assert.equal(r.metrics.lostDataFinal, null);
  // The same on tmpfs with order-0 pages: every page the pins dirtied (4 a pin, some pins
  // overlap) is still dirty, at least the first pin's 4.
  const shm = simulate({
    policy: "legacy-put-page",
    backing: "tmpfs",
    files: 1,
    pagesPerFile: 16,
    pinners: 1,
    pinDuration: 10,
    pinGap: 10,
    duration: 100,
    seed: 1,
  });
  assert.ok(
    (shm.metrics.finalDirtyPages ?? 0) >= 4 && (shm.metrics.finalDirtyPages ?? 0) <= 16,
    `finalDirtyPages ${shm.metrics.finalDirtyPages}`,
  );
});

test("refusedPins says what it counts: the caller's own refusals (io_uring EOPNOTSUPP) and its absence (ENOSYS) too", async () => {
  const { METRICS } = await import("../src/model/metrics.js");
  // io_uring does not exist on 4.14: io_uring_setup fails with ENOSYS and every try counts.
  const r = simulate({ kernel: "4.14", caller: "io_uring", duration: 60, seed: 1 });
  assert.equal(r.groups![0].refused, "ENOSYS");
  assert.ok((r.metrics.refusedPins ?? 0) > 0);
  const d = METRICS.find((m) => m.name === "refusedPins")!.description;
  assert.match(d, /EOPNOTSUPP/);
  assert.match(d, /ENOSYS/);
});

test("hugetlbfs without folioOrder takes its only order, 9, and whole folios per file; explicit wrong values are refused", async () => {
  const { resolveParams } = await import("../src/model/params.js");
  // hugetlbfs has 2 MiB folios only (order 9 = 512 pages); the default 64 pages per file round up to one folio.
  const p = resolveParams({ backing: "hugetlbfs" });
  assert.deepEqual([p.folioOrder, p.pagesPerFile], [9, 512]);
  // pagesPerFile given: kept (1024 = two folios).
  assert.equal(resolveParams({ backing: "hugetlbfs", pagesPerFile: 1024 }).pagesPerFile, 1024);
  // tmpfs before mTHP has orders 0 and 9: the default stays 0, 64 pages; order 9 given grows pagesPerFile to 512.
  assert.deepEqual(
    [
      resolveParams({ backing: "tmpfs", kernel: "6.1" }).folioOrder,
      resolveParams({ backing: "tmpfs", kernel: "6.1" }).pagesPerFile,
    ],
    [0, 64],
  );
  assert.equal(resolveParams({ backing: "tmpfs", folioOrder: 9 }).pagesPerFile, 512);
  assert.throws(
    () => resolveParams({ backing: "hugetlbfs", folioOrder: 0 }),
    /invalid folioOrder: 0 \(allowed: 9 for hugetlbfs/,
  );
  assert.throws(
    () => resolveParams({ backing: "hugetlbfs", pagesPerFile: 64 }),
    /invalid pagesPerFile: 64 \(allowed: a multiple of 2\^folioOrder = 512/,
  );
});
