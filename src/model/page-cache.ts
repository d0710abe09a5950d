/**
 * The kernel operations on the page state (docs/model.md, "Operations"), in camelCase: the
 * atomic pieces and the shared compositions (clearPageDirtyForIo, writeCachePage, syncPage,
 * releaseGupPage). The engine runs a composition at one instant, the checker interleaves
 * the pieces; both call this code, so their semantics cannot drift apart.
 */
import { METRIC } from "./metrics.js";
import { REFCOUNT_MAX } from "./params.js";
import { WritebackDecision, type Policy } from "./policy.js";
import { releaseAtOnce } from "./release.js";
import { PageState } from "./page-state.js";
import { PG } from "./page-record.js";
import { btrfsWritepage, markDelalloc } from "./page-paths.js";

export { ENGINE_BIT, PAGE_STRIDE, PG } from "./page-record.js";
export {
  countArray,
  type CleanDelaySamples,
  type CountArray,
  type PageCacheOptions,
  type PageCacheSizes,
} from "./page-state.js";

/** Result of one page's pass through write_cache_pages. */
export const WRITE = {
  /** set_page_writeback ran: the caller schedules end_page_writeback. */
  STARTED: 0,
  /** Skipped: detached, clean, under writeback (WB_SYNC_NONE), or kept dirty by the policy. */
  SKIPPED: 1,
  /** WB_SYNC_ALL found it under writeback and must wait for end_page_writeback. */
  WAIT: 2,
} as const;

/** The page cache of one run: PageState's state (src/model/page-state.ts) and the kernel operations on it. */
export class PageCache extends PageState {
  /** __mark_inode_dirty(I_DIRTY_PAGES) (fs/fs-writeback.c): dirtied_when is set only on the clean -> dirty transition. */
  markInodeDirty(f: number): void {
    if (!this.inodeDirty[f]) {
      this.inodeDirty[f] = 1;
      this.dirtiedWhen[f] = this.now;
    }
  }

  /**
   * set_page_dirty / folio_mark_dirty (mm/page-writeback.c; block_dirty_folio on a
   * buffer-head filesystem). A no-op on a detached page (__folio_mark_dirty's "race with
   * truncate" check). ext4_set_page_dirty's WARN_ON_ONCE(!PageLocked && !PageDirty) and its
   * no-buffers WARN (6dcc693bc57f, v4.10): dirtyWithoutLock (env.lockWarning) and
   * dirtyWithoutBuffers. `locked`: PG_locked as the WARN reads it (default: the page's; the
   * engine, holding no lock between events, passes true where the kernel path holds it).
   * Returns whether PG_dirty went 0 -> 1.
   */
  setPageDirty(p: number, locked?: boolean): boolean {
    if (!this.attached(p) || this.dirty(p)) return false;
    if (locked === undefined) locked = this.locked(p) === 1;
    this.setDirty(p, 1);
    this.setDirtySinceOf(p, this.now);
    if (!locked && this.env.lockWarning) this.counters[METRIC.dirtyWithoutLock]++;
    if (!this.buffers(p) && this.privateData !== "none") this.counters[METRIC.dirtyWithoutBuffers]++;
    const f = this.fileOf(p);
    this.dirtyPages[f]++;
    this.totalDirty++;
    if (this.cleanDelays) this.dirtiedInCleanInode[p] = this.inodeDirty[f] ? 0 : 1;
    this.markInodeDirty(f);
    return true;
  }

  /** TestClearPageDirty (folio_test_clear_dirty). Returns whether the page was dirty. */
  testClearPageDirty(p: number): boolean {
    if (!this.dirty(p)) return false;
    this.setDirty(p, 0);
    if (this.attached(p)) {
      this.dirtyPages[this.fileOf(p)]--;
      this.totalDirty--;
    }
    return true;
  }

