/**
 * Page and inode state (docs/model.md, "State") in typed arrays: the fields of the page
 * cache, its construction and the checker's save and restore. The kernel operations on it
 * are PageCache's (src/model/page-cache.ts), which extends this class.
 */
import { METRIC } from "./metrics.js";
import { PageRecord, PG } from "./page-record.js";
import type { FsBehavior } from "./params.js";
import type { Policy } from "./policy.js";
import type { RunEnv } from "./env.js";

/** Shape and behaviour of a PageCache. */
export interface PageCacheOptions {
  /** Number of files (inodes). */
  files: number;
  /** Pages per file; page p belongs to file floor(p / pagesPerFile). */
  pagesPerFile: number;
  /** GUP_PIN_COUNTING_BIAS (1024 in the kernel). */
  bias: number;
  /**
   * The run's environment (src/model/env.ts runEnv): the policy whose hooks the shared paths
   * call, ext4's BUG or warn, exact pin counts on large folios, the backing's private data,
   * and the rest the engine and the checker read from `pc.env`.
   */
  env: RunEnv;
  /** Record clean delays (V1/V16): from a page's clean→dirty transition to its first clean. Default false. */
  traceClean?: boolean;
  /**
   * The engine's lean layout (docs/architecture.md, "Per-page state"): the largest values the per-page
   * counts can reach in this run, so each count gets the narrowest array that holds them
   * losslessly, and whether notifierSeq is read at all. Without it every count is an
   * Int32Array and notifierSeq is kept (the checker's layout, which its states hash).
   */
  sizes?: PageCacheSizes;
}

/** Bounds of one run's per-page counts (PageCacheOptions.sizes). */
export interface PageCacheSizes {
  /** Largest shareCount a page can draw. */
  shares: number;
  /** Largest transientRefs a page can draw. */
  transient: number;
  /** Most GUP references (pins + gets) one page can hold at once. */
  holds: number;
  /** Whether a device mirror reads notifierSeq (mmu_interval_read_begin); else it has length 0. */
  notifier: boolean;
  /**
   * Whether a pinner group is an O_DIRECT write (caller odirect without FOLL_WRITE: its pages
   * are a bio's source, PageState.dioSources); else dioSources has length 0. Default false.
   */
  dioSources?: boolean;
}

/** A per-page count: Int32, or narrower when the run's bounds allow (countArray). */
export type CountArray = Int32Array | Uint16Array | Uint8Array;

/** The narrowest array of `n` counts in 0..max (Uint8, Uint16, else Int32). */
export function countArray(max: number, n: number): CountArray {
  if (max <= 0xff) return new Uint8Array(n);
  return max <= 0xffff ? new Uint16Array(n) : new Int32Array(n);
}

/** Clean delays recorded with `traceClean`, seconds, by the inode's state when the page was dirtied. */
export interface CleanDelaySamples {
  /** The inode was clean: its dirtied_when is the page's dirtying time. */
  cleanInode: number[];
  /** The inode was already dirty: the page inherits the older dirtied_when. */
  dirtyInode: number[];
}

/**
 * The state of one run's page cache: every page's state (docs/model.md#state) in typed arrays
 * indexed by page slot 0..pages-1 (a slot is a folio when the run's folio order is above 0),
 * the inodes' dirty state, the run's counters, and the kernel operations on them. The engine
 * (src/engine/) and the checker (src/checker/) both drive one, so the operations' semantics
 * are shared by construction. Pages start absent; initPage() makes one resident and clean.
 *
 * Units: times are simulated seconds (`now`, `dirtySince`, `dirtiedWhen`, `crashedAt`);
 * content versions (`mem`, `disk`, `io`) are unsigned 32-bit counters compared for equality.
 * Page indices are not checked: the engine and the checker own them.
 */
