/**
 * Statistics of the probes' samples: clean delays against the window [E, E + P), the
 * flusher's period from the lattice of clean instants, the detector's threshold step, the
 * refusal matrix. Pure functions of parsed probe output (parse.ts); no I/O.
 */
import { meanConfidenceInterval } from "../stats/mean-confidence-interval.js";
import { wilsonInterval } from "../stats/wilson-interval.js";
import type { CleanDelayRaw, CleanSample, DetectorRaw, ForkTrial, LongtermRaw } from "./parse.js";
import { estimatePeriod, type PeriodEstimate } from "./period.js";

export { estimatePeriod, latticeBounds, type Pass, type PeriodEstimate } from "./period.js";

/** One page's clean delay, seconds from its store: the clean instant lies in (lo, hi]. */
export interface DelaySample {
  /** Trial index from 0. */
  trial: number;
  /** Whether the store found the inode clean or already dirty. */
  inode: "clean" | "dirty";
  /** firstDirtyClear - t0: the first poll that saw the page clean. */
  delay: number;
  /** lastDirty - t0: the last poll that saw it dirty. */
  lo: number;
  /** Seconds after page 0's store that this page was stored (0 for page 0). */
  offset: number;
  /** CLOCK_MONOTONIC instant of the first clean poll (for the period). */
  at: number;
  /** CLOCK_MONOTONIC instant of the last dirty poll: the page was cleaned in (atLo, at]. */
  atLo: number;
  /** false when the page was cleaned in a flusher pass off the lattice (late: estimatePeriod); absent until the period is estimated. */
  onLattice?: boolean;
}

/** Each `clean` record of clean-delay.c as a DelaySample (timeouts are left out). */
export function delaySamples(raw: CleanDelayRaw): DelaySample[] {
  return raw.samples.map((s: CleanSample) => ({
    trial: s.trial,
    inode: s.inode,
    delay: s.firstDirtyClear - s.t0,
    lo: s.lastDirty - s.t0,
    offset: s.page === 0 ? 0 : raw.start.second,
    at: s.firstDirtyClear,
    atLo: s.lastDirty,
  }));
}

/**
 * Whether a page's clean instant can lie in the window [E - offset, E - offset + P):
 * its bracket (lo, delay] meets the window. A page dirtied `offset` s after the inode's
 * first dirtying inherits dirtied_when (fs/fs-writeback.c __mark_inode_dirty), so its
 * window is shifted by -offset.
 */
export function inWindow(s: Pick<DelaySample, "delay" | "lo" | "offset">, expire: number, period: number): boolean {
  const a = expire - s.offset;
  return s.delay >= a && s.lo < a + period;
}

/** How many delays can lie in their window [E - offset, E - offset + P) (inWindow). */
export interface WindowFraction {
  /** Delays whose bracket meets the window. */
  inWindow: number;
  /** All delays. */
  count: number;
  /** inWindow / count; null without delays. */
  fraction: number | null;
  /** Lower end of the 95 % Wilson interval of the fraction; null without delays. */
  lo: number | null;
  /** Upper end of that interval; null without delays. */
  hi: number | null;
}

/** The share of `samples` that can lie in their window (inWindow), with its 95 % Wilson interval. */
export function windowFraction(
  samples: readonly Pick<DelaySample, "delay" | "lo" | "offset">[],
  expire: number,
  period: number,
): WindowFraction {
  const k = samples.filter((s) => inWindow(s, expire, period)).length;
  const n = samples.length;
  if (n === 0) return { inWindow: 0, count: 0, fraction: null, lo: null, hi: null };
  const [lo, hi] = wilsonInterval(k, n);
  return { inWindow: k, count: n, fraction: k / n, lo, hi };
}

/**
 * Kolmogorov–Smirnov distance sup |F_n(x) - F(x)| of a sample to the uniform law on
 * [a, b). Checked: the sample {a + (i + 0.5)(b - a)/n} has distance 0.5/n.
 */
export function ksDistanceUniform(values: readonly number[], a: number, b: number): number | null {
  if (values.length === 0 || !(b > a)) return null;
  const v = [...values].sort((x, y) => x - y);
  const n = v.length;
  let d = 0;
  v.forEach((x, i) => {
    const f = Math.min(1, Math.max(0, (x - a) / (b - a)));
    d = Math.max(d, Math.abs((i + 1) / n - f), Math.abs(f - i / n));
  });
  return d;
}