  /**
   * Sample maxDirtyAgeWhilePinned: the time since the page last went clean→dirty, while a
   * GUP reference is held. Called wherever the held page is looked at: writeback, release.
   */
  noteDirtyAge(p: number): void {
    if (!this.gupHeld(p) || !this.dirty(p)) return; // NOTE: for performance: one word, not pins and gets
    const age = this.now - this.dirtySinceOf(p);
    if (age > this.counters[METRIC.maxDirtyAgeWhilePinned]) this.counters[METRIC.maxDirtyAgeWhilePinned] = age;
  }

  /** Attach buffer heads (create_empty_buffers from ->page_mkwrite / ->write_begin); they hold a reference. */
  attachBuffers(p: number): void {
    if (!this.buffers(p) && this.privateData !== "none") {
      this.setFlag(p, PG.buffers, 1);
      this.setRefcount(p, this.refcount(p) + 1);
    }
  }

  /** Free the buffer heads unconditionally (block_invalidate_folio from truncate). */
  invalidateBuffers(p: number): void {
    if (this.buffers(p)) {
      this.setFlag(p, PG.buffers, 0);
      this.setRefcount(p, this.refcount(p) - 1);
    }
  }

  /**
   * try_to_release_page / filemap_release_folio (mm/filemap.c) → try_to_free_buffers
   * (fs/buffer.c): fails under writeback or while the buffers are dirty (a dirty page's
   * buffers are dirty, block_dirty_folio); otherwise frees them WITHOUT looking at the
   * page's references — how a GUP-held page that the flusher cleaned loses its buffers
   * (Jan Kara, 2018). Counts buffersStripped. Returns whether the page has no buffers now.
   */
  tryToReleasePage(p: number): boolean {
    if (!this.buffers(p)) return true;
    if (this.writeback(p) || this.dirty(p)) return false;
    this.invalidateBuffers(p);
    if (this.attached(p)) this.counters[METRIC.buffersStripped]++;
    return true;
  }

  /**
   * is_page_cache_freeable (mm/vmscan.c, every release since 2.6): pageout() writes a
   * page only if `refcount - has_private == 1 (reclaim's isolation) + 1 (page cache)`.
   * Our refcount leaves out reclaim's own reference, so: nothing but the page cache and
   * the buffers holds the page — no mapping, no GUP reference, no transient reference.
   * A dirty page that fails it is PAGE_KEEP: reclaim never writes a page someone holds.
   */
  isPageCacheFreeable(p: number): boolean {
    return this.refcount(p) - this.buffers(p) === 1;
  }

  /**
   * The reclaim guard in shrink_folio_list (mm/vmscan.c, "mm: do not reclaim private data
   * from pinned page", v6.4), after try_to_unmap: a folio the detector calls pinned goes
   * to activate_locked. Counts reclaimGuardSkips. Returns whether reclaim keeps the page.
   */
  reclaimGuardKeeps(p: number): boolean {
    if (!this.folioMaybeDmaPinned(p)) return false;
    this.counters[METRIC.reclaimGuardSkips]++;
    return true;
  }

  /** The sharers' mappings come back on the next access (a fault maps the page again). */
  mapPage(p: number): void {
    if (!this.mapped(p)) {
      this.setFlag(p, PG.mapped, 1);
      this.setRefcount(p, this.refcount(p) + this.shares[p]);
    }
  }

  /**
   * A read after eviction or truncation (filemap_fault -> ->read_folio): a new page, clean,
   * attached, without buffers, unmapped until the access maps it; content as on disk.
   */
  readPage(p: number): void {
    this.setFlag(p, PG.resident, 1);
    this.setFlag(p, PG.attached, 1);
    this.setDirty(p, 0); // a page not in memory is clean (freePage): no dirtying time to drop
    this.setFlag(p, PG.writeback, 0);
    this.setFlag(p, PG.bounced, 0);
    this.setFlag(p, PG.buffers, 0);
    this.setFlag(p, PG.pteWritable, 0);
    this.setFlag(p, PG.mapped, 0);
    this.setMem(p, this.disk(p));
    this.setIo(p, this.disk(p));
    this.setRefcount(p, 1 + this.transient[p]);
  }

