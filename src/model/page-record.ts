/**
 * The page record: the fields of a page that the engine's events read together (the flags
 * word, refcount, the content versions, cleanWrites, dirtySince), side by side in one
 * 32-byte record per page, and their accessors. PageState (src/model/page-state.ts)
 * extends it with the other fields.
 * NOTE: for performance: the large system touches its million pages at random, so one
 * event's reads of a page share one cache line instead of one line per field array.
 */

/**
 * The page flags' bit positions in a page's flags word (include/linux/page-flags.h and the
 * page's other yes/no state), each read through its getter (`pc.dirty(p)`, 0 or 1) and
 * written with `pc.setFlag(p, PG.locked, 1)` (PG_dirty with `pc.setDirty(p, 1)`, which
 * keeps dirtyWords too).
 */
export const PG = {
  /** PG_dirty: the page cache must write the page back. */
  dirty: 0,
  /** PG_writeback: an I/O carrying the page is in flight (set_page_writeback .. end_page_writeback). */
  writeback: 1,
  /** PG_locked (lock_page / trylock_page / unlock_page, mm/filemap.c). */
  locked: 2,
  /** folio_buffers() / PG_private: buffer heads attached (they add 1 to refcount; ext4's block_page_mkwrite attaches them). */
  buffers: 3,
  /** Some mapping has a writable, dirty pte (set by a write fault, cleared by page_mkclean and by unmap). */
  pteWritable: 4,
  /** folio->mapping != NULL: cleared by truncate (truncate_inode_folio) and reclaim's __remove_mapping. */
  attached: 5,
  /** The page exists in memory (cleared by eviction, or when the last reference to a truncated page goes). */
  resident: 6,
  /** The sharers' ptes exist (cleared by reclaim's try_to_unmap, until the next access maps the page again). */
  mapped: 7,
  /** The I/O in flight carries a bounce copy, so device writes no longer reach it. */
  bounced: 8,
  /** The on-disk version was put there by a completed writeback of this run (double-writeback counting). */
  written: 9,
  /**
   * Derived, not a kernel flag: the folio holds GUP references (pins + gets > 0), kept by
   * tryGrabFolio and gupPutFolio (and the checker's decode) so the paths that only ask
   * whether someone holds the folio read the flags word, not pins and gets.
   */
  gupHeld: 15,
} as const;

/**
 * Bits 10-14 of a page's flags word: per-folio state of the engine (src/engine/) that it reads
 * on the same paths as the page flags, kept in their word so that one cache line serves
 * both (NOTE: for performance). Model operations change PG bits one at a time (setFlag)
 * and leave these alone; the checker never sets them.
 */
export const ENGINE_BIT = {
  /** DeviceWrites: the folio has a slot, someone holds it for writing (its slotOf is not 0). */
  dmaSlot: 10,
  /** Simulation's waiters, 2 bits at 11-12: who waits for the folio's end_page_writeback (sync 1, reclaim 2). */
  waiters: 11,
  /** WritebackEnds, 2 bits at 13-14: end events in flight: 0 none, 1 one (the latest I/O's), 2 several. */
  flight: 13,
} as const;

/** 32-bit words of a page's record in PageRecord.page: the page p's record starts at PAGE_STRIDE × p. */
export const PAGE_STRIDE = 8;

/**
 * Every page's record (`page`, PAGE_STRIDE words a page) and its accessors: the flags (0
 * or 1 each), folio_ref_count, the content versions and cleanWrites (unsigned 32-bit,
 * mod 2^32, compared for equality), dirtySince (seconds). Page indices are not checked.
 */
export class PageRecord {
  /**
   * The records, PAGE_STRIDE words at PAGE_STRIDE × p: 0 the flags word (PG bits,
   * ENGINE_BIT), 1 refcount (as Int32), 2 mem, 3 disk, 4 io, 5 cleanWrites, 6-7 dirtySince
   * (a Float64). Read and write them through the accessors; the engine reads the flags word
   * itself (`page[PAGE_STRIDE * p]`) for its ENGINE_BIT bits.
   */
  readonly page: Uint32Array;
  /** `page` as Int32 words: refcount. */
  private readonly pageRefs: Int32Array;
  /** `page` as Float64: dirtySince at PAGE_STRIDE / 2 × p + 3. */
  private readonly pageTimes: Float64Array;
  /**
   * PG_dirty again, one bit a page (page p is bit p & 31 of word p >>> 5), kept by setDirty:
   * the engine's writeback finds a file's dirty folios in a few words (nextDirty) instead of
   * reading every record of the file. NOTE: for performance: 1 M pages are 128 KiB, which
   * stay in cache. The checker writes flags words itself (its decode, loadState) and never
   * scans: there the bitmap is not kept and not read.
   */
  readonly dirtyWords: Int32Array;

  /** @param pages page slots (every record zero: no flag set, counts and versions 0). */
  constructor(pages: number) {
    const buffer = new ArrayBuffer(pages * PAGE_STRIDE * 4);
    this.page = new Uint32Array(buffer);
    this.pageRefs = new Int32Array(buffer);
    this.pageTimes = new Float64Array(buffer);
    this.dirtyWords = new Int32Array((pages + 31) >>> 5);
  }