export class PageState extends PageRecord {
  /** Number of files (inodes), from the options. */
  readonly files: number;
  /** Pages per file; page p belongs to file fileOf(p) = floor(p / pagesPerFile). */
  readonly pagesPerFile: number;
  /** Page slots in all: files × pagesPerFile (the length of every per-page array). */
  readonly pages: number;
  /** GUP_PIN_COUNTING_BIAS (include/linux/mm.h, 1024 since 5.7): what one FOLL_PIN adds to an order-0 page's refcount. */
  readonly bias: number;
  /** The run's environment it was built for (runEnv); the engine and the checker read it. */
  readonly env: RunEnv;
  /** env.fsBehavior: what ext4 does with a dirty page without buffers at writeback. */
  readonly fsBehavior: FsBehavior;
  /** env.policy: the base policy whose hooks the shared paths call. */
  readonly policy: Policy;
  /** What FOLL_PIN adds to the refcount: the bias, or 1 with an exact pin count (large folios). */
  readonly pinAdd: number;
  /**
   * Whether the detector reads an exact pin count (folio->_pincount of a large folio,
   * include/linux/mm.h folio_maybe_dma_pinned; 47e29d32afba, 5.7) instead of the refcount
   * against the bias. Default false.
   */
  readonly exactPincount: boolean;
  /** What the backing keeps at folio->private (PageCacheOptions.privateData): `ext4` buffer heads, `none`, or btrfs's `cow-fixup`. */
  readonly privateData: "ext4" | "none" | "cow-fixup";
  /** Current simulated time, seconds; the caller advances it. */
  now = 0;
  /** Incident and cost counters, indexed by METRIC. */
  readonly counters = new Float64Array(Object.keys(METRIC).length);
  /**
   * Seconds: when ext4 BUG()ed on a bufferless dirty page (fsBehavior `ext4-bug`), or -1.
   * The engine stops the run there; the checker records the incident.
   */
  crashedAt = -1;
  /** Bits of the last writeCachePage's writeback decision (the engine schedules a BOUNCE_AT_BIO copy from it). */
  lastDecision = 0;
  /** Clean delays, when traceClean is on (else null). */
  readonly cleanDelays: CleanDelaySamples | null;
  /** Whether cleans are recorded now (the engine stops at its end-of-run sync, which would censor the tail). */
  recordingCleanDelays: boolean;

  // Per page (docs/model.md#state).
  /** folio_mapcount while mapped: the user mappings (sharers) of the page, drawn once per run. */
  readonly shares: CountArray;
  /** Other _refcount holders, neither mappings nor GUP (transientRefs); constant per page. */
  readonly transient: CountArray;
  /** FOLL_PIN references held (ground truth; each adds pinAdd to refcount, mm/gup.c try_grab_folio). */
  readonly pins: CountArray;
  /** FOLL_GET references held (ground truth; each adds 1, get_user_pages). */
  readonly gets: CountArray;
  /** MMU-notifier invalidations of the page so far (the `mmu-notifier` policy's mmu_interval_read_retry); length 0 in the lean layout without a mirror. */
  readonly notifierSeq: Uint32Array;
  /**
   * GUP references whose holder releases them from the MMU notifier (invalidate_range_start:
   * i915 userptr before the 5.13 mmu_interval_notifier rework puts the object's pages there),
   * 0..3. An invalidation of the page runs those releases inside its own path (page-paths.ts
   * notifierRelease). Checker only (length 0 in the engine's lean layout).
   */
  readonly notifierPins: Uint8Array;
  /**
   * Checker only: an invalidation of the page waits in invalidate_range_start for the
   * notifier releases: 0 none, 1 from a path that holds no page lock (munmap's unmap_vmas),
   * 2 from one that holds PG_locked (try_to_unmap, page_mkclean, truncate, invalidation).
   */
  readonly notifying: Uint8Array;
  /**
   * btrfs: the page was dirtied through the filesystem (page_mkwrite, write_begin:
   * btrfs_set_extent_delalloc) since its last writeback made an ordered extent, 0 or 1.
   * btrfs's Ordered flag (folio_test_ordered) follows from it: writepage_delalloc sets it when
   * writeback turns the delalloc range into an ordered extent, and the I/O's completion
   * clears it (btrfs_finish_ordered_io); since writeback never starts on a page whose I/O is
   * in flight (write_cache_pages skips or waits), the flag is clear when a writepage starts
   * and set by it exactly when this bit is (page-paths.ts btrfsWritepage). Length 0 on
   * other backings in the lean layout.
   */
  readonly delalloc: Uint8Array;
  /**
   * Anonymous pages only (env.anonymous; src/model/anon.ts): PG_swapcache, 0 or 1. The swap
   * cache is anonymous memory's address_space and holds one reference, as the page cache
   * does for a file page; `attached` stays 1 (folio->mapping is the anon_vma). Length 0 in
   * the lean layout of a file backing, as are anonExclusive, ownerMoved and cowCopy.
   */
  readonly swapCache: Uint8Array;
  /** Anonymous pages only: PG_anon_exclusive (6c287605fd56, v5.19), 0 or 1: one process maps the page and may write it without a copy. */
  readonly anonExclusive: Uint8Array;
  /**
   * Anonymous pages only, 0 or 1: the process that pinned the page now maps another page (a
   * COW copy made by its own write fault): device writes into this page no longer reach it.
   */
  readonly ownerMoved: Uint8Array;
  /**
   * Anonymous pages only, 0 or 1, set with ownerMoved: the owner moved by discarding its
   * mapping (MADV_DONTNEED, zapAnonPte), not by a COW break: the device writes for no one
   * because the user asked (truncatedWhilePinned), not into the wrong process.
   */
  readonly ownerZapped: Uint8Array;
  /**
   * Private file mappings only (the checker's FOLL_FORCE), 0 or 1: the private pte maps an
   * anonymous COW copy of the page; MADV_DONTNEED drops it. The file page itself is untouched.
   */
  readonly cowCopy: Uint8Array;
  /** O_DIRECT writes in flight whose bio reads this page (its source buffer): the checker's 0..3, the engine's up to 255. */
  readonly dioSources: Uint8Array;
  /** With traceClean: 1 if the inode was clean when PG_dirty last went 0 -> 1 (length 0 without traceClean). */
  readonly dirtiedInCleanInode: Uint8Array;
  // Per file (inode).
  /** I_DIRTY_PAGES in inode->i_state, 0 or 1, per file. */
  readonly inodeDirty: Uint8Array;
  /** inode->dirtied_when, seconds (set by __mark_inode_dirty on the clean -> dirty transition only), per file. */
  readonly dirtiedWhen: Float64Array;
  /** Attached pages with PG_dirty, per file (the mapping's PAGECACHE_TAG_DIRTY count). */
  readonly dirtyPages: Int32Array;
  /**
   * Anonymous memory only, per file (one file stands for one process's anonymous mapping):
   * MMF_HAS_PINNED, 0 or 1: a FOLL_PIN GUP ran in this mm (set, never cleared; 008cfe4418b3, v5.9).
   */
  readonly mmHasPinned: Uint8Array;
  /** Attached pages with PG_dirty, all files. */
  totalDirty = 0;

