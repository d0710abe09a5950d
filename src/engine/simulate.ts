/**
 * The event-driven simulation (docs/model.md, "Operations" and "Workload"): pinners, DMA,
 * CPU stores, the kupdate flusher, background writeback, fsync, reclaim and truncate over
 * a PageCache, with the policy's hooks at the points where kernel eras differ. Kernel
 * logic lives in the PageCache; this file schedules it.
 */
import { parseDistribution, sampler, type Uniform } from "../model/distributions.js";
import {
  METRIC,
  METRIC_NAMES,
  runRates,
  type FinalSyncCounts,
  type Metrics,
  type RunResult,
} from "../model/metrics.js";
import { PageCache, WRITE } from "../model/page-cache.js";
import { ParamError, resolveParams, type Params, type ParamsInput } from "../model/params.js";
import { deviceMirrorOf, WritebackDecision, type DeviceMirror, type Policy } from "../model/policy.js";
import { cleanDelayStats, type CleanDelays } from "./clean-delays.js";
import { getPolicy } from "../policies/index.js";
import { PACKAGE_VERSION } from "../version.js";
import { kupdatePeriod } from "./flusher.js";
import { EventQueue } from "./queue.js";
import { makeStreams, PINNER_STREAM_BASE, PRNG_NAME, STREAM } from "./random.js";
import { GROUP_METRIC, Groups, type GroupResult } from "./groups.js";
import { BACKING_PROFILES, pageCacheTracking, reclaimWritesFile } from "../model/backings.js";
import { kernelRecord, type KernelRecord } from "../model/coverage-params.js";

/** Event kinds on the queue. */
const EVENT = {
  PINNER: 0,
  CPU_STORE: 1,
  RECLAIM: 2,
  TRUNCATE: 3,
  FSYNC: 4,
  KUPDATE: 5,
  WB_END: 6,
  CPU_STORE_PAGE: 7, // a store that waited for writeback (stable writes)
  BIO_BOUNCE: 8, // the block layer's bounce copy at bio submission (block-bounce)
} as const;
/** The name of each event kind (EVENT), as trace rows carry it. */
export const EVENT_NAMES = [
  "pinner",
  "cpu-store",
  "reclaim",
  "truncate",
  "fsync",
  "kupdate",
  "writeback-end",
  "cpu-store",
  "bio-bounce",
] as const;
/** Trace rows of device writes carry this event name (they are applied lazily, at their own times). */
export const DMA_WRITE_EVENT = "dma-write";

/** Pinner phases: waiting to start a pin, inside GUP (faulting pages in), holding the pin. */
const PHASE = { START: 0, GUP: 1, HOLD: 2 } as const;
/** What waits for a page's end_page_writeback. */
const WAITER = { SYNC: 1, RECLAIM: 2 } as const;
/** Outcome of GUP on one page. */
const GUP_OUTCOME = { OK: 0, SKIP: 1, WAIT: 2, REFUSED: 3 } as const;

/** One traced page's state after an event that changed it. */
export interface TraceRow {
  /** Simulated time of the event, seconds. */
  t: number;
  /** The traced page (folio) index. */
  page: number;
  /** The event that changed it: one of EVENT_NAMES, `dma-write` (DMA_WRITE_EVENT) or `end-of-run sync`. */
  event: string;
  /** PG_dirty, 0 or 1. */
  dirty: number;
  /** PG_writeback, 0 or 1. */
  writeback: number;
  /** FOLL_PIN references held. */
  pins: number;
  /** FOLL_GET references held. */
  gets: number;
  /** Buffer heads attached (page_has_buffers), 0 or 1. */
  buffers: number;
  /** A writable, dirty pte, 0 or 1. */
  pteWritable: number;
  /** page->mapping set (not truncated), 0 or 1. */
  attached: number;
  /** In memory at all, 0 or 1 (0 after eviction until read back). */
  resident: number;
  /** Content version in memory (each store or device write adds 1). */
  mem: number;
  /** Content version on disk. */
  disk: number;
  /** page_ref_count as the model keeps it (reclaim's own reference left out). */
  refcount: number;
}

/** Options of one run besides its parameters. */
export interface SimulateOptions {
  /** Called after every event with the page cache and the time (property tests). */
  onEvent?: (pc: PageCache, now: number) => void;
  /** Record the state of these pages after every event that changes them. */
  tracePages?: number[];
  /**
   * Record clean delays (V1/V16): for every page, the seconds from its clean→dirty
   * transition to its first clean (clear_page_dirty_for_io), apart for pages dirtied in a
   * clean inode and in an already dirty one. Needs the flusher (writebackInterval > 0).
   * Default false.
   */
  traceClean?: boolean;
  /**
   * A policy object to run instead of `params.policy` (a user's own policy, e.g. written
   * in a notebook cell); `params.policy` then defaults to its id.
   */
  policy?: Policy;
}

