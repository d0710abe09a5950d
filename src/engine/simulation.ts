/**
 * The event-driven simulation (docs/model.md, "Operations" and "Workload"): pinners, DMA,
 * CPU stores, the kupdate flusher, background writeback, fsync, reclaim and truncate over
 * a PageCache, with the policy's hooks at the points where kernel eras differ. Kernel
 * logic lives in the PageCache; this file schedules it. Its rooms: the pinners
 * (pinners.ts), the device writes (device-writes.ts), the page trace (trace.ts) and the
 * end-of-run sync (end-of-run.ts); which metrics are null is the metrics table's
 * (src/model/metrics.ts).
 */
import { parseDistribution, sampler, type Uniform } from "../model/distributions.js";
import { METRIC, type FinalSyncCounts } from "../model/metrics.js";
import { ENGINE_BIT, PAGE_STRIDE, PageCache, WRITE } from "../model/page-cache.js";
import type { Params } from "../model/params.js";
import { WritebackDecision, type DeviceMirror, type Policy } from "../model/policy.js";
import type { RunEnv } from "../model/env.js";
import { DeviceWrites } from "./device-writes.js";
import { countEndState, endOfRunSync, runResult } from "./end-of-run.js";
import { END_OF_RUN_EVENT, EVENT, EVENT_NAMES } from "./events.js";
import { kupdatePeriod } from "./flusher.js";
import { GROUP_METRIC, Groups } from "./groups.js";
import { Pinners } from "./pinners.js";
import { EventQueue } from "./queue.js";
import { PINNER_STREAM_BASE, STREAM, Streams } from "./random.js";
import type { RunResultWithTrace, SimulateOptions } from "./simulate.js";
import { PageTrace } from "./trace.js";
import { DrawAhead, ReadAhead } from "./prefetch.js";
import { WritebackEnds } from "./writeback-ends.js";
import { runSizes } from "./run-facts.js";
import { invalidateMappingPages } from "../model/page-paths.js";
import { anonMemoryFor, type AnonMemory } from "./anon.js";

/** What waits for a page's end_page_writeback: bits of ENGINE_BIT.waiters in pc.flags. */
const WAITER = { SYNC: 1 << ENGINE_BIT.waiters, RECLAIM: 2 << ENGINE_BIT.waiters } as const;
const WAITERS = WAITER.SYNC | WAITER.RECLAIM;

/** One run: build it from resolved parameters and a policy, `run()` it, read its `result()`. */
export class Simulation {
  readonly pc: PageCache;
  /** The base policy (env.policy). */
  readonly policy: Policy;
  private readonly q = new EventQueue(1024);
  /** The run's streams (random.ts); `r` holds them as Uniforms for the samplers. */
  private readonly rng: Streams;
  private readonly r: Uniform[];
  /** Events per second of the actors that draw their gaps from their own stream, by STREAM index. */
  private readonly rate = new Float64Array(STREAM.dma + 1);
  private now = 0;
  private events = 0;

  /**
   * The policy's device mirror (mmu-notifier), or null when GUP takes a reference.
   * NOTE: for performance, read once here rather than through the policy per event.
   */
  private readonly mirror: DeviceMirror | null;
  private readonly guard: boolean;
  /** Reclaim's pageout() writes a dirty file page (reclaimWritesFile: false for ext4 from v6.2, any fs from v6.16). */
  private readonly reclaimWrites: boolean;
  /** Folios per file (the PageCache's unit: a "page" below is a folio of 2^folioOrder pages). */
  private readonly pagesPerFile: number;
  /** Folios in all. */
  private readonly pages: number;
  /** Pages in all (4 KiB pages, whatever the folio order). */
  private readonly realPages: number;
  readonly groups: Groups;
  /** SB_I_STABLE_WRITES or a backing that waits for writeback in page_mkwrite (btrfs). */
  private readonly stable: boolean;
  /** The backing writes pages back at all (not tmpfs, not hugetlbfs). */
  private readonly writesBack: boolean;
  /** Which end_page_writeback event is the latest I/O's; when it ends (stable writes). */
  private readonly wbEnds: WritebackEnds;
  private readonly period: number;
  private phase = 0;
  private tick = 0;
  private finalSync: FinalSyncCounts = {};
  private bgStuck = false;

