/**
 * The flusher's period from the clean instants the clean-delay probe saw, robust to a
 * loaded machine. kupdate-style writeback runs from a delayed work re-armed every
 * msecs_to_jiffies(dirty_writeback_interval * 10) jiffies (mm/backing-dev.c
 * wb_wakeup_delayed), which the timer wheel rounds up to its grain (kernel/time/timer.c
 * calc_index): on an idle machine the passes fall on one lattice t0 + n P. On a loaded one
 * the worker can run late: a late pass lies above the lattice (never below it), and after
 * one the lattice may restart at another phase. Such passes are identified and left out;
 * the period comes from the passes on one lattice, its bounds from their poll brackets and
 * the latency a pass may take to reach its first sampled page.
 */
import { median } from "simple-statistics";

/** A flusher pass seen in the samples: the earliest page cleaned in it. */
export interface Pass {
  /** First poll that saw that page clean. */
  at: number;
  /** Last poll that saw that same page dirty: the pass began in (atLo, at]. */
  atLo: number;
  /** Pages cleaned in this pass. */
  pages: number;
  /** Pass index from the first pass (n in t = t_0 + n P). */
  index: number;
  /**
   * Seconds from the lattice the period is measured on (0 on it, within the tolerance):
   * positive for a late pass, negative for a pass on an earlier phase (the lattice
   * restarted after a late pass).
   */
  offset: number;
  /** Whether the pass is on the lattice the period and its bounds come from. */
  onLattice: boolean;
}

/** The flusher's period as measured (estimatePeriod). */
export interface PeriodEstimate {
  /** The passes seen, in time order. */
  passes: Pass[];
  /**
   * Least-squares slope of the on-lattice passes' instants on their indices, within the
   * bounds (least squares constrained to [lo, hi]: the slope clamped to them), seconds;
   * null with fewer than 2 passes on the lattice.
   */
  period: number | null;
  /**
   * Guaranteed lower bound: the smallest P for which some t0 puts every on-lattice pass's
   * instant t0 + index P in (atLo - tolerance, at] (latticeBounds: its earliest page cleaned
   * at most `tolerance` after the pass began); max over pairs of
   * (atLo_j - tolerance - at_i) / (n_j - n_i). Null with fewer than 2 passes on the lattice.
   */
  lo: number | null;
  /** Guaranteed upper bound: min over pairs of (at_j - atLo_i + tolerance) / (n_j - n_i); null likewise. */
  hi: number | null;
  /** Gaps between consecutive passes, seconds (each about a multiple of P). */
  gaps: number[];
  /**
   * Seconds: how far from the lattice a pass may lie and still be on it, and how long after
   * its pass began a page may be cleaned (3 poll brackets, at least 50 ms).
   */
  tolerance: number;
  /** Passes left out: late, or on another phase of the lattice. */
  offLattice: number;
}

/** Passes from the samples: clean instants closer than `join` s are one pass, indices from the gaps. */
function passesOf(samples: readonly { at: number; atLo: number }[], writebackInterval: number, join: number) {
  const sorted = [...samples].sort((x, y) => x.at - y.at);
  const passes: Pass[] = [];
  for (const s of sorted) {
    const last = passes[passes.length - 1];
    if (last && s.at - last.at <= join) last.pages++;
    else passes.push({ at: s.at, atLo: s.atLo, pages: 1, index: 0, offset: 0, onLattice: true });
  }
  const gaps: number[] = [];
  // Each gap rounded to a multiple of the running estimate, starting from W (safe while W and
  // P, and a pass's lateness, differ by less than half a period per gap).
  let p = writebackInterval;
  for (let i = 1; i < passes.length; i++) {
    const gap = passes[i].at - passes[i - 1].at;
    gaps.push(gap);
    passes[i].index = passes[i - 1].index + Math.max(1, Math.round(gap / p));
    p = (passes[i].at - passes[0].at) / passes[i].index;
  }
  return { passes, gaps };
}

/**
 * The exact range of P for which some t0 puts every pass's lattice instant t0 + index P in
 * (atLo - latency, at]: its earliest page was cleaned in (atLo, at], at most `latency` s
 * after the pass began (the pass writes other inodes first). [lo, hi]; lo > hi when no P does.
 */