  /** Every page absent and clean, every inode clean, `now` 0; see PageCacheOptions for the defaults. */
  constructor(o: PageCacheOptions) {
    super(o.files * o.pagesPerFile);
    this.files = o.files;
    this.pagesPerFile = o.pagesPerFile;
    this.pages = o.files * o.pagesPerFile;
    this.bias = o.bias;
    this.env = o.env;
    this.fsBehavior = o.env.fsBehavior;
    this.policy = o.env.policy;
    this.exactPincount = o.env.exactPincount;
    this.pinAdd = this.exactPincount ? 1 : o.bias;
    this.privateData = o.env.privateData;
    const n = this.pages;
    const z = o.sizes;
    this.shares = z ? countArray(z.shares, n) : new Int32Array(n);
    this.transient = z ? countArray(z.transient, n) : new Int32Array(n);
    this.pins = z ? countArray(z.holds, n) : new Int32Array(n);
    this.gets = z ? countArray(z.holds, n) : new Int32Array(n);
    this.notifierSeq = new Uint32Array(!z || z.notifier ? n : 0);
    // The notifier handshake is the checker's (the engine runs a notifier release at one
    // instant); btrfs's delalloc bit only where the backing has it.
    this.notifierPins = new Uint8Array(z ? 0 : n);
    this.notifying = new Uint8Array(z ? 0 : n);
    this.delalloc = new Uint8Array(!z || o.env.privateData === "cow-fixup" ? n : 0);
    // The anonymous-memory state only where it can change (the checker keeps it always).
    const anon = !z || o.env.anonymous ? n : 0;
    this.swapCache = new Uint8Array(anon);
    this.anonExclusive = new Uint8Array(anon);
    this.ownerMoved = new Uint8Array(anon);
    this.ownerZapped = new Uint8Array(anon);
    this.cowCopy = new Uint8Array(z ? 0 : n);
    this.dioSources = new Uint8Array(!z || z.dioSources ? n : 0);
    this.cleanDelays = o.traceClean ? { cleanInode: [], dirtyInode: [] } : null;
    this.recordingCleanDelays = this.cleanDelays !== null;
    this.dirtiedInCleanInode = new Uint8Array(o.traceClean ? n : 0);
    this.inodeDirty = new Uint8Array(o.files);
    this.dirtiedWhen = new Float64Array(o.files);
    this.dirtyPages = new Int32Array(o.files);
    this.mmHasPinned = new Uint8Array(!z || o.env.anonymous ? o.files : 0);
  }

  /** Initial state (docs/model.md#workload-and-initial-state): resident, attached, clean, no buffers, mapped read-only. */
  initPage(p: number, shares: number, transient: number): void {
    this.shares[p] = shares;
    this.transient[p] = transient;
    this.setFlag(p, PG.resident, 1);
    this.setFlag(p, PG.attached, 1);
    this.setFlag(p, PG.mapped, 1);
    this.setRefcount(p, 1 + shares + transient);
  }

  /** Memory differs from disk and nothing will write it: attached, clean, no I/O carrying mem. */
  unsaved(p: number): boolean {
    if (!this.resident(p) || !this.attached(p) || this.dirty(p) || this.mem(p) === this.disk(p)) return false;
    return !(this.writeback(p) && this.io(p) === this.mem(p));
  }

