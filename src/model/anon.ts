/**
 * Private anonymous memory (backing `anon`) and fork, as operations on a PageCache shared by
 * the engine and the checker: the release's rules ({@link anonRules}, read once into
 * RunEnv.anon), fork's copy_present_pte, the COW write fault (do_wp_page), the swap-in fault
 * (do_swap_page) and reclaim's swap-out (add_to_swap, try_to_unmap, swap_writepage).
 *
 * One slot is one virtual page of one process (the owner; a file of the PageCache stands for
 * one process's anonymous mapping). `shares` is the page's mapcount: the owner plus the
 * children that still share it copy-on-write. When the owner's write fault copies, the owner
 * maps a new page the model does not follow; the slot keeps the old one, with `ownerMoved`
 * set, as long as anything holds it: a device still writing into it writes into a page its
 * process no longer sees (wrongProcessWrites).
 *
 * Sources: mm/memory.c (copy_present_pte, copy_present_page, do_wp_page,
 * wp_can_reuse_anon_folio, do_swap_page, zap_pte_range), mm/madvise.c (MADV_DONTNEED),
 * mm/swapfile.c (reuse_swap_page before 5.19),
 * mm/vmscan.c (shrink_folio_list), mm/rmap.c (try_to_unmap_one), include/linux/mm.h
 * (folio_needs_cow_for_dma), mm/gup.c (mm_set_has_pinned_flag); the releases are
 * FEATURES.forkCopiesPinned, cowReuseRefcount, swapSkipsPinned, anonExclusive, follCow and
 * btrfsDioFallback in kernels.ts.
 */
import type { Backing } from "./backings.js";
import { METRIC } from "./metrics.js";
import { FEATURES, hasFeature, type FeatureName, type KernelId } from "./kernels.js";
import type { PageCache } from "./page-cache.js";
import { PG } from "./page-record.js";

/** When do_wp_page reuses an anonymous page instead of copying it. */
export type CowReuse =
  /** Before 5.9: reuse_swap_page, from the mapcount (and swap count): one mapper reuses, whatever else holds the page. */
  | "mapcount"
  /** 5.9 to 5.18 (09854ba94c6a): only page_count == 1; a GUP reference, the swap cache or the LRU batch forces a copy. */
  | "refcount"
  /** 5.19 on (PG_anon_exclusive): an exclusive page is reused; another only if nothing but its pte (and the swap cache) holds it. */
  | "exclusive";

/** What one release does with anonymous memory, fork, FOLL_FORCE and O_DIRECT writes. */
export interface AnonRules {
  /** fork copies a maybe-pinned page of an mm with MMF_HAS_PINNED (FEATURES.forkCopiesPinned, 5.9). */
  readonly forkCopiesPinned: boolean;
  /**
   * The reference fork holds when it asks folio_maybe_dma_pinned: 1 from 5.19 (get_page
   * before page_try_dup_anon_rmap; 6.18's folio_ref_add, as calibration V5 measured), 0
   * from 5.9 to 5.18 (copy_present_page asks before get_page).
   */
  readonly forkOwnReference: 0 | 1;
  /** PG_anon_exclusive (FEATURES.anonExclusive, 5.19): fork asks only about exclusive pages; try_to_unmap keeps a maybe-pinned exclusive page mapped. */
  readonly exclusive: boolean;
  /** do_wp_page's reuse rule. */
  readonly cowReuse: CowReuse;
  /** Reclaim does not put a maybe-pinned anonymous page in the swap cache (FEATURES.swapSkipsPinned, 5.11). */
  readonly swapSkipsPinned: boolean;
  /** A FOLL_FORCE write follows only the COW copy (FEATURES.follCow, 4.9); before, MADV_DONTNEED in the window lets GUP return the page-cache page. */
  readonly follCow: boolean;
  /** Destination filesystems whose O_DIRECT writes to checksummed files go buffered (FEATURES.btrfsDioFallback: btrfs from 6.15). */
  readonly dioBufferedFallback: readonly Backing[];
}

/** The FEATURES the anonymous-memory rules read: the ones a run may take away (EnvInput.without). */
export const ANON_FEATURES = [
  "follCow",
  "forkCopiesPinned",
  "cowReuseRefcount",
  "swapSkipsPinned",
  "anonExclusive",
  "btrfsDioFallback",
] as const satisfies readonly FeatureName[];
/** One of {@link ANON_FEATURES}. */
export type AnonFeature = (typeof ANON_FEATURES)[number];

