// lostData on anonymous memory (docs/model.md#anonymous-memory-fork-foll_force-and-o_direct-writes,
// "lostData on anonymous memory"): reclaim frees a page whose memory differs from its swap slot
// while a pte or swap entry will read the slot back. A tester's random scenarios found seven
// Sometimes that the kernel does not have: five freed a page the owner had discarded with
// MADV_DONTNEED, two let a child's write fault on a swapped-out shared page reuse it.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  WP,
  addToSwap,
  childWriteFault,
  copyPresentPte,
  initAnonPage,
  swapWritepage,
  tryToUnmapAnon,
  zapAnonPte,
} from "../src/model/anon.js";
import { runEnv } from "../src/model/env.js";
import type { KernelId } from "../src/model/kernels.js";
import { METRIC } from "../src/model/metrics.js";
import { PageCache } from "../src/model/page-cache.js";
import { getPolicy } from "../src/policies/index.js";
import { parseScenario, runScenario } from "../src/checker/index.js";

/** One anonymous page of release `kernel` mapped by `shares` processes, written to swap (clean, the slot current) and unmapped. */
function swappedOut(kernel: KernelId, shares: number) {
  const env = runEnv({ policy: getPolicy("foll-pin"), kernel, backing: "anon" });
  const pc = new PageCache({ files: 1, pagesPerFile: 1, bias: 1024, env });
  initAnonPage(pc, 0, 1, 0);
  pc.cpuStore(0);
  if (shares > 1) copyPresentPte(pc, 0);
  addToSwap(pc, 0);
  tryToUnmapAnon(pc, 0);
  swapWritepage(pc, 0);
  pc.endPageWriteback(0);
  return pc;
}

test("reclaim freeing a page no one maps any more (MADV_DONTNEED) is not lostData; one a swap entry reads back is", () => {
  // The kernel rule: __remove_mapping frees a clean swap-cache page (mm/vmscan.c), and the
  // next fault through a swap entry reads the slot (do_swap_page): memory != slot is data
  // lost for whoever holds that entry. MADV_DONTNEED's zap_pte_range frees the owner's swap
  // entry (free_swap_and_cache; a present pte: page_remove_rmap, and an anonymous page is
  // not dirtied, `set_page_dirty` only `if (!PageAnon(page))`), and the owner's next access
  // is do_anonymous_page's zero page: no one reads the slot, nothing is lost.
  for (const zap of [false, true]) {
    const pc = swappedOut("5.10", 1);
    pc.dmaWrite(0); // memory now differs from the slot, PG_dirty clear
    assert.equal(pc.mem(0) !== pc.disk(0), true);
    if (zap) assert.equal(zapAnonPte(pc, 0), true);
    assert.equal(pc.removeMapping(0), true, `zap ${zap}`);
    // not zapped: the owner's swap entry reads back the stale slot (1); zapped: 0.
    assert.equal(pc.counters[METRIC.lostData], zap ? 0 : 1, `zap ${zap}`);
    assert.equal(pc.counters[METRIC.evictions], 1);
  }
});

test("MADV_DONTNEED of a swapped-out anonymous page frees the owner's swap entry: the owner has moved", () => {
  // zap_pte_range on a swap entry: free_swap_and_cache(entry), pte_clear_not_present_full;
  // the page in the swap cache keeps the swap cache's reference only (refcount 1).
  const pc = swappedOut("6.6", 1);
  assert.equal(pc.mapped(0), 0);
  assert.equal(zapAnonPte(pc, 0), true);
  assert.equal(pc.ownerMoved[0], 1);
  assert.equal(pc.shares[0], 0);
  assert.equal(pc.refcount(0), 1);
  assert.equal(zapAnonPte(pc, 0), false); // a second MADV_DONTNEED finds nothing
});

test("a child's write to a swapped-out page it shares copies in every release: the owner's swap entry counts", () => {
  // do_swap_page for the child: before 5.19 reuse_swap_page (mm/swapfile.c) reuses only if
  // page_trans_huge_map_swapcount = mapcount 0 + swap count 2 (the owner's and the child's
  // entries) <= 1: no; do_wp_page then sees mapcount 1 + swap count 1 (4.19) or page_count 2,
  // the child's mapping and the swap cache (5.10): copy. From 5.19 the shared page's entry
  // is not SWP_EXCLUSIVE and wp_can_reuse_anon_folio's folio_free_swap fails while the
  // owner's entry is left (folio_swapped): copy. So the child leaves, the page keeps the
  // owner's data: mem stays as written to swap, shares 2 -> 1, refcount the swap cache's 1.
  // (Before this rule 5.10's do_wp_page test saw page_count 1 and let the child's store into
  // the owner's page, which reclaim then freed: lostData Sometimes.)
  for (const kernel of ["4.19", "5.10", "5.15", "6.6"] as const) {
    const pc = swappedOut(kernel, 2);
    const mem = pc.mem(0);
    assert.equal(childWriteFault(pc, 0), WP.COPIED, kernel);
    assert.equal(pc.shares[0], 1, kernel);
    assert.equal(pc.refcount(0), 1, kernel);
    assert.equal(pc.mem(0), mem, kernel);
  }
});

/** The verdicts of one scenario's first run. */
function verdicts(lines: string[]) {
  return runScenario(parseScenario(lines.join("\n")))[0].result.verdicts;
}

test("checker: the tester's 5.10 fork child=write + reclaim + GUP scenario loses no data; GUP-after-fork stays", () => {
  // The witness was: fork shares, reclaim unmaps both ptes and writes the swap copy, the
  // child's write "reused" the swapped-out page (now a copy, childWriteFault above), reclaim
  // freed it with the child's store in it (lostData). wrongProcessWrites stays Sometimes: a
  // FOLL_GET reference (dirty-at-gup) is invisible to 5.10's fork check (70e806e4e645 asks
  // page_maybe_dma_pinned, refcount 2 < 1024), the child copies away, the owner's do_wp_page
  // sees page_count 2 (09854ba94c6a) and copies too: the device writes a page no one maps.
  for (const gup of ["gup dma=1 access=write", "gup"]) {
    const v = verdicts([
      "Scenario: t",
      "Kernel: 5.10",
      "Policies: dirty-at-gup",
      "Backing: anon",
      "Page: clean | unmapped",
      `Actor P0: ${gup}`,
      "Actor P1: fork child=write",
      "Actor P2: cpu stores=1",
      "Actor P3: reclaim",
    ]);
    assert.equal(v.lostData, "Never", gup);
    assert.equal(v.wrongProcessWrites, "Sometimes", gup);
  }
});

test("checker: MADV_DONTNEED between reclaim's passes discards the store; reclaim freeing the page is not lostData", () => {
  // The tester's madvise witness (5.10 and 6.6 alike): swap-out, the owner's swap-in and store,
  // reclaim's second trylock_page, MADV_DONTNEED (zap_pte_range takes no page lock), then
  // try_to_unmap finds no pte and __remove_mapping frees the clean page with the store in it.
  // The kernel does the same; the owner reads zeroes next, as MADV_DONTNEED promises: Never.
  for (const kernel of ["5.10", "6.6"])
    for (const extra of [[], ["Actor P4: gup"]]) {
      const v = verdicts([
        "Scenario: t",
        `Kernel: ${kernel}`,
        "Policies: foll-pin",
        "Backing: anon",
        "Page: clean",
        "Actor P0: madvise",
        "Actor P1: fork child=stay",
        "Actor P2: reclaim",
        "Actor P3: cpu stores=1",
        ...extra,
      ]);
      assert.equal(v.lostData, "Never", `${kernel} ${extra}`);
    }
});
