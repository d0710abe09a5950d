/**
 * Incidents and costs (docs/model.md, "Incidents and costs"). Each run reports every one;
 * `null` where the run makes it meaningless (no detector, no bounce, no device mapping, no
 * keep-dirty hook, no writeback, a crash): the null rules are data in the metrics table
 * (src/model/metric-table.ts), evaluated by metricIsNull. Names, order, units, rates and
 * per-group counts come from that table too.
 */
import { METRIC_TABLE, NULL_CONDITIONS, type MetricRow, type RunFacts } from "./metric-table.js";
import type { Params } from "./params.js";

export { NULL_CONDITIONS, type MetricRow, type NullCondition, type NullRule, type RunFacts } from "./metric-table.js";

/** Every metric's name, in the metrics table's order: the order of counters, tables and CSV columns. */
export const METRIC_NAMES: readonly MetricName[] = METRIC_TABLE.map((m) => m.name);

/** One of METRIC_NAMES (a key of Metrics). */
export type MetricName = (typeof METRIC_TABLE)[number]["name"];

/**
 * Incidents and costs of one run, one field per metric. Counts are events or pages;
 * `null` means the metric is meaningless under the run's policy.
 */
export interface Metrics {
  /** set_page_dirty turned PG_dirty 0→1 on an attached page without buffers (ext4_set_page_dirty WARN, bugzilla 203317). */
  dirtyWithoutBuffers: number | null;
  /** Writeback met a dirty page without buffers (ext4_writepage BUG before cc5095747edf, v5.18; warn and drop after). */
  bufferlessWriteback: number | null;
  /**
   * set_page_dirty turned PG_dirty 0→1 on an attached ext4 page while PG_locked was clear:
   * ext4_set_page_dirty's first warning, WARN_ON_ONCE(!PageLocked && !PageDirty)
   * (6dcc693bc57f, v4.10), where the traces of bugzilla 203317 stop. Null on filesystems
   * that do not check it (xfs, btrfs, tmpfs, hugetlbfs).
   */
  dirtyWithoutLock: number | null;
  /**
   * btrfs writeback met a dirty folio without the Ordered flag (no ordered extent: it was
   * dirtied without the filesystem's knowledge) and sent it to the COW fixup worker
   * (btrfs_writepage_cow_fixup; -EUCLEAN on CONFIG_BTRFS_EXPERIMENTAL builds from
   * 7ca3e84980ef, v6.15). Null on other backings.
   */
  cowFixups: number | null;
  /** Device writes that landed while !PageDirty: no page_mkwrite since the last clean (Dave Chinner's question). */
  writeToCleanPage: number | null;
  /** Pages whose memory never reached disk: lostDataEvicted + lostDataFinal. */
  lostData: number | null;
  /** Pages evicted by __remove_mapping with mem != disk (reachable only when ext4-warn dropped a bufferless dirty page, or a write landed in a clean page). */
  lostDataEvicted: number | null;
  /** Resident, attached pages with mem != disk after the end-of-run sync(2); null if the run crashed first. */
  lostDataFinal: number | null;
  /** Device writes into a truncated (detached) page: loss the user asked for, reported apart. */
  truncatedWhilePinned: number | null;
  /** Device writes while PG_writeback and no bounce copy carries the I/O (stable pages, checksums, DIF/DIX). */
  modifiedUnderWriteback: number | null;
  /** Writebacks started with mem == disk (a write fault or a release dirtied the page, no data changed since). */
  doubleWritebacks: number | null;
  /** Writebacks of a version an earlier completed writeback of this run already put on disk ("written back twice in a row"). */
  doubleWritebacksStrict: number | null;
  /** Consultations of folio_maybe_dma_pinned (include/linux/mm.h); null when nothing consults it. */
  detectorChecks: number | null;
  /** Consultations about a page with no FOLL_PIN pin: the denominator of the false-positive rate. */
  detectorChecksUnpinned: number | null;
  /** The detector said pinned while no FOLL_PIN pin was held (refcount >= bias from other references). */
  falsePositives: number | null;
  /** The detector said not pinned while a GUP reference (FOLL_GET) was held. */
  falseNegatives: number | null;
  /**
   * Pages of pin calls that were refused, under every policy (a mirroring device's
   * registration included): by GUP (refcount overflow, 8fde12ca79af; the FOLL_LONGTERM
   * refusal of a file mapping, v6.5), by the caller's own check (io_uring before 6.5:
   * EOPNOTSUPP for a file-backed buffer), or because the caller does not exist on that
   * release (io_uring before 5.1: ENOSYS from io_uring_setup). Each try counts its pages.
   */
  refusedPins: number | null;
  /** Writebacks that left a pinned page dirty (keep-dirty policies). */
  keptDirty: number | null;
  /**
   * A release run from an MMU notifier (invalidate_range_start: GPU userptr before 5.13)
   * took lock_page on a page the invalidating path (try_to_unmap, page_mkclean,
   * invalidation) already holds: the task sleeps on its own lock forever (aa56a292ce62,
   * reverted by 505a8ec7e11a). The time simulation stops there (`crashedAt`).
   */
  pageLockDeadlocks: number | null;
  /**
   * Attached pages still dirty after the end-of-run sync(2): a keep-dirty policy kept them,
   * or the backing never writes back (tmpfs, hugetlbfs: the folios stay dirty in the page
   * cache and sync(2) writes nothing for them), where every page still dirty counts.
   */
  finalDirtyPages: number | null;
  /**
   * Seconds: the longest time since a page last went clean→dirty, sampled while a GUP
   * reference is held (at each writeback that looks at the page, at release, at the end).
   * Writeback starvation under keep-dirty policies; on tmpfs and hugetlbfs, which never
   * clean a page, it grows with the run. Not the time both dirty and held, which would hide
   * a page dirtied long before its pin.
   */
  maxDirtyAgeWhilePinned: number | null;
  /**
   * Seconds: when ext4's BUG() on a dirty page without buffers stopped the run
   * (fsBehavior `ext4-bug`, ext4_writepages before cc5095747edf, v5.18), or a release run
   * from an MMU notifier hung on the page lock its path holds (pageLockDeadlocks); null when
   * the run reached its end. The same as RunResult.crashedAt, as a metric so that sweeps record it:
   * its summary's mean is over the runs that crashed, its `_any` the share of runs that did.
   */
  crashedAt: number | null;
  /** Page-pins whose release ran (the denominator of the per-pin rates). */
  pinsCompleted: number | null;
  /** Page-pins during which at least one device write landed in a clean page. */
  pinsWithWriteToCleanPage: number | null;
  /** Releases after which the page is attached, mem != disk, not dirty and no I/O carries mem: that pin's data is lost unless something redirties it. */
  releasesUnsaved: number | null;
  /** Page writebacks started (set_page_writeback). */
  writebacks: number | null;
  /** Writebacks that wrote a bounce copy. */
  bounceCopies: number | null;
  /** Device faults through page_mkwrite after an MMU-notifier invalidation. */
  deviceRefaults: number | null;
  /** Pages pinned by GUP (or registered with the device, mmu-notifier). */
  pinsTaken: number | null;
  /** Device writes into pinned pages. */
  dmaWrites: number | null;
  /** Buffer heads freed by try_to_release_page (reclaim, or an invalidation) on an attached page. */
  buffersStripped: number | null;
  /** Pages reclaim kept because folio_maybe_dma_pinned said yes (mm/vmscan.c, v6.4). */
  reclaimGuardSkips: number | null;
  /** Pages evicted by __remove_mapping. */
  evictions: number | null;
  /**
   * Device writes into an anonymous page the pinning process no longer maps: its own write
   * fault moved it to a COW copy (do_wp_page after a fork shared the page, or after swap), so
   * the device's data reaches the child, or nobody (the GUP-after-fork corruption).
   */
  wrongProcessWrites: number | null;
  /** Pages fork copied (copy_present_page) although nothing pinned them: the detector's false positive at fork. */
  forkNeedlessCopies: number | null;
  /**
   * CPU stores and device writes into the source page of an O_DIRECT write between
   * submit_bio and the bio's completion: the data on disk is neither the old buffer nor the
   * new one (btrfs fails its data checksum, other filesystems store a torn write).
   */
  dioSourceModified: number | null;
  /** fork() calls that copied an mm's page tables (copy_page_range). */
  forks: number | null;
  /** Pages fork copied for the child at once because the detector called them pinned (copy_present_page). */
  forkCopies: number | null;
  /** Anonymous pages written to swap (pageout -> swap_writepage). */
  swapOuts: number | null;
}

