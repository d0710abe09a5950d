/**
 * A time per page for the few pages that have one at a time (a dirty folio's dirtying time,
 * the next device write into a held folio, a superseded I/O's end): an open-addressing hash
 * table over one typed array, so the state costs bytes per entry, not per page, and nothing
 * is boxed.
 * NOTE: for performance: key and value side by side in one Float64Array (one cache line a
 * probe), linear probing with backward-shift deletion (no tombstones), keys hashed by a
 * Fibonacci multiply by blocks of 8 (home).
 */
const EMPTY = -1;
/** 2^32 / golden ratio, as a signed 32-bit integer (Knuth's multiplicative hash). */
const GOLDEN = -1640531535;

/**
 * Page index (0..2^31-1) → seconds. Capacity is a power of two kept at least twice the
 * entries (it doubles when half full, never shrinks): 16 bytes a slot.
 *
 * @example
 * const t = new PageTimes();
 * t.set(7, 1.5);
 * t.get(7); // => 1.5
 * Number.isNaN(t.get(8)); // => true (no entry)
 * t.delete(7);
 * t.size; // => 0
 */
export class PageTimes {
  /** Slot i: key at 2i (EMPTY when free), value at 2i + 1. */
  private s: Float64Array;
  private mask: number;
  private shift: number;
  /** Entries held. */
  size = 0;

  /** @param capacity slots before the first doubling (rounded up to a power of two, at least 16). */
  constructor(capacity = 1024) {
    let bits = 4;
    while (1 << bits < capacity) bits++;
    this.s = new Float64Array(2 << bits).fill(EMPTY);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  /**
   * The slot a page hashes to: its block of 8 pages hashed (Fibonacci), the page's place in
   * the block kept, so neighbouring pages (a file's pages, scanned in order by writeback)
   * sit in neighbouring slots, a cache line apart at most.
   */
  private home(page: number): number {
    return ((Math.imul(page >>> 3, GOLDEN) >>> (this.shift + 3)) << 3) | (page & 7);
  }

  /** Slot where `page` sits, or the free slot where it would go. */
  private slot(page: number): number {
    const s = this.s,
      m = this.mask;
    let i = this.home(page);
    for (let key = s[2 * i]; key !== EMPTY && key !== page; key = s[2 * i]) i = (i + 1) & m;
    return i;
  }

  /** The time of `page`, or NaN when it has none (NaN equals nothing, so a comparison with it fails). */
  get(page: number): number {
    const i = this.slot(page);
    return this.s[2 * i] === EMPTY ? Number.NaN : this.s[2 * i + 1];
  }

  /** The entry of `page` (an index for at and setAt, valid until the next set or delete), or -1. */
  indexOf(page: number): number {
    const i = this.slot(page);
    return this.s[2 * i] === EMPTY ? -1 : i;
  }

  /** The time at entry `i` (from indexOf). */
  at(i: number): number {
    return this.s[2 * i + 1];
  }

  /** Set the time at entry `i` (from indexOf), seconds. */
  setAt(i: number, t: number): void {
    this.s[2 * i + 1] = t;
  }

  /** Set the time of `page` (seconds), adding it if it has none. */
  set(page: number, t: number): void {
    let i = this.slot(page);
    if (this.s[2 * i] === EMPTY) {
      if (2 * (this.size + 1) > this.mask + 1) {
        this.grow();
        i = this.slot(page);
      }
      this.s[2 * i] = page;
      this.size++;
    }
    this.s[2 * i + 1] = t;
  }

  /** Remove the time of `page` (nothing when it has none); later entries of its probe run move back. */
  delete(page: number): void {
    const s = this.s,
      m = this.mask;
    let i = this.slot(page);
    if (s[2 * i] === EMPTY) return;
    this.size--;
    // Backward-shift: move each later entry of the run into the hole unless its home slot
    // lies (cyclically) after the hole.
    for (let j = (i + 1) & m; s[2 * j] !== EMPTY; j = (j + 1) & m) {
      const home = this.home(s[2 * j]);
      if (((j - home) & m) >= ((j - i) & m)) {
        s[2 * i] = s[2 * j];
        s[2 * i + 1] = s[2 * j + 1];
        i = j;
      }
    }
    s[2 * i] = EMPTY;
  }

  /** Double the capacity and re-insert every entry. */
  private grow(): void {
    const old = this.s;
    this.s = new Float64Array(2 * old.length).fill(EMPTY);
    this.mask = 2 * this.mask + 1;
    this.shift--;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j] === EMPTY) continue;
      const i = this.slot(old[j]);
      this.s[2 * i] = old[j];
      this.s[2 * i + 1] = old[j + 1];
    }
  }
}
