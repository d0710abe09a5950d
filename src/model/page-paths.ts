/**
 * Kernel paths on the page cache beyond its core operations (issue 21): a GUP user's release
 * run from the MMU notifier inside the invalidating path, munmap's zap, page-cache
 * invalidation (invalidate_mapping_pages, invalidate_inode_pages2_range) and btrfs's
 * writepage with its COW fixup. Functions of a PageCache, shared by the engine and the
 * checker as PageCache's methods are (docs/model.md, "Releases run from an MMU notifier",
 * "Invalidation", "Backings").
 */
import { METRIC } from "./metrics.js";
import type { Policy } from "./policy.js";
import type { PageCache } from "./page-cache.js";
import { PG } from "./page-record.js";

/** What notifierRelease did. */
export const NOTIFIER_DID = {
  /** The release ran (dirtied or not per its rule) and the reference is gone. */
  RELEASED: 0,
  /** lock_page on a page the invalidating path holds: the task hangs, the reference stays. */
  DEADLOCK: 1,
} as const;

/**
 * A GUP user's release run from the MMU notifier, inside the invalidating path
 * (invalidate_range_start → i915's userptr_mn_invalidate_range_start →
 * __i915_gem_object_put_pages → i915_gem_userptr_put_pages, before 5.13). `holdsLock`: that
 * path holds PG_locked of this page (try_to_unmap, page_mkclean under
 * clear_page_dirty_for_io, truncate, invalidate_inode_pages2: yes; munmap's unmap_vmas: no).
 * A release that must lock_page then sleeps on a lock its own task holds: pageLockDeadlocks
 * (aa56a292ce62; Linus Torvalds: "You can't take the page lock in invalidate_range(), since
 * it's called from try_to_unmap(), which is called with the page lock already held"), and
 * nothing is released (NOTIFIER_DID.DEADLOCK). Otherwise the release runs with PG_locked as
 * the path left it: a trylock fails (2d691aeca4ae: the dirtying is skipped), an unlocked
 * set_page_dirty finds PageLocked set (no lock warning for this page). The engine, which
 * holds no lock between events, sets PG_locked for the call; in the checker the path's step
 * has taken it already. Returns one of NOTIFIER_DID.
 */
export function notifierRelease(
  pc: PageCache,
  p: number,
  pin: boolean,
  cleanWritesAtGrab: number,
  policy: Policy,
  holdsLock: boolean,
): number {
  const r = policy.release;
  if (holdsLock && r.lock === "lock" && !(r.dirty === "if-clean" && pc.dirty(p))) {
    pc.counters[METRIC.pageLockDeadlocks]++;
    return NOTIFIER_DID.DEADLOCK;
  }
  const set = holdsLock && !pc.locked(p);
  if (set) pc.setFlag(p, PG.locked, 1);
  pc.releaseGupPage(p, pin, cleanWritesAtGrab, policy);
  if (set) pc.setFlag(p, PG.locked, 0);
  if (pc.notifierPins[p] > 0) pc.notifierPins[p]--;
  // The invalidation goes on once every notifier release of the page has returned.
  if (pc.notifierPins[p] === 0) pc.notifying[p] = 0;
  return NOTIFIER_DID.RELEASED;
}

/**
 * zap_pte_range for the page's ptes (munmap → unmap_vmas, after invalidate_range_start): a
 * dirty pte moves into PG_dirty (set_page_dirty under the pte lock, no page lock), the
 * mappings go. Device mirrors are invalidated.
 */
export function zapPteRange(pc: PageCache, p: number): void {
  pc.notifyInvalidate(p);
  if (pc.pteWritable(p)) {
    pc.setFlag(p, PG.pteWritable, 0);
    pc.setPageDirty(p);
  }
  if (pc.mapped(p)) {
    pc.setFlag(p, PG.mapped, 0);
    pc.setRefcount(p, pc.refcount(p) - pc.shares[p]);
  }
}

/**
 * invalidate_inode_page's refusal (mm/truncate.c; mapping_evict_folio from the folio
 * conversion), under the page lock: a dirty page or one under writeback is kept; then, before
 * e41c81d0d30e (v5.18), a page some pte maps (`page_mapped`), which leaves a pinned page that
 * no pte maps to try_to_release_page; from it (env.invalidateChecksRefs), any page with a
 * reference beyond the page cache's and its buffers' — a mapping, a GUP reference, a
 * transient one (is_page_cache_freeable's test). Reads only.
 */
export function invalidateRefuses(pc: PageCache, p: number): boolean {
  if (pc.dirty(p) || pc.writeback(p)) return true;
  if (pc.env.invalidateChecksRefs) return !pc.isPageCacheFreeable(p);
  return pc.mapped(p) === 1 && pc.shares[p] > 0;
}

