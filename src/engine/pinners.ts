/**
 * The pinners (docs/model.md#workload-and-initial-state): closed loops of pin, hold and
 * release, each pinner on its own random stream. A cycle picks a range of a uniformly
 * chosen file, runs GUP over it page by page (faulting pages in, waiting for writeback
 * under stable writes), holds the pages while its device writes into them, and releases
 * them per its group's policy.
 */
import { METRIC } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import { NOTIFIER_DID, notifierRelease } from "../model/page-paths.js";
import type { DeviceMirror } from "../model/policy.js";
import type { DeviceWrites } from "./device-writes.js";
import { EVENT } from "./events.js";
import { GROUP_METRIC, type Groups } from "./groups.js";
import type { WritebackEnds } from "./writeback-ends.js";
import type { EventQueue } from "./queue.js";
import { PINNER_STREAM_BASE, type Streams } from "./random.js";
import { ANON_GUP, type AnonMemory } from "./anon.js";
import { HeldAhead } from "./prefetch.js";

/** Pinner phases: waiting to start a pin, inside GUP (faulting pages in), holding the pin. */
const PHASE = { START: 0, GUP: 1, HOLD: 2 } as const;
/**
 * The queue's lanes (EventQueue.pushLane) of a pinner's ends of hold and of its gaps: with a
 * fixed pinDuration or pinGap their times never decrease, so they need no heap.
 */
const LANE = { HOLD: 1, GAP: 2 } as const;
/** Outcome of GUP on one page. */
const GUP_OUTCOME = { OK: 0, SKIP: 1, WAIT: 2, REFUSED: 3 } as const;

/** What the pinners share with the rest of the run. */
export interface PinnerSetup {
  /** The page cache (its `now` is the time of the event being handled). */
  pc: PageCache;
  /** The event queue; a pinner's event is at its top when the pinner is stepped. */
  q: EventQueue;
  /** The run's streams; pinner k draws from PINNER_STREAM_BASE + k. */
  rng: Streams;
  /** The pinner groups: each pinner's group, its GUP outcome, policy and shape. */
  groups: Groups;
  /** The device writes into the pages the pinners hold. */
  dma: DeviceWrites;
  /** The policy's device mirror (mmu-notifier), or null when GUP takes a reference. */
  mirror: DeviceMirror | null;
  /** A write fault on a page under writeback waits for it (folio_wait_stable). */
  stable: boolean;
  /** When a folio's I/O in flight ends, seconds (where a waiting pinner resumes; kept under stable writes). */
  wbEnds: WritebackEnds;
  /** Files. */
  files: number;
  /** 4 KiB pages per file (whatever the folio order). */
  realPagesPerFile: number;
  /** log2 of 4 KiB pages per folio. */
  folioOrder: number;
  /** Per group: whether its release's trylock_page misses now (Release.trylockMissShare), or undefined: never. */
  trylockMiss: ((() => boolean) | undefined)[];
  /** Invalidations per held pin per second whose MMU notifier runs the release (Params.notifierRate). */
  notifierRate: number;
  /** Anonymous memory (backing anon): GUP's faults go through it. Absent for a file backing. */
  anon?: AnonMemory;
  /** O_DIRECT writes fall back to buffered I/O on their destination (dioDest btrfs from 6.15): they pin nothing. */
  dioBuffered: boolean;
}

/** Every pinner's state, over typed arrays (one entry per pinner, or pagesPerPin per pinner). */
export class Pinners {
  private readonly pc: PageCache;
  private readonly q: EventQueue;
  private readonly rng: Streams;
  private readonly groups: Groups;
  private readonly dma: DeviceWrites;
  private readonly mirror: DeviceMirror | null;
  private readonly stable: boolean;
  private readonly wbEnds: WritebackEnds;
  private readonly files: number;
  private readonly realPagesPerFile: number;
  private readonly trylockMiss: ((() => boolean) | undefined)[];
  private readonly anon?: AnonMemory;
  /** Per group: an O_DIRECT write (caller odirect, no FOLL_WRITE): 1 its pages are bio sources while held, 2 it goes buffered. */
  private readonly dioWrite: Uint8Array;
  private readonly order: number;
  /** Folios per file. */
  private readonly pagesPerFile: number;
  /** Stride of the pinner page table: the largest pagesPerPin of any group. */
  private readonly ppp: number;

