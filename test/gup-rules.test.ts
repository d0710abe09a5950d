/**
 * The kernel's own expectations for long-term pins, as a table test of gupDecide, and what
 * the releases before 6.5 did instead. Each expected value is derived in a comment from the
 * rule that states it (the gup_longterm selftest, io_uring's source, the kernel presets).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gupDecide, type GupQuestion } from "../src/model/gup-rules.js";
import { BACKINGS, MAPPINGS, PIN_ACCESSES, folioOrders, folioOrdersText, type Backing } from "../src/model/backings.js";
import { KERNELS, KERNEL_IDS, atLeast, kernelPreset, type KernelId } from "../src/model/kernels.js";
import { CALLER_IDS, callerProfile } from "../src/model/callers.js";

const PATHS = ["slow", "fast"] as const;
const FROM_6_6 = KERNEL_IDS.filter((k) => atLeast(k, [6, 6]));
const BEFORE_6_5 = KERNEL_IDS.filter((k) => !atLeast(k, [6, 5]));

/**
 * tools/testing/selftests/mm/gup_longterm.c (torvalds/linux, the version that landed with
 * 6.5's rule), quoted:
 *   fs_supports_writable_longterm_pinning: "case TMPFS_MAGIC: case HUGETLBFS_MAGIC: return true;
 *     default: return false;"
 *   do_test, R/O and R/W pins: "R/O pinning or pinning in a private mapping is always expected
 *     to work. Otherwise, we expect long-term R/W pinning to only succeed for special
 *     filesystems." should_work = !shared || !rw || fs_supports_writable_longterm_pinning(fs_type);
 *   the io_uring case ("io_uring always pins pages writable"):
 *     should_work = !shared || fs_supports_writable_longterm_pinning(fs_type);
 * The selftest runs each case with memfd (tmpfs), tmpfile and a local tmpfile (ext4, xfs or
 * btrfs: fs_is_unknown is false for exactly these) and memfd hugetlb, GUP and GUP-fast alike.
 */
// Anonymous memory (issue 22) has no vm_file and needs no dirty tracking: the selftest's
// anonymous cases always pin (a MAP_SHARED anonymous mapping is shmem, its memfd case).
const fsSupportsWritableLongtermPinning = (b: Backing) => b === "tmpfs" || b === "hugetlbfs" || b === "anon";
const selftestShouldWork = (shared: boolean, rw: boolean, b: Backing) =>
  !shared || !rw || fsSupportsWritableLongtermPinning(b);
const selftestIoUringShouldWork = (shared: boolean, b: Backing) => !shared || fsSupportsWritableLongtermPinning(b);

function* questions(kernel: KernelId): Generator<GupQuestion> {
  for (const mapping of MAPPINGS)
    for (const backing of BACKINGS)
      for (const access of PIN_ACCESSES)
        for (const path of PATHS)
          for (const longTerm of [true, false]) yield { kernel, mapping, backing, access, path, longTerm };
}

test("gup_longterm selftest table: every preset from 6.6, mapping × backing × access × path × long-term", () => {
  let rows = 0;
  for (const kernel of FROM_6_6) {
    for (const q of questions(kernel)) {
      const a = gupDecide(q);
      // Long-term: the selftest's rule. Short-term: writable_file_mapping_allowed returns true
      // unless (gup_flags & (FOLL_PIN | FOLL_LONGTERM)) == (FOLL_PIN | FOLL_LONGTERM), so it pins.
      const expected = q.longTerm ? selftestShouldWork(q.mapping === "shared", q.access === "write", q.backing) : true;
      assert.equal(a.pinned, expected, `${JSON.stringify(q)}: ${a.why}`);
      // The selftest accepts only EFAULT for a refused GUP pin ("else if (ret && errno == EFAULT)").
      assert.equal(a.errno, expected ? null : "EFAULT", JSON.stringify(q));
      // GUP-fast declines the folio (gup_fast_folio_allowed) and the slow path refuses it.
      assert.equal(a.fastFallback, !expected && q.path === "fast", JSON.stringify(q));
      rows++;
    }
  }
  // 3 presets × 2 mappings × 6 backings × 2 accesses × 2 paths × 2 long-term = 288 rows.
  assert.equal(rows, 288);
});