/** A run's result, with the optional traces its options asked for. */
export interface RunResultWithTrace extends RunResult {
  /** Rows of the traced pages' states (tracePages). */
  trace?: TraceRow[];
  /** Clean-delay statistics (traceClean). */
  cleanDelays?: CleanDelays;
  /** Each pinner group's shape, GUP outcome and counts (one group for the flat parameters). */
  groups?: GroupResult[];
  /** The kernel preset's values and the parameters that overrode them; null without a preset. */
  kernel?: KernelRecord | null;
  /**
   * btrfs: device writes that landed under writeback, each a data checksum that no longer
   * matches what reaches disk (a read fails with a checksum error); null on other backings.
   */
  checksumFailures?: number | null;
}

/**
 * Run one simulation. The result is plain JSON data and byte-identical for the same
 * parameters (one seeded stream per actor, src/engine/random.ts).
 *
 * @param input the parameters (src/model/params.ts; every field has a default)
 * @param options traces to record, an event callback, or a policy value of your own
 * @throws {ParamError} a parameter out of range or of the wrong type, naming the field, the
 *   value and what is allowed (also traceClean without a flusher)
 * @throws {InputError} a policy whose `reference` and `deviceMirror` disagree
 *
 * @example
 * ```ts
 * import { simulate } from "pinsim";
 * const r = simulate({ policy: "dirty-at-gup", pinDuration: 45, duration: 600, seed: 1 });
 * r.metrics.writeToCleanPage; // device writes that landed in clean pages
 * r.rates.lostDataPerPin;     // { numerator, denominator, value }
 * // 64 pages, two pinners holding pages for 60 s, ten minutes, seed 1:
 * const small = { duration: 600, files: 4, pagesPerFile: 16, pinners: 2, pinDuration: 60, seed: 1 };
 * simulate({ ...small, policy: "dirty-at-gup" }).metrics.lostData > 0; // => true (a flusher pass mid-pin cleans the page, the device writes into it, nothing redirties it)
 * simulate({ ...small, policy: "foll-pin" }).metrics.lostData; // => 0 (unpin_user_pages_dirty_lock redirties at release)
 * simulate({ ...small, policy: "dirty-at-gup" }).metrics.lostData === simulate({ ...small, policy: "dirty-at-gup" }).metrics.lostData; // => true (same seed, same run)
 * ```
 */
export function simulate(
  input: ParamsInput | Record<string, unknown> = {},
  options: SimulateOptions = {},
): RunResultWithTrace {
  let params: Params, policy: Policy;
  if (options.policy) {
    policy = options.policy;
    const rest: Record<string, unknown> = { ...input };
    delete rest.policy;
    params = { ...resolveParams(rest), policy: policy.id };
  } else {
    params = resolveParams(input);
    policy = getPolicy(params.policy);
  }
  if (options.traceClean) checkTraceClean(params);
  if (params.reclaimGuard === null) params.reclaimGuard = policy.reclaimGuardDefault;
  const sim = new Simulation(params, policy, options);
  sim.run();
  return sim.result();
}

/** Clean delays mean something only if kupdate can clean a page within the run. */
function checkTraceClean(p: Params): void {
  if (p.writebackInterval === 0)
    throw new ParamError(
      "writebackInterval",
      0,
      "> 0 with traceClean: without the flusher no page is cleaned on a schedule",
    );
  if (p.duration <= p.dirtyExpire)
    throw new ParamError(
      "duration",
      p.duration,
      `> dirtyExpire (${p.dirtyExpire} s) with traceClean: no page can reach its first clean`,
    );
}

class Simulation {
  readonly pc: PageCache;
  private readonly q = new EventQueue(1024);
  private readonly r: Uniform[];
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
  /** Stride of the pinner page table: the largest pagesPerPin of any group. */
  private readonly ppp: number;
  /** Folios per file (the PageCache's unit: a "page" below is a folio of 2^folioOrder pages). */
  private readonly pagesPerFile: number;
  /** Folios in all. */
  private readonly pages: number;
  private readonly order: number;
  /** Pages per file and in all (4 KiB pages, whatever the folio order). */
  private readonly realPagesPerFile: number;
  private readonly realPages: number;
  readonly groups: Groups;
  /** SB_I_STABLE_WRITES or a backing that waits for writeback in page_mkwrite (btrfs). */
  private readonly stable: boolean;
  /** The backing writes pages back at all (not tmpfs, not hugetlbfs). */
  private readonly writesBack: boolean;
  /** Groups write at different dmaWriteRates: per-page rates are summed (dmaRate). */
  private readonly mixedRates: boolean;
  private readonly dmaRate: Float64Array;
  private readonly wbEnd: Float64Array;
  private readonly waiters: Uint8Array;
  private readonly period: number;
  private phase = 0;
  private tick = 0;
  private finalSync: FinalSyncCounts = {};
  private bgStuck = false;

  private readonly latency: (u: Uniform) => number;
  /** A fixed latency keeps end_page_writeback times in order: they go on the FIFO lane. */
  private readonly fixedLatency: boolean;

  // Pinner state (docs/model.md#workload-and-initial-state).
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

  // Device writes into pinned pages, per page (docs/model.md#workload-and-initial-state: a Poisson process of rate
  // dmaWriteRate per pinned page, so dmaWriteRate × holders on a page held by several).
  // They are applied lazily: a page's state changes only at events that touch it, so the
  // writes since the last such event all land in the same state; every entry point that
  // touches a page first catches its writes up (catchUpDma). Same law as one event per
  // write, without the queue traffic.
  // NOTE: for performance; device writes are most of the events of a large system.
  private readonly lazyDma: boolean;
  private readonly dmaHolders: Int32Array; // pinners in their hold phase on the page
  private readonly nextDma: Float64Array; // time of the page's next device write