  /**
   * Write fault on a shared mapping (mm/memory.c do_page_mkwrite → ->page_mkwrite, which
   * locks the page and attaches buffers; fault_dirty_shared_page: set_page_dirty, unlock),
   * and the pte becomes writable and dirty. The stable-writes wait is the caller's.
   */
  pageMkwrite(p: number): void {
    this.attachBuffers(p);
    markDelalloc(this, p);
    this.setPageDirty(p, true);
    this.setFlag(p, PG.pteWritable, 1);
  }

  /**
   * mmu_interval_read_begin (mm/mmu_notifier.c, v5.5 on): the invalidation sequence a
   * mirroring device's mapping of page p starts from (hmm_range_fault runs inside it).
   */
  mmuIntervalReadBegin(p: number): number {
    return this.notifierSeq[p];
  }

  /**
   * mmu_interval_read_retry (include/linux/mmu_notifier.h, v5.5 on): whether page p's mappings
   * were invalidated since `seq` was read (a page that left memory was unmapped first: yes).
   */
  mmuIntervalReadRetry(p: number, seq: number): boolean {
    return !this.resident(p) || this.notifierSeq[p] !== seq;
  }

  /** Invalidate device mappings (mmu_notifier_invalidate_range_start). */
  notifyInvalidate(p: number): void {
    if (this.notifierSeq.length !== 0) this.notifierSeq[p] = (this.notifierSeq[p] + 1) >>> 0;
  }

  /**
   * page_mkclean / folio_mkclean (mm/rmap.c): write-protect every pte; a dirty pte moves
   * into PG_dirty (folio_clear_dirty_for_io: `if (folio_mkclean(folio)) folio_mark_dirty(folio)`).
   */
  pageMkclean(p: number): void {
    this.notifyInvalidate(p);
    if (this.pteWritable(p)) {
      this.setFlag(p, PG.pteWritable, 0);
      this.setPageDirty(p, true); // folio_mkclean's callers hold the folio lock
    }
  }

  /** try_to_unmap (mm/rmap.c): drop the sharers' mappings; a dirty pte is moved into PG_dirty first. */
  tryToUnmap(p: number): void {
    this.pageMkclean(p);
    if (this.mapped(p)) {
      this.setFlag(p, PG.mapped, 0);
      this.setRefcount(p, this.refcount(p) - this.shares[p]);
    }
  }

  /**
   * folio_maybe_dma_pinned (include/linux/mm.h; page_maybe_dma_pinned before the folio
   * conversion, v5.7 on), as its consumers see it: the refcount read includes the
   * consumer's own reference (writeback's folio batch, reclaim's isolation), so one more
   * than the resting refcount; `(unsigned)refcount >= bias` for order-0 pages. Counts
   * detectorChecks, detectorChecksUnpinned, falsePositives and falseNegatives. `own`: fork's is AnonRules.forkOwnReference.
   */
  folioMaybeDmaPinned(p: number, own = 1): boolean {
    // A large folio's exact count (atomic_read(&folio->_pincount) > 0): never a false positive.
    const seen = this.exactPincount ? this.pins[p] > 0 : (this.refcount(p) + own) >>> 0 >= this.bias;
    this.counters[METRIC.detectorChecks]++;
    if (this.pins[p] === 0) {
      this.counters[METRIC.detectorChecksUnpinned]++;
      if (seen) this.counters[METRIC.falsePositives]++;
    }
    if (!seen && this.pins[p] + this.gets[p] > 0) this.counters[METRIC.falseNegatives]++;
    return seen;
  }

  /**
   * try_grab_folio (mm/gup.c): FOLL_GET adds 1, FOLL_PIN adds the bias. Refused (false)
   * if the refcount would pass 2^31 - 1 (commit 8fde12ca79af, v5.1).
   */
  tryGrabFolio(p: number, pin: boolean): boolean {
    const add = pin ? this.pinAdd : 1;
    if (this.refcount(p) + add > REFCOUNT_MAX) return false;
    this.setRefcount(p, this.refcount(p) + add);
    if (pin) this.pins[p]++;
    else this.gets[p]++;
    this.setFlag(p, PG.gupHeld, 1);
    return true;
  }