  private readonly latency: (u: Uniform) => number;
  /** A fixed latency keeps end_page_writeback times in order: they go on the FIFO lane. */
  private readonly fixedLatency: boolean;

  private readonly pinners: Pinners;
  private readonly dma: DeviceWrites;
  private readonly invalidateStream: number; // index in `r`: the stream after the trylock misses'
  private readonly anon?: AnonMemory; // backing anon: anonymous memory and fork (anon.ts)
  private readonly trace?: PageTrace;
  private readonly ahead: ReadAhead;
  /** The CPU stores' folios and gaps, drawn ahead. */
  private readonly cpuDraws: DrawAhead;

  constructor(
    readonly params: Params,
    readonly env: RunEnv,
    readonly options: SimulateOptions,
  ) {
    const p = params;
    this.policy = env.policy;
    this.groups = new Groups(p, env, p.files * (p.pagesPerFile >> env.folioOrder));
    const g = this.groups;
    this.pc = new PageCache({
      files: p.files,
      pagesPerFile: p.pagesPerFile >> env.folioOrder,
      bias: p.bias,
      env,
      traceClean: options.traceClean,
      sizes: runSizes(env, p, g),
    });
    this.realPages = p.files * p.pagesPerFile;
    this.mirror = env.mirror;
    this.guard = env.guard;
    this.reclaimWrites = env.reclaimWrites;
    this.stable = env.stable;
    this.writesBack = env.writesBack;
    this.pagesPerFile = this.pc.pagesPerFile;
    this.pages = this.pc.pages;
    this.ahead = new ReadAhead(this.pc);
    // A trylock release priced with misses (Release.trylockMissShare) draws from one more
    // stream after the pinners', invalidations from the next (the others keep their draws).
    const missShares = g.policies.map((q) => (q.release.lock === "trylock" ? (q.release.trylockMissShare ?? 0) : 0));
    const missing = missShares.some((m) => m > 0);
    this.rng = new Streams(p.seed, PINNER_STREAM_BASE + g.pinners + (missing || p.invalidateRate > 0 ? 2 : 0));
    this.r = this.rng.u;
    this.rate[STREAM.cpu] = p.cpuWriteRate * this.realPages;
    this.rate[STREAM.reclaim] = p.reclaimRate * this.pages;
    this.rate[STREAM.truncate] = p.truncateRate * p.files;
    this.rate[STREAM.fsync] = p.fsyncRate * p.files;
    this.cpuDraws = new DrawAhead(this.rng, STREAM.cpu, this.pages, this.rate[STREAM.cpu], this.pc.page, g.lastWriter);
    const missStream = this.r[PINNER_STREAM_BASE + g.pinners];
    this.invalidateStream = PINNER_STREAM_BASE + g.pinners + 1;
    const trylockMiss = missShares.map((m) => (m > 0 ? () => missStream() < m : undefined));
    this.wbEnds = new WritebackEnds(this.pc.page, this.stable);
    this.period = this.writesBack ? kupdatePeriod(p.writebackInterval, p.hz) : 0;
    this.latency = sampler(parseDistribution(p.writebackLatency));
    this.fixedLatency = typeof p.writebackLatency === "number";
    if (options.tracePages?.length) this.trace = new PageTrace(this.pc, options.tracePages);
    this.dma = new DeviceWrites(this.pc, g, this.mirror, this.rng, this.trace);
    this.anon = anonMemoryFor(env, p, this.pc, this.q, this.dma, this.r);
    this.pinners = new Pinners({
      pc: this.pc,
      q: this.q,
      rng: this.rng,
      groups: g,
      dma: this.dma,
      mirror: this.mirror,
      stable: this.stable,
      wbEnds: this.wbEnds,
      files: p.files,
      realPagesPerFile: p.pagesPerFile,
      folioOrder: env.folioOrder,
      trylockMiss,
      notifierRate: p.notifierRate,
      anon: this.anon,
      dioBuffered: env.anon.dioBufferedFallback.includes(p.dioDest),
    });
  }

