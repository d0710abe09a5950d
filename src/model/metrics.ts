/**
 * Incidents and costs of MODEL.md §5. Each run reports every one; `null` where the policy
 * makes it meaningless (no detector, no bounce, no device mapping, no keep-dirty hook).
 */
import type { Params } from "./params.js";

export const METRIC_NAMES = [
  // incidents
  "dirtyWithoutBuffers",
  "bufferlessWriteback",
  "writeToCleanPage",
  "lostData",
  "truncatedWhilePinned",
  "modifiedUnderWriteback",
  "doubleWritebacks",
  "detectorChecks",
  "falsePositives",
  "falseNegatives",
  "refusedPins",
  "keptDirty",
  "maxDirtyAgeWhilePinned",
  // costs
  "writebacks",
  "bounceCopies",
  "deviceRefaults",
  "pinsTaken",
  "dmaWrites",
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];
export type Metrics = Record<MetricName, number | null>;

/** Index of each metric in a counters array (the engine counts into a Float64Array). */
export const M = Object.fromEntries(METRIC_NAMES.map((n, i) => [n, i])) as { readonly [K in MetricName]: number };

export interface MetricInfo {
  name: MetricName;
  group: "incident" | "cost";
  /** `count` of events, or `seconds` (a maximum, not a count). */
  unit: "count" | "seconds";
  /** For a rate: the metric it is a proportion of (numerator <= denominator). */
  per?: MetricName;
  description: string;
}

export const METRICS: readonly MetricInfo[] = [
  { name: "dirtyWithoutBuffers", group: "incident", unit: "count", description: "set_page_dirty turned PG_dirty 0→1 on an attached page without buffers (ext4_set_page_dirty WARN)" },
  { name: "bufferlessWriteback", group: "incident", unit: "count", description: "writeback met a dirty page without buffers (ext4_writepage BUG, or warn and drop)" },
  { name: "writeToCleanPage", group: "incident", unit: "count", per: "dmaWrites", description: "a DMA write landed while !PageDirty (no page_mkwrite since the last clean)" },
  { name: "lostData", group: "incident", unit: "count", description: "an evicted page, or a page after the final sync, has mem != disk" },
  { name: "truncatedWhilePinned", group: "incident", unit: "count", per: "dmaWrites", description: "a DMA write landed in a truncated (detached) page: expected loss" },
  { name: "modifiedUnderWriteback", group: "incident", unit: "count", per: "dmaWrites", description: "a DMA write landed while PG_writeback (stable pages, checksums, DIF/DIX)" },
  { name: "doubleWritebacks", group: "incident", unit: "count", per: "writebacks", description: "a writeback started with mem == disk" },
  { name: "detectorChecks", group: "incident", unit: "count", description: "consultations of page_maybe_dma_pinned" },
  { name: "falsePositives", group: "incident", unit: "count", per: "detectorChecks", description: "the detector said pinned while pins == 0" },
  { name: "falseNegatives", group: "incident", unit: "count", per: "detectorChecks", description: "the detector said not pinned while pins + gets > 0" },
  { name: "refusedPins", group: "incident", unit: "count", description: "pages GUP refused: refcount overflow or FOLL_LONGTERM refusal" },
  { name: "keptDirty", group: "incident", unit: "count", description: "writebacks that left a pinned page dirty (keep-dirty policies)" },
  { name: "maxDirtyAgeWhilePinned", group: "incident", unit: "seconds", description: "longest time a page stayed dirty while pinned" },
  { name: "writebacks", group: "cost", unit: "count", description: "page writebacks started (set_page_writeback)" },
  { name: "bounceCopies", group: "cost", unit: "count", per: "writebacks", description: "writebacks that wrote a bounce copy" },
  { name: "deviceRefaults", group: "cost", unit: "count", per: "dmaWrites", description: "device faults through page_mkwrite after an MMU-notifier invalidation" },
  { name: "pinsTaken", group: "cost", unit: "count", description: "pages pinned by GUP (or registered with the device, mmu-notifier)" },
  { name: "dmaWrites", group: "cost", unit: "count", description: "device writes into pinned pages" },
];

/** Everything a run reports: plain, JSON-serialisable data. */
export interface RunResult {
  /** Package name and version that produced it. */
  pinsim: string;
  /** PRNG algorithm and library. */
  prng: string;
  /** The parameters with defaults filled in (reclaimGuard resolved to the policy's default). */
  params: Params;
  /** Events taken off the queue. */
  events: number;
  /** Incidents and costs; `null` where the policy makes one meaningless. */
  metrics: Metrics;
}
