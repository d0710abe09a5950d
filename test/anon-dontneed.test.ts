// A device write into an anonymous page its owner discarded with MADV_DONTNEED
// (docs/model.md#anonymous-memory-fork-foll_force-and-o_direct-writes, "MADV_DONTNEED").
// mm/madvise.c madvise_dontneed_single_vma -> zap_page_range_single -> zap_pte_range asks no
// pin: page_remove_rmap and the pte's reference go, the pin keeps the page allocated and the
// device goes on writing it for no process. Documentation/core-api/pin_user_pages.rst (cases
// 1 and 2): "No special synchronization with page_mkclean() or munmap() is provided". The
// user threw the data away, as with a truncate under a pin: truncatedWhilePinned (F3t, "loss
// the user asked for, reported apart"), not wrongProcessWrites (F12, the GUP-after-fork
// corruption, where the owner's own COW fault left the page behind).
import { test } from "node:test";
import assert from "node:assert/strict";
import { WP, copyPresentPte, doWpPage, initAnonPage, zapAnonPte } from "../src/model/anon.js";
import { runEnv } from "../src/model/env.js";
import type { KernelId } from "../src/model/kernels.js";
import { METRIC } from "../src/model/metrics.js";
import { PageCache } from "../src/model/page-cache.js";
import { getPolicy } from "../src/policies/index.js";
import { parseScenario, runScenario } from "../src/checker/index.js";
import { decodePage, encodePage } from "../src/checker/state.js";

/** One resident anonymous page of release `kernel`, the owner's alone (do_anonymous_page). */
function ownersPage(kernel: KernelId) {
  const env = runEnv({ policy: getPolicy("foll-pin"), kernel, backing: "anon" });
  const pc = new PageCache({ files: 1, pagesPerFile: 1, bias: 1024, env });
  initAnonPage(pc, 0, 1, 0);
  return pc;
}

test("a DMA write after MADV_DONTNEED is truncatedWhilePinned; after the owner's COW break, wrongProcessWrites", () => {
  // zap: the owner's pte goes (zapAnonPte), ownerMoved and ownerZapped are set; each of the
  // 2 device writes after it lands in a page no process maps because the user discarded it:
  // truncatedWhilePinned 2, wrongProcessWrites 0. COW: fork shares the page (5.4: no
  // MMF_HAS_PINNED check before 5.9), the owner's write fault copies (do_wp_page, mapcount
  // 2): the 2 writes are wrongProcessWrites 2, truncatedWhilePinned 0.
  for (const kernel of ["4.19", "5.10", "6.6", "6.18"] as const) {
    const pc = ownersPage(kernel);
    assert.equal(zapAnonPte(pc, 0), true, kernel);
    assert.equal(pc.ownerZapped[0], 1, kernel);
    pc.dmaWrite(0, 2);
    assert.equal(pc.counters[METRIC.truncatedWhilePinned], 2, kernel);
    assert.equal(pc.counters[METRIC.wrongProcessWrites], 0, kernel);
  }
  const pc = ownersPage("5.4");
  copyPresentPte(pc, 0);
  assert.equal(doWpPage(pc, 0, true), WP.COPIED);
  assert.equal(pc.ownerZapped[0], 0);
  pc.dmaWrite(0, 2);
  assert.equal(pc.counters[METRIC.wrongProcessWrites], 2);
  assert.equal(pc.counters[METRIC.truncatedWhilePinned], 0);
});

test("the checker's state carries ownerZapped (word 3, bit 21) apart from the incident mask", () => {
  // A zapped page and a COW-moved one with the same other fields must be two states: their
  // device writes count different incidents. The mask keeps bits 0-20 (18 incidents).
  const pc = ownersPage("6.6");
  zapAnonPte(pc, 0);
  const out = new Int32Array(4);
  assert.equal(encodePage(pc, 0, out, 0), 0);
  assert.equal((out[3] >>> 21) & 1, 1);
  pc.ownerZapped[0] = 0;
  decodePage(pc, out, 0);
  assert.equal(pc.ownerZapped[0], 1);
});

/** The verdicts of one scenario's runs, by policy. */
function verdicts(lines: string[]) {
  return Object.fromEntries(
    runScenario(parseScenario(lines.join("\n"))).map((r) => [r.policy, r.result.verdicts] as const),
  );
}

test("checker: GUP's device writing across a MADV_DONTNEED is truncatedWhilePinned, never wrongProcessWrites", () => {
  // The zap (no page lock, no pin check) can come between the grab and a device write in
  // every release and under every policy: truncatedWhilePinned Sometimes. Without a fork
  // the owner never breaks COW on this page, so wrongProcessWrites is Never (it was
  // Sometimes when the zap counted as a move of any kind).
  for (const kernel of ["4.19", "5.10", "6.6"])
    for (const [policy, v] of Object.entries(
      verdicts([
        "Scenario: t",
        `Kernel: ${kernel}`,
        "Policies: foll-pin dirty-at-gup legacy-put-page",
        "Backing: anon",
        "Page: clean",
        "Actor P0: gup dma=2",
        "Actor P1: madvise",
      ]),
    )) {
      assert.equal(v.truncatedWhilePinned, "Sometimes", `${kernel} ${policy}`);
      assert.equal(v.wrongProcessWrites, "Never", `${kernel} ${policy}`);
    }
});

test("checker: with fork and the owner's store, FOLL_GET still shows GUP-after-fork; FOLL_PIN on 5.10 only the discard", () => {
  // dirty-at-gup: a FOLL_GET reference is invisible to fork's check (70e806e4e645 asks only
  // an mm with MMF_HAS_PINNED), the owner's store copies (09854ba94c6a: page_count 2):
  // wrongProcessWrites Sometimes, and the zap path gives truncatedWhilePinned Sometimes.
  // foll-pin: fork copies the pinned page (5.9 on), the owner keeps it: its only move is the
  // zap, so wrongProcessWrites Never, truncatedWhilePinned Sometimes.
  const v = verdicts([
    "Scenario: t",
    "Kernel: 5.10",
    "Policies: dirty-at-gup foll-pin",
    "Backing: anon",
    "Page: clean",
    "Actor P0: gup dma=1",
    "Actor P1: fork child=write",
    "Actor P2: cpu stores=1",
    "Actor P3: madvise",
  ]);
  assert.equal(v["dirty-at-gup"].wrongProcessWrites, "Sometimes");
  assert.equal(v["dirty-at-gup"].truncatedWhilePinned, "Sometimes");
  assert.equal(v["foll-pin"].wrongProcessWrites, "Never");
  assert.equal(v["foll-pin"].truncatedWhilePinned, "Sometimes");
});