/** Clean delays of one kind of page (clean or dirty inode), seconds; null fields without delays. */
export interface DelaySummary {
  /** Delays (pages seen clean). */
  count: number;
  /** Shortest delay. */
  min: number | null;
  /** Longest delay. */
  max: number | null;
  /** Mean delay. */
  mean: number | null;
  /** Lower end of the 95 % t interval of the mean (null with fewer than 2 delays). */
  meanLo: number | null;
  /** Upper end of that interval. */
  meanHi: number | null;
  /** The share of delays in the window. */
  window: WindowFraction;
  /** The same share over the delays cleaned in passes on the lattice (late passes left out). */
  windowOnLattice: WindowFraction;
  /** KS distance to U[E - offset, E - offset + P). */
  ks: number | null;
  /** Delays, seconds, in trial order. */
  samples: number[];
}

/** Count, range, mean with its t interval, window share and KS distance of some delays, against E and P. */
export function summarizeDelays(samples: readonly DelaySample[], expire: number, period: number): DelaySummary {
  const d = samples.map((s) => s.delay);
  const ci = d.length ? meanConfidenceInterval(d) : null;
  const off = samples[0]?.offset ?? 0;
  return {
    count: d.length,
    min: d.length ? Math.min(...d) : null,
    max: d.length ? Math.max(...d) : null,
    mean: ci ? ci.mean : null,
    meanLo: ci?.lo ?? null,
    meanHi: ci?.hi ?? null,
    window: windowFraction(samples, expire, period),
    windowOnLattice: windowFraction(
      samples.filter((s) => s.onLattice !== false),
      expire,
      period,
    ),
    ks: ksDistanceUniform(d, expire - off, expire - off + period),
    samples: d,
  };
}

/**
 * The kernel's side of the clean-delay comparison. A page dirtied in a clean inode is written
 * by the first kupdate-style pass (fs/fs-writeback.c wb_check_old_data_flush, every P ≈ W)
 * after its inode's dirtied_when is E old, so its delay lies in [E, E + P).
 */
export interface CleanDelayKernel {
  /** E, seconds. */
  expire: number;
  /** W, seconds. */
  writebackInterval: number;
  /** Offset of the second page's store, seconds. */
  second: number;
  /** The flusher's period P, from the lattice of clean instants. */
  period: PeriodEstimate;
  /** The period used for the windows: the measured one (or W with too few passes). */
  windowPeriod: number;
  /** Pages stored into a clean inode (the first page of each trial). */
  cleanInode: DelaySummary;
  /** Pages stored into the already dirty inode (`second` s later): their window is shifted by -second. */
  dirtyInode: DelaySummary;
  /** Trials whose two pages were cleaned in the same flusher pass (|difference| <= 0.5 s). */
  samePass: {
    /** Trials with both pages in one pass. */
    count: number;
    /** Trials with both pages seen clean. */
    of: number;
  };
  /** Pages still dirty at the probe's timeout. */
  timeouts: number;
  /** Pages for which some poll saw PG_writeback. */
  writebackSeen: number;
  /** Pages whose PFN changed while polled. */
  migrated: number;
}

/**
 * Mark each sample with whether its pass is on the lattice: its pass is the last one that
 * began at or before it, within `join` s (estimatePeriod's grouping).
 */
function markSamples(samples: DelaySample[], e: PeriodEstimate, join = 0.5): void {
  for (const s of samples) {
    const pass = e.passes.filter((p) => p.at <= s.at && s.at - p.at <= join).at(-1);
    s.onLattice = pass ? pass.onLattice : true;
  }
}

/** Everything the clean-delay comparison needs, from the probe's output and E, W. */
export function cleanDelayKernel(raw: CleanDelayRaw, expire: number, writebackInterval: number): CleanDelayKernel {
  const all = delaySamples(raw);
  const period = estimatePeriod(all, writebackInterval);
  markSamples(all, period);
  const windowPeriod = period.period ?? writebackInterval;
  const clean = all.filter((s) => s.inode === "clean");
  const dirty = all.filter((s) => s.inode === "dirty");
  const byTrial = new Map<number, DelaySample[]>();
  for (const s of all) byTrial.set(s.trial, [...(byTrial.get(s.trial) ?? []), s]);
  let same = 0;
  let of = 0;
  for (const ss of byTrial.values()) {
    if (ss.length !== 2) continue;
    of++;
    if (Math.abs(ss[0].at - ss[1].at) <= 0.5) same++;
  }
  return {
    expire,
    writebackInterval,
    second: raw.start.second,
    period,
    windowPeriod,
    cleanInode: summarizeDelays(clean, expire, windowPeriod),
    dirtyInode: summarizeDelays(dirty, expire, windowPeriod),
    samePass: { count: same, of },
    timeouts: raw.timeouts.length,
    writebackSeen: raw.samples.filter((s) => s.writebackSeen).length,
    migrated: raw.samples.filter((s) => s.migrated > 0).length,
  };
}

