/**
 * Device writes into pinned pages (docs/model.md#workload-and-initial-state): per page, a
 * Poisson process of rate dmaWriteRate per pinner holding the page for write, so
 * dmaWriteRate × holders on a page held by several (the holders' rates summed when groups
 * write at different rates).
 *
 * They are applied lazily: a page's state changes only at events that touch it, so the
 * writes since the last such event all land in the same state; every entry point that
 * touches a page first catches its writes up (`catchUp`). Same law as one event per write,
 * without the queue traffic. A mirroring device (mmu-notifier) is the exception: its write
 * may refault first, so its writes stay events of their own and only `charged` is used.
 * NOTE: for performance; device writes are most of the events of a large system.
 */
import { METRIC } from "../model/metrics.js";
import { countArray, ENGINE_BIT, PAGE_STRIDE, type CountArray, type PageCache } from "../model/page-cache.js";
import type { DeviceMirror } from "../model/policy.js";
import { DMA_WRITE_EVENT } from "./events.js";
import { GROUP_METRIC, type Groups } from "./groups.js";
import { STREAM, type Streams } from "./random.js";
import type { PageTrace } from "./trace.js";

/** The folio has a slot: ENGINE_BIT.dmaSlot of its flags word. */
const SLOT = 1 << ENGINE_BIT.dmaSlot;

/**
 * The device writes of a run: per folio only the slot of its holders (0: nobody writes into
 * it), per slot (a held folio) the holders, the next write and the summed rate. Slots come
 * from a free list; there are at most Σ pinners × pagesPerPin held folios at once.
 * NOTE: for performance: the per-slot arrays are small and dense (cache-resident), and a
 * folio nobody holds costs no read of `slotOf` (its flags word has ENGINE_BIT.dmaSlot).
 */
export class DeviceWrites {
  /** Writes are caught up lazily (some group writes, and no device mirrors the mapping). */
  readonly lazy: boolean;
  /** Groups write at different dmaWriteRates: per-page rates are summed (`rate`). */
  private readonly mixedRates: boolean;
  /** Per folio: its slot while someone holds it for writing, else 0 (length 0 unless `lazy`). Read it, never write it. */
  readonly slotOf: CountArray;
  /** Per slot: pinners in their hold phase writing into the folio. */
  private readonly holders: CountArray;
  /** Per slot: time of the folio's next device write, seconds. */
  private readonly next: Float64Array;
  /** Per slot (mixedRates only): the summed rate of its holders, writes per second. */
  private readonly rate: Float64Array;
  /** Free slots (a stack of `freeTop` entries). */
  private readonly free: Int32Array;
  private freeTop: number;

  /**
   * @param pc the page cache written into (its `now` is the time writes are caught up to)
   * @param groups the pinner groups (rates, holders per group, attribution)
   * @param mirror the policy's device mirror, or null when GUP takes a reference
   * @param rng the run's streams: the device writes draw from STREAM.dma (gaps, and the writer of a shared folio)
   * @param trace the page trace, whose pages get a row per write at its own time
   */
  constructor(
    private readonly pc: PageCache,
    private readonly groups: Groups,
    mirror: DeviceMirror | null,
    private readonly rng: Streams,
    private readonly trace: PageTrace | undefined,
  ) {
    const g = groups;
    const writers = g.specs.filter((s, i) => g.write[i] && s.dmaWriteRate > 0);
    // A mirroring device's write may refault first: its writes stay events of their own.
    this.lazy = mirror === null && writers.length > 0;
    this.mixedRates = new Set(writers.map((s) => s.dmaWriteRate)).size > 1;
    const pages = pc.pages;
    // Folios held at once: at most one range of pagesPerPin per pinner (and every folio).
    const held = this.lazy
      ? Math.min(
          pages,
          g.specs.reduce((s, x) => s + x.pinners * x.pagesPerPin, 0),
        )
      : 0;
    this.slotOf = countArray(held, this.lazy ? pages : 0);
    this.holders = countArray(groups.holds, held + 1);
    this.next = new Float64Array(held + 1);
    this.rate = new Float64Array(this.mixedRates ? held + 1 : 0);
    this.free = Int32Array.from({ length: held + 1 }, (_, i) => held - i); // the last entry (0) is never taken
    this.freeTop = held;
  }