/**
 * The rules of release `kernel` (the engine and the checker read them from RunEnv.anon),
 * without the features in `without`: a release before those fixes on these paths, e.g.
 * 4.14 without follCow for Dirty COW's 4.4 (the presets start at 4.14).
 */
export function anonRules(kernel: KernelId, without: readonly AnonFeature[] = []): AnonRules {
  const has = (f: AnonFeature) => hasFeature(kernel, f) && !without.includes(f);
  const exclusive = has("anonExclusive");
  return Object.freeze({
    forkCopiesPinned: has("forkCopiesPinned"),
    forkOwnReference: exclusive ? 1 : 0,
    exclusive,
    cowReuse: exclusive ? "exclusive" : has("cowReuseRefcount") ? "refcount" : "mapcount",
    swapSkipsPinned: has("swapSkipsPinned"),
    follCow: has("follCow"),
    dioBufferedFallback: Object.freeze(has("btrfsDioFallback") ? (["btrfs"] as Backing[]) : []),
  });
}

/** The sources of the rules, for the docs and `pinsim kernels`. */
export const ANON_RULE_SOURCES = [
  FEATURES.forkCopiesPinned,
  FEATURES.cowReuseRefcount,
  FEATURES.swapSkipsPinned,
  FEATURES.anonExclusive,
  FEATURES.follCow,
  FEATURES.btrfsDioFallback,
] as const;

/**
 * A resident anonymous page mapped by `shares` processes (the owner first), not in the swap
 * cache: exclusive with a writable pte when the owner alone maps it (do_anonymous_page), a
 * read-only COW page otherwise. `transient` other references (a pipe's, the LRU batch's).
 * There is no page-cache reference: refcount = shares + transient.
 */
export function initAnonPage(pc: PageCache, p: number, shares: number, transient: number): void {
  pc.initPage(p, shares, transient);
  pc.setRefcount(p, shares + transient);
  pc.swapCache[p] = 0;
  const alone = shares === 1 ? 1 : 0;
  pc.anonExclusive[p] = alone;
  pc.setFlag(p, PG.pteWritable, alone);
  pc.ownerMoved[p] = 0;
  pc.ownerZapped[p] = 0;
}

/** mm_set_has_pinned_flag (mm/gup.c): a FOLL_PIN GUP sets MMF_HAS_PINNED on the mm before it takes any page. */
export function mmSetHasPinned(pc: PageCache, p: number): void {
  pc.mmHasPinned[pc.fileOf(p)] = 1;
}

/** What fork did with one page. */
export const FORK = {
  /** Nothing to copy: not present (a swap entry is duplicated; not modelled), or the owner maps another page. */
  NONE: 0,
  /** The child shares the page copy-on-write: mapcount + 1, both ptes write-protected. */
  SHARED: 1,
  /** The child got its own copy at once (copy_present_page): the owner keeps the page writable. */
  COPIED: 2,
} as const;

/**
 * copy_present_pte for one present anonymous page of the forking mm (mm/memory.c), by the
 * release's rule: before 5.9 always shared; from 5.9 copied if the mm has MMF_HAS_PINNED and
 * folio_maybe_dma_pinned says yes (fork holds no reference yet until 5.18; one from 5.19,
 * where only a PG_anon_exclusive page is asked about at all). Counts forkCopies and
 * forkNeedlessCopies (copied, no FOLL_PIN held). Returns a FORK value.
 */
export function copyPresentPte(pc: PageCache, p: number): number {
  // copy_page_range of a COW mapping invalidates the whole range first (MMU_NOTIFY_PROTECTION_PAGE):
  // a device mirroring the page refaults before its next write, present pte or not.
  pc.notifyInvalidate(p);
  if (!pc.resident(p) || !pc.mapped(p) || pc.ownerMoved[p] || pc.shares[p] === 0) return FORK.NONE;
  const r = pc.env.anon;
  let pinned = false;
  if (r.forkCopiesPinned && pc.mmHasPinned[pc.fileOf(p)] && (!r.exclusive || pc.anonExclusive[p]))
    pinned = pc.folioMaybeDmaPinned(p, r.forkOwnReference);
  if (pinned) {
    pc.counters[METRIC.forkCopies]++;
    if (pc.pins[p] === 0) pc.counters[METRIC.forkNeedlessCopies]++;
    return FORK.COPIED;
  }
  pc.shares[p]++;
  pc.setRefcount(p, pc.refcount(p) + 1);
  pc.anonExclusive[p] = 0;
  // __copy_present_ptes write-protects (wrprotect_ptes; ptep_set_wrprotect before 6.9) and
  // keeps the dirty bit, which try_to_unmap_one moves into the folio (`if (pte_dirty(pteval))
  // folio_mark_dirty(folio)`, mm/rmap.c). The model has no dirty bit for a read-only pte: a
  // page whose swap copy the stores made stale is dirtied now, or reclaim would free it as
  // clean (lostData). Outside the swap cache add_to_swap dirties it anyway.
  if (pc.pteWritable(p) && pc.swapCache[p]) pc.setPageDirty(p, true);
  pc.setFlag(p, PG.pteWritable, 0);
  return FORK.SHARED;
}

