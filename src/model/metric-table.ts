/**
 * The metrics table: every metric a run reports, once, with everything the code and the
 * docs say about it. The engine counts and nulls from it, groups keep their per-group
 * counts from it, the sweep's summary columns and the report read it, the checker's
 * incidents are its `checked` rows, and docs/model.md's metric tables are generated from it
 * (scripts/metrics-doc.mjs; CI checks they are current).
 */
import { ANON_COSTS, ANON_INCIDENTS } from "./metric-table-anon.js";

import type { NullCondition } from "./null-rules.js";

export { NULL_CONDITIONS, type NullCondition, type NullRule, type RunFacts } from "./null-rules.js";

/**
 * One row of the metrics table. `N` is the type of metric names: `string` while the table
 * is written, MetricName (src/model/metrics.ts) once it is.
 */
export interface MetricRow<N extends string = string> {
  /** The metric: its key in `result.metrics`, its column in runs.csv. */
  name: N;
  /** `incident`: something went wrong (the safety side); `cost`: work done (the price side). */
  group: "incident" | "cost";
  /** `count` of events or pages, or `seconds` (a maximum, not a count). */
  unit: "count" | "seconds";
  /** For a rate: the metric it is a proportion of (numerator <= denominator). */
  per?: N;
  /** Also kept per pinner group, at this position of GroupResult.counts (0-based, no gaps). */
  perGroup?: number;
  /** The metric is null when any of these holds (none: never null). */
  nullWhen?: readonly NullCondition[];
  /**
   * `absent`: a null means the event did not happen (crashedAt of a run that reached its
   * end), not that the metric is meaningless: a sweep's summary counts such a run in the
   * share of runs with the incident (`_any`, as a run without it). Default: a null run is
   * left out of the summary.
   */
  nullIs?: "absent";
  /** Its failure mode (docs/model.md#incidents-and-costs): F1…F10, as the checker names it. */
  failure?: string;
  /** The checker decides it (src/checker/verdict.ts INCIDENTS, in table order). */
  checked?: boolean;
  /** A short label for the report's columns. */
  label?: string;
  /** For a rate: what its share is of, for the report's notes. */
  rateDoc?: string;
  /** One line for tables and `--help`. */
  description: string;
  /** Markdown: when it is counted, naming the model function (docs/model.md). */
  countedWhen: string;
  /** Markdown: what the kernel shows when it happens (incidents). */
  symptom?: string;
}

