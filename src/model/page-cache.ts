/**
 * Page and inode state of MODEL.md §2 in typed arrays, and the kernel operations on it
 * (§3), each named after the function it stands for. Operations here are the atomic
 * pieces; the engine runs a composition at one instant, the checker interleaves them.
 */
import { M } from "./metrics.js";
import { REFCOUNT_MAX, type FsBehavior } from "./params.js";
import { WB, type Policy } from "./policy.js";

/** Result of one page's pass through write_cache_pages. */
export const WRITE = {
  /** set_page_writeback ran: the caller schedules end_page_writeback. */
  STARTED: 0,
  /** Skipped: detached, clean, under writeback (WB_SYNC_NONE), or kept dirty by the policy. */
  SKIPPED: 1,
  /** WB_SYNC_ALL found it under writeback and must wait for end_page_writeback. */
  WAIT: 2,
} as const;

export interface PageCacheOptions {
  files: number;
  pagesPerFile: number;
  bias: number;
  fsBehavior: FsBehavior;
  policy: Policy;
}

export class PageCache {
  readonly files: number;
  readonly pagesPerFile: number;
  readonly pages: number;
  readonly bias: number;
  readonly fsBehavior: FsBehavior;
  readonly policy: Policy;
  /** Current simulated time, seconds; the caller advances it. */
  now = 0;
  /** Incident and cost counters, indexed by M. */
  readonly counters = new Float64Array(Object.keys(M).length);

  // Per page (MODEL.md §2).
  readonly shares: Int32Array; // page_mapcount when mapped
  readonly transient: Int32Array; // other references
  readonly refcount: Int32Array; // page_ref_count
  readonly pins: Int32Array; // FOLL_PIN references
  readonly gets: Int32Array; // FOLL_GET references
  readonly dirty: Uint8Array; // PG_dirty
  readonly writeback: Uint8Array; // PG_writeback
  readonly locked: Uint8Array; // PG_locked
  readonly buffers: Uint8Array; // page_has_buffers
  readonly pteWritable: Uint8Array; // a writable, dirty pte
  readonly attached: Uint8Array; // page->mapping != NULL
  readonly resident: Uint8Array; // in memory at all (0 after eviction, until read back)
  readonly mapped: Uint8Array; // the sharers' ptes exist (0 after unmap, until next access)
  readonly bounced: Uint8Array; // the I/O in flight is from a bounce copy
  readonly mem: Uint32Array; // content version in memory
  readonly disk: Uint32Array; // content version on disk
  readonly io: Uint32Array; // content version captured by the I/O in flight
  readonly notifierSeq: Uint32Array; // bumped by every MMU-notifier invalidation
  readonly dirtySince: Float64Array; // when PG_dirty last went 0->1
  readonly heldSince: Float64Array; // when pins + gets last went 0->1
  // Per file (inode).
  readonly inodeDirty: Uint8Array; // I_DIRTY_PAGES
  readonly dirtiedWhen: Float64Array; // inode->dirtied_when
  readonly dirtyPages: Int32Array; // attached pages with PG_dirty
  /** Attached pages with PG_dirty, all files. */
  totalDirty = 0;

  constructor(o: PageCacheOptions) {
    this.files = o.files;
    this.pagesPerFile = o.pagesPerFile;
    this.pages = o.files * o.pagesPerFile;
    this.bias = o.bias;
    this.fsBehavior = o.fsBehavior;
    this.policy = o.policy;
    const n = this.pages;
    this.shares = new Int32Array(n);
    this.transient = new Int32Array(n);
    this.refcount = new Int32Array(n);
    this.pins = new Int32Array(n);
    this.gets = new Int32Array(n);
    this.dirty = new Uint8Array(n);
    this.writeback = new Uint8Array(n);
    this.locked = new Uint8Array(n);
    this.buffers = new Uint8Array(n);
    this.pteWritable = new Uint8Array(n);
    this.attached = new Uint8Array(n);
    this.resident = new Uint8Array(n);
    this.mapped = new Uint8Array(n);
    this.bounced = new Uint8Array(n);
    this.mem = new Uint32Array(n);
    this.disk = new Uint32Array(n);
    this.io = new Uint32Array(n);
    this.notifierSeq = new Uint32Array(n);
    this.dirtySince = new Float64Array(n);
    this.heldSince = new Float64Array(n);
    this.inodeDirty = new Uint8Array(o.files);
    this.dirtiedWhen = new Float64Array(o.files);
    this.dirtyPages = new Int32Array(o.files);
  }

  /** Initial state (MODEL.md §3): resident, attached, clean, no buffers, mapped read-only. */
  initPage(p: number, shares: number, transient: number): void {
    this.shares[p] = shares;
    this.transient[p] = transient;
    this.resident[p] = 1;
    this.attached[p] = 1;
    this.mapped[p] = 1;
    this.refcount[p] = 1 + shares + transient;
  }