  private readonly pPhase: Uint8Array;
  private readonly pEnd: Float64Array; // end of the hold
  private readonly pHold: Float64Array; // this cycle's pin duration
  private readonly pFirst: Int32Array; // first page of the range
  private readonly pCursor: Int32Array; // next page GUP will take
  private readonly pCount: Int32Array; // pages held
  private readonly pPages: Int32Array; // pages held, ppp per pinner
  private readonly pSeq: Uint32Array; // notifier sequence seen when the device mapped the page
  private readonly pPending: Int32Array; // slot of a device write waiting for writeback, or -1
  private readonly pCleanWrites: Uint32Array; // the page's cleanWrites when the pin was taken, ppp per pinner
  private readonly pNotify: Float64Array; // when an invalidation's notifier runs the release (Infinity: none)
  private readonly notifierRate: number;
  private readonly ahead: HeldAhead;

  constructor(s: PinnerSetup) {
    this.pc = s.pc;
    this.q = s.q;
    this.rng = s.rng;
    this.groups = s.groups;
    this.dma = s.dma;
    this.mirror = s.mirror;
    this.stable = s.stable;
    this.wbEnds = s.wbEnds;
    this.files = s.files;
    this.realPagesPerFile = s.realPagesPerFile;
    this.trylockMiss = s.trylockMiss;
    this.anon = s.anon;
    this.dioWrite = Uint8Array.from(s.groups.profiles, (p, i) =>
      p.id === "odirect" && !s.groups.gup[i].flags.write ? (s.dioBuffered ? 2 : 1) : 0,
    );
    this.order = s.folioOrder;
    this.pagesPerFile = s.pc.pagesPerFile;
    this.ppp = s.groups.maxPpp;
    const n = s.groups.pinners;
    this.pPhase = new Uint8Array(n);
    this.pEnd = new Float64Array(n);
    this.pHold = new Float64Array(n);
    this.pFirst = new Int32Array(n);
    this.pCursor = new Int32Array(n);
    this.pCount = new Int32Array(n);
    this.pPages = new Int32Array(n * this.ppp);
    this.pSeq = new Uint32Array(n * this.ppp);
    this.pPending = new Int32Array(n).fill(-1);
    this.pCleanWrites = new Uint32Array(n * this.ppp);
    this.pNotify = new Float64Array(n).fill(Infinity);
    this.notifierRate = s.notifierRate;
    this.ahead = new HeldAhead(s.pc, s.dma);
  }

  /** Each pinner's first pin starts at a uniform offset within its first cycle. */
  init(): void {
    const g = this.groups;
    for (let k = 0; k < g.pinners; k++) {
      const i = PINNER_STREAM_BASE + k,
        uk = this.rng.u[i];
      const hold = g.pinDuration[g.of[k]](uk),
        gap = g.pinGap[g.of[k]](uk);
      this.pHold[k] = hold;
      this.pPhase[k] = PHASE.START;
      this.q.push(this.rng.uniform(i) * (hold + gap), EVENT.PINNER, k);
    }
  }

  /** Pinner k's event (at the top of the queue): start a pin, go on with GUP, write, or release. */
  step(k: number): void {
    const phase = this.pPhase[k];
    if (phase === PHASE.START) {
      this.startPin(k);
      return;
    }
    if (phase === PHASE.GUP) {
      this.continueGup(k);
      return;
    }
    if (this.pc.now >= this.pEnd[k]) {
      this.releasePin(k);
      return;
    }
    if (this.pc.now >= this.pNotify[k]) {
      this.notifierInvalidation(k);
      return;
    }
    // Only a mirroring device (mmu-notifier) has per-write events: a write may refault.
    let slot = this.pPending[k];
    if (slot < 0) slot = Math.floor(this.rng.uniform(PINNER_STREAM_BASE + k) * this.pCount[k]);
    else this.pPending[k] = -1;
    if (!this.deviceWrite(k, slot)) return; // waiting for writeback (rescheduled)
    this.scheduleHold(k);
  }

