/**
 * The metrics table's rows of anonymous memory, fork and O_DIRECT writes (issue 22,
 * src/model/anon.ts), kept apart from metric-table.ts for its length; METRIC_TABLE spreads
 * them in place: the incidents after crashedAt, the costs last.
 */
import type { MetricRow } from "./metric-table.js";

/** F12 wrongProcessWrites, F13 forkNeedlessCopies, F14 dioSourceModified (checked incidents). */
export const ANON_INCIDENTS = [
  {
    name: "wrongProcessWrites",
    group: "incident",
    unit: "count",
    per: "dmaWrites",
    nullWhen: ["notAnonymous"],
    failure: "F12",
    checked: true,
    label: "DMA to wrong process",
    rateDoc: "share of DMA writes that landed in a page their process no longer maps",
    description: "a DMA write landed in an anon page its pinner's write fault had moved away from (COW after fork)",
    countedWhen:
      "a device write lands in an anonymous page whose owner's own write fault (`doWpPage`) moved it to a COW copy: after a fork shared the page (before 5.9, or a FOLL_GET pin the detector cannot see), or a swap-in (not a MADV_DONTNEED: `truncatedWhilePinned`)",
    symptom:
      "the GUP-after-fork corruption: the device's data reaches the child (or no one), the parent reads stale data",
  },
  {
    name: "forkNeedlessCopies",
    group: "incident",
    unit: "count",
    per: "forkCopies",
    nullWhen: ["notAnonymous"],
    failure: "F13",
    checked: true,
    label: "needless fork copies",
    rateDoc: "share of fork copies of pages no FOLL_PIN pinned",
    description: "fork copied an anon page that no FOLL_PIN pinned (the detector's false positive)",
    countedWhen:
      "`copyPresentPte` copies a page (MMF_HAS_PINNED and `folio_maybe_dma_pinned`) that holds no FOLL_PIN: plain references (vmsplice, the LRU batch) or, before 5.19, other processes' mappings reached the bias",
    symptom: "a needless page copy at every fork (memory and time), silent",
  },
  {
    name: "dioSourceModified",
    group: "incident",
    unit: "count",
    nullWhen: ["noDioWrite"],
    failure: "F14",
    checked: true,
    label: "O_DIRECT source modified",
    description: "a store or DMA write into an O_DIRECT write's source page before the bio completed",
    countedWhen:
      "a CPU store (`cpuStore`) or device write (`dmaWrite`) lands in a page that an O_DIRECT write in flight reads (`dioSources > 0`: from submit_bio to its completion)",
    symptom:
      "the data on disk is neither the old buffer nor the new one: btrfs fails its data checksum on read (csum computed at submission), other filesystems keep a torn write",
  },
] as const satisfies readonly MetricRow[];

/** fork's and swap's costs. */
export const ANON_COSTS = [
  {
    name: "forks",
    group: "cost",
    unit: "count",
    nullWhen: ["notAnonymous"],
    label: "forks",
    description: "fork() calls (copy_page_range)",
    countedWhen: "`copyPageRange`: one per fork of an mm",
  },
  {
    name: "forkCopies",
    group: "cost",
    unit: "count",
    nullWhen: ["notAnonymous"],
    label: "fork copies",
    description: "anon pages fork copied because the detector said pinned (copy_present_page)",
    countedWhen:
      "`copyPresentPte` gives the child its own copy at once: from 5.9, MMF_HAS_PINNED and `folio_maybe_dma_pinned` (from 5.19 only for a PG_anon_exclusive page, counting fork's own reference)",
  },
  {
    name: "swapOuts",
    group: "cost",
    unit: "count",
    nullWhen: ["notAnonymous"],
    description: "anon pages written to swap (swap_writepage)",
    countedWhen: "`swapWritepage` starts the I/O of an anonymous page to swap",
  },
] as const satisfies readonly MetricRow[];