  /**
   * The event loop: every event before the run's end, in (time, sequence) order, then the
   * end-of-run sync. Stops early at a crash (ext4-bug's BUG()), without the sync.
   * NOTE: for performance: the loop and `dispatch` are the hot path (tens of millions of
   * events on the large benchmark); the handlers they call are kept monomorphic.
   */
  run(): void {
    this.init();
    const q = this.q;
    const end = this.params.duration;
    const onEvent = this.options.onEvent;
    const bg = this.params.dirtyBackgroundPages;
    for (let t = q.peek(); t < end; t = q.peek()) {
      this.now = this.pc.now = t;
      this.events++;
      const kind = q.topKind();
      this.dispatch(kind, q.topArg());
      if (bg > 0) this.wbCheckBackgroundFlush(bg);
      if (onEvent) onEvent(this.pc, t);
      if (this.trace) this.trace.record(this.now, EVENT_NAMES[kind]);
      if (this.pc.crashedAt >= 0) return; // ext4-bug: BUG() stops the kernel here
    }
    this.finish();
    if (onEvent) onEvent(this.pc, this.now);
    if (this.trace) this.trace.record(this.now, END_OF_RUN_EVENT);
  }

  /** Handle the event at the top of the queue; each branch pops it or replaces it. */
  private dispatch(kind: number, arg: number): void {
    const q = this.q,
      rng = this.rng;
    switch (kind) {
      case EVENT.PINNER:
        this.pinners.step(arg);
        return;
      case EVENT.CPU_STORE:
        this.cpuStore(this.cpuDraws.folio());
        q.replaceTop(this.now + this.cpuDraws.gap(), EVENT.CPU_STORE, 0);
        return;
      case EVENT.CPU_STORE_PAGE:
        q.pop();
        this.cpuStore(arg);
        return;
      case EVENT.RECLAIM:
        this.shrinkFolioList(Math.floor(rng.uniform(STREAM.reclaim) * this.pages));
        q.replaceTop(this.now + rng.gap(STREAM.reclaim, this.rate[STREAM.reclaim]), EVENT.RECLAIM, 0);
        return;
      case EVENT.TRUNCATE:
        this.truncateFile(Math.floor(rng.uniform(STREAM.truncate) * this.params.files));
        q.replaceTop(this.now + rng.gap(STREAM.truncate, this.rate[STREAM.truncate]), EVENT.TRUNCATE, 0);
        return;
      case EVENT.FSYNC:
        this.writebackSingleInode(Math.floor(rng.uniform(STREAM.fsync) * this.params.files), true);
        q.replaceTop(this.now + rng.gap(STREAM.fsync, this.rate[STREAM.fsync]), EVENT.FSYNC, 0);
        return;
      case EVENT.KUPDATE:
        this.wbCheckOldDataFlush();
        this.tick++;
        q.replaceTop(this.phase + this.tick * this.period, EVENT.KUPDATE, 0);
        return;
      case EVENT.WB_END:
        if (this.fixedLatency) this.ahead.fifo(q); // they are on the FIFO lane
        q.pop();
        this.endWriteback(arg);
        return;
      case EVENT.BIO_BOUNCE:
        q.pop();
        this.bioBounce(arg);
        return;
      case EVENT.INVALIDATE: {
        const i = this.invalidateStream;
        invalidateMappingPages(this.pc, Math.floor(rng.uniform(i) * this.params.files), (pg) => this.dma.catchUp(pg));
        q.replaceTop(this.now + rng.gap(i, this.params.invalidateRate * this.params.files), EVENT.INVALIDATE, 0);
        return;
      }
      case EVENT.FORK:
      case EVENT.CHILD_EXIT:
        this.anon!.event(kind, arg);
    }
  }