  /** Begin a cycle: pick a range of a uniformly chosen file, then GUP it. */
  private startPin(k: number): void {
    const rng = this.rng,
      i = PINNER_STREAM_BASE + k;
    const g = this.groups,
      gi = g.of[k],
      ppp = g.ppp[gi];
    const file = Math.floor(rng.uniform(i) * this.files);
    // pFirst is a 4 KiB page index; unitOf maps it to its folio.
    this.pFirst[k] = file * this.realPagesPerFile + Math.floor(rng.uniform(i) * (this.realPagesPerFile - ppp + 1));
    if (g.gup[gi].refused !== null) {
      // check_vma_flags (-EFAULT) or the caller's own check (io_uring: -EOPNOTSUPP) refuses
      // before any page is touched; retry after pinGap.
      this.pc.count(METRIC.refusedPins, ppp);
      g.add(gi, GROUP_METRIC.refusedPins, ppp);
      this.retryAfterRefusal(k);
      return;
    }
    const buffered = this.dioWrite[gi] === 2;
    if (g.gup[gi].anonymous || buffered) {
      // A private mapping: COW (or unshare) gives the pin an anonymous copy; no page-cache
      // folio is held, so nothing here can race with writeback. A buffered O_DIRECT write
      // (btrfs from 6.15) copies the data into the page cache and pins nothing.
      if (!buffered) this.pc.count(METRIC.pinsTaken, ppp);
      if (!buffered) g.add(gi, GROUP_METRIC.pinsTaken, ppp);
      this.pCount[k] = 0;
      this.pPhase[k] = PHASE.HOLD;
      this.pEnd[k] = this.pc.now + this.pHold[k];
      this.q.replaceTopOnLane(LANE.HOLD, this.pEnd[k], EVENT.PINNER, k);
      return;
    }
    this.pPhase[k] = PHASE.GUP;
    this.pCursor[k] = 0;
    this.pCount[k] = 0;
    this.continueGup(k);
  }

  /** __get_user_pages over the range, page by page; may wait for writeback (stable writes). */
  private continueGup(k: number): void {
    const base = k * this.ppp;
    const g = this.groups,
      gi = g.of[k],
      ppp = g.ppp[gi],
      pin = g.pin[gi] === 1;
    if (this.pCursor[k] === 0) {
      // The range's folios read ahead together (NOTE: for performance; prefetch.ts).
      const first = this.unitOf(this.pFirst[k]);
      this.ahead.range(first, this.unitOf(this.pFirst[k] + ppp - 1) - first + 1);
    }
    while (this.pCursor[k] < ppp) {
      const page = this.unitOf(this.pFirst[k] + this.pCursor[k]);
      const r = this.gupPage(k, page, base + this.pCount[k]);
      if (r === GUP_OUTCOME.WAIT) {
        this.q.replaceTop(this.wbEnds.endOf(page), EVENT.PINNER, k);
        return;
      }
      if (r === GUP_OUTCOME.REFUSED) {
        // The call fails as a whole: drop what it took (unpin_user_pages, not dirtied).
        for (let i = 0; i < this.pCount[k]; i++) this.pc.gupPutFolio(this.pPages[base + i], pin);
        this.pc.count(METRIC.refusedPins, ppp);
        g.add(gi, GROUP_METRIC.refusedPins, ppp);
        this.pPhase[k] = PHASE.START;
        this.retryAfterRefusal(k);
        return;
      }
      if (r === GUP_OUTCOME.OK) {
        this.pCleanWrites[base + this.pCount[k]] = this.pc.cleanWrites(page);
        this.pPages[base + this.pCount[k]++] = page;
      }
      this.pCursor[k]++;
    }
    this.pc.count(METRIC.pinsTaken, this.pCount[k]);
    g.add(gi, GROUP_METRIC.pinsTaken, this.pCount[k]);
    this.pPhase[k] = PHASE.HOLD;
    this.pEnd[k] = this.pc.now + this.pHold[k];
    // An invalidation of the range that runs the release from the MMU notifier (held pages, a reference).
    this.pNotify[k] =
      this.notifierRate > 0 && this.mirror === null && this.pCount[k] > 0
        ? this.pc.now + this.rng.gap(PINNER_STREAM_BASE + k, this.notifierRate)
        : Infinity;
    if (this.dma.lazy && g.write[gi]) {
      const rate = g.specs[gi].dmaWriteRate;
      for (let i = 0; i < this.pCount[k]; i++) this.dma.addHolder(this.pPages[base + i], 1, rate, gi);
    }
    this.scheduleHold(k);
  }