  // The page flags (PG), 0 or 1 each. NOTE: for performance: the accessors spell PAGE_STRIDE
  // (8), the words and the PG bits as literals, so that each stays small enough for V8 to
  // inline it wherever it is called (a module constant's load would make it too big).
  /** PG_dirty of page p (PG.dirty). */
  dirty(p: number): number {
    return this.page[8 * p] & 1;
  }
  /** PG_writeback of page p (PG.writeback). */
  writeback(p: number): number {
    return (this.page[8 * p] >>> 1) & 1;
  }
  /** PG_locked of page p (PG.locked). */
  locked(p: number): number {
    return (this.page[8 * p] >>> 2) & 1;
  }
  /** Buffer heads attached to page p (PG.buffers). */
  buffers(p: number): number {
    return (this.page[8 * p] >>> 3) & 1;
  }
  /** A writable, dirty pte maps page p (PG.pteWritable). */
  pteWritable(p: number): number {
    return (this.page[8 * p] >>> 4) & 1;
  }
  /** Page p is in its mapping (PG.attached). */
  attached(p: number): number {
    return (this.page[8 * p] >>> 5) & 1;
  }
  /** Page p is in memory (PG.resident). */
  resident(p: number): number {
    return (this.page[8 * p] >>> 6) & 1;
  }
  /** The sharers' ptes of page p exist (PG.mapped). */
  mapped(p: number): number {
    return (this.page[8 * p] >>> 7) & 1;
  }
  /** The I/O in flight of page p carries a bounce copy (PG.bounced). */
  bounced(p: number): number {
    return (this.page[8 * p] >>> 8) & 1;
  }
  /** Page p's disk version came from a writeback of this run (PG.written). */
  written(p: number): number {
    return (this.page[8 * p] >>> 9) & 1;
  }
  /** Page p holds GUP references: pins + gets > 0 (PG.gupHeld). */
  gupHeld(p: number): number {
    return (this.page[8 * p] >>> 15) & 1;
  }
  /** Set flag `bit` (a PG position) of page p to `v` (truthy: 1). */
  setFlag(p: number, bit: number, v: number): void {
    if (v) this.page[8 * p] |= 1 << bit;
    else this.page[8 * p] &= ~(1 << bit);
  }

  /** Set PG_dirty of page p to `v` (truthy: 1), in its flags word and in dirtyWords. */
  setDirty(p: number, v: number): void {
    if (v) {
      this.page[8 * p] |= 1;
      this.dirtyWords[p >>> 5] |= 1 << (p & 31);
    } else {
      this.page[8 * p] &= ~1;
      this.dirtyWords[p >>> 5] &= ~(1 << (p & 31));
    }
  }
  /** The first page of p..end-1 whose PG_dirty is set (as dirtyWords has it), else `end`. */
  nextDirty(p: number, end: number): number {
    let i = p >>> 5;
    let bits = this.dirtyWords[i] & (-1 << (p & 31));
    while (bits === 0) {
      if (++i * 32 >= end) return end;
      bits = this.dirtyWords[i];
    }
    // The lowest set bit's index: 31 - clz32 of that bit alone.
    return Math.min(i * 32 + 31 - Math.clz32(bits & -bits), end);
  }

  /** folio_ref_count (page->_refcount, include/linux/page_ref.h) of page p, kept incrementally; equals refcountFormula(p). */
  refcount(p: number): number {
    return this.pageRefs[8 * p + 1];
  }
  /** Set page p's refcount (stored as Int32). */
  setRefcount(p: number, v: number): void {
    this.pageRefs[8 * p + 1] = v;
  }
  /** Content version in memory of page p: bumped (mod 2^32) by every CPU store and device write. */
  mem(p: number): number {
    return this.page[8 * p + 2];
  }
  /** Set page p's mem (mod 2^32). */
  setMem(p: number, v: number): void {
    this.page[8 * p + 2] = v;
  }
  /** Content version on disk of page p: set from `io` when a writeback completes. */
  disk(p: number): number {
    return this.page[8 * p + 3];
  }
  /** Set page p's disk version. */
  setDisk(p: number, v: number): void {
    this.page[8 * p + 3] = v;
  }
  /** Content version the I/O in flight of page p carries: `mem` when the writeback was submitted. */
  io(p: number): number {
    return this.page[8 * p + 4];
  }
  /** Set page p's io version. */
  setIo(p: number, v: number): void {
    this.page[8 * p + 4] = v;
  }
  /** Device writes that landed while page p was clean, cumulative (mod 2^32). */
  cleanWrites(p: number): number {
    return this.page[8 * p + 5];
  }
  /** Set page p's cleanWrites. */
  setCleanWrites(p: number, v: number): void {
    this.page[8 * p + 5] = v;
  }
  /** Seconds: when PG_dirty of page `p` last went 0 -> 1 (meaningful while it is dirty). */
  dirtySinceOf(p: number): number {
    return this.pageTimes[4 * p + 3];
  }
  /** Set when PG_dirty of page `p` last went 0 -> 1, seconds. */
  setDirtySinceOf(p: number, t: number): void {
    this.pageTimes[4 * p + 3] = t;
  }
}