  private readonly trace?: TraceRow[];
  private readonly traced?: number[];
  private readonly traceLast?: string[];

  constructor(
    readonly params: Params,
    readonly policy: Policy,
    readonly options: SimulateOptions,
  ) {
    const p = params;
    const backing = BACKING_PROFILES[p.backing];
    this.order = p.folioOrder;
    this.pc = new PageCache({
      files: p.files,
      pagesPerFile: p.pagesPerFile >> p.folioOrder,
      bias: p.bias,
      fsBehavior: p.fsBehavior,
      policy,
      traceClean: options.traceClean,
      ...pageCacheTracking(p.kernel, p.backing, p.folioOrder),
    });
    this.realPagesPerFile = p.pagesPerFile;
    this.realPages = p.files * p.pagesPerFile;
    this.mirror = deviceMirrorOf(policy);
    this.guard = p.reclaimGuard === true;
    this.reclaimWrites = reclaimWritesFile(p.kernel, p.backing);
    this.stable = p.stableWrites || backing.stableWrites;
    this.writesBack = backing.writesBack;
    this.pagesPerFile = this.pc.pagesPerFile;
    this.pages = this.pc.pages;
    this.groups = new Groups(p, policy, this.pages);
    const g = this.groups;
    this.ppp = g.maxPpp;
    this.r = makeStreams(p.seed, PINNER_STREAM_BASE + g.pinners);
    this.wbEnd = new Float64Array(this.pages);
    const writers = g.specs.filter((s, i) => g.write[i] && s.dmaWriteRate > 0);
    // A mirroring device's write may refault first: its writes stay events of their own.
    this.lazyDma = this.mirror === null && writers.length > 0;
    this.mixedRates = new Set(writers.map((s) => s.dmaWriteRate)).size > 1;
    this.dmaHolders = new Int32Array(this.lazyDma ? this.pages : 0);
    this.dmaRate = new Float64Array(this.mixedRates ? this.pages : 0);
    this.nextDma = new Float64Array(this.lazyDma ? this.pages : 0).fill(Infinity);
    this.waiters = new Uint8Array(this.pages);
    this.period = this.writesBack ? kupdatePeriod(p.writebackInterval, p.hz) : 0;
    this.latency = sampler(parseDistribution(p.writebackLatency));
    this.fixedLatency = typeof p.writebackLatency === "number";
    const n = g.pinners;
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
    if (options.tracePages?.length) {
      this.trace = [];
      this.traced = options.tracePages.filter((x) => Number.isInteger(x) && x >= 0 && x < this.pages);
      this.traceLast = this.traced.map(() => "");
    }
  }

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
      if (this.trace) this.recordTrace(EVENT_NAMES[kind]);
      if (this.pc.crashedAt >= 0) return; // ext4-bug: BUG() stops the kernel here
    }
    this.finish();
    if (onEvent) onEvent(this.pc, this.now);
    if (this.trace) this.recordTrace("end-of-run sync");
  }

  /** Handle the event at the top of the queue; each branch pops it or replaces it. */
  private dispatch(kind: number, arg: number): void {
    const q = this.q;
    switch (kind) {
      case EVENT.PINNER:
        this.pinnerStep(arg);
        return;
      case EVENT.CPU_STORE: {
        const u = this.r[STREAM.cpu];
        this.cpuStore(Math.floor(u() * this.pages));
        q.replaceTop(this.now + this.exp(u, this.params.cpuWriteRate * this.realPages), EVENT.CPU_STORE, 0);
        return;
      }
      case EVENT.CPU_STORE_PAGE:
        q.pop();
        this.cpuStore(arg);
        return;
      case EVENT.RECLAIM: {
        const u = this.r[STREAM.reclaim];
        this.shrinkFolioList(Math.floor(u() * this.pages));
        q.replaceTop(this.now + this.exp(u, this.params.reclaimRate * this.pages), EVENT.RECLAIM, 0);
        return;
      }
      case EVENT.TRUNCATE: {
        const u = this.r[STREAM.truncate];
        this.truncateFile(Math.floor(u() * this.params.files));
        q.replaceTop(this.now + this.exp(u, this.params.truncateRate * this.params.files), EVENT.TRUNCATE, 0);
        return;
      }
      case EVENT.FSYNC: {
        const u = this.r[STREAM.fsync];
        this.writebackSingleInode(Math.floor(u() * this.params.files), true);
        q.replaceTop(this.now + this.exp(u, this.params.fsyncRate * this.params.files), EVENT.FSYNC, 0);
        return;
      }
      case EVENT.KUPDATE:
        this.wbCheckOldDataFlush();
        this.tick++;
        q.replaceTop(this.phase + this.tick * this.period, EVENT.KUPDATE, 0);
        return;
      case EVENT.WB_END:
        q.pop();
        this.endWriteback(arg);
        return;
      case EVENT.BIO_BOUNCE:
        q.pop();
        this.bioBounce(arg);
        return;
    }
  }

  private exp(u: Uniform, rate: number): number {
    return -Math.log(1 - u()) / rate;
  }

  // ---- set-up -------------------------------------------------------------------------

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
      pc.initPage(i, s, t);
    }
    if (this.period > 0) {
      this.phase = this.r[STREAM.flusher]() * this.period;
      this.q.push(this.phase, EVENT.KUPDATE, 0);
    }
    if (p.cpuWriteRate > 0)
      this.q.push(this.exp(this.r[STREAM.cpu], p.cpuWriteRate * this.realPages), EVENT.CPU_STORE, 0);
    // tmpfs and hugetlbfs: no writeback, and reclaim (swap) keeps the data: neither is run.
    if (p.reclaimRate > 0 && this.writesBack)
      this.q.push(this.exp(this.r[STREAM.reclaim], p.reclaimRate * this.pages), EVENT.RECLAIM, 0);
    if (p.truncateRate > 0) this.q.push(this.exp(this.r[STREAM.truncate], p.truncateRate * p.files), EVENT.TRUNCATE, 0);
    if (p.fsyncRate > 0 && this.writesBack)
      this.q.push(this.exp(this.r[STREAM.fsync], p.fsyncRate * p.files), EVENT.FSYNC, 0);
    // Each pinner's first pin starts at a uniform offset within its first cycle.
    const g = this.groups;
    for (let k = 0; k < g.pinners; k++) {
      const uk = this.r[PINNER_STREAM_BASE + k];
      const hold = g.pinDuration[g.of[k]](uk),
        gap = g.pinGap[g.of[k]](uk);
      this.pHold[k] = hold;
      this.pPhase[k] = PHASE.START;
      this.q.push(uk() * (hold + gap), EVENT.PINNER, k);
    }
  }

  // ---- pinners --------------------------------------------------------------------------

  private pinnerStep(k: number): void {
    const phase = this.pPhase[k];
    if (phase === PHASE.START) {
      this.startPin(k);
      return;
    }
    if (phase === PHASE.GUP) {
      this.continueGup(k);
      return;
    }
    if (this.now >= this.pEnd[k]) {
      this.releasePin(k);
      return;
    }
    // Only a mirroring device (mmu-notifier) has per-write events: a write may refault.
    const uk = this.r[PINNER_STREAM_BASE + k];
    let slot = this.pPending[k];
    if (slot < 0) slot = Math.floor(uk() * this.pCount[k]);
    else this.pPending[k] = -1;
    if (!this.deviceWrite(k, slot)) return; // waiting for writeback (rescheduled)
    this.scheduleHold(k);
  }

  /** Begin a cycle: pick a range of a uniformly chosen file, then GUP it. */
  private startPin(k: number): void {
    const uk = this.r[PINNER_STREAM_BASE + k];
    const p = this.params;
    const g = this.groups,
      gi = g.of[k],
      ppp = g.ppp[gi];
    const file = Math.floor(uk() * p.files);
    // pFirst is a 4 KiB page index; unitOf maps it to its folio.
    this.pFirst[k] = file * this.realPagesPerFile + Math.floor(uk() * (this.realPagesPerFile - ppp + 1));
    if (g.gup[gi].refused !== null) {
      // check_vma_flags (-EFAULT) or the caller's own check (io_uring: -EOPNOTSUPP) refuses
      // before any page is touched; retry after pinGap.
      this.pc.count(METRIC.refusedPins, ppp);
      g.add(gi, GROUP_METRIC.refusedPins, ppp);
      this.retryAfterRefusal(k);
      return;
    }
    if (g.gup[gi].anonymous) {
      // A private mapping: COW (or unshare) gives the pin an anonymous copy; no page-cache
      // folio is held, so nothing here can race with writeback.
      this.pc.count(METRIC.pinsTaken, ppp);
      g.add(gi, GROUP_METRIC.pinsTaken, ppp);
      this.pCount[k] = 0;
      this.pPhase[k] = PHASE.HOLD;
      this.pEnd[k] = this.now + this.pHold[k];
      this.q.replaceTop(this.pEnd[k], EVENT.PINNER, k);
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
    while (this.pCursor[k] < ppp) {
      const page = this.unitOf(this.pFirst[k] + this.pCursor[k]);
      const r = this.gupPage(k, page, base + this.pCount[k]);
      if (r === GUP_OUTCOME.WAIT) {
        this.q.replaceTop(this.wbEnd[page], EVENT.PINNER, k);
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
        this.pCleanWrites[base + this.pCount[k]] = this.pc.cleanWrites[page];
        this.pPages[base + this.pCount[k]++] = page;
      }
      this.pCursor[k]++;
    }
    this.pc.count(METRIC.pinsTaken, this.pCount[k]);
    g.add(gi, GROUP_METRIC.pinsTaken, this.pCount[k]);
    this.pPhase[k] = PHASE.HOLD;
    this.pEnd[k] = this.now + this.pHold[k];
    if (this.lazyDma && g.write[gi]) {
      const rate = g.specs[gi].dmaWriteRate;
      for (let i = 0; i < this.pCount[k]; i++) this.addDmaHolder(this.pPages[base + i], 1, rate, gi);
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
    const uk = this.r[PINNER_STREAM_BASE + k];
    const gi = this.groups.of[k];
    const gap = this.groups.pinGap[gi](uk);
    const wait = gap > 0 ? gap : this.pHold[k];
    this.pHold[k] = this.groups.pinDuration[gi](uk);
    if (wait > 0) this.q.replaceTop(this.now + wait, EVENT.PINNER, k);
    else this.q.pop();
  }

  /** Next device write, or the release if that comes first. */
  private scheduleHold(k: number): void {
    const rate = this.groups.specs[this.groups.of[k]].dmaWriteRate * this.pCount[k];
    let t = this.pEnd[k];
    if (rate > 0 && this.mirror !== null) {
      const next = this.now + this.exp(this.r[PINNER_STREAM_BASE + k], rate);
      if (next < t) t = next;
    }
    this.q.replaceTop(t, EVENT.PINNER, k);
  }

  /**
   * GUP for write on one page (mm/gup.c). Slow path: fault in a writable pte
   * (page_mkwrite), take the reference under the pte lock, FOLL_TOUCH. GUP-fast: needs a
   * writable pte, takes the reference, rechecks the pte (at one instant the recheck cannot
   * fail; the checker explores the window); without a writable pte it falls back to slow.
   */
  private gupPage(k: number, page: number, slot: number): number {
    const pc = this.pc;
    this.catchUpDma(page);
    if (!pc.resident[page]) pc.readPage(page);
    if (!pc.attached[page]) return GUP_OUTCOME.SKIP; // truncated and still held elsewhere: beyond EOF
    pc.mapPage(page);
    const g = this.groups,
      gi = g.of[k];
    // A read pin (no FOLL_WRITE) needs no writable pte: no write fault, no FOLL_TOUCH dirtying.
    const write = g.gup[gi].flags.write;
    const fast = g.specs[gi].gupPath !== "slow" && pc.pteWritable[page] === 1;
    if (write && !fast && !pc.pteWritable[page]) {
      if (this.stable && pc.writeback[page]) return GUP_OUTCOME.WAIT; // folio_wait_stable
      pc.pageMkwrite(page);
    }
    if (this.mirror !== null) {
      // No reference: the device mirrors the mapping; it is told when it goes.
      this.pSeq[slot] = this.mirror.mirror(pc, page);
      return GUP_OUTCOME.OK;
    }
    if (!pc.tryGrabFolio(page, g.pin[gi] === 1)) return GUP_OUTCOME.REFUSED;
    g.pageGroup[page] = gi;
    // FOLL_TOUCH: mark dirty if neither pte nor page is (follow_page_pte).
    if (write && !fast && !pc.pteWritable[page] && !pc.dirty[page]) pc.setPageDirty(page);
    g.policies[gi].afterGrab(pc, page);
    return GUP_OUTCOME.OK;
  }

  /** One device write into the pinner's slot. Returns false if it had to wait. */
  private deviceWrite(k: number, slot: number): boolean {
    const pc = this.pc;
    const idx = k * this.ppp + slot;
    const page = this.pPages[idx];
    if (this.mirror?.invalidated(pc, page, this.pSeq[idx])) {
      // The device's mapping was invalidated: it refaults like a CPU store.
      if (!pc.resident[page]) pc.readPage(page);
      if (!pc.attached[page]) return true;
      pc.mapPage(page);
      if (!pc.pteWritable[page]) {
        if (this.stable && pc.writeback[page]) {
          this.pPending[k] = slot;
          this.q.replaceTop(this.wbEnd[page], EVENT.PINNER, k);
          return false;
        }
        pc.pageMkwrite(page);
      }
      this.pSeq[idx] = this.mirror.refault(pc, page);
    }
    this.groups.pageGroup[page] = this.groups.of[k];
    this.chargedDmaWrite(page, 1);
    return true;
  }

  /** Apply the device writes page p has had since the page was last touched, up to now. */
  private catchUpDma(p: number): void {
    if (!this.lazyDma) return;
    let t = this.nextDma[p];
    if (!(t < this.now)) return;
    const u = this.r[STREAM.dma];
    const rate = this.pageDmaRate(p);
    const traced = this.traced?.includes(p) === true;
    let n = 0;
    while (t < this.now) {
      if (traced) {
        this.chargedDmaWrite(p, 1);
        this.traceRow(p, t, DMA_WRITE_EVENT);
      } else n++;
      t += -Math.log(1 - u()) / rate;
    }
    this.nextDma[p] = t;
    if (n > 0) this.chargedDmaWrite(p, n);
  }

  /** The device-write rate into page p: dmaWriteRate × holders, or the holders' rates summed when groups differ. */
  private pageDmaRate(p: number): number {
    return this.mixedRates ? this.dmaRate[p] : this.groups.specs[0].dmaWriteRate * this.dmaHolders[p];
  }

  /**
   * pc.dmaWrite, with its incidents charged to the writing group: the one group holding
   * the page, or, when several do, each write drawn in proportion to the groups' rates
   * (holders × dmaWriteRate) from the device-write stream.
   */
  private chargedDmaWrite(p: number, n: number): void {
    const c = this.pc.counters,
      g = this.groups;
    const clean = c[METRIC.writeToCleanPage],
      under = c[METRIC.modifiedUnderWriteback];
    this.pc.dmaWrite(p, n);
    const isClean = c[METRIC.writeToCleanPage] > clean,
      isUnder = c[METRIC.modifiedUnderWriteback] > under;
    const charge = (gi: number, k: number) => {
      g.add(gi, GROUP_METRIC.dmaWrites, k);
      if (isClean) g.add(gi, GROUP_METRIC.writeToCleanPage, k);
      if (isUnder) g.add(gi, GROUP_METRIC.modifiedUnderWriteback, k);
      g.lastWriter[p] = gi;
    };
    const only = this.soleWriter(p);
    if (only !== -2) {
      charge(only >= 0 ? only : g.pageGroup[p], n);
      return;
    }
    const u = this.r[STREAM.dma],
      base = p * g.n,
      total = this.pageDmaRate(p);
    for (let i = 0; i < n; i++) {
      let x = u() * total,
        gi = 0;
      for (; gi < g.n - 1; gi++) {
        x -= g.holders[base + gi] * g.specs[gi].dmaWriteRate;
        if (x < 0) break;
      }
      charge(gi, 1);
    }
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

  /** A pinner starts (+1) or stops (-1) writing into page p at `rate`; the next write is redrawn (memoryless). */
  private addDmaHolder(p: number, delta: number, rate: number, gi: number): void {
    this.catchUpDma(p);
    if (this.groups.n > 1) this.groups.holders[p * this.groups.n + gi] += delta;
    const h = (this.dmaHolders[p] += delta);
    if (this.mixedRates) this.dmaRate[p] = h > 0 ? this.dmaRate[p] + delta * rate : 0;
    this.nextDma[p] = h > 0 ? this.now + this.exp(this.r[STREAM.dma], this.pageDmaRate(p)) : Infinity;
  }

  /** Release per policy (set_page_dirty_lock, the !PageDirty check, nothing), then drop the reference. */
  private releasePin(k: number): void {
    this.releasePages(k);
    this.pPhase[k] = PHASE.START;
    const uk = this.r[PINNER_STREAM_BASE + k];
    const gi = this.groups.of[k];
    const gap = this.groups.pinGap[gi](uk);
    this.pHold[k] = this.groups.pinDuration[gi](uk);
    this.q.replaceTop(this.now + gap, EVENT.PINNER, k);
  }

  /** Drop every page pinner k holds (an anonymous COW copy is counted, nothing else to put). */
  private releasePages(k: number): void {
    const g = this.groups,
      gi = g.of[k];
    if (g.gup[gi].anonymous && this.pPhase[k] === PHASE.HOLD) {
      const n = g.ppp[gi];
      this.pc.count(METRIC.pinsCompleted, n);
      g.add(gi, GROUP_METRIC.pinsCompleted, n);
    }
    // A mirroring device holds no reference: mmu_interval_notifier_remove leaves the pages be.
    if (this.mirror === null) this.putPages(k);
    this.pCount[k] = 0;
    this.pPending[k] = -1;
  }

  /** The release of every page pinner k holds (PageCache.releaseGupPage), charged to its group. */
  private putPages(k: number): void {
    const base = k * this.ppp;
    const g = this.groups,
      gi = g.of[k];
    const holding = this.pPhase[k] === PHASE.HOLD;
    const pin = g.pin[gi] === 1,
      policy = g.policies[gi],
      writer = this.lazyDma && g.write[gi] === 1;
    const c = this.pc.counters;
    const done = c[METRIC.pinsCompleted],
      unsaved = c[METRIC.releasesUnsaved];
    for (let i = 0; i < this.pCount[k]; i++) {
      const page = this.pPages[base + i];
      if (this.lazyDma) {
        if (holding && writer) this.addDmaHolder(page, -1, g.specs[gi].dmaWriteRate, gi);
        else this.catchUpDma(page);
      }
      this.pc.releaseGupPage(page, pin, this.pCleanWrites[base + i], policy);
    }
    g.add(gi, GROUP_METRIC.pinsCompleted, c[METRIC.pinsCompleted] - done);
    g.add(gi, GROUP_METRIC.releasesUnsaved, c[METRIC.releasesUnsaved] - unsaved);
  }

  // ---- CPU, reclaim, truncate -------------------------------------------------------------

  /** A CPU store through a mapping: fault (page_mkwrite) without a writable pte, then mem++. */
  private cpuStore(page: number): void {
    const pc = this.pc;
    this.catchUpDma(page);
    if (!pc.resident[page]) pc.readPage(page);
    if (!pc.attached[page]) return; // beyond EOF after truncate: SIGBUS, not modelled further
    pc.mapPage(page);
    if (!pc.pteWritable[page]) {
      if (this.stable && pc.writeback[page]) {
        this.q.push(this.wbEnd[page], EVENT.CPU_STORE_PAGE, page);
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
    this.catchUpDma(page);
    if (!pc.resident[page] || !pc.attached[page] || pc.locked[page] || pc.writeback[page]) return;
    pc.tryToUnmap(page);
    if (this.guard && pc.reclaimGuardKeeps(page)) return;
    if (pc.dirty[page]) {
      if (!pc.isPageCacheFreeable(page)) return; // pageout: PAGE_KEEP
      if (!this.reclaimWrites) return; // pageout: no ->writepage, PAGE_ACTIVATE (left to the flusher)
      if (this.pageout(page) === WRITE.STARTED) {
        this.waiters[page] |= WAITER.RECLAIM;
        return;
      }
      if (pc.dirty[page]) return; // kept dirty by the policy: keep_locked
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
    this.catchUpDma(page);
    if (!pc.resident[page] || !pc.attached[page] || pc.locked[page] || pc.writeback[page]) return;
    pc.tryToUnmap(page);
    if (this.guard && pc.reclaimGuardKeeps(page)) return;
    if (pc.dirty[page]) return; // redirtied during the I/O
    if (pc.tryToReleasePage(page)) this.evict(page);
  }

  /** truncate_inode_pages over a whole file; pages held by GUP stay, detached. */
  private truncateFile(f: number): void {
    const pc = this.pc;
    const start = f * this.pagesPerFile;
    for (let p = start; p < start + this.pagesPerFile; p++) {
      this.catchUpDma(p);
      pc.truncatePage(p);
      this.waiters[p] = 0;
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
    this.catchUpDma(page);
    const r = this.pc.writeCachePage(page, sync);
    if (r === WRITE.STARTED) {
      let t = this.now;
      if (this.pc.lastDecision & WritebackDecision.BOUNCE_AT_BIO) {
        t += this.params.bounceDelay;
        this.q.push(t, EVENT.BIO_BOUNCE, page);
      }
      t += this.latency(this.r[STREAM.writeback]);
      this.wbEnd[page] = t;
      if (this.fixedLatency && !(this.pc.lastDecision & WritebackDecision.BOUNCE_AT_BIO))
        this.q.pushFifo(t, EVENT.WB_END, page);
      else this.q.push(t, EVENT.WB_END, page);
    } else if (r === WRITE.WAIT) {
      this.waiters[page] |= WAITER.SYNC;
    }
    return r;
  }

  /**
   * writeback_single_inode: every dirty page of the file, then requeue_inode: clean if
   * no dirty page is left, otherwise requeued with dirtied_when = now.
   */
  private writebackSingleInode(f: number, sync: boolean): void {
    const pc = this.pc;
    const start = f * this.pagesPerFile;
    let left = pc.dirtyPages[f];
    for (let p = start; left > 0 && p < start + this.pagesPerFile; p++) {
      if (!pc.dirty[p]) continue;
      left--;
      this.writePage(p, sync);
    }
    this.requeueInode(f);
  }

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
    if (!this.pc.writeback[page] || this.pc.bounced[page]) return; // superseded (page freed and read back)
    this.catchUpDma(page); // writes inside the window landed under writeback, unbounced
    this.pc.bounceAtBio(page);
  }

  private endWriteback(page: number): void {
    const pc = this.pc;
    if (!pc.writeback[page] || this.wbEnd[page] !== this.now) return; // superseded (page freed and read back)
    this.catchUpDma(page); // writes before the end landed under writeback
    pc.endPageWriteback(page);
    const w = this.waiters[page];
    if (w === 0) return;
    this.waiters[page] = 0;
    if (w & WAITER.SYNC) {
      // The fsync that waited on this page now writes it (WB_SYNC_ALL).
      this.writePage(page, true);
      this.requeueInode(pc.fileOf(page));
    }
    if (w & WAITER.RECLAIM) this.continueReclaim(page);
  }

  // ---- end of run ---------------------------------------------------------------------------

  /**
   * End of run: release every pin, let the I/O in flight complete, then one sync(2): a
   * tagged WB_SYNC_ALL pass that writes each dirty page at most once (PageCache.syncPage).
   * What the sync itself does is counted apart (finalSync); the run's counters are left as
   * they were, except lostDataFinal (pages whose memory differs from disk afterwards) and
   * finalDirtyPages (pages still dirty afterwards: kept dirty by a keep-dirty policy, or
   * on a backing that never writes back, every dirty page).
   */
  private finish(): void {
    const pc = this.pc;
    this.now = pc.now = this.params.duration;
    if (this.lazyDma) for (let p = 0; p < this.pages; p++) if (this.dmaHolders[p] > 0) this.catchUpDma(p);
    for (let k = 0; k < this.groups.pinners; k++) {
      if (this.pPhase[k] !== PHASE.START) this.releasePages(k);
    }
    for (let p = 0; p < this.pages; p++) if (pc.writeback[p]) pc.endPageWriteback(p);
    const before = Float64Array.from(pc.counters);
    pc.recordingCleanDelays = false; // the sync's cleans are the run's end, not the flusher's delays
    // tmpfs, hugetlbfs: sync(2) writes nothing, and memory is the file's only copy.
    if (this.writesBack) for (let p = 0; p < this.pages; p++) if (pc.dirty[p]) pc.syncPage(p);
    for (let f = 0; f < this.params.files; f++) this.requeueInode(f);
    const sync: FinalSyncCounts = {};
    METRIC_NAMES.forEach((name, i) => {
      const d = name === "maxDirtyAgeWhilePinned" ? 0 : pc.counters[i] - before[i];
      if (d !== 0) sync[name] = d;
    });
    pc.counters.set(before);
    this.finalSync = sync;
    let lost = 0,
      dirty = 0;
    for (let p = 0; p < this.pages; p++) {
      if (!pc.resident[p] || !pc.attached[p]) continue;
      // tmpfs, hugetlbfs: a dirty folio stays dirty in the page cache (sync(2) skips it), and
      // counts here; memory is the only copy, so nothing is lost (lostDataFinal is null).
      if (pc.dirty[p]) dirty++;
      if (!this.writesBack) continue;
      if (pc.mem[p] !== pc.disk[p]) {
        lost++;
        this.groups.add(this.groups.lastWriter[p], GROUP_METRIC.lostData);
      }
    }
    pc.count(METRIC.lostDataFinal, lost);
    pc.count(METRIC.lostData, lost);
    pc.count(METRIC.finalDirtyPages, dirty);
  }

  // ---- results ------------------------------------------------------------------------------

  private recordTrace(event: string): void {
    for (const p of this.traced!) this.traceRow(p, this.now, event);
  }

  /** A row for traced page p if its state changed since its last row. */
  private traceRow(p: number, t: number, event: string): void {
    const pc = this.pc;
    const i = this.traced!.indexOf(p);
    const row: TraceRow = {
      t,
      page: p,
      event,
      dirty: pc.dirty[p],
      writeback: pc.writeback[p],
      pins: pc.pins[p],
      gets: pc.gets[p],
      buffers: pc.buffers[p],
      pteWritable: pc.pteWritable[p],
      attached: pc.attached[p],
      resident: pc.resident[p],
      mem: pc.mem[p],
      disk: pc.disk[p],
      refcount: pc.refcount[p],
    };
    const key = JSON.stringify({ ...row, t: 0, event: "" });
    if (key !== this.traceLast![i]) {
      this.traceLast![i] = key;
      this.trace!.push(row);
    }
  }

  result(): RunResultWithTrace {
    const c = this.pc.counters;
    const metrics = {} as Record<keyof Metrics, number | null>;
    METRIC_NAMES.forEach((name) => (metrics[name] = c[METRIC[name]]));
    const detector = this.policy.writebackConsultsDetector || this.guard;
    if (!detector)
      metrics.detectorChecks = metrics.detectorChecksUnpinned = metrics.falsePositives = metrics.falseNegatives = null;
    if (!this.guard) metrics.reclaimGuardSkips = null;
    if (!this.policy.keepsDirty) metrics.keptDirty = null;
    if (!this.policy.bounces) metrics.bounceCopies = null;
    // Refaults happen only to a mirroring device, pinned dirty ages only to a reference. A
    // mirror's registration can still be refused by its caller (io_uring before 6.5:
    // EOPNOTSUPP; before 5.1: ENOSYS), so refusedPins is counted under every policy.
    if (this.mirror === null) metrics.deviceRefaults = null;
    else metrics.maxDirtyAgeWhilePinned = null;
    if (!this.writesBack) {
      // tmpfs, hugetlbfs: nothing is cleaned or written back, so none of these can happen.
      for (const m of [
        "dirtyWithoutBuffers",
        "bufferlessWriteback",
        "writeToCleanPage",
        "lostData",
        "lostDataEvicted",
        "lostDataFinal",
        "releasesUnsaved",
        "pinsWithWriteToCleanPage",
        "modifiedUnderWriteback",
        "doubleWritebacks",
        "doubleWritebacksStrict",
        "buffersStripped",
        "writebacks",
      ] as const)
        if (m in metrics) metrics[m] = null;
    } else if (this.pc.privateData === "none") {
      // xfs (iomap): an order-0 folio has no private data to lose or to need.
      metrics.dirtyWithoutBuffers = metrics.bufferlessWriteback = null;
      if ("buffersStripped" in metrics) metrics.buffersStripped = null;
    }
    const crashed = this.pc.crashedAt >= 0;
    if (crashed) metrics.lostDataFinal = metrics.finalDirtyPages = null;
    const out: RunResultWithTrace = {
      pinsim: `pinsim ${PACKAGE_VERSION}`,
      prng: PRNG_NAME,
      params: this.params,
      events: this.events,
      metrics,
      rates: runRates(metrics),
      crashedAt: crashed ? this.pc.crashedAt : null,
      finalSync: crashed ? null : this.finalSync,
      groups: this.groups.results(),
      kernel: kernelRecord(this.params),
      checksumFailures: BACKING_PROFILES[this.params.backing].dataChecksums ? metrics.modifiedUnderWriteback : null,
    };
    if (this.pc.cleanDelays)
      out.cleanDelays = cleanDelayStats(this.pc.cleanDelays, this.params.dirtyExpire, this.period);
    // Device writes are traced at their own times when caught up: order rows by time (stable).
    if (this.trace)
      out.trace = this.trace
        .map((r, i) => [r, i] as const)
        .sort((a, b) => a[0].t - b[0].t || a[1] - b[1])
        .map(([r]) => r);
    return out;
  }
}