  /**
   * gup_put_folio (mm/gup.c: unpin_user_page for FOLL_PIN, put_page for FOLL_GET). A
   * detached page with no GUP reference left is freed.
   */
  gupPutFolio(p: number, pin: boolean): void {
    this.setRefcount(p, this.refcount(p) - (pin ? this.pinAdd : 1));
    if (pin) this.pins[p]--;
    else this.gets[p]--;
    if (this.pins[p] + this.gets[p] !== 0) return;
    this.setFlag(p, PG.gupHeld, 0);
    if (!this.attached(p)) this.freePage(p);
  }

  /**
   * A GUP user's release of one page: the policy's declared release as one step
   * (releaseAtOnce: set_page_dirty_lock, the seed's `if (!PageDirty)` check, a trylock that
   * `miss()` may fail, nothing…), then gup_put_folio. Counts pinsCompleted,
   * pinsWithWriteToCleanPage (`cleanWritesAtGrab` is `cleanWrites[p]` when the pin was
   * taken) and releasesUnsaved: the page is attached, mem != disk, not dirty, and no I/O
   * in flight carries mem — this pin's data is lost unless something redirties the page.
   */
  releaseGupPage(
    p: number,
    pin: boolean,
    cleanWritesAtGrab: number,
    policy: Policy = this.policy,
    miss?: () => boolean,
  ): void {
    this.noteDirtyAge(p);
    releaseAtOnce(policy.release, this, p, miss);
    this.counters[METRIC.pinsCompleted]++;
    if (this.cleanWrites(p) !== cleanWritesAtGrab) this.counters[METRIC.pinsWithWriteToCleanPage]++;
    if (this.unsaved(p)) this.counters[METRIC.releasesUnsaved]++;
    this.gupPutFolio(p, pin);
  }

  /** The page leaves memory; the slot reads back from disk on its next access. */
  freePage(p: number): void {
    this.setFlag(p, PG.resident, 0);
    this.setFlag(p, PG.attached, 1);
    this.setFlag(p, PG.mapped, 0);
    this.setFlag(p, PG.pteWritable, 0);
    this.setFlag(p, PG.buffers, 0);
    this.setDirty(p, 0);
    this.delalloc[p] = 0;
    this.setRefcount(p, 0);
  }

  /**
   * __remove_mapping (mm/vmscan.c): folio_ref_freeze(1 + the cache's reference) fails while anyone else holds the
   * page (a mapping, buffers, GUP, transient; an anon page out of the swap cache has no mapping: keep_locked), then
   * PG_dirty. Counts lostDataEvicted (anon: only if shares > 0, a pte or swap entry reads it back). Evicted?
   */
  removeMapping(p: number): boolean {
    if (this.refcount(p) !== (this.env.anonymous ? this.swapCache[p] : 1) || !this.refcount(p) || this.dirty(p))
      return false;
    this.counters[METRIC.evictions]++;
    if (this.mem(p) !== this.disk(p) && !(this.env.anonymous && this.shares[p] === 0)) {
      this.counters[METRIC.lostDataEvicted]++;
      this.counters[METRIC.lostData]++;
    }
    this.setMem(p, this.disk(p));
    this.freePage(p);
    return true;
  }