/**
 * copy_page_range over slots [from, to) of one mm: one fork (counted), copyPresentPte per
 * page; the slots the child now shares are pushed to `shared` (for its exit).
 */
export function copyPageRange(pc: PageCache, from: number, to: number, shared?: number[]): void {
  pc.counters[METRIC.forks]++;
  for (let p = from; p < to; p++) if (copyPresentPte(pc, p) === FORK.SHARED) shared?.push(p);
}

/** A child stops mapping the page: it exited (exit_mmap) or its own write fault copied it away. */
export function childUnmap(pc: PageCache, p: number): void {
  if (pc.shares[p] === 0) return;
  pc.shares[p]--;
  if (pc.mapped(p)) pc.setRefcount(p, pc.refcount(p) - 1);
}

/**
 * Whether do_wp_page reuses the page for a writer, by the release's rule (CowReuse). Every
 * reuse that may free the swap cache holds the page lock, as reclaim does from trylock_page
 * to __remove_mapping, so the swap cache never goes from under reclaim:
 * - before 5.9, reuse_swap_page from the mapcount, under lock_page (the fault sleeps while
 *   the page is locked: swapInWaits);
 * - 5.9 to 5.17 (09854ba94c6a, mm/memory.c do_wp_page): `if (PageKsm(page) ||
 *   page_count(page) != 1) goto copy; if (!trylock_page(page)) goto copy;` — a page in the
 *   swap cache is always copied (the presets 5.10 and 5.15);
 * - 5.18 (53a05ad9f21d, "mm: optimize do_wp_page() for exclusive pages in the swapcache") and
 *   5.19 on: a PG_anon_exclusive page is reused at once (wp_page_reuse, the swap cache left
 *   as it is); another only if the writer alone maps it and reuseUnderTrylock
 *   (wp_can_reuse_anon_folio from 6.5).
 */
export function wpCanReuse(pc: PageCache, p: number): boolean {
  switch (pc.env.anon.cowReuse) {
    case "mapcount":
      return pc.shares[p] === 1 && !swapStableWriteback(pc, p);
    case "refcount":
      return pc.refcount(p) === 1 && pc.locked(p) === 0;
    case "exclusive":
      return pc.anonExclusive[p] === 1 || (pc.shares[p] === 1 && reuseUnderTrylock(pc, p));
  }
}

/**
 * A swap device that needs stable writes (SWP_STABLE_WRITES: swapon sets it when the
 * queue asks for stable pages, zram, integrity; the checker's `Stable: on`, env.stable) has
 * the page under writeback: its write fault must not map it writable. Before 5.19
 * reuse_swap_page returns false for it (f05714293a59 "mm: support anonymous stable page",
 * 4.9; do_swap_page and do_wp_page alike); from 5.19 do_swap_page drops the exclusive
 * marker ("mm/swap: remember PG_anon_exclusive via a swp pte bit": "not all swap backends
 * support concurrent page modifications while under writeback") and do_wp_page's
 * folio_free_swap fails under writeback: either way a copy. Without it the device may
 * modify the page under the I/O (modifiedUnderWriteback), which a plain disk takes.
 */
function swapStableWriteback(pc: PageCache, p: number): boolean {
  return pc.env.stable && pc.swapCache[p] === 1 && pc.writeback(p) === 1;
}

/**
 * The reuse test of do_wp_page from 5.18 (53a05ad9f21d; wp_can_reuse_anon_folio from 6.5):
 * `page_count > 1 + PageSwapCache` copies, trylock_page succeeds, and the swap cache can be
 * freed (try_to_free_swap / folio_free_swap: not under writeback), so that page_count is 1
 * after it.
 */
