// A device write during swap writeback (docs/model.md#anonymous-memory-fork-foll_force-and-o_direct-writes,
// "A device write during swap writeback"). A reference held before pageout stops the
// swap-out (is_page_cache_freeable); the window is after swap_writepage unlocked the page
// for the I/O: GUP's write fault do_swap_page reuses the page under writeback (it does not
// wait), maps it writable and dirty, and the device writes while the I/O reads it. Real on
// a swap device without stable writes, in every preset, FOLL_GET or FOLL_PIN. A device that
// needs stable writes (SWP_STABLE_WRITES; `Stable: on`) refuses the reuse: reuse_swap_page
// before 5.19 (f05714293a59, 4.9), do_swap_page dropping the exclusive marker from 5.19,
// and do_wp_page copies. The dirty pte is dirty state for an anonymous page
// (try_to_unmap_one moves it into PG_dirty), so none of these writes is into a clean page.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WP, addToSwap, doSwapPage, initAnonPage, swapWritepage, tryToUnmapAnon } from "../src/model/anon.js";
import { runEnv } from "../src/model/env.js";
import { KERNEL_IDS, type KernelId } from "../src/model/kernels.js";
import { METRIC } from "../src/model/metrics.js";
import { PageCache } from "../src/model/page-cache.js";
import { getPolicy } from "../src/policies/index.js";
import { parseScenario, runScenario } from "../src/checker/index.js";

/** The owner's page after one store, put in the swap cache, unmapped and under swap writeback (not completed). */
function underSwapWriteback(kernel: KernelId, stableWrites: boolean) {
  const env = runEnv({ policy: getPolicy("foll-pin"), kernel, backing: "anon", stableWrites });
  const pc = new PageCache({ files: 1, pagesPerFile: 1, bias: 1024, env });
  initAnonPage(pc, 0, 1, 0);
  pc.cpuStore(0);
  addToSwap(pc, 0);
  tryToUnmapAnon(pc, 0);
  swapWritepage(pc, 0);
  return pc;
}

test("do_swap_page reuses a page under swap writeback unless the swap device needs stable writes", () => {
  // No stable writes: the owner alone has it (reuse_swap_page's mapcount + swap count is 1
  // before 5.19, its entry SWP_EXCLUSIVE from 5.19): REUSED, writable (and dirty) pte, the
  // swap cache kept (PG_writeback). A device write then: modifiedUnderWriteback 1 (the I/O
  // carries the store's version, not bounced) and writeToCleanPage 0 (the dirty pte).
  // Stable writes: reuse refused, do_wp_page copies (page_count 2 on 5.9-5.18; mapcount
  // rule with reuse_swap_page refusing before 5.9; folio_free_swap failing from 5.19): COPIED,
  // the owner moved, so GUP pins the copy and no write lands in this page.
  for (const kernel of KERNEL_IDS) {
    const pc = underSwapWriteback(kernel, false);
    assert.equal(pc.writeback(0), 1, kernel);
    assert.equal(doSwapPage(pc, 0, true), WP.REUSED, kernel);
    assert.equal(pc.pteWritable(0), 1, kernel);
    assert.equal(pc.swapCache[0], 1, kernel);
    pc.dmaWrite(0);
    assert.equal(pc.counters[METRIC.modifiedUnderWriteback], 1, kernel);
    assert.equal(pc.counters[METRIC.writeToCleanPage], 0, kernel);

    const st = underSwapWriteback(kernel, true);
    assert.equal(doSwapPage(st, 0, true), WP.COPIED, kernel);
    assert.equal(st.ownerMoved[0], 1, kernel);
  }
});

test("a device write into a clean swap-cache page no writable pte maps is writeToCleanPage", () => {
  // After the I/O completed (end_page_writeback) and a read fault mapped the page back
  // read-only (do_swap_page, no FAULT_FLAG_WRITE): PG_dirty clear, pte read-only, the slot
  // current. A device write there makes the slot stale with nothing to say so: 1.
  const pc = underSwapWriteback("6.6", false);
  pc.endPageWriteback(0);
  doSwapPage(pc, 0, false);
  assert.equal(pc.pteWritable(0), 0);
  pc.dmaWrite(0);
  assert.equal(pc.counters[METRIC.writeToCleanPage], 1);
});

/** Verdicts by policy of a gup (device writing) + reclaim scenario on backing anon. */
function verdicts(kernel: string, stable: boolean) {
  const lines = [
    "Scenario: t",
    `Kernel: ${kernel}`,
    "Policies: legacy-put-page dirty-at-gup foll-pin",
    "Backing: anon",
    ...(stable ? ["Stable: on"] : []),
    "Page: clean",
    "Actor P0: gup dma=1",
    "Actor P1: reclaim",
  ];
  return runScenario(parseScenario(lines.join("\n"))).map((r) => [r.policy, r.result.verdicts] as const);
}

test("checker: GUP + reclaim on anon, every preset: modifiedUnderWriteback Sometimes without stable writes, Never with", () => {
  // Without stable writes the window above is reachable under FOLL_GET (legacy-put-page,
  // dirty-at-gup: feb889fb40fa does not see the reference, and it would not matter: the
  // pin comes after swap_writepage) and FOLL_PIN alike; the dirty pte keeps the data
  // (lostData Never) and the write is not into a clean page (writeToCleanPage Never).
  for (const kernel of ["4.19", "5.4", "5.10", "5.15", "6.6", "6.18"]) {
    for (const [policy, v] of verdicts(kernel, false)) {
      const at = `${kernel} ${policy}`;
      assert.equal(v.modifiedUnderWriteback, "Sometimes", at);
      assert.equal(v.writeToCleanPage, "Never", at);
      assert.equal(v.lostData, "Never", at);
    }
    for (const [policy, v] of verdicts(kernel, true))
      assert.equal(v.modifiedUnderWriteback, "Never", `${kernel} ${policy}`);
  }
});