  /**
   * truncate_inode_pages for one page (mm/truncate.c): wait for writeback, unmap, cancel
   * the dirty state (folio_cancel_dirty), invalidate the buffers, detach from the mapping
   * (dropping the page cache's reference). A page still held by GUP stays allocated,
   * detached; others are freed. The data is discarded by the user's own act, so the
   * slot's disk content is what memory held.
   */
  truncatePage(p: number): void {
    if (!this.resident(p)) return;
    if (this.writeback(p)) this.endPageWriteback(p);
    this.notifyInvalidate(p);
    this.setFlag(p, PG.pteWritable, 0);
    if (this.mapped(p)) {
      this.setFlag(p, PG.mapped, 0);
      this.setRefcount(p, this.refcount(p) - this.shares[p]);
    }
    if (this.attached(p)) {
      this.testClearPageDirty(p);
      this.invalidateBuffers(p);
      this.delalloc[p] = 0;
      this.setFlag(p, PG.attached, 0);
      this.setRefcount(p, this.refcount(p) - 1);
    }
    this.setDisk(p, this.mem(p));
    this.setIo(p, this.mem(p));
    this.setFlag(p, PG.written, 0);
    if (this.pins[p] + this.gets[p] === 0) this.freePage(p);
  }

  /**
   * set_page_writeback / __folio_start_writeback (mm/page-writeback.c): the I/O captures
   * the content now (a bounce copies it first). Counts writebacks, doubleWritebacks (the
   * content equals disk) and doubleWritebacksStrict (and that version was put on disk by
   * an earlier completed writeback of this run).
   */
  setPageWriteback(p: number, bounce: boolean): void {
    this.setFlag(p, PG.writeback, 1);
    this.setFlag(p, PG.bounced, bounce ? 1 : 0);
    this.setIo(p, this.mem(p));
    this.counters[METRIC.writebacks]++;
    if (this.mem(p) === this.disk(p)) {
      this.counters[METRIC.doubleWritebacks]++;
      if (this.written(p)) this.counters[METRIC.doubleWritebacksStrict]++;
    }
    if (bounce) this.counters[METRIC.bounceCopies]++;
  }

  /** end_page_writeback / folio_end_writeback: the captured version is on disk. */
  endPageWriteback(p: number): void {
    this.setFlag(p, PG.writeback, 0);
    this.setFlag(p, PG.bounced, 0);
    this.setDisk(p, this.io(p));
    this.setFlag(p, PG.written, 1);
  }

  /**
   * folio_clear_dirty_for_io (mm/page-writeback.c), called with the page locked: folio_mkclean
   * (a dirty pte moves into PG_dirty), the policy's hook, then TestClearPageDirty if the policy
   * lets it clear. Records the clean delay (traceClean). Returns the WritebackDecision bits.
   */
  clearPageDirtyForIo(p: number, sync: boolean): number {
    this.pageMkclean(p);
    return this.testClearPageDirtyForIo(p, sync);
  }

  /**
   * The second half of folio_clear_dirty_for_io, after folio_mkclean: the policy's hook
   * (keep dirty, skip, bounce), then TestClearPageDirty if it lets the page clear. The
   * checker runs it as its own step (GUP and device writes can land between the two
   * halves: they take no page lock). Returns the WritebackDecision bits.
   */
  testClearPageDirtyForIo(p: number, sync: boolean): number {
    const decision = this.policy.writebackDecision(this, p, sync);
    const since = this.recordingCleanDelays ? this.dirtySinceOf(p) : 0; // before the clear drops it
    if (decision & WritebackDecision.CLEAR && this.testClearPageDirty(p) && this.recordingCleanDelays) {
      const delay = this.now - since;
      (this.dirtiedInCleanInode[p] ? this.cleanDelays!.cleanInode : this.cleanDelays!.dirtyInode).push(delay);
    }
    return decision;
  }

  /**
   * One page of write_cache_pages (mm/page-writeback.c), at one instant: lock; skip if
   * detached or clean; under writeback skip (WB_SYNC_NONE) or wait (WB_SYNC_ALL);
   * clear_page_dirty_for_io; ->writepage (ext4's check for buffers); set_page_writeback;
   * unlock. The caller completes the I/O (end_page_writeback). `lastDecision` keeps the
   * policy's bits (a BOUNCE_AT_BIO copy is the caller's to schedule).
   */
  writeCachePage(p: number, sync: boolean): number {
    this.lastDecision = 0;
    if (!this.resident(p) || !this.attached(p) || !this.dirty(p)) return WRITE.SKIPPED;
    if (this.writeback(p)) return sync ? WRITE.WAIT : WRITE.SKIPPED;
    this.noteDirtyAge(p);
    const decision = (this.lastDecision = this.clearPageDirtyForIo(p, sync));
    if (!(decision & WritebackDecision.WRITE)) return WRITE.SKIPPED;
    if (!this.writepageHasBuffers(p)) return WRITE.SKIPPED;
    this.setPageWriteback(p, (decision & WritebackDecision.BOUNCE) !== 0);
    return WRITE.STARTED;
  }