  fileOf(p: number): number {
    return (p / this.pagesPerFile) | 0;
  }

  /** The refcount as MODEL.md §2 defines it, from the ground truth (for checks, not the hot path). */
  refcountFormula(p: number): number {
    if (!this.resident[p]) return 0;
    return (this.attached[p] ? 1 : 0) + this.buffers[p] + (this.mapped[p] ? this.shares[p] : 0) +
      this.gets[p] + this.bias * this.pins[p] + this.transient[p];
  }

  count(metric: number, by = 1): void {
    this.counters[metric] += by;
  }

  /** __mark_inode_dirty(I_DIRTY_PAGES): dirtied_when is set only on the clean -> dirty transition. */
  markInodeDirty(f: number): void {
    if (!this.inodeDirty[f]) {
      this.inodeDirty[f] = 1;
      this.dirtiedWhen[f] = this.now;
    }
  }

  /**
   * set_page_dirty / folio_mark_dirty (block_dirty_folio). A no-op on a detached page
   * (__folio_mark_dirty's "race with truncate" check). Counts dirtyWithoutBuffers where
   * ext4_set_page_dirty would WARN. Returns whether PG_dirty went 0 -> 1.
   */
  setPageDirty(p: number): boolean {
    if (!this.attached[p] || this.dirty[p]) return false;
    this.dirty[p] = 1;
    this.dirtySince[p] = this.now;
    if (!this.buffers[p]) this.counters[M.dirtyWithoutBuffers]++;
    const f = this.fileOf(p);
    this.dirtyPages[f]++;
    this.totalDirty++;
    this.markInodeDirty(f);
    return true;
  }

  /** TestClearPageDirty. Returns whether the page was dirty. */
  testClearPageDirty(p: number): boolean {
    if (!this.dirty[p]) return false;
    this.noteDirtyAge(p);
    this.dirty[p] = 0;
    if (this.attached[p]) {
      this.dirtyPages[this.fileOf(p)]--;
      this.totalDirty--;
    }
    return true;
  }

  /** Longest time a page has been dirty while held by GUP, measured when either ends. */
  private noteDirtyAge(p: number): void {
    if (this.pins[p] + this.gets[p] === 0 || !this.dirty[p]) return;
    const age = this.now - Math.max(this.dirtySince[p], this.heldSince[p]);
    if (age > this.counters[M.maxDirtyAgeWhilePinned]) this.counters[M.maxDirtyAgeWhilePinned] = age;
  }

  /** Attach buffer heads (create_empty_buffers from ->page_mkwrite / ->write_begin). */
  attachBuffers(p: number): void {
    if (!this.buffers[p]) {
      this.buffers[p] = 1;
      this.refcount[p]++;
    }
  }

  /** try_to_release_page: free the buffer heads. */
  tryToReleasePage(p: number): void {
    if (this.buffers[p]) {
      this.buffers[p] = 0;
      this.refcount[p]--;
    }
  }

  /** The sharers' mappings come back on the next access (a fault maps the page again). */
  mapPage(p: number): void {
    if (!this.mapped[p]) {
      this.mapped[p] = 1;
      this.refcount[p] += this.shares[p];
    }
  }

  /**
   * A read after eviction or truncation (filemap_fault -> ->readpage): a new page, clean,
   * attached, without buffers, unmapped until the access maps it; content as on disk.
   */
  readPage(p: number): void {
    this.resident[p] = 1;
    this.attached[p] = 1;
    this.dirty[p] = 0;
    this.writeback[p] = 0;
    this.bounced[p] = 0;
    this.buffers[p] = 0;
    this.pteWritable[p] = 0;
    this.mapped[p] = 0;
    this.mem[p] = this.disk[p];
    this.io[p] = this.disk[p];
    this.refcount[p] = 1 + this.transient[p];
  }

  /**
   * Write fault on a shared mapping: do_page_mkwrite (->page_mkwrite locks the page and
   * attaches buffers; the stable-writes wait is the caller's), fault_dirty_shared_page
   * (set_page_dirty, unlock), and the pte becomes writable and dirty.
   */
  pageMkwrite(p: number): void {
    this.attachBuffers(p);
    this.setPageDirty(p);
    this.pteWritable[p] = 1;
  }

  /** Invalidate device mappings (mmu_notifier_invalidate_range_start). */
  notifyInvalidate(p: number): void {
    this.notifierSeq[p] = (this.notifierSeq[p] + 1) >>> 0;
  }

  /**
   * page_mkclean: write-protect every pte; a dirty pte moves into PG_dirty
   * (folio_clear_dirty_for_io: `if (folio_mkclean(folio)) folio_mark_dirty(folio)`).
   */
  pageMkclean(p: number): void {
    this.notifyInvalidate(p);
    if (this.pteWritable[p]) {
      this.pteWritable[p] = 0;
      this.setPageDirty(p);
    }
  }