  // ---- set-up -------------------------------------------------------------------------

  /** Every page's sharers and transient references, then the first event of every actor. */
  private init(): void {
    const p = this.params,
      pc = this.pc,
      u = this.r[STREAM.init];
    const shares = parseDistribution(p.shareCount),
      transient = parseDistribution(p.transientRefs);
    const drawShares = sampler(shares),
      drawTransient = sampler(transient);
    for (let i = 0; i < this.pages; i++) {
      const s = shares.kind === "fixed" ? shares.value : Math.round(drawShares(u));
      const t = transient.kind === "fixed" ? transient.value : Math.round(drawTransient(u));
      (this.anon ?? pc).initPage(i, s, t);
    }
    if (this.period > 0) {
      this.phase = this.r[STREAM.flusher]() * this.period;
      this.q.push(this.phase, EVENT.KUPDATE, 0);
    }
    const first = (stream: number, rate: number, kind: number) => this.q.push(this.rng.gap(stream, rate), kind, 0);
    if (p.cpuWriteRate > 0) first(STREAM.cpu, this.rate[STREAM.cpu], EVENT.CPU_STORE);
    // tmpfs, hugetlbfs: no writeback, reclaim (swap) keeps the data. anon: swap-out, no truncate.
    if (p.reclaimRate > 0 && (this.writesBack || this.anon))
      first(STREAM.reclaim, this.rate[STREAM.reclaim], EVENT.RECLAIM);
    if (p.truncateRate > 0 && !this.anon) first(STREAM.truncate, this.rate[STREAM.truncate], EVENT.TRUNCATE);
    if (p.fsyncRate > 0 && this.writesBack) first(STREAM.fsync, this.rate[STREAM.fsync], EVENT.FSYNC);
    if (p.invalidateRate > 0 && this.writesBack)
      first(this.invalidateStream, p.invalidateRate * p.files, EVENT.INVALIDATE);
    this.pinners.init();
    this.anon?.start();
  }

  // ---- CPU, reclaim, truncate -------------------------------------------------------------

  /** A CPU store through a mapping: fault (page_mkwrite) without a writable pte, then mem++. */
  private cpuStore(page: number): void {
    const pc = this.pc;
    if (this.anon) return void this.anon.cpuStore(page, this.groups.lastWriter);
    this.dma.catchUp(page);
    if (!pc.resident(page)) pc.readPage(page);
    if (!pc.attached(page)) return; // beyond EOF after truncate: SIGBUS, not modelled further
    pc.mapPage(page);
    if (!pc.pteWritable(page)) {
      if (this.stable && pc.writeback(page)) {
        this.q.push(this.wbEnds.endOf(page), EVENT.CPU_STORE_PAGE, page);
        return;
      }
      pc.pageMkwrite(page);
    }
    pc.cpuStore(page);
    this.groups.lastWriter[page] = -1;
  }

  /**
   * shrink_folio_list (mm/vmscan.c) for one page: skip if locked or under writeback;
   * try_to_unmap; the reclaim guard (folio_maybe_dma_pinned → activate_locked, v6.4); if
   * dirty, pageout — but only a page nobody else holds (is_page_cache_freeable, else
   * PAGE_KEEP) and only where the filesystem still has ->writepage (else PAGE_ACTIVATE:
   * ext4 from v6.2, dae999602eeb; every filesystem from v6.16, 6b0dfabb3555) — and continue
   * after the I/O; a clean page goes on to try_to_release_page
   * (frees the buffers, whoever holds the page) and __remove_mapping.
   */
  private shrinkFolioList(page: number): void {
    const pc = this.pc;
    if (this.anon) return void this.anon.reclaim(page);
    this.dma.catchUp(page);
    if (!pc.resident(page) || !pc.attached(page) || pc.locked(page) || pc.writeback(page)) return;
    pc.tryToUnmap(page);
    if (this.guard && pc.reclaimGuardKeeps(page)) return;
    if (pc.dirty(page)) {
      if (!pc.isPageCacheFreeable(page)) return; // pageout: PAGE_KEEP
      if (!this.reclaimWrites) return; // pageout: no ->writepage, PAGE_ACTIVATE (left to the flusher)
      if (this.pageout(page) === WRITE.STARTED) {
        pc.page[PAGE_STRIDE * page] |= WAITER.RECLAIM;
        return;
      }
      if (pc.dirty(page)) return; // kept dirty by the policy: keep_locked
    }
    if (pc.tryToReleasePage(page)) this.evict(page);
  }

