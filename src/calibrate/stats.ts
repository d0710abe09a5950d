/**
 * Statistics of the probes' samples: clean delays against the window [E, E + P), the
 * flusher's period from the lattice of clean instants, the detector's threshold step, the
 * refusal matrix. Pure functions of parsed probe output (parse.ts); no I/O.
 */
import { meanConfidenceInterval } from "../stats/mean-confidence-interval.js";
import { wilsonInterval } from "../stats/wilson-interval.js";
import type { CleanDelayRaw, CleanSample, DetectorRaw, ForkTrial, LongtermRaw } from "./parse.js";

/** One page's clean delay, seconds from its store: the clean instant lies in (lo, hi]. */
export interface DelaySample {
  trial: number;
  inode: "clean" | "dirty";
  /** firstDirtyClear - t0: the first poll that saw the page clean. */
  delay: number;
  /** lastDirty - t0: the last poll that saw it dirty. */
  lo: number;
  /** Seconds after page 0's store that this page was stored (0 for page 0). */
  offset: number;
  /** CLOCK_MONOTONIC instant of the first clean poll (for the period). */
  at: number;
  atLo: number;
}

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

export interface WindowFraction {
  inWindow: number;
  count: number;
  fraction: number | null;
  /** 95 % Wilson interval of the fraction. */
  lo: number | null;
  hi: number | null;
}

export function windowFraction(samples: readonly Pick<DelaySample, "delay" | "lo" | "offset">[], expire: number, period: number): WindowFraction {
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

/** A flusher pass seen in the samples: the earliest page cleaned in it. */
export interface Pass {
  /** First poll that saw that page clean. */
  at: number;
  /** Last poll that saw that same page dirty: the pass began in (atLo, at]. */
  atLo: number;
  pages: number;
  /** Pass index from the first pass (n in t = t_0 + n P). */
  index: number;
}

export interface PeriodEstimate {
  passes: Pass[];
  /** Least-squares slope of pass instants on pass index, seconds; null with < 2 passes. */
  period: number | null;
  /** Guaranteed bounds from the first and last pass brackets: [(atLo_l - at_f)/dn, (at_l - atLo_f)/dn]. */
  lo: number | null;
  hi: number | null;
  /** Gaps between consecutive passes, seconds (each about a multiple of P). */
  gaps: number[];
}

/**
 * The flusher's period from the clean instants of every page: instants closer than `join`
 * seconds are one pass; pass indices come from the gaps (each rounded to a multiple of the
 * running estimate, starting from W, safe while W and P differ by less than half a period
 * per gap); P is the least-squares slope, with guaranteed bounds from the poll brackets.
 */
export function estimatePeriod(samples: readonly Pick<DelaySample, "at" | "atLo">[], writebackInterval: number, join = 0.5): PeriodEstimate {
  const sorted = [...samples].sort((x, y) => x.at - y.at);
  const passes: Pass[] = [];
  for (const s of sorted) {
    const last = passes[passes.length - 1];
    if (last && s.at - last.at <= join) last.pages++;
    else passes.push({ at: s.at, atLo: s.atLo, pages: 1, index: 0 });
  }
  const gaps: number[] = [];
  let p = writebackInterval;
  for (let i = 1; i < passes.length; i++) {
    const gap = passes[i].at - passes[i - 1].at;
    gaps.push(gap);
    const m = Math.max(1, Math.round(gap / p));
    passes[i].index = passes[i - 1].index + m;
    p = (passes[i].at - passes[0].at) / passes[i].index;
  }
  if (passes.length < 2) return { passes, period: null, lo: null, hi: null, gaps };
  const n = passes.length;
  const mx = passes.reduce((a, q) => a + q.index, 0) / n;
  const my = passes.reduce((a, q) => a + q.at, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const q of passes) {
    sxy += (q.index - mx) * (q.at - my);
    sxx += (q.index - mx) ** 2;
  }
  const f = passes[0];
  const l = passes[n - 1];
  const dn = l.index - f.index;
  return { passes, period: sxy / sxx, lo: (l.atLo - f.at) / dn, hi: (l.at - f.atLo) / dn, gaps };
}

export interface DelaySummary {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** 95 % t interval of the mean. */
  meanLo: number | null;
  meanHi: number | null;
  window: WindowFraction;
  /** KS distance to U[E - offset, E - offset + P). */
  ks: number | null;
  /** Delays, seconds, in trial order. */
  samples: number[];
}

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
    ks: ksDistanceUniform(d, expire - off, expire - off + period),
    samples: d,
  };
}