function reuseUnderTrylock(pc: PageCache, p: number): boolean {
  if (pc.refcount(p) - pc.swapCache[p] > 1 || pc.locked(p)) return false;
  return pc.swapCache[p] === 0 || !pc.writeback(p);
}

/** What a write fault did. */
export const WP = {
  /** The page was reused: the writer's pte is writable now. */
  REUSED: 0,
  /** The writer got a copy and left this page. */
  COPIED: 1,
} as const;

/**
 * do_wp_page for a write to a present, write-protected anonymous pte of the owner (`owner`
 * true) or of a child. Reuse: the pte becomes writable, the page exclusive (5.19 on), a swap
 * cache copy is dropped (reuse_swap_page, folio_free_swap). Copy: the writer's pte maps a
 * new page; this one loses a mapping, and if the writer is the owner, `ownerMoved` is set.
 * Returns a WP value.
 */
export function doWpPage(pc: PageCache, p: number, owner: boolean): number {
  // an exclusive page (5.19 on) is reused without the page lock: its swap cache stays
  const exclusive = pc.env.anon.exclusive && pc.anonExclusive[p] === 1;
  if (wpCanReuse(pc, p)) {
    if (!exclusive && pc.swapCache[p] && !pc.writeback(p)) deleteFromSwapCache(pc, p);
    if (owner) pc.setFlag(p, PG.pteWritable, 1);
    if (pc.env.anon.exclusive) pc.anonExclusive[p] = 1;
    return WP.REUSED;
  }
  if (owner) {
    // wp_page_copy: invalidate_range_start (MMU_NOTIFY_CLEAR) before the owner's pte maps the copy.
    pc.notifyInvalidate(p);
    pc.ownerMoved[p] = 1;
    pc.setFlag(p, PG.pteWritable, 0);
    pc.anonExclusive[p] = 0;
  }
  childUnmap(pc, p);
  return WP.COPIED;
}

/**
 * A child's write fault on the page it shares with the owner. A present pte: do_wp_page
 * (doWpPage). A swap entry (try_to_unmap made every sharer's pte one; the model's `mapped`
 * flag is all the sharers' at once): do_swap_page, whose reuse test counts the other sharers'
 * swap entries, so while one is left the child maps the page read-only and do_wp_page copies:
 * - before 5.19, reuse_swap_page (mm/swapfile.c): `count = page_trans_huge_map_swapcount()`
 *   is mapcount + swap count, `return count <= 1` (do_swap_page asks it "while the page is
 *   counted on swap but not yet in mapcount"), and do_wp_page asks again (5.9 to 5.18:
 *   page_count != 1, the child's mapping and the swap cache);
 * - from 5.19 the entry of a shared page is not SWP_EXCLUSIVE, and do_wp_page's
 *   folio_free_swap (wp_can_reuse_anon_folio) fails while folio_swapped: a copy.
 * The child leaves the page (childUnmap); the owner's data stays in it and in its slot.
 * Returns a WP value.
 */
export function childWriteFault(pc: PageCache, p: number): number {
  if ((pc.resident(p) && pc.mapped(p)) || pc.shares[p] <= 1) return doWpPage(pc, p, false);
  childUnmap(pc, p);
  return WP.COPIED;
}

/**
 * MADV_DONTNEED over the owner's anonymous page (mm/madvise.c madvise_dontneed_single_vma ->
 * zap_page_range_single -> zap_pte_range): MMU_NOTIFY_CLEAR first, then the owner's pte goes.
 * A present pte: page_remove_rmap and the reference dropped; an anonymous page is not
 * dirtied (`set_page_dirty` only `if (!PageAnon(page))`). A swap entry:
 * free_swap_and_cache, the swap count drops. Either way the owner's next access gets a new
 * zero page (do_anonymous_page): the data is the user's to lose, and a page no one else maps
 * (shares 0) that reclaim frees is not lostData (removeMapping). zap_pte_range asks no pin
 * (pin_user_pages.rst, cases 1 and 2: "No special synchronization with page_mkclean() or
 * munmap() is provided"): the pin holds the page and the device goes on writing it, for
 * no process, as the user asked (`ownerZapped`: truncatedWhilePinned, not
 * wrongProcessWrites). Returns whether it zapped.
 */