  /** __remove_mapping, with lost data charged to the group that last pinned the page. */
  private evict(page: number): void {
    const c = this.pc.counters,
      lost = c[METRIC.lostData];
    this.pc.removeMapping(page);
    this.groups.add(this.groups.lastWriter[page], GROUP_METRIC.lostData, c[METRIC.lostData] - lost);
  }

  /** pageout (mm/vmscan.c): clear_page_dirty_for_io and ->writepage, as write_cache_pages does for one page. */
  private pageout(page: number): number {
    return this.writePage(page, false);
  }

  /** The next reclaim pass over a page whose pageout I/O has completed. */
  private continueReclaim(page: number): void {
    const pc = this.pc;
    this.dma.catchUp(page);
    if (!pc.resident(page) || !pc.attached(page) || pc.locked(page) || pc.writeback(page)) return;
    pc.tryToUnmap(page);
    if (this.guard && pc.reclaimGuardKeeps(page)) return;
    if (pc.dirty(page)) return; // redirtied during the I/O
    if (pc.tryToReleasePage(page)) this.evict(page);
  }

  /** truncate_inode_pages over a whole file; pages held by GUP stay, detached. */
  private truncateFile(f: number): void {
    const pc = this.pc;
    const start = f * this.pagesPerFile;
    for (let p = start; p < start + this.pagesPerFile; p++) {
      this.dma.catchUp(p);
      pc.truncatePage(p);
      pc.page[PAGE_STRIDE * p] &= ~WAITERS;
    }
    pc.inodeDirty[f] = 0;
  }

  // ---- writeback ------------------------------------------------------------------------

  /**
   * One page through write_cache_pages; schedules end_page_writeback after the latency.
   * A block-layer bounce (BOUNCE_AT_BIO) copies the page bounceDelay after
   * set_page_writeback, and the I/O starts from that copy.
   */
  private writePage(page: number, sync: boolean): number {
    this.dma.catchUp(page);
    const r = this.pc.writeCachePage(page, sync);
    if (r === WRITE.STARTED) {
      let t = this.now;
      if (this.pc.lastDecision & WritebackDecision.BOUNCE_AT_BIO) {
        t += this.params.bounceDelay;
        this.q.push(t, EVENT.BIO_BOUNCE, page);
      }
      t += this.latency(this.r[STREAM.writeback]);
      this.wbEnds.started(page, t);
      if (this.fixedLatency && !(this.pc.lastDecision & WritebackDecision.BOUNCE_AT_BIO))
        this.q.pushFifo(t, EVENT.WB_END, page);
      else this.q.push(t, EVENT.WB_END, page);
    } else if (r === WRITE.WAIT) {
      this.pc.page[PAGE_STRIDE * page] |= WAITER.SYNC;
    }
    return r;
  }

  /**
   * writeback_single_inode: every dirty page of the file, then requeue_inode: clean if
   * no dirty page is left, otherwise requeued with dirtied_when = now.
   */
  private writebackSingleInode(f: number, sync: boolean): void {
    const pc = this.pc;
    const end = (f + 1) * this.pagesPerFile;
    let left = pc.dirtyPages[f];
    // The file's dirty folios in index order, found in the bitmap (nextDirty), their records
    // read ahead all at once (NOTE: for performance).
    this.ahead.dirty(end - this.pagesPerFile, end, left);
    for (let p = pc.nextDirty(end - this.pagesPerFile, end); left > 0 && p < end; p = pc.nextDirty(p + 1, end)) {
      left--;
      this.writePage(p, sync);
    }
    this.requeueInode(f);
  }