  /** try_to_unmap: drop the sharers' mappings; a dirty pte is moved into PG_dirty first. */
  tryToUnmap(p: number): void {
    this.notifyInvalidate(p);
    if (this.pteWritable[p]) {
      this.pteWritable[p] = 0;
      this.setPageDirty(p);
    }
    if (this.mapped[p]) {
      this.mapped[p] = 0;
      this.refcount[p] -= this.shares[p];
    }
  }

  /**
   * page_maybe_dma_pinned, as its consumers see it: the refcount read includes the
   * consumer's own reference (writeback's folio batch, reclaim's isolation), so one more
   * than the resting refcount. `(unsigned)refcount >= bias` for order-0 pages.
   */
  maybeDmaPinned(p: number): boolean {
    const seen = ((this.refcount[p] + 1) >>> 0) >= this.bias;
    this.counters[M.detectorChecks]++;
    if (seen && this.pins[p] === 0) this.counters[M.falsePositives]++;
    if (!seen && this.pins[p] + this.gets[p] > 0) this.counters[M.falseNegatives]++;
    return seen;
  }

  /**
   * try_grab_folio: FOLL_GET adds 1, FOLL_PIN adds the bias. Refused (false) if the
   * refcount would pass 2^31 - 1 (commit 8fde12ca79af).
   */
  tryGrabPage(p: number, pin: boolean): boolean {
    const add = pin ? this.bias : 1;
    if (this.refcount[p] + add > REFCOUNT_MAX) return false;
    if (this.pins[p] + this.gets[p] === 0) this.heldSince[p] = this.now;
    this.refcount[p] += add;
    if (pin) this.pins[p]++;
    else this.gets[p]++;
    return true;
  }

  /** put_page / unpin_user_page (gup_put_folio). A detached page with no GUP reference left is freed. */
  putGupReference(p: number, pin: boolean): void {
    if (this.pins[p] + this.gets[p] === 1) this.noteDirtyAge(p);
    this.refcount[p] -= pin ? this.bias : 1;
    if (pin) this.pins[p]--;
    else this.gets[p]--;
    if (!this.attached[p] && this.pins[p] + this.gets[p] === 0) this.freePage(p);
  }

  /** The page leaves memory; the slot reads back from disk on its next access. */
  private freePage(p: number): void {
    this.resident[p] = 0;
    this.attached[p] = 1;
    this.mapped[p] = 0;
    this.pteWritable[p] = 0;
    this.buffers[p] = 0;
    this.dirty[p] = 0;
    this.refcount[p] = 0;
  }

  /**
   * __remove_mapping: evict only if no GUP reference remains. An evicted page whose
   * memory differs from disk is lostData. Returns whether it was evicted.
   */
  removeMapping(p: number): boolean {
    if (this.pins[p] + this.gets[p] > 0) return false;
    if (this.mem[p] !== this.disk[p]) this.counters[M.lostData]++;
    this.mem[p] = this.disk[p];
    this.freePage(p);
    return true;
  }

  /**
   * truncate_inode_pages for one page: unmap, cancel the dirty state, free the buffers,
   * detach from the mapping (dropping the page cache's reference). A page still held by
   * GUP stays allocated, detached; others are freed. The data is discarded by the user's
   * own act, so the slot's disk content is what memory held.
   */
  truncatePage(p: number): void {
    if (!this.resident[p]) return;
    // truncate_inode_pages_range waits for writeback (folio_wait_writeback) before it removes the page.
    if (this.writeback[p]) this.endPageWriteback(p);
    this.notifyInvalidate(p);
    this.pteWritable[p] = 0;
    if (this.mapped[p]) {
      this.mapped[p] = 0;
      this.refcount[p] -= this.shares[p];
    }
    if (this.attached[p]) {
      this.testClearPageDirty(p); // folio_cancel_dirty
      this.tryToReleasePage(p);
      this.attached[p] = 0;
      this.refcount[p]--;
    }
    this.disk[p] = this.io[p] = this.mem[p];
    if (this.pins[p] + this.gets[p] === 0) this.freePage(p);
  }

  /** set_page_writeback: the I/O captures the content now (a bounce copies it first). */
  setPageWriteback(p: number, bounce: boolean): void {
    this.writeback[p] = 1;
    this.bounced[p] = bounce ? 1 : 0;
    this.io[p] = this.mem[p];
    this.counters[M.writebacks]++;
    if (this.mem[p] === this.disk[p]) this.counters[M.doubleWritebacks]++;
    if (bounce) this.counters[M.bounceCopies]++;
  }