export function zapAnonPte(pc: PageCache, p: number): boolean {
  if (pc.ownerMoved[p] || pc.shares[p] === 0) return false;
  pc.notifyInvalidate(p);
  childUnmap(pc, p); // the owner's mapping (or swap entry) goes: one sharer less
  pc.ownerMoved[p] = 1;
  pc.ownerZapped[p] = 1;
  pc.setFlag(p, PG.pteWritable, 0);
  pc.anonExclusive[p] = 0;
  return true;
}

/** Drop the page from the swap cache (delete_from_swap_cache): its swap copy is stale from now on. */
function deleteFromSwapCache(pc: PageCache, p: number): void {
  pc.swapCache[p] = 0;
  pc.setRefcount(p, pc.refcount(p) - 1);
}

/**
 * do_swap_page for the owner: a page not mapped (reclaim unmapped it) comes back: read from
 * swap into the swap cache if it left memory, then mapped. A write fault reuses it where the
 * release lets it (reuse_swap_page from the mapcount before 5.19; a remembered
 * PG_anon_exclusive, SWP_EXCLUSIVE, from 5.19) and otherwise continues in do_wp_page.
 * A page under writeback on a swap device with stable writes is not reused
 * (swapStableWriteback). Returns a WP value for a write, REUSED for a read (mapped read-only).
 */
export function doSwapPage(pc: PageCache, p: number, write: boolean): number {
  if (!pc.resident(p)) {
    pc.readPage(p); // swapin_readahead: the page is in the swap cache, content as in the slot
    pc.swapCache[p] = 1;
  }
  pc.mapPage(p);
  if (!write) return WP.REUSED;
  if (swapStableWriteback(pc, p)) pc.anonExclusive[p] = 0; // 5.19 on: not exclusive (before: no reuse)
  const reuse = pc.env.anon.exclusive ? pc.anonExclusive[p] === 1 : pc.shares[p] === 1 && !swapStableWriteback(pc, p);
  if (reuse) {
    if (pc.swapCache[p] && !pc.writeback(p) && pc.refcount(p) - pc.swapCache[p] === pc.shares[p])
      deleteFromSwapCache(pc, p);
    pc.setFlag(p, PG.pteWritable, 1);
    if (pc.env.anon.exclusive) pc.anonExclusive[p] = 1;
    return WP.REUSED;
  }
  return doWpPage(pc, p, true);
}

/**
 * Whether the owner's fault must wait for PG_locked first: do_swap_page takes the lock of a
 * page it finds in the swap cache (mm/memory.c do_swap_page, folio_lock_or_retry; lock_page
 * before the folio conversion), so while reclaim holds it between trylock_page and
 * __remove_mapping the swap-in sleeps. A page that left memory comes back as a new,
 * unlocked one. Before 5.9 a write fault on a mapped, write-protected page (`write`) sleeps
 * on the lock as well, in do_wp_page. (The engine's reclaim runs in one instant and never
 * leaves a page locked.)
 */
export function swapInWaits(pc: PageCache, p: number, write = false): boolean {
  if (pc.resident(p) === 0 || pc.locked(p) === 0) return false;
  if (pc.mapped(p) === 0) return true;
  // before 5.9 do_wp_page takes lock_page of an anonymous page before reuse_swap_page (the
  // pte lock dropped while it sleeps; mm/memory.c do_wp_page, 4.x)
  return write && pc.env.anon.cowReuse === "mapcount" && pc.pteWritable(p) === 0;
}

/**
 * Whether a child's write fault on the page it shares must sleep on PG_locked first: the
 * swap-in's lock (do_swap_page) when reclaim unmapped it, or before 5.9 do_wp_page's
 * lock_page (a child's pte is always write-protected). From 5.9 the trylock fails: a copy.
 */
export function childWriteWaits(pc: PageCache, p: number): boolean {
  if (pc.resident(p) === 0 || pc.locked(p) === 0) return false;
  return pc.mapped(p) === 0 || pc.env.anon.cowReuse === "mapcount";
}

/**
 * The owner's fault for an access to its anonymous page, in one step under the pte lock:
 * do_swap_page if the page is not mapped, do_wp_page for a write to a write-protected pte;
 * nothing for a read of a mapped page. Returns a WP value.
 */
export function anonFault(pc: PageCache, p: number, write: boolean): number {
  if (!pc.resident(p) || !pc.mapped(p)) return doSwapPage(pc, p, write);
  if (write && !pc.pteWritable(p)) return doWpPage(pc, p, true);
  return WP.REUSED;
}