/** Index of each metric in a counters array (the engine counts into a Float64Array). */
export const METRIC = Object.fromEntries(METRIC_NAMES.map((n, i) => [n, i])) as { readonly [K in MetricName]: number };

/** How a metric is reported, what it is a proportion of, when it is null (a row of the metrics table). */
export type MetricInfo = MetricRow<MetricName>;

/** How each metric is reported, in METRIC_NAMES order (src/model/metric-table.ts; the long docs are on the Metrics fields). */
export const METRICS: readonly MetricInfo[] = METRIC_TABLE;

/** A metric kept per pinner group (GroupResult.counts). */
export type GroupMetric = Extract<(typeof METRIC_TABLE)[number], Pick<Required<MetricRow>, "perGroup">>["name"];

/** The metrics kept per pinner group, in the order of GroupResult.counts (their `perGroup`). */
export const GROUP_METRICS: readonly GroupMetric[] = METRICS.filter((m) => m.perGroup !== undefined)
  .sort((a, b) => a.perGroup! - b.perGroup!)
  .map((m) => m.name as GroupMetric);

/** Whether metric `m` is null in a run with these facts: any of its null conditions holds. */
export function metricIsNull(m: MetricInfo, facts: RunFacts): boolean {
  return m.nullWhen?.some((c) => NULL_CONDITIONS[c].holds(facts)) ?? false;
}