  /** Apply the device writes page p has had since the page was last touched, up to now. */
  catchUp(p: number): void {
    // NOTE: for performance: the flags word (read by whatever touches the folio) says
    // whether it has a slot, so a folio nobody writes into costs no read of slotOf.
    if (!this.lazy || (this.pc.page[PAGE_STRIDE * p] & SLOT) === 0) return;
    const slot = this.slotOf[p];
    let t = this.next[slot];
    const now = this.pc.now;
    if (!(t < now)) return;
    const rng = this.rng;
    const rate = this.slotRate(slot);
    const traced = this.trace?.has(p) === true;
    let n = 0;
    while (t < now) {
      if (traced) {
        this.charged(p, 1);
        this.trace!.row(p, t, DMA_WRITE_EVENT);
      } else n++;
      t += rng.gap(STREAM.dma, rate);
    }
    this.next[slot] = t;
    if (n > 0) this.charged(p, n);
  }

  /** Catch up every page someone still writes into (the end of the run). */
  catchUpAll(): void {
    if (!this.lazy) return;
    for (let p = 0; p < this.pc.pages; p++) if (this.slotOf[p] !== 0) this.catchUp(p);
  }

  /** The device-write rate into the folio at `slot`: dmaWriteRate × holders, or the holders' rates summed when groups differ. */
  private slotRate(slot: number): number {
    return this.mixedRates ? this.rate[slot] : this.groups.specs[0].dmaWriteRate * this.holders[slot];
  }

  /**
   * `n` device writes into page p (pc.dmaWrite), with their incidents charged to the
   * writing group: the one group holding the page, or, when several do, each write drawn
   * in proportion to the groups' rates (holders × dmaWriteRate) from the device-write stream.
   */
  charged(p: number, n: number): void {
    const c = this.pc.counters,
      g = this.groups;
    const clean = c[METRIC.writeToCleanPage],
      under = c[METRIC.modifiedUnderWriteback];
    this.pc.dmaWrite(p, n);
    const isClean = c[METRIC.writeToCleanPage] > clean,
      isUnder = c[METRIC.modifiedUnderWriteback] > under;
    const only = this.soleWriter(p);
    if (only !== -2) {
      this.charge(p, only >= 0 ? only : g.pageGroup[p], n, isClean, isUnder);
      return;
    }
    const rng = this.rng,
      base = p * g.n,
      total = this.slotRate(this.slotOf[p]);
    for (let i = 0; i < n; i++) {
      let x = rng.uniform(STREAM.dma) * total,
        gi = 0;
      for (; gi < g.n - 1; gi++) {
        x -= g.holders[base + gi] * g.specs[gi].dmaWriteRate;
        if (x < 0) break;
      }
      this.charge(p, gi, 1, isClean, isUnder);
    }
  }

  /** `k` writes into page p charged to group gi (NOTE: for performance, a method, not a closure per call). */
  private charge(p: number, gi: number, k: number, isClean: boolean, isUnder: boolean): void {
    const g = this.groups;
    g.add(gi, GROUP_METRIC.dmaWrites, k);
    if (isClean) g.add(gi, GROUP_METRIC.writeToCleanPage, k);
    if (isUnder) g.add(gi, GROUP_METRIC.modifiedUnderWriteback, k);
    g.lastWriter[p] = gi;
  }

  /** The one group writing into page p (-1: none recorded, use the last pinner), or -2 when several are. */
  private soleWriter(p: number): number {
    const g = this.groups;
    if (g.n === 1) return 0;
    let found = -1;
    for (let gi = 0, base = p * g.n; gi < g.n; gi++) {
      if (g.holders[base + gi] === 0) continue;
      if (found >= 0) return -2;
      found = gi;
    }
    return found;
  }

  /** A pinner of group gi starts (+1) or stops (-1) writing into page p at `rate`; the next write is redrawn (memoryless). */
  addHolder(p: number, delta: number, rate: number, gi: number): void {
    this.catchUp(p);
    const g = this.groups;
    if (g.n > 1) g.holders[p * g.n + gi] += delta;
    let slot = this.slotOf[p];
    if (slot === 0) {
      slot = this.slotOf[p] = this.free[--this.freeTop];
      this.pc.page[PAGE_STRIDE * p] |= SLOT;
      this.holders[slot] = 0;
      if (this.mixedRates) this.rate[slot] = 0;
    }
    const h = (this.holders[slot] += delta);
    if (this.mixedRates) this.rate[slot] = h > 0 ? this.rate[slot] + delta * rate : 0;
    if (h > 0) this.next[slot] = this.pc.now + this.rng.gap(STREAM.dma, this.slotRate(slot));
    else {
      this.slotOf[p] = 0;
      this.pc.page[PAGE_STRIDE * p] &= ~SLOT;
      this.free[this.freeTop++] = slot;
    }
  }
}