/**
 * The step of fork's copy decision in k, for one LRU state. fork copies an anonymous page of
 * a process with MMF_HAS_PINNED when folio_maybe_dma_pinned says so: for an order-0 page,
 * refcount >= GUP_PIN_COUNTING_BIAS (include/linux/mm.h), so the step is at k ≈ 1024 minus
 * the references the page already holds.
 */
export interface ThresholdStep {
  /** "lru": the page on the LRU (batch drained); "batch": still in the per-CPU lru_add batch. */
  state: "lru" | "batch";
  /** Each k tried, in increasing order. */
  perK: {
    /** Plain references. */
    k: number;
    /** Forks at this k in this state. */
    trials: number;
    /** Forks that copied. */
    copied: number;
  }[];
  /** Smallest k from which every trial copied and below which none did; null if not monotone or not bracketed. */
  threshold: number | null;
  /** 1 + the largest k at which no trial copied: the threshold lies in [lo, hi]; null if none. */
  lo: number | null;
  /** The smallest k at which every trial copied; null if none. */
  hi: number | null;
  /** Whether no k below `hi` copied and every k from it always did (true when no k copied: no step in range). */
  monotone: boolean;
}

/**
 * The detector's step from the fork trials of one LRU state: at each k the share copied.
 * Trials are classed by the LRU bit read just before fork, not by the intent (a drain by
 * another process on the same CPU moves a trial to "lru").
 */
export function thresholdStep(forks: readonly ForkTrial[], state: "lru" | "batch"): ThresholdStep {
  const mine = forks.filter((f) => f.kind === "order0" && (state === "lru" ? f.lru === 1 : f.lru === 0));
  const byK = new Map<number, { trials: number; copied: number }>();
  for (const f of mine) {
    const e = byK.get(f.k) ?? { trials: 0, copied: 0 };
    e.trials++;
    if (f.copied) e.copied++;
    byK.set(f.k, e);
  }
  const perK = [...byK.entries()].sort((a, b) => a[0] - b[0]).map(([k, e]) => ({ k, ...e }));
  const none = perK.filter((e) => e.copied === 0).map((e) => e.k);
  const all = perK.filter((e) => e.copied === e.trials).map((e) => e.k);
  const maxNone = none.length ? Math.max(...none) : null;
  const minAll = all.length ? Math.min(...all) : null;
  // Monotone: every k below the first all-copied k copied nothing, every k from it copied always;
  // no copy at any k is monotone too (the step, if any, lies above the range).
  const monotone =
    minAll === null
      ? perK.every((e) => e.copied === 0)
      : perK.every((e) => (e.k < minAll ? e.copied === 0 : e.copied === e.trials));
  const lo = maxNone !== null ? maxNone + 1 : null;
  const hi = minAll;
  const threshold = monotone && lo !== null && hi !== null && lo === hi ? hi : null;
  return { state, perK, threshold, lo, hi, monotone };
}

/** The kernel's side of the detector comparison (calibrate/detector.c). */
export interface DetectorKernel {
  /** The step with the page on the LRU. */
  lru: ThresholdStep;
  /** The step with the page in the per-CPU lru_add batch (which holds one reference). */
  batch: ThresholdStep;
  /** Trials without MMF_HAS_PINNED: how many copied. */
  noPinnedFlag: {
    /** Plain references in these trials. */
    k: number;
    /** Forks. */
    trials: number;
    /** Forks that copied. */
    copied: number;
  };
  /** PMD THP: the trial, or why there was none. */
  thp:
    | {
        /** Plain references. */
        k: number;
        /** Whether fork copied (a large folio's pin count is exact, so plain references never look pinned). */
        copied: boolean;
      }
    | {
        /** Why no THP trial ran. */
        skipped: string;
      };
  /** A real io_uring FOLL_PIN at k = 0; null when not run. */
  ioUringPin: {
    /** Whether fork copied. */
    copied: boolean;
    /** errno of the registration, 0 if it pinned. */
    pinErrno: number;
  } | null;
}