/** Every metric, incidents first then costs: the order of counters, tables and CSV columns. */
export const METRIC_TABLE = [
  {
    name: "dirtyWithoutBuffers",
    group: "incident",
    unit: "count",
    nullWhen: ["noWriteback", "noPrivateData"],
    failure: "F1",
    checked: true,
    description: "set_page_dirty turned PG_dirty 0→1 on an attached page without buffers (ext4_set_page_dirty WARN)",
    countedWhen: "`setPageDirty` turns `PG_dirty` 0→1 on an attached page with no buffers",
    symptom: "ext4 `WARN_ON_ONCE(!folio_buffers)` in `ext4_dirty_folio` (v4.10 on)",
  },
  {
    name: "bufferlessWriteback",
    group: "incident",
    unit: "count",
    nullWhen: ["noWriteback", "noPrivateData"],
    failure: "F1b",
    checked: true,
    description: "writeback met a dirty page without buffers (ext4_writepage BUG, or warn and drop)",
    countedWhen: "`writepageHasBuffers` finds a dirty page without buffers",
    symptom: "BUG before v5.18 (`crashedAt` under `ext4-bug`); warn, clear `PG_dirty`, skip after",
  },
  {
    name: "dirtyWithoutLock",
    group: "incident",
    unit: "count",
    nullWhen: ["noWriteback", "noLockWarning"],
    failure: "F1u",
    checked: true,
    description: "set_page_dirty turned a clean ext4 page dirty without PG_locked (ext4_set_page_dirty's first WARN)",
    countedWhen:
      "`setPageDirty` turns `PG_dirty` 0→1 on an attached page while `PG_locked` is clear (whoever would hold it), on a filesystem that checks it",
    symptom:
      "ext4 `WARN_ON_ONCE(!folio_test_locked(folio) && !folio_test_dirty(folio))` in `ext4_dirty_folio` (`ext4_set_page_dirty` before 5.18; 6dcc693bc57f, v4.10): the traces of bugzilla 203317",
  },
  {
    name: "cowFixups",
    group: "incident",
    unit: "count",
    nullWhen: ["noWriteback", "noCowFixup"],
    failure: "F1c",
    checked: true,
    description: "btrfs writeback met a dirty folio without the Ordered flag (btrfs_writepage_cow_fixup)",
    countedWhen:
      "`writepageHasBuffers` on btrfs finds a dirty folio that writeback did not turn into an ordered extent (no delalloc since its last writeback completed)",
    symptom:
      "the COW fixup worker reserves space and redirties the folio; -EUCLEAN and 'marked dirty without notifying the fs' on CONFIG_BTRFS_EXPERIMENTAL builds from 7ca3e84980ef (v6.15)",
  },
  {
    name: "writeToCleanPage",
    group: "incident",
    unit: "count",
    per: "dmaWrites",
    perGroup: 4,
    nullWhen: ["noWriteback"],
    failure: "F2",
    checked: true,
    label: "DMA into clean",
    rateDoc: "share of DMA writes that landed in a clean page",
    description: "a DMA write landed while !PageDirty (no page_mkwrite since the last clean)",
    countedWhen:
      "a device write lands in an attached page with `PG_dirty` clear (anonymous: in the swap cache, and no writable pte, whose dirty bit `try_to_unmap` moves into `PG_dirty`; `cleanWithCopy`; counted per write)",
    symptom: "silent: no `page_mkwrite` since the last clean, blocks may be unallocated",
  },
  {
    name: "lostData",
    group: "incident",
    unit: "count",
    perGroup: 7,
    nullWhen: ["noWriteback"],
    failure: "F3",
    checked: true,
    label: "lost data",
    description: "pages whose memory never reached disk (evicted + after the final sync)",
    countedWhen: "`lostDataEvicted + lostDataFinal`",
    symptom: "data in memory never reaches disk",
  },
  {
    name: "lostDataEvicted",
    group: "incident",
    unit: "count",
    nullWhen: ["noWriteback"],
    failure: "F3",
    description: "pages evicted with mem != disk",
    countedWhen:
      "`removeMapping` frees a page with `mem != disk` (after ext4-warn dropped a bufferless dirty page, or a write into a clean page was never redirtied)",
  },
  {
    name: "lostDataFinal",
    group: "incident",
    unit: "count",
    nullWhen: ["noWriteback", "crashed"],
    failure: "F3",
    description: "pages with mem != disk after the end-of-run sync",
    countedWhen: "after the end-of-run sync, a resident attached page has `mem != disk` (counted per page)",
  },
  {
    name: "truncatedWhilePinned",
    group: "incident",
    unit: "count",
    per: "dmaWrites",
    failure: "F3t",
    checked: true,
    description:
      "a DMA write landed in a truncated (detached) page, or an anon page its owner discarded: expected loss",
    countedWhen:
      "a device write lands in a detached page, or in an anonymous page its owner discarded with MADV_DONTNEED (`zapAnonPte`; per write)",
    symptom: "loss the user asked for, reported apart",
  },
  {
    name: "modifiedUnderWriteback",
    group: "incident",
    unit: "count",
    per: "dmaWrites",
    perGroup: 5,
    nullWhen: ["noWriteback"],
    failure: "F4",
    checked: true,
    description: "a DMA write landed while PG_writeback (stable pages, checksums, DIF/DIX)",
    countedWhen: "a device write lands while `PG_writeback` and no bounce copy carries the I/O (per write)",
    symptom: "stable pages: checksum or DIF/DIX errors; otherwise a torn image on disk",
  },
  {
    name: "doubleWritebacks",
    group: "incident",
    unit: "count",
    per: "writebacks",
    nullWhen: ["noWriteback"],
    failure: "F5",
    checked: true,
    label: "double wb",
    description: "a writeback started with mem == disk",
    countedWhen: "`setPageWriteback` starts an I/O with `mem == disk`",
    symptom: 'extra I/O, harmless ("written back again in the next writeback cycle")',
  },
  {
    name: "doubleWritebacksStrict",
    group: "incident",
    unit: "count",
    per: "writebacks",
    nullWhen: ["noWriteback"],
    failure: "F5s",
    checked: true,
    description: "a writeback of a version an earlier writeback of this run put on disk",
    countedWhen:
      "`setPageWriteback` starts an I/O carrying a version that an earlier completed writeback of this run already put on disk (so the initial on-disk version does not count)",
  },
  {
    name: "detectorChecks",
    group: "incident",
    unit: "count",
    nullWhen: ["noDetector"],
    description: "consultations of folio_maybe_dma_pinned",
    countedWhen: "every consultation of the detector",
  },
  {
    name: "detectorChecksUnpinned",
    group: "incident",
    unit: "count",
    nullWhen: ["noDetector"],
    description: "consultations about a page with no FOLL_PIN pin",
    countedWhen: "a consultation about a page with no FOLL_PIN pin",
  },
  {
    name: "falsePositives",
    group: "incident",
    unit: "count",
    per: "detectorChecksUnpinned",
    nullWhen: ["noDetector"],
    failure: "F6",
    checked: true,
    label: "false positives",
    rateDoc: "share of detector checks on an unpinned page",
    description: "the detector said pinned while pins == 0",
    countedWhen: "the detector says pinned while `pins == 0`",
    symptom: "a keep-dirty policy never cleans the page; the reclaim guard keeps it resident",
  },
  {
    name: "falseNegatives",
    group: "incident",
    unit: "count",
    per: "detectorChecks",
    nullWhen: ["noDetector"],
    failure: "F7",
    checked: true,
    description: "the detector said not pinned while pins + gets > 0",
    countedWhen: "the detector says not pinned while `pins + gets > 0`",
    symptom: "the protection does not apply (FOLL_GET users)",
  },
  {
    name: "refusedPins",
    group: "incident",
    unit: "count",
    perGroup: 2,
    failure: "F9",
    checked: true,
    description:
      "pages of refused pin calls: GUP's (refcount, FOLL_LONGTERM) or the caller's (io_uring: EOPNOTSUPP, ENOSYS)",
    countedWhen:
      "pages of a pin call refused, under every policy (an `mmu-notifier` registration too): by GUP (refcount overflow; the v6.5 FOLL_LONGTERM refusal), by the caller's own check (io_uring before 6.5), or because the caller does not exist (io_uring before 5.1); each retry counts again",
    symptom:
      "`-ENOMEM` / `-EFAULT` from GUP; `-EOPNOTSUPP` from io_uring's registration; `-ENOSYS` from `io_uring_setup`",
  },
  {
    name: "keptDirty",
    group: "incident",
    unit: "count",
    nullWhen: ["notKeepDirty"],
    failure: "F10",
    checked: true,
    description: "writebacks that left a pinned page dirty (keep-dirty policies)",
    countedWhen: "a keep-dirty `writebackDecision` leaves a page the detector calls pinned dirty",
    symptom: "writeback starvation",
  },
  {
    name: "pageLockDeadlocks",
    group: "incident",
    unit: "count",
    failure: "F11",
    checked: true,
    description: "a release run from an MMU notifier took lock_page on the page the invalidating path holds",
    countedWhen:
      "`notifierRelease` runs a release that must `lock_page` while the invalidating path (try_to_unmap, page_mkclean, an invalidation) holds `PG_locked`",
    symptom:
      "the task sleeps on its own page lock forever (i915 userptr with aa56a292ce62, reverted by 505a8ec7e11a: the kcompactd freeze); the time simulation stops there (`crashedAt`)",
  },
  {
    name: "finalDirtyPages",
    group: "incident",
    unit: "count",
    nullWhen: ["crashed"],
    failure: "F10",
    description: "pages still dirty after the end-of-run sync (kept, or tmpfs/hugetlbfs: never written back)",
    countedWhen:
      "attached pages still dirty after the end-of-run sync: kept dirty by a keep-dirty policy, or, on tmpfs and hugetlbfs (no writeback: the folios stay dirty in the page cache, sync(2) writes nothing), every page still dirty",
  },
  {
    name: "maxDirtyAgeWhilePinned",
    group: "incident",
    unit: "seconds",
    nullWhen: ["mirror"],
    failure: "F10",
    description: "longest time since clean→dirty, sampled while GUP holds the page",
    countedWhen: "seconds; see below",
  },
  {
    name: "crashedAt",
    group: "incident",
    unit: "seconds",
    nullWhen: ["notCrashed"],
    nullIs: "absent",
    description:
      "when ext4's BUG() on a bufferless dirty page (ext4-bug), or a task hung on its own page lock, stopped the run; null if it ran to the end",
    countedWhen:
      "seconds: the instant `PageCache.writepageHasBuffers` hits ext4's BUG() on a dirty page without buffers under `fsBehavior: \"ext4-bug\"` (ext4_writepages before cc5095747edf, v5.18; `result.crashedAt`), or a release run from an MMU notifier sleeps on the page lock its invalidating path holds (`pageLockDeadlocks`); in a sweep's summary `crashedAt_mean` is over the runs that crashed and `crashedAt_any` the share of runs that did",
    symptom:
      "an oops: the run stops there; every count stops at the crash, and `lostDataFinal`, `finalDirtyPages` are null (no end-of-run sync)",
  },
  ...ANON_INCIDENTS,
  {
    name: "pinsCompleted",
    group: "cost",
    unit: "count",
    perGroup: 1,
    description: "page-pins whose release ran",
    countedWhen: "page-pins whose release ran (the denominator of the per-pin rates)",
  },
  {
    name: "pinsWithWriteToCleanPage",
    group: "incident",
    unit: "count",
    per: "pinsCompleted",
    nullWhen: ["noWriteback"],
    failure: "F2",
    description: "page-pins during which a DMA write landed in a clean page",
    countedWhen:
      "a page-pin during which at least one device write landed in a clean page (once per page-pin, counted when it is released)",
  },
  {
    name: "releasesUnsaved",
    group: "incident",
    unit: "count",
    per: "pinsCompleted",
    perGroup: 3,
    nullWhen: ["noWriteback"],
    failure: "F3",
    label: "unsaved/pin",
    rateDoc: "share of page-pins whose release left data unsaved",
    description: "releases leaving mem != disk on a clean page with no I/O carrying it",
    countedWhen:
      "right after a release, the page is attached, `mem != disk`, not dirty, and no I/O in flight carries `mem` (`!writeback || io != mem`): the pin's data is lost unless something redirties the page",
  },
  {
    name: "writebacks",
    group: "cost",
    unit: "count",
    nullWhen: ["noWriteback"],
    label: "writebacks",
    description: "page writebacks started (set_page_writeback)",
    countedWhen: "`setPageWriteback` (every I/O started)",
  },
  {
    name: "bounceCopies",
    group: "cost",
    unit: "count",
    per: "writebacks",
    nullWhen: ["notBouncing"],
    description: "writebacks that wrote a bounce copy",
    countedWhen: "a bounce copy is made (under the lock, or at bio submission)",
  },
  {
    name: "deviceRefaults",
    group: "cost",
    unit: "count",
    per: "dmaWrites",
    nullWhen: ["noMirror"],
    description: "device faults through page_mkwrite after an MMU-notifier invalidation",
    countedWhen: "the `mmu-notifier` device faults through `page_mkwrite` after an invalidation",
  },
  {
    name: "pinsTaken",
    group: "cost",
    unit: "count",
    perGroup: 0,
    description: "pages pinned by GUP (or registered with the device, mmu-notifier)",
    countedWhen:
      "pages pinned (per page, as `/proc/vmstat nr_foll_pin_acquired` counts); under `mmu-notifier`, pages registered with the device",
  },
  {
    name: "dmaWrites",
    group: "cost",
    unit: "count",
    perGroup: 6,
    description: "device writes into pinned pages",
    countedWhen: "device writes into pinned pages",
  },
  {
    name: "buffersStripped",
    group: "cost",
    unit: "count",
    nullWhen: ["noWriteback", "noPrivateData"],
    description: "buffer heads freed by reclaim or an invalidation on an attached page",
    countedWhen:
      "`tryToReleasePage` (reclaim, invalidate_mapping_pages, invalidate_inode_pages2) frees the buffers of an attached page",
  },
  {
    name: "reclaimGuardSkips",
    group: "cost",
    unit: "count",
    nullWhen: ["noGuard"],
    description: "pages reclaim kept because the detector said pinned",
    countedWhen: "the reclaim guard keeps a page (`activate_locked`)",
  },
  {
    name: "evictions",
    group: "cost",
    unit: "count",
    description: "pages evicted by __remove_mapping",
    countedWhen: "`removeMapping` frees a page",
  },
  ...ANON_COSTS,
] as const satisfies readonly MetricRow[];