test("gup_longterm selftest table: the io_uring fixed-buffer case, every preset from 6.6", () => {
  for (const kernel of FROM_6_6)
    for (const mapping of MAPPINGS)
      for (const backing of BACKINGS)
        for (const access of PIN_ACCESSES) {
          // io_uring asks for FOLL_WRITE|FOLL_LONGTERM whatever the access (the selftest's
          // comment), so `access` and `longTerm: false` change nothing.
          const a = gupDecide({ kernel, mapping, backing, access, path: "slow", longTerm: false, caller: "io_uring" });
          const expected = selftestIoUringShouldWork(mapping === "shared", backing);
          assert.equal(a.pinned, expected, `${kernel} ${mapping} ${backing} ${access}`);
          assert.deepEqual(a.flags, { reference: "FOLL_PIN", write: true, longTerm: true });
          // "Only new kernels return EFAULT": 6.5 on, GUP refuses (check_vma_flags).
          if (!expected) assert.equal(a.errno, "EFAULT");
        }
});

test("before 6.5: GUP pins every long-term write of every backing (no writable_file_mapping_allowed)", () => {
  // check_vma_flags before 8ac268436e6d tests VM_IO|VM_PFNMAP and the VMA's permissions only;
  // FOLL_LONGTERM refuses fs-dax alone (get_user_pages_longterm, 4.15), not a backing here.
  for (const kernel of BEFORE_6_5)
    for (const q of questions(kernel)) {
      const a = gupDecide(q);
      assert.equal(a.pinned, true, `${JSON.stringify(q)}: ${a.why}`);
      // A write pin of a private mapping breaks COW and holds the anonymous copy; anonymous
      // memory (issue 22) holds the process's own page, whatever the mapping says.
      if (q.backing === "anon") assert.equal(a.target, "anon-page");
      else if (q.mapping === "private" && q.access === "write") assert.equal(a.target, "anon-copy");
      else if (q.mapping === "shared") assert.equal(a.target, "page-cache");
    }
});

test("before 6.5: io_uring's own refusals, release by release", () => {
  for (const kernel of BEFORE_6_5)
    for (const mapping of MAPPINGS)
      for (const backing of BACKINGS) {
        const a = gupDecide({
          kernel,
          mapping,
          backing,
          access: "write",
          path: "slow",
          longTerm: true,
          caller: "io_uring",
        });
        // 4.14, 4.19: no io_uring (added in 5.1) -> ENOSYS.
        // 5.4, 5.10: 'vma->vm_file && !is_file_hugepages(vma->vm_file)' -> EOPNOTSUPP, shared or
        //   private alike (both have a vm_file): only hugetlbfs passes.
        // 5.15, 6.1: vma_is_shmem() passes too (5.14): tmpfs and hugetlbfs pass.
        // Anonymous memory (issue 22) has no vm_file: io_uring took it from 5.1.
        const [expectPinned, expectErrno] = !atLeast(kernel, [5, 1])
          ? [false, "ENOSYS"]
          : !atLeast(kernel, [5, 14])
            ? [backing === "hugetlbfs" || backing === "anon", "EOPNOTSUPP"]
            : [backing === "hugetlbfs" || backing === "tmpfs" || backing === "anon", "EOPNOTSUPP"];
        assert.equal(a.pinned, expectPinned, `${kernel} ${mapping} ${backing}: ${a.why}`);
        assert.equal(a.errno, expectPinned ? null : expectErrno, `${kernel} ${mapping} ${backing}`);
      }
});

test("the public reports: a long-term pin refused on 6.6 (and 6.8) but taken on 5.15 and on POSIX shm", () => {
  const pin = (kernel: KernelId, backing: Backing, access: "read" | "write" = "write") =>
    gupDecide({ kernel, mapping: "shared", backing, access, path: "fast", longTerm: true, caller: "rdma" });
  assert.equal(pin("6.6", "ext4").pinned, false); // 6.5's rule
  assert.equal(pin("5.15", "ext4").pinned, true); // before it
  assert.equal(pin("6.6", "tmpfs").pinned, true); // shm_open is tmpfs: no dirty tracking
  assert.equal(pin("5.15", "tmpfs").pinned, true);
  // The read-only flag users added to get past the refusal: no FOLL_WRITE, pinned on 6.6.
  assert.equal(pin("6.6", "ext4", "read").pinned, true);
  assert.equal(pin("6.6", "ext4", "read").target, "page-cache");
});