  /** The folio holding 4 KiB page `page` (file-relative offsets shift by folioOrder). */
  private unitOf(page: number): number {
    if (this.order === 0) return page;
    const f = Math.floor(page / this.realPagesPerFile);
    return f * this.pagesPerFile + ((page - f * this.realPagesPerFile) >> this.order);
  }

  /**
   * A refused pin is retried after pinGap. With a zero gap the retry would spin at one
   * instant, so it waits the would-be pin's duration instead; if that is zero too the
   * pinner gives up (the application would spin forever in the kernel as well).
   */
  private retryAfterRefusal(k: number): void {
    const uk = this.rng.u[PINNER_STREAM_BASE + k];
    const gi = this.groups.of[k];
    const gap = this.groups.pinGap[gi](uk);
    const wait = gap > 0 ? gap : this.pHold[k];
    this.pHold[k] = this.groups.pinDuration[gi](uk);
    if (wait > 0) this.q.replaceTopOnLane(LANE.GAP, this.pc.now + wait, EVENT.PINNER, k);
    else this.q.pop();
  }

  /** Next device write, or the release if that comes first. */
  private scheduleHold(k: number): void {
    const rate = this.groups.specs[this.groups.of[k]].dmaWriteRate * this.pCount[k];
    let t = Math.min(this.pEnd[k], this.pNotify[k]);
    if (rate > 0 && this.mirror !== null) {
      const next = this.pc.now + this.rng.gap(PINNER_STREAM_BASE + k, rate);
      if (next < t) t = next;
    }
    this.q.replaceTopOnLane(LANE.HOLD, t, EVENT.PINNER, k);
  }

  /**
   * GUP for write on one page (mm/gup.c). Slow path: fault in a writable pte
   * (page_mkwrite), take the reference under the pte lock, FOLL_TOUCH. GUP-fast: needs a
   * writable pte, takes the reference, rechecks the pte (at one instant the recheck cannot
   * fail; the checker explores the window); without a writable pte it falls back to slow.
   */
  private gupPage(k: number, page: number, slot: number): number {
    const pc = this.pc;
    this.dma.catchUp(page);
    if (this.anon) return this.gupAnonPage(k, page, slot);
    if (!pc.resident(page)) pc.readPage(page);
    if (!pc.attached(page)) return GUP_OUTCOME.SKIP; // truncated and still held elsewhere: beyond EOF
    pc.mapPage(page);
    const g = this.groups,
      gi = g.of[k];
    // A read pin (no FOLL_WRITE) needs no writable pte: no write fault, no FOLL_TOUCH dirtying.
    const write = g.gup[gi].flags.write;
    const fast = g.specs[gi].gupPath !== "slow" && pc.pteWritable(page) === 1;
    if (write && !fast && !pc.pteWritable(page)) {
      if (this.stable && pc.writeback(page)) return GUP_OUTCOME.WAIT; // folio_wait_stable
      pc.pageMkwrite(page);
    }
    if (this.mirror !== null) {
      // No reference: the device mirrors the mapping; it is told when it goes.
      this.pSeq[slot] = this.mirror.mirror(pc, page);
      return GUP_OUTCOME.OK;
    }
    if (!pc.tryGrabFolio(page, g.pin[gi] === 1)) return GUP_OUTCOME.REFUSED;
    if (g.n > 1) g.pageGroup[page] = gi;
    // FOLL_TOUCH: mark dirty if neither pte nor page is (follow_page_pte).
    if (write && !fast && !pc.pteWritable(page) && !pc.dirty(page)) pc.setPageDirty(page);
    g.policies[gi].afterGrab(pc, page);
    if (this.dioWrite[gi] === 1 && pc.dioSources[page] < 255) pc.dioSources[page]++;
    return GUP_OUTCOME.OK;
  }