export interface CleanDelayKernel {
  expire: number;
  writebackInterval: number;
  /** Offset of the second page's store, seconds. */
  second: number;
  period: PeriodEstimate;
  /** The period used for the windows: the measured one (or W with too few passes). */
  windowPeriod: number;
  cleanInode: DelaySummary;
  dirtyInode: DelaySummary;
  /** Trials whose two pages were cleaned in the same flusher pass (|difference| <= 0.5 s). */
  samePass: { count: number; of: number };
  timeouts: number;
  writebackSeen: number;
  migrated: number;
}

/** Everything the clean-delay comparison needs, from the probe's output and E, W. */
export function cleanDelayKernel(raw: CleanDelayRaw, expire: number, writebackInterval: number): CleanDelayKernel {
  const all = delaySamples(raw);
  const period = estimatePeriod(all, writebackInterval);
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

export interface ThresholdStep {
  /** "lru": the page on the LRU (batch drained); "batch": still in the per-CPU lru_add batch. */
  state: "lru" | "batch";
  perK: { k: number; trials: number; copied: number }[];
  /** Smallest k from which every trial copied and below which none did; null if not monotone or not bracketed. */
  threshold: number | null;
  /** (largest k with no copy, smallest k with all copied]: the threshold's interval. */
  lo: number | null;
  hi: number | null;
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
  // Monotone: every k below the first all-copied k copied nothing, every k from it copied always.
  const monotone = minAll !== null && perK.every((e) => (e.k < minAll ? e.copied === 0 : e.copied === e.trials));
  const lo = maxNone !== null ? maxNone + 1 : null;
  const hi = minAll;
  const threshold = monotone && lo !== null && hi !== null && lo === hi ? hi : null;
  return { state, perK, threshold, lo, hi, monotone };
}

export interface DetectorKernel {
  lru: ThresholdStep;
  batch: ThresholdStep;
  /** Trials without MMF_HAS_PINNED: how many copied. */
  noPinnedFlag: { k: number; trials: number; copied: number };
  /** PMD THP: null when none could be had (reason given). */
  thp: { k: number; copied: boolean } | { skipped: string };
  /** A real io_uring FOLL_PIN at k = 0. */
  ioUringPin: { copied: boolean; pinErrno: number } | null;
}

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
  mapping: string;
  untouched: string | null;
  touched: string | null;
  verdict: string;
}

export function registrationVerdict(r: { ret: number; errnoName: string }): string {
  return r.ret === 0 ? "pinned" : `refused (${r.errnoName === "other" ? `errno ${-r.ret}` : r.errnoName})`;
}

export interface LongtermKernel {
  registrations: RegistrationVerdict[];
  /** io_uring_setup itself failed (disabled): its errno, else 0. */
  setupErrno: number;
  odirect: {
    count: number;
    succeeded: number;
    dataCorrect: number;
    dirtyAfter: number;
    cleanBefore: number;
    mappedBefore: number;
    privateAfter: number;
  };
  pins: { preads: number; acquiredDelta: number; releasedDelta: number } | null;
}

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
    pins: raw.pins ? { preads: raw.pins.preads, acquiredDelta: raw.pins.acquiredDelta, releasedDelta: raw.pins.releasedDelta } : null,
  };
}