  /**
   * One page of sync(2)'s data-integrity pass (WB_SYNC_ALL, tagged: sync_inodes_sb →
   * write_cache_pages with tag_pages_for_writeback, so each page at most once), with every
   * I/O completing before the next page: wait for an I/O in flight, write the page if it
   * is dirty, let the I/O end. A page the policy keeps dirty is written once and left
   * dirty. Returns whether an I/O was started.
   */
  syncPage(p: number): boolean {
    if (this.writeback(p)) this.endPageWriteback(p);
    if (this.writeCachePage(p, true) !== WRITE.STARTED) return false;
    if (this.lastDecision & WritebackDecision.BOUNCE_AT_BIO) this.bounceAtBio(p);
    this.endPageWriteback(p);
    return true;
  }

  /**
   * ->writepage's check for buffers (ext4_writepage, mpage_prepare_extent_to_map). Without
   * them: bufferlessWriteback. `ext4-bug` (before cc5095747edf, v5.18): BUG() — the
   * kernel stops; crashedAt records the instant and the caller stops the run. `ext4-warn`
   * (after it): warn, clear PG_dirty and skip the page (its data is then lost). Returns
   * whether the I/O may start.
   */
  writepageHasBuffers(p: number): boolean {
    if (this.privateData === "cow-fixup") return btrfsWritepage(this, p);
    if (this.buffers(p) || this.privateData === "none") return true;
    this.counters[METRIC.bufferlessWriteback]++;
    if (this.fsBehavior === "ext4-warn") {
      this.testClearPageDirty(p);
      return false;
    }
    if (this.crashedAt < 0) this.crashedAt = this.now;
    return true;
  }

  /**
   * The block layer's bounce at bio submission (WritebackDecision.BOUNCE_AT_BIO), after
   * unlock_page: the I/O in flight now carries the content at this moment.
   */
  bounceAtBio(p: number): void {
    this.setFlag(p, PG.bounced, 1);
    this.setIo(p, this.mem(p));
    this.counters[METRIC.bounceCopies]++;
  }

  /** trylock_page: take PG_locked if free. The engine never holds it across an instant; the checker does. */
  trylockPage(p: number): boolean {
    if (this.locked(p)) return false;
    this.setFlag(p, PG.locked, 1);
    return true;
  }

  /** unlock_page. */
  unlockPage(p: number): void {
    this.setFlag(p, PG.locked, 0);
  }

  /**
   * A device write into page p: mem++, no pte bit, no PG_dirty, no filesystem hook.
   * Counts the incidents of where it lands. (An MMU-notifier device that refaulted through
   * page_mkwrite lands in a dirty page, but without stable writes it can still land under
   * an I/O started before its refault: that counts, as in the checker.) Also countWrite's.
   * `n` writes at once when the page's state is the same for all of them.
   */
  dmaWrite(p: number, n = 1): void {
    this.countWrite(p, n, true); // and mem += n
    if (!this.attached(p)) this.counters[METRIC.truncatedWhilePinned] += n;
    else {
      if (this.cleanWithCopy(p)) {
        this.counters[METRIC.writeToCleanPage] += n;
        this.setCleanWrites(p, (this.cleanWrites(p) + n) >>> 0);
      }
      if (this.writeback(p) && !this.bounced(p)) this.counters[METRIC.modifiedUnderWriteback] += n;
    }
  }

  /** A CPU store through a writable pte (the caller faulted first): mem++, and countWrite's incidents. */
  cpuStore(p: number): void {
    this.countWrite(p, 1, false);
  }
}