  /**
   * GUP on an anonymous page: the faults (AnonMemory.gup), then the reference under the pte
   * lock and the policy's hook; an O_DIRECT write's page becomes a bio source. A pin that
   * lands on the owner's new page (not followed) is skipped.
   */
  private gupAnonPage(k: number, page: number, slot: number): number {
    const pc = this.pc;
    const g = this.groups,
      gi = g.of[k],
      pin = g.pin[gi] === 1;
    if (this.anon!.gup(page, g.gup[gi].flags.write, pin) === ANON_GUP.ELSEWHERE) return GUP_OUTCOME.SKIP;
    if (this.mirror !== null) {
      // hmm_range_fault after the owner's faults: the mirror is valid from this sequence on.
      this.pSeq[slot] = this.mirror.mirror(pc, page);
      return GUP_OUTCOME.OK;
    }
    if (!pc.tryGrabFolio(page, pin)) return GUP_OUTCOME.REFUSED;
    g.pageGroup[page] = gi;
    g.policies[gi].afterGrab(pc, page);
    if (this.dioWrite[gi] === 1 && pc.dioSources[page] < 255) pc.dioSources[page]++;
    return GUP_OUTCOME.OK;
  }

  /** One device write into the pinner's slot (a mirroring device's). Returns false if it had to wait. */
  private deviceWrite(k: number, slot: number): boolean {
    const pc = this.pc;
    const idx = k * this.ppp + slot;
    const page = this.pPages[idx];
    if (this.mirror?.invalidated(pc, page, this.pSeq[idx])) {
      // The device's mapping was invalidated: it refaults like a CPU store. On anonymous
      // memory through the owner's faults (AnonMemory.gup: do_swap_page, do_wp_page); a page
      // the owner left while others hold it is not followed, and the write lands in the
      // owner's new page (not counted here).
      if (this.anon) {
        if (this.anon.gup(page, true, false) === ANON_GUP.ELSEWHERE) return true;
      } else {
        if (!pc.resident(page)) pc.readPage(page);
        if (!pc.attached(page)) return true;
        pc.mapPage(page);
        if (!pc.pteWritable(page)) {
          if (this.stable && pc.writeback(page)) {
            this.pPending[k] = slot;
            this.q.replaceTop(this.wbEnds.endOf(page), EVENT.PINNER, k);
            return false;
          }
          pc.pageMkwrite(page);
        }
      }
      this.pSeq[idx] = this.mirror.refault(pc, page);
    }
    if (this.groups.n > 1) this.groups.pageGroup[page] = this.groups.of[k];
    this.dma.charged(page, 1);
    return true;
  }

  /**
   * An invalidation of pinner k's range runs its release from the MMU notifier
   * (invalidate_range_start → i915's put_pages, before 5.13), inside the invalidating path:
   * an rmap walk (try_to_unmap, page_mkclean) that holds the page lock of one mapped page of
   * the range, drawn uniformly (none mapped: a path holding no page lock, munmap). Every page
   * goes through notifierRelease (src/model/page-paths.ts); one whose release must lock the page the path
   * holds hangs the path (pageLockDeadlocks): the kernel stops there (crashedAt), as after
   * ext4's BUG. Otherwise the pin is over and the pinner's next cycle follows its gap.
   */
  private notifierInvalidation(k: number): void {
    const base = k * this.ppp,
      g = this.groups,
      gi = g.of[k];
    const uk = this.rng.u[PINNER_STREAM_BASE + k];
    const mapped: number[] = [];
    for (let i = 0; i < this.pCount[k]; i++) {
      const page = this.pPages[base + i];
      if (this.pc.resident(page) && this.pc.attached(page) && this.pc.mapped(page) && this.pc.shares[page] > 0)
        mapped.push(i);
    }
    const locked = mapped.length > 0 ? mapped[Math.floor(uk() * mapped.length)] : -1;
    this.releasePages(k, locked);
    this.pNotify[k] = Infinity;
    if (this.pc.crashedAt >= 0) return;
    this.pPhase[k] = PHASE.START;
    const gap = g.pinGap[gi](uk);
    this.pHold[k] = g.pinDuration[gi](uk);
    this.q.replaceTopOnLane(LANE.GAP, this.pc.now + gap, EVENT.PINNER, k);
  }