/**
 * The owner's pte maps this page writable now (resident, mapped, writable, not moved away):
 * a store or a FOLL_WRITE lookup needs no fault.
 */
export function anonWritable(pc: PageCache, p: number): boolean {
  return pc.resident(p) === 1 && pc.mapped(p) === 1 && pc.pteWritable(p) === 1 && pc.ownerMoved[p] === 0;
}

/** What shrink_folio_list's anonymous steps decided. */
export const SWAP = {
  /** Go on to the next step. */
  GO: 0,
  /** keep_locked: the page stays (a maybe-pinned page kept out of swap, 5.11 on). */
  KEEP: 1,
  /** activate_locked: try_to_unmap failed (a maybe-pinned exclusive page, 5.19 on). */
  ACTIVATE: 2,
} as const;

/**
 * add_to_swap, when the page is not in the swap cache yet: from 5.11 a page the detector
 * calls pinned is kept instead (feb889fb40fa). Otherwise the swap cache takes its reference
 * and the page is dirtied (folio_mark_dirty in add_to_swap). Returns a SWAP value.
 */
export function addToSwap(pc: PageCache, p: number): number {
  if (pc.swapCache[p]) return SWAP.GO;
  if (pc.env.anon.swapSkipsPinned && pc.folioMaybeDmaPinned(p)) return SWAP.KEEP;
  pc.swapCache[p] = 1;
  pc.setRefcount(p, pc.refcount(p) + 1);
  pc.setPageDirty(p);
  return SWAP.GO;
}

/**
 * try_to_unmap of an anonymous page (mm/rmap.c try_to_unmap_one): every pte becomes a swap
 * entry and a dirty pte moves into PG_dirty. From 5.19 a PG_anon_exclusive page the detector
 * calls pinned keeps its pte (page_try_share_anon_rmap fails): ACTIVATE. Returns a SWAP value.
 */
export function tryToUnmapAnon(pc: PageCache, p: number): number {
  if (!pc.mapped(p)) return SWAP.GO;
  if (pc.env.anon.exclusive && pc.anonExclusive[p] && pc.folioMaybeDmaPinned(p)) return SWAP.ACTIVATE;
  pc.tryToUnmap(p);
  return SWAP.GO;
}

/**
 * pageout -> swap_writepage (mm/page_io.c): PG_dirty cleared, PG_writeback set, the I/O
 * carries the content now. The caller completes it (endPageWriteback puts it in the slot).
 * Counts swapOuts.
 */
export function swapWritepage(pc: PageCache, p: number): void {
  pc.testClearPageDirty(p);
  pc.setFlag(p, PG.writeback, 1);
  pc.setFlag(p, PG.bounced, 0);
  pc.setIo(p, pc.mem(p));
  pc.counters[METRIC.swapOuts]++;
}

/**
 * One pass of shrink_folio_list over an anonymous page at one instant (the engine's; the
 * checker cuts it into steps): add_to_swap, try_to_unmap, pageout to swap when dirty and
 * nothing else holds the page (is_page_cache_freeable; the I/O completes at once), then
 * __remove_mapping frees a clean page nothing but the swap cache holds. Returns whether the
 * page left memory.
 */
export function shrinkAnonPage(pc: PageCache, p: number): boolean {
  if (!pc.resident(p) || pc.locked(p) || pc.writeback(p) || pc.ownerMoved[p]) return false;
  if (addToSwap(pc, p) !== SWAP.GO || tryToUnmapAnon(pc, p) !== SWAP.GO) return false;
  if (pc.dirty(p)) {
    if (!pc.isPageCacheFreeable(p)) return false;
    swapWritepage(pc, p);
    pc.endPageWriteback(p);
  }
  if (!pc.removeMapping(p)) return false;
  pc.swapCache[p] = 0;
  return true;
}

/**
 * FAULT_FLAG_UNSHARE for a read-only FOLL_PIN of a possibly shared anonymous page (5.19 on,
 * gup_must_unshare): the owner keeps the page if it may (wpCanReuse), else gets an
 * exclusive copy and leaves this one. The pte's write permission does not change. Returns a
 * WP value.
 */
export function anonUnshare(pc: PageCache, p: number): number {
  const writable = pc.pteWritable(p);
  const did = doWpPage(pc, p, true);
  if (did === WP.REUSED) pc.setFlag(p, PG.pteWritable, writable);
  return did;
}