  /** requeue_inode (fs/fs-writeback.c): clean if no dirty page is left, else dirtied_when = now. */
  private requeueInode(f: number): void {
    const pc = this.pc;
    if (pc.dirtyPages[f] === 0) pc.inodeDirty[f] = 0;
    else {
      pc.inodeDirty[f] = 1;
      pc.dirtiedWhen[f] = this.now;
    }
  }

  /** wb_check_old_data_flush (fs/fs-writeback.c, kupdate): write every inode dirtied at least E seconds ago. */
  private wbCheckOldDataFlush(): void {
    const pc = this.pc;
    const expiredBefore = this.now - this.params.dirtyExpire;
    for (let f = 0; f < this.params.files; f++) {
      if (pc.inodeDirty[f] && pc.dirtiedWhen[f] <= expiredBefore) this.writebackSingleInode(f, false);
    }
    this.bgStuck = false;
  }

  /** wb_check_background_flush (fs/fs-writeback.c): while over the threshold, write the oldest inodes regardless of age. */
  private wbCheckBackgroundFlush(threshold: number): void {
    const pc = this.pc;
    if (pc.totalDirty <= threshold) {
      this.bgStuck = false;
      return;
    }
    if (this.bgStuck) return;
    const order: number[] = [];
    for (let f = 0; f < this.params.files; f++) if (pc.inodeDirty[f] && pc.dirtyPages[f] > 0) order.push(f);
    order.sort((a, b) => pc.dirtiedWhen[a] - pc.dirtiedWhen[b] || a - b);
    for (const f of order) {
      if (pc.totalDirty <= threshold) return;
      this.writebackSingleInode(f, false);
    }
    // Pages the policy keeps dirty can hold the count above the threshold: wait for the next tick.
    if (pc.totalDirty > threshold) this.bgStuck = true;
  }

  /** The block layer's bounce copy at bio submission: device writes until now reach the I/O. */
  private bioBounce(page: number): void {
    if (!this.pc.writeback(page) || this.pc.bounced(page)) return; // superseded (page freed and read back)
    this.dma.catchUp(page); // writes inside the window landed under writeback, unbounced
    this.pc.bounceAtBio(page);
  }

  /** end_page_writeback, then whoever waited for it: an fsync writes the page again, reclaim goes on. */
  private endWriteback(page: number): void {
    const pc = this.pc;
    const latest = this.wbEnds.ended(page, this.now);
    if (!pc.writeback(page) || !latest) return; // superseded (page freed and read back)
    this.dma.catchUp(page); // writes before the end landed under writeback
    pc.endPageWriteback(page);
    const w = pc.page[PAGE_STRIDE * page] & WAITERS;
    if (w === 0) return;
    pc.page[PAGE_STRIDE * page] &= ~WAITERS;
    if (w & WAITER.SYNC) {
      // The fsync that waited on this page now writes it (WB_SYNC_ALL).
      this.writePage(page, true);
      this.requeueInode(pc.fileOf(page));
    }
    if (w & WAITER.RECLAIM) this.continueReclaim(page);
  }

  // ---- end of run and result ----------------------------------------------------------

  /** End of run (end-of-run.ts): release every pin, let the I/O in flight complete, one sync(2), the end state. */
  private finish(): void {
    this.now = this.pc.now = this.params.duration;
    this.dma.catchUpAll();
    this.pinners.releaseAll();
    this.finalSync = endOfRunSync(this.pc, this.writesBack, (f) => this.requeueInode(f));
    countEndState(this.pc, this.groups, this.writesBack);
  }

  /** The run's result: plain JSON data (RunResultWithTrace). */
  result(): RunResultWithTrace {
    const { pc, env, groups, params, events, finalSync, period, trace } = this;
    return runResult({ pc, env, groups, params, events, finalSync, period, trace });
  }
}