  /** end_page_writeback: the captured version is on disk. */
  endPageWriteback(p: number): void {
    this.writeback[p] = 0;
    this.bounced[p] = 0;
    this.disk[p] = this.io[p];
  }

  /**
   * One page of write_cache_pages, at one instant: lock; skip if detached or clean; under
   * writeback skip (WB_SYNC_NONE) or wait (WB_SYNC_ALL); clear_page_dirty_for_io with the
   * policy's hook between page_mkclean and TestClearPageDirty; ->writepage (ext4's check
   * for buffers); set_page_writeback; unlock. The caller schedules end_page_writeback.
   */
  writeCachePage(p: number, sync: boolean): number {
    if (!this.resident[p] || !this.attached[p] || !this.dirty[p]) return WRITE.SKIPPED;
    if (this.writeback[p]) return sync ? WRITE.WAIT : WRITE.SKIPPED;
    this.pageMkclean(p);
    const decision = this.policy.writebackDecision(this, p, sync);
    if (decision & WB.CLEAR) this.testClearPageDirty(p);
    if (!(decision & WB.WRITE)) return WRITE.SKIPPED;
    if (!this.writepageHasBuffers(p)) return WRITE.SKIPPED;
    this.setPageWriteback(p, (decision & (WB.BOUNCE | WB.BOUNCE_AT_BIO)) !== 0);
    return WRITE.STARTED;
  }

  /**
   * ->writepage's check for buffers (ext4_writepage). Without them: bufferlessWriteback;
   * BUG before cc5095747edf (the I/O goes on, the BUG is the incident); after it, warn,
   * clear PG_dirty and skip the page (its data is then lost). Returns whether the I/O may start.
   */
  writepageHasBuffers(p: number): boolean {
    if (this.buffers[p]) return true;
    this.counters[M.bufferlessWriteback]++;
    if (this.fsBehavior === "ext4-warn") {
      this.testClearPageDirty(p);
      return false;
    }
    return true;
  }

  /**
   * The block layer's bounce at bio submission (WB.BOUNCE_AT_BIO), after unlock_page: the
   * I/O in flight now carries the content at this moment. The engine folds it into
   * set_page_writeback; the checker runs it as its own step.
   */
  bounceAtBio(p: number): void {
    this.bounced[p] = 1;
    this.io[p] = this.mem[p];
    this.counters[M.bounceCopies]++;
  }

  /** trylock_page: take PG_locked if free. The engine never holds it across an instant; the checker does. */
  trylockPage(p: number): boolean {
    if (this.locked[p]) return false;
    this.locked[p] = 1;
    return true;
  }

  /** unlock_page. */
  unlockPage(p: number): void {
    this.locked[p] = 0;
  }

  /**
   * Every field of the state in a fixed order (per-page arrays, per-file arrays, now,
   * totalDirty, then the counters last), for the checker to save and restore states.
   */
  saveState(): Float64Array {
    const parts = this.stateArrays();
    let n = 2 + this.counters.length;
    for (const a of parts) n += a.length;
    const out = new Float64Array(n);
    let o = 0;
    for (const a of parts) {
      out.set(a, o);
      o += a.length;
    }
    out[o++] = this.now;
    out[o++] = this.totalDirty;
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
    this.counters.set(s.subarray(o, o + this.counters.length));
  }

  private stateArrays(): (Int32Array | Uint8Array | Uint32Array | Float64Array)[] {
    return [
      this.shares, this.transient, this.refcount, this.pins, this.gets, this.dirty, this.writeback,
      this.locked, this.buffers, this.pteWritable, this.attached, this.resident, this.mapped,
      this.bounced, this.mem, this.disk, this.io, this.notifierSeq, this.dirtySince, this.heldSince,
      this.inodeDirty, this.dirtiedWhen, this.dirtyPages,
    ];
  }

  /**
   * A device write into page p (MODEL.md §3): mem++, no pte bit, no PG_dirty, no
   * filesystem hook. Counts the incidents of where it lands. (An MMU-notifier device that
   * refaulted through page_mkwrite lands in a dirty page, but without stable writes it can
   * still land under an I/O started before its refault: that counts, as in the checker.)
   * `n` writes at once when the page's state is the same for all of them.
   */
  dmaWrite(p: number, n = 1): void {
    this.counters[M.dmaWrites] += n;
    if (!this.attached[p]) this.counters[M.truncatedWhilePinned] += n;
    else {
      if (!this.dirty[p]) this.counters[M.writeToCleanPage] += n;
      if (this.writeback[p] && !this.bounced[p]) this.counters[M.modifiedUnderWriteback] += n;
    }
    this.mem[p] = (this.mem[p] + n) >>> 0;
  }

  /** A CPU store through a writable pte (the caller faulted first if needed). */
  cpuStore(p: number): void {
    this.mem[p] = (this.mem[p] + 1) >>> 0;
  }
}
