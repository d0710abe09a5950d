/**
 * Reading ahead the page records a handler is about to touch (issue 23).
 * NOTE: for performance: the large system's page records (32 MiB) do not stay in cache, so
 * an event's first read of a random folio's record waits for memory. JavaScript has no
 * prefetch instruction, but loads whose addresses are all known overlap their misses
 * (memory-level parallelism): reading the flags words of a batch of folios back to back, before
 * handling the first, costs about one miss for the batch instead of one a folio. The words
 * read go into `sink` only so that the loads cannot be optimised away; nothing reads it.
 */
import type { CountArray, PageCache } from "../model/page-cache.js";
import type { DeviceWrites } from "./device-writes.js";
import type { EventQueue } from "./queue.js";
import type { Streams } from "./random.js";

/** Folios read ahead at once on the FIFO lane (end_page_writeback events). */
const BATCH = 16;
/** Events a DrawAhead draws at once. */
const AHEAD = 8;

/** Read-ahead of page records; `sink` keeps the loads alive. */
export class ReadAhead {
  /** The XOR of every word read ahead (meaningless; never read). */
  sink = 0;
  /** Folios to read ahead (dirty). */
  private list = new Int32Array(0);
  /** FIFO events left before the next batch is read ahead. */
  private fifoLeft = 0;

  constructor(private readonly pc: PageCache) {}

  /**
   * Read the flags words of the first `n` folios of start..end-1 whose PG_dirty is set
   * (nextDirty): listed first, then read in a loop of a few instructions a folio, so that
   * the reads are issued together.
   */
  dirty(start: number, end: number, n: number): void {
    const pc = this.pc,
      page = pc.page;
    if (this.list.length < end - start) this.list = new Int32Array(end - start);
    const list = this.list;
    let k = 0;
    for (let p = pc.nextDirty(start, end); k < n && p < end; p = pc.nextDirty(p + 1, end)) list[k++] = p;
    let x = 0;
    for (let i = 0; i < k; i++) x ^= page[8 * list[i]];
    this.sink ^= x;
  }

  /**
   * Called at each event of the FIFO lane (its head): every BATCH of them, read the records of
   * the folios of the next BATCH events on the lane, the head's included.
   */
  fifo(q: EventQueue): void {
    if (--this.fifoLeft > 0) return;
    const page = this.pc.page,
      n = Math.min(q.fifoLength, BATCH);
    let x = 0;
    for (let i = 0; i < n; i++) x ^= page[8 * q.fifoArg(i)];
    this.sink ^= x;
    this.fifoLeft = n;
  }
}

/**
 * The draws of an actor that picks a uniform folio at each of its events and draws its next
 * gap after it (CPU stores): made AHEAD events at a time, in the stream's order (folio, gap,
 * folio, gap…), so the values are the same as one event at a time, and the records of the
 * AHEAD folios (and their `also` entries) read ahead together. The stream must be the actor's
 * alone.
 */
export class DrawAhead {
  /** AHEAD (folio, gap) pairs. */
  private readonly ring = new Float64Array(2 * AHEAD);
  private i = AHEAD;
  /** The XOR of every word read ahead (never read). */
  sink = 0;

  /**
   * @param rng the run's streams; @param stream the actor's; @param pages folios to pick from
   * @param rate the actor's events per second; @param page the page records (PageRecord.page)
   * @param also a per-folio array the actor's event also touches
   */
  constructor(
    private readonly rng: Streams,
    private readonly stream: number,
    private readonly pages: number,
    private readonly rate: number,
    private readonly page: Uint32Array,
    private readonly also: Int8Array | Int16Array,
  ) {}

  /** The folio of the actor's event now (call gap() after it). */
  folio(): number {
    if (this.i === AHEAD) this.refill();
    return this.ring[2 * this.i];
  }

  /** The gap to the actor's next event, seconds (after folio()). */
  gap(): number {
    return this.ring[2 * this.i++ + 1];
  }

  private refill(): void {
    const r = this.ring,
      page = this.page,
      also = this.also;
    for (let k = 0; k < AHEAD; k++) {
      r[2 * k] = Math.floor(this.rng.uniform(this.stream) * this.pages);
      r[2 * k + 1] = this.rng.gap(this.stream, this.rate);
    }
    let x = 0;
    for (let k = 0; k < AHEAD; k++) x ^= page[8 * r[2 * k]] ^ also[r[2 * k]];
    this.sink ^= x;
    this.i = 0;
  }
}

/**
 * Read-ahead of the folios a pinner is about to take or release: their records, FOLL_PIN
 * counts and device-write slots, read together before the first is handled.
 */
export class HeldAhead {
  /** The XOR of every word read ahead (never read). */
  sink = 0;
  private readonly page: Uint32Array;
  private readonly pins: CountArray;
  /** DeviceWrites.slotOf, or `pins` again when there is none (no lazy device writes). */
  private readonly slots: CountArray;

  constructor(pc: PageCache, dma: DeviceWrites) {
    this.page = pc.page;
    this.pins = pc.pins;
    this.slots = dma.slotOf.length > 0 ? dma.slotOf : pc.pins;
  }

  /** Folios first..first+n-1. */
  range(first: number, n: number): void {
    let x = 0;
    for (let p = first; p < first + n; p++) x ^= this.page[8 * p] ^ this.pins[p] ^ this.slots[p];
    this.sink ^= x;
  }

  /** The n folios list[from..from+n-1]. */
  listed(list: Int32Array, from: number, n: number): void {
    let x = 0;
    for (let i = from; i < from + n; i++) {
      const p = list[i];
      x ^= this.page[8 * p] ^ this.pins[p] ^ this.slots[p];
    }
    this.sink ^= x;
  }
}