export function latticeBounds(passes: readonly Pass[], latency = 0): { lo: number; hi: number } {
  let lo = -Infinity,
    hi = Infinity;
  for (let i = 0; i < passes.length; i++) {
    for (let j = i + 1; j < passes.length; j++) {
      const a = passes[i],
        b = passes[j];
      const dn = b.index - a.index;
      if (dn <= 0) continue;
      lo = Math.max(lo, (b.atLo - latency - a.at) / dn);
      hi = Math.min(hi, (b.at - a.atLo + latency) / dn);
    }
  }
  return { lo, hi };
}

/** Least-squares slope of instants on indices. */
function slope(passes: readonly Pass[]): number {
  const n = passes.length;
  const mx = passes.reduce((a, q) => a + q.index, 0) / n;
  const my = passes.reduce((a, q) => a + q.at, 0) / n;
  let sxy = 0,
    sxx = 0;
  for (const q of passes) {
    sxy += (q.index - mx) * (q.at - my);
    sxx += (q.index - mx) ** 2;
  }
  return sxy / sxx;
}

/**
 * Mark the passes on the lattice of period `p`: residuals at - index p, the phase held by the
 * most passes within `tol` (ties: the earliest, the on-time one), the others off it.
 */
function markLattice(passes: Pass[], tol: number, p: number): void {
  const r = passes.map((q) => q.at - q.index * p);
  let phase = r[0]!,
    most = 0;
  for (const c of [...r].sort((x, y) => x - y)) {
    const n = r.filter((x) => Math.abs(x - c) <= tol).length;
    if (n > most) [phase, most] = [c, n];
  }
  passes.forEach((q, i) => {
    q.offset = r[i]! - phase;
    q.onLattice = Math.abs(q.offset) <= tol;
  });
}

/**
 * The lattice: first from the median of gap / m over consecutive passes (a few late passes
 * cannot move it far), then from the least-squares slope of the passes found on it, until
 * the set of on-lattice passes no longer changes (at most 5 rounds).
 */
function findLattice(passes: Pass[], tol: number): void {
  const per: number[] = [];
  for (let i = 1; i < passes.length; i++)
    per.push((passes[i].at - passes[i - 1].at) / (passes[i].index - passes[i - 1].index));
  let p = median(per);
  let key = "";
  for (let round = 0; round < 5; round++) {
    markLattice(passes, tol, p);
    const on = passes.filter((q) => q.onLattice);
    const next = on.map((q) => q.index).join(",");
    if (next === key || on.length < 2) return;
    key = next;
    p = slope(on);
  }
}

/**
 * The flusher's period from the clean instants of every page (see the module's comment):
 * passes, their indices, the lattice most of them share (late passes and passes on another
 * phase left out: Pass.onLattice), then P by least squares over the on-lattice passes within
 * the bounds their poll brackets allow ([lo, hi]). If those bounds are empty (some pass off
 * the lattice by less than the tolerance but more than its bracket), the pass farthest from
 * the lattice is left out too, until they are not. Every estimate lies in its bounds.
 *
 * @param samples each page's first clean poll `at` and last dirty poll `atLo` (CLOCK_MONOTONIC s)
 * @param writebackInterval W, seconds: the first guess of P for counting periods between passes
 * @param join seconds: clean instants closer than this are one pass (default 0.5)
 */
export function estimatePeriod(
  samples: readonly { at: number; atLo: number }[],
  writebackInterval: number,
  join = 0.5,
): PeriodEstimate {
  const { passes, gaps } = passesOf(samples, writebackInterval, join);
  const widths = passes.map((q) => q.at - q.atLo);
  const tolerance = Math.max(0.05, 3 * (widths.length ? median(widths) : 0));
  const none = { passes, period: null, lo: null, hi: null, gaps, tolerance, offLattice: 0 };
  if (passes.length < 2) return none;
  findLattice(passes, tolerance);
  for (;;) {
    const on = passes.filter((q) => q.onLattice);
    const offLattice = passes.length - on.length;
    if (on.length < 2) return { ...none, offLattice };
    const { lo, hi } = latticeBounds(on, tolerance);
    if (lo <= hi) return { passes, period: Math.min(hi, Math.max(lo, slope(on))), lo, hi, gaps, tolerance, offLattice };
    const worst = on.reduce((a, b) => (Math.abs(b.offset) > Math.abs(a.offset) ? b : a));
    worst.onLattice = false;
  }
}