  /** Release per policy (set_page_dirty_lock, the !PageDirty check, nothing), then drop the reference. */
  private releasePin(k: number): void {
    this.pNotify[k] = Infinity;
    this.releasePages(k);
    this.pPhase[k] = PHASE.START;
    const uk = this.rng.u[PINNER_STREAM_BASE + k];
    const gi = this.groups.of[k];
    const gap = this.groups.pinGap[gi](uk);
    this.pHold[k] = this.groups.pinDuration[gi](uk);
    this.q.replaceTopOnLane(LANE.GAP, this.pc.now + gap, EVENT.PINNER, k);
  }

  /** The end of the run: every pinner inside GUP or holding a pin releases what it holds. */
  releaseAll(): void {
    for (let k = 0; k < this.groups.pinners; k++) {
      if (this.pPhase[k] !== PHASE.START) this.releasePages(k);
    }
  }

  /**
   * Drop every page pinner k holds (an anonymous COW copy is counted, nothing else to put);
   * `notifierLocked` >= 0: the release runs from the MMU notifier, its path holding the page
   * lock of the pin's page at that slot (-1: none).
   */
  private releasePages(k: number, notifierLocked?: number): void {
    const g = this.groups,
      gi = g.of[k];
    if (g.gup[gi].anonymous && this.pPhase[k] === PHASE.HOLD) {
      const n = g.ppp[gi];
      this.pc.count(METRIC.pinsCompleted, n);
      g.add(gi, GROUP_METRIC.pinsCompleted, n);
    }
    // A mirroring device holds no reference: mmu_interval_notifier_remove leaves the pages be.
    if (this.mirror === null) this.putPages(k, notifierLocked);
    this.pCount[k] = 0;
    this.pPending[k] = -1;
  }

  /**
   * The release of every page pinner k holds (PageCache.releaseGupPage, or notifierRelease
   * when the MMU notifier runs it, `notifierLocked` as releasePages), charged to its group.
   */
  private putPages(k: number, notifierLocked?: number): void {
    const base = k * this.ppp;
    const g = this.groups,
      gi = g.of[k];
    const holding = this.pPhase[k] === PHASE.HOLD;
    const lazy = this.dma.lazy;
    const pin = g.pin[gi] === 1,
      policy = g.policies[gi],
      writer = lazy && g.write[gi] === 1;
    const c = this.pc.counters;
    const done = c[METRIC.pinsCompleted],
      unsaved = c[METRIC.releasesUnsaved];
    this.ahead.listed(this.pPages, base, this.pCount[k]);
    for (let i = 0; i < this.pCount[k]; i++) {
      const page = this.pPages[base + i];
      if (lazy) {
        if (holding && writer) this.dma.addHolder(page, -1, g.specs[gi].dmaWriteRate, gi);
        else this.dma.catchUp(page);
      }
      if (this.dioWrite[gi] === 1 && this.pc.dioSources[page] > 0) this.pc.dioSources[page]--;
      if (notifierLocked === undefined)
        this.pc.releaseGupPage(page, pin, this.pCleanWrites[base + i], policy, this.trylockMiss[gi]);
      else if (
        notifierRelease(this.pc, page, pin, this.pCleanWrites[base + i], policy, i === notifierLocked) ===
        NOTIFIER_DID.DEADLOCK
      ) {
        // The invalidating task sleeps on the page lock it holds: the kernel is stuck here.
        this.pc.crashedAt = this.pc.now;
        break;
      }
      this.anon?.released(page);
    }
    g.add(gi, GROUP_METRIC.pinsCompleted, c[METRIC.pinsCompleted] - done);
    g.add(gi, GROUP_METRIC.releasesUnsaved, c[METRIC.releasesUnsaved] - unsaved);
  }
}