  /** The file (inode) page `p` belongs to: floor(p / pagesPerFile) (folio->mapping->host). */
  fileOf(p: number): number {
    return (p / this.pagesPerFile) | 0;
  }

  /**
   * The refcount as docs/model.md#state defines it, from the ground truth (for checks, not
   * the hot path). The cache's own reference is the page cache's, or for an anonymous page
   * the swap cache's when it is in it.
   */
  refcountFormula(p: number): number {
    if (!this.resident(p)) return 0;
    return (
      (this.attached(p) ? (this.env.anonymous ? this.swapCache[p] : 1) : 0) +
      this.buffers(p) +
      (this.mapped(p) ? this.shares[p] : 0) +
      this.gets[p] +
      this.pinAdd * this.pins[p] +
      this.transient[p]
    );
  }

  /**
   * `n` writes into page p (`device`: DMA writes, counted in dmaWrites; else CPU stores):
   * mem += n, and the incidents of those that land where no one expects them: a device write
   * into an anonymous page its owner moved away from by a COW break (wrongProcessWrites) or
   * discarded with MADV_DONTNEED (truncatedWhilePinned: the user's loss, as a truncate under
   * a pin; Documentation/core-api/pin_user_pages.rst: "No special synchronization with
   * page_mkclean() or munmap() is provided"), any write into an O_DIRECT write's source in
   * flight (dioSourceModified).
   */
  protected countWrite(p: number, n: number, device: boolean): void {
    this.setMem(p, (this.mem(p) + n) >>> 0);
    if (device) this.counters[METRIC.dmaWrites] += n;
    if (device && this.env.anonymous && this.ownerMoved[p])
      this.counters[this.ownerZapped[p] ? METRIC.truncatedWhilePinned : METRIC.wrongProcessWrites] += n;
    if (this.dioSources[p]) this.counters[METRIC.dioSourceModified] += n;
  }

  /** Page p has a copy elsewhere (a file, or swap): "clean" means something. An anonymous page outside the swap cache has none. */
  protected hasCopy(p: number): boolean {
    return !this.env.anonymous || this.swapCache[p] === 1;
  }

  /**
   * Page p is clean and has a copy that a write makes stale unseen (writeToCleanPage): PG_dirty
   * clear, and for an anonymous page in the swap cache no writable pte either. An anonymous
   * pte is made writable dirty (do_anonymous_page, do_wp_page's reuse and do_swap_page's:
   * `maybe_mkwrite(pte_mkdirty(pte))`), and try_to_unmap_one moves its dirty bit into the folio
   * (`if (pte_dirty(pteval)) folio_mark_dirty(folio)`, mm/rmap.c) before reclaim may free it:
   * for anonymous memory the pte is where the dirty state lives (a shared file pte is made
   * writable only after page_mkwrite and set_page_dirty, so there PG_dirty alone decides).
   */
  protected cleanWithCopy(p: number): boolean {
    if (this.dirty(p) || !this.hasCopy(p)) return false;
    return !this.env.anonymous || this.mapped(p) === 0 || this.pteWritable(p) === 0;
  }

  /** Add `by` to the counter of a metric (an index of METRIC). */
  count(metric: number, by = 1): void {
    this.counters[metric] += by;
  }

  /**
   * Every field of the state in a fixed order (per-page arrays, per-file arrays, now,
   * totalDirty, crashedAt, then the counters last), for the checker to save and restore states.
   */
  saveState(): Float64Array {
    const parts = this.stateArrays();
    let n = 3 + this.counters.length;
    for (const a of parts) n += a.length;
    const out = new Float64Array(n);
    let o = 0;
    for (const a of parts) {
      out.set(a, o);
      o += a.length;
    }
    out[o++] = this.now;
    out[o++] = this.totalDirty;
    out[o++] = this.crashedAt;
    out.set(this.counters, o);
    return out;
  }

  /** Restore a state taken by saveState on a cache of the same shape. */
  loadState(s: Float64Array): void {
    let o = 0;
    for (const a of this.stateArrays()) {
      for (let i = 0; i < a.length; i++) a[i] = s[o++];
    }
    this.now = s[o++];
    this.totalDirty = s[o++];
    this.crashedAt = s[o++];
    this.counters.set(s.subarray(o, o + this.counters.length));
  }

  private stateArrays(): (CountArray | Uint32Array | Float64Array)[] {
    return [
      this.page,
      this.shares,
      this.transient,
      this.pins,
      this.gets,
      this.notifierSeq,
      this.notifierPins,
      this.notifying,
      this.delalloc,
      this.swapCache,
      this.anonExclusive,
      this.ownerMoved,
      this.ownerZapped,
      this.cowCopy,
      this.dioSources,
      this.inodeDirty,
      this.dirtiedWhen,
      this.dirtyPages,
      this.mmHasPinned,
    ];
  }
}