/**
 * invalidate_mapping_pages on one page at one instant (mm/truncate.c, drop_caches and
 * fadvise(POSIX_FADV_DONTNEED), and ext4's O_DIRECT write after a buffered fallback): skip a
 * locked, absent or detached page; invalidateRefuses; try_to_release_page (frees the
 * buffers, counted in buffersStripped); __remove_mapping, which refuses a held page. The
 * checker cuts it into its steps. Returns whether the page was evicted.
 */
export function invalidateInodePage(pc: PageCache, p: number): boolean {
  if (!pc.resident(p) || !pc.attached(p) || pc.locked(p) || invalidateRefuses(pc, p)) return false;
  if (!pc.tryToReleasePage(p)) return false;
  return pc.removeMapping(p);
}

/**
 * invalidate_mapping_pages over file f (mm/truncate.c; drop_caches, fadvise
 * POSIX_FADV_DONTNEED) at one instant, the engine's: every page through invalidateInodePage,
 * which keeps a dirty, locked or under-writeback page, before v5.18 a mapped one, from it a
 * referenced one, and otherwise frees its buffers (whoever holds it) and evicts it if nobody
 * does. `before(p)` runs first for each page (the engine's device-write catch-up).
 */
export function invalidateMappingPages(pc: PageCache, f: number, before: (p: number) => void): void {
  const start = f * pc.pagesPerFile;
  for (let p = start; p < start + pc.pagesPerFile; p++) {
    before(p);
    invalidateInodePage(pc, p);
  }
}

/**
 * invalidate_complete_page2's removal (mm/truncate.c, invalidate_inode_pages2_range, after
 * try_to_release_page freed the buffers): a dirty page is kept (-EBUSY: "Page cache
 * invalidation failure on direct I/O"); a clean one leaves the page cache whoever else holds
 * it ("it ignores the page's refcount"): its memory, if it differed from disk, is
 * lostDataEvicted; a page still held by GUP stays allocated, detached, as after truncate.
 * Returns whether it was removed.
 */
export function deleteFromPageCache(pc: PageCache, p: number): boolean {
  if (pc.dirty(p) || !pc.attached(p)) return false;
  if (pc.mem(p) !== pc.disk(p)) {
    pc.counters[METRIC.lostDataEvicted]++;
    pc.counters[METRIC.lostData]++;
  }
  pc.counters[METRIC.evictions]++;
  pc.invalidateBuffers(p);
  pc.delalloc[p] = 0;
  pc.setFlag(p, PG.attached, 0);
  pc.setRefcount(p, pc.refcount(p) - 1);
  if (pc.pins[p] + pc.gets[p] === 0) {
    pc.setMem(p, pc.disk(p));
    pc.freePage(p);
  }
  return true;
}

/**
 * btrfs: the filesystem was told of the write (btrfs_page_mkwrite, or write_begin's
 * prepare_pages → btrfs_dirty_folio): btrfs_set_extent_delalloc marks the range delalloc,
 * which the next writeback turns into an ordered extent. A no-op on other backings.
 */
export function markDelalloc(pc: PageCache, p: number): void {
  if (pc.privateData === "cow-fixup") pc.delalloc[p] = 1;
}

/**
 * btrfs's extent_writepage for a dirty page (fs/btrfs/extent_io.c), from
 * PageCache.writepageHasBuffers: set_folio_extent_mapped re-attaches a private marker
 * reclaim took (bufferlessWriteback), writepage_delalloc makes an ordered extent of a
 * delalloc range (the Ordered flag, set until the I/O completes: btrfs_finish_ordered_io
 * clears it with end_page_writeback), then btrfs_writepage_cow_fixup (fs/btrfs/inode.c)
 * finds a page without the flag — dirtied without the filesystem's knowledge, e.g. by a GUP
 * release after the previous writeback completed — and sends it to the fixup worker:
 * cowFixups. The worker reserves space, marks it delalloc and redirties it; the model writes
 * it in this pass (the data reaches disk), as default builds do; CONFIG_BTRFS_EXPERIMENTAL
 * builds from 7ca3e84980ef (v6.15) return -EUCLEAN instead (FEATURES.btrfsRejectOutOfBand),
 * which the model does not run. Returns true (the I/O may start).
 */
export function btrfsWritepage(pc: PageCache, p: number): boolean {
  if (!pc.buffers(p)) {
    pc.counters[METRIC.bufferlessWriteback]++;
    pc.attachBuffers(p);
  }
  const ordered = pc.delalloc[p] === 1;
  pc.delalloc[p] = 0;
  if (!ordered) pc.counters[METRIC.cowFixups]++;
  return true;
}

/**
 * Whether ->writepage would BUG() on page p now (ext4 before cc5095747edf, v5.18,
 * `fsBehavior: ext4-bug`): a dirty page without buffers. Reads only.
 */
export function writepageBugs(pc: PageCache, p: number): boolean {
  return pc.privateData === "ext4" && pc.fsBehavior === "ext4-bug" && pc.dirty(p) === 1 && !pc.buffers(p);
}