/**
 * A run's metrics from its counters (indexed by METRIC), each null where the metrics table's
 * null rule says so for these facts (metricIsNull).
 *
 * @param counters one count per metric, in METRIC_NAMES order (PageCache.counters)
 * @param facts what about the run decides the null rules
 */
export function metricsOf(counters: ArrayLike<number>, facts: RunFacts): Metrics {
  const out = {} as Record<MetricName, number | null>;
  METRICS.forEach((m, i) => (out[m.name] = metricIsNull(m, facts) ? null : counters[i]));
  return out;
}

/** A proportion with its numerator and denominator, so a sweep can give a Wilson interval. */
export interface Rate {
  /** Events counted (0 when the metric is null). */
  numerator: number;
  /** What they are a proportion of (0 when null). */
  denominator: number;
  /** numerator / denominator, or null when the denominator is 0 or the metric is meaningless. */
  value: number | null;
}

/** The headline rates of a run, each over its true denominator. */
export interface Rates {
  /** falsePositives / detectorChecksUnpinned: how often the detector calls an unpinned page pinned. */
  falsePositiveRate: Rate;
  /** releasesUnsaved / pinsCompleted: the share of pins whose data is left unsaved by their release. */
  lostDataPerPin: Rate;
  /** pinsWithWriteToCleanPage / pinsCompleted: the share of pins that wrote into a clean page. */
  writeToCleanPagePerPin: Rate;
}

/** What the end-of-run sync(2) itself did, kept apart from the run's own counts. */
export type FinalSyncCounts = Partial<Record<MetricName, number>>;

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
  /** The headline rates with numerator and denominator. */
  rates: Rates;
  /**
   * Seconds: when ext4 (fsBehavior `ext4-bug`) hit BUG() on a bufferless dirty page and
   * the run stopped; null if it ran to the end.
   */
  crashedAt: number | null;
  /** The end-of-run sync's own counts (non-zero ones only); null if the run crashed. */
  finalSync: FinalSyncCounts | null;
}

/** A rate from two counts; value null when the denominator is 0 or either is null. */
export function rate(numerator: number | null, denominator: number | null): Rate {
  const n = numerator ?? 0,
    d = denominator ?? 0;
  return { numerator: n, denominator: d, value: numerator === null || denominator === null || d === 0 ? null : n / d };
}

/** The three headline rates of a run's metrics. */
export function runRates(m: Metrics): Rates {
  return {
    falsePositiveRate: rate(m.falsePositives, m.detectorChecksUnpinned),
    lostDataPerPin: rate(m.releasesUnsaved, m.pinsCompleted),
    writeToCleanPagePerPin: rate(m.pinsWithWriteToCleanPage, m.pinsCompleted),
  };
}