test("callers force their flags: io_uring always writes, RDMA and VFIO are long-term, O_DIRECT never", () => {
  const q = {
    kernel: "6.6" as const,
    mapping: "shared" as const,
    backing: "xfs" as const,
    access: "write" as const,
    path: "slow" as const,
  };
  // O_DIRECT is a short pin whatever the caller says: pinned on a shared xfs file on 6.6.
  assert.equal(gupDecide({ ...q, longTerm: true, caller: "odirect" }).pinned, true);
  // VFIO is FOLL_LONGTERM whatever longTerm says: refused.
  assert.equal(gupDecide({ ...q, longTerm: false, caller: "vfio" }).pinned, false);
  // vmsplice takes FOLL_GET references and never writes: nothing to refuse.
  const v = gupDecide({ ...q, longTerm: true, caller: "vmsplice" });
  assert.deepEqual([v.pinned, v.flags.reference, v.flags.write], [true, "FOLL_GET", false]);
  // FOLL_PIN exists from 5.6; before it every caller takes FOLL_GET.
  assert.equal(callerProfile("rdma", "5.4").reference, "FOLL_GET");
  assert.equal(callerProfile("rdma", "5.10").reference, "FOLL_PIN");
  // O_DIRECT moved to FOLL_PIN with iov_iter_extract_pages (≈6.3): FOLL_GET on 6.1, FOLL_PIN on 6.6.
  assert.equal(callerProfile("odirect", "6.1").reference, "FOLL_GET");
  assert.equal(callerProfile("odirect", "6.6").reference, "FOLL_PIN");
  for (const c of CALLER_IDS) for (const k of KERNEL_IDS) assert.ok(callerProfile(c, k).cite.length > 20);
});

test("kernel presets: each field follows the release of the commit that introduced it", () => {
  // ext4 BUG -> warn: cc5095747edf, 5.18. 5.15 BUGs, 6.1 warns.
  assert.deepEqual(
    KERNEL_IDS.map((k) => KERNELS[k].fsBehavior),
    ["ext4-bug", "ext4-bug", "ext4-bug", "ext4-bug", "ext4-bug", "ext4-warn", "ext4-warn", "ext4-warn", "ext4-warn"],
  );
  // Reclaim guard: merged for 6.4-rc1. Long-term refusal: 6.5.
  assert.deepEqual(
    KERNEL_IDS.filter((k) => KERNELS[k].reclaimGuard),
    ["6.6", "6.12", "6.18"],
  );
  assert.deepEqual(
    KERNEL_IDS.filter((k) => KERNELS[k].longtermRefusal),
    ["6.6", "6.12", "6.18"],
  );
  // FOLL_PIN counting: 5.7. Exact pincount from order 2 (47e29d32afba); order 1 once the page
  // cache can hold order-1 folios (6.8).
  assert.deepEqual(
    KERNEL_IDS.map((k) => KERNELS[k].pincountMinOrder),
    [null, null, null, 2, 2, 2, 2, 1, 1],
  );
  // io_uring: absent, hugetlb only, +shmem (5.14), GUP decides (6.5).
  assert.deepEqual(
    KERNEL_IDS.map((k) => KERNELS[k].ioUring),
    [
      "absent",
      "absent",
      "file-except-hugetlb",
      "file-except-hugetlb",
      "file-except-shmem-hugetlb",
      "file-except-shmem-hugetlb",
      "gup",
      "gup",
      "gup",
    ],
  );
  // kernel/Kconfig.hz: default HZ_250.
  for (const k of KERNEL_IDS) assert.equal(KERNELS[k].hz, 250);
  // The generic caller's policy per era (MODEL.md §4).
  assert.deepEqual(
    KERNEL_IDS.map((k) => callerProfile("generic", k).policy),
    [
      "legacy-put-page",
      "legacy-put-page",
      "legacy-put-page",
      "foll-pin",
      "foll-pin",
      "foll-pin",
      "longterm-refused",
      "longterm-refused",
      "longterm-refused",
    ],
  );
  assert.throws(
    () => kernelPreset("6.7"),
    /invalid kernel: "6\.7" \(allowed: 4\.14, 4\.19, 5\.4, 5\.10, 5\.15, 6\.1, 6\.6, 6\.12, 6\.18\)/,
  );
});

test("folio orders each backing can have, per release", () => {
  assert.deepEqual(folioOrders("hugetlbfs", "6.6"), [9]); // 2 MiB huge pages, x86-64
  assert.deepEqual(folioOrders("ext4", "6.12"), [0]); // ext4 large folios: ≈6.16
  assert.deepEqual(folioOrders("ext4", "6.18"), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(folioOrders("xfs", "5.10"), [0]); // xfs large folios: 5.18
  assert.deepEqual(folioOrders("xfs", "6.6"), [0, 2, 3, 4, 5, 6, 7, 8, 9]); // no order 1 before 6.8
  assert.deepEqual(folioOrders("tmpfs", "6.12"), [0, 9]); // PMD THP only before tmpfs mTHP (≈6.14)
  assert.deepEqual(folioOrders("btrfs", "6.18"), [0]);
  assert.equal(folioOrdersText("xfs", "6.6"), "0, 2..9 for xfs on 6.6");
});