/** Everything the detector comparison needs, from the probe's output. */
export function detectorKernel(raw: DetectorRaw): DetectorKernel {
  const np = raw.forks.filter((f) => f.kind === "no-pinned-flag");
  const thp = raw.forks.find((f) => f.kind === "thp");
  const pin = raw.forks.find((f) => f.kind === "io-uring-pin");
  const skip = raw.skips.find((s) => s.kind === "thp");
  return {
    lru: thresholdStep(raw.forks, "lru"),
    batch: thresholdStep(raw.forks, "batch"),
    noPinnedFlag: { k: np[0]?.k ?? raw.start.nopinK, trials: np.length, copied: np.filter((f) => f.copied).length },
    thp: thp ? { k: thp.k, copied: thp.copied } : { skipped: skip?.reason ?? "not run" },
    ioUringPin: pin ? { copied: pin.copied, pinErrno: pin.pinErrno } : null,
  };
}

/** io_uring registration over one mapping kind: "pinned", "refused (ERRNO)", or "mixed" when untouched and touched differ. */
export interface RegistrationVerdict {
  /** The mapping kind (MAPPING_KINDS). */
  mapping: string;
  /** Verdict with the pages untouched before registering; null if not tried. */
  untouched: string | null;
  /** Verdict with every page touched first; null if not tried. */
  touched: string | null;
  /** The two when they agree (or the one tried), "mixed" when they differ, "not run" when neither. */
  verdict: string;
}

/** One registration's verdict: "pinned" (ret 0) or "refused (ERRNO)". */
export function registrationVerdict(r: { ret: number; errnoName: string }): string {
  return r.ret === 0 ? "pinned" : `refused (${r.errnoName === "other" ? `errno ${-r.ret}` : r.errnoName})`;
}

/** The kernel's side of the long-term pin comparison (calibrate/longterm.c). */
export interface LongtermKernel {
  /** One verdict per mapping kind tried, in the probe's order. */
  registrations: RegistrationVerdict[];
  /** io_uring_setup itself failed (disabled): its errno, else 0. */
  setupErrno: number;
  /** Counts over the O_DIRECT reads into a clean shared file page. */
  odirect: {
    /** Reads. */
    count: number;
    /** Reads that returned 4096 bytes. */
    succeeded: number;
    /** Reads whose bytes arrived. */
    dataCorrect: number;
    /** Pages with PG_dirty after the read. */
    dirtyAfter: number;
    /** Pages mapped before the read that were clean then. */
    cleanBefore: number;
    /** Pages mapped (read-faulted) before the read. */
    mappedBefore: number;
    /** Pages with buffers (PG_private) after the read. */
    privateAfter: number;
  };
  /** /proc/vmstat's pin counters around the reads; null when not printed. */
  pins: {
    /** Reads made. */
    preads: number;
    /** Change of nr_foll_pin_acquired. */
    acquiredDelta: number;
    /** Change of nr_foll_pin_released. */
    releasedDelta: number;
  } | null;
}

/** Everything the long-term pin comparison needs, from the probe's output. */
export function longtermKernel(raw: LongtermRaw): LongtermKernel {
  const kinds = [...new Set(raw.registers.map((r) => r.mapping))];
  const registrations = kinds.map((mapping) => {
    const u = raw.registers.find((r) => r.mapping === mapping && !r.touched);
    const t = raw.registers.find((r) => r.mapping === mapping && r.touched);
    const uv = u ? registrationVerdict(u) : null;
    const tv = t ? registrationVerdict(t) : null;
    return { mapping, untouched: uv, touched: tv, verdict: uv && tv && uv !== tv ? "mixed" : (uv ?? tv ?? "not run") };
  });
  const o = raw.odirect;
  return {
    registrations,
    setupErrno: raw.registers.find((r) => r.setupErrno)?.setupErrno ?? 0,
    odirect: {
      count: o.length,
      succeeded: o.filter((x) => x.bytes === 4096).length,
      dataCorrect: o.filter((x) => x.dataCorrect).length,
      dirtyAfter: o.filter((x) => x.dirtyAfter === 1).length,
      cleanBefore: o.filter((x) => x.dirtyBefore === 0).length,
      mappedBefore: o.filter((x) => x.mappedBefore).length,
      privateAfter: o.filter((x) => x.privateAfter === 1).length,
    },
    pins: raw.pins
      ? { preads: raw.pins.preads, acquiredDelta: raw.pins.acquiredDelta, releasedDelta: raw.pins.releasedDelta }
      : null,
  };
}
