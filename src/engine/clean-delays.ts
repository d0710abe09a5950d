/**
 * Clean delays (V1/V16 of the calibration): how long after a page goes clean→dirty the
 * flusher first cleans it. For a page dirtied in a clean inode, kupdate's rule gives a
 * delay in [E, E + P): the inode's dirtied_when is the page's dirtying time, the flusher
 * writes inodes older than E at its next tick, and ticks are P apart (P the timer-wheel
 * period of kupdatePeriod). A page dirtied in an already dirty inode inherits the older
 * dirtied_when and is cleaned earlier (fs/fs-writeback.c __mark_inode_dirty,
 * wb_check_old_data_flush).
 */
import type { CleanDelaySamples } from "../model/page-cache.js";

/** Summary of one set of clean delays, seconds. */
export interface CleanDelayStats {
  /** Number of delays recorded. */
  count: number;
  /** Smallest delay, or null without samples. */
  min: number | null;
  /** Largest delay, or null without samples. */
  max: number | null;
  /** Mean delay, or null without samples. */
  mean: number | null;
  /** Share of delays in [E, E + P); null without samples. */
  fractionInWindow: number | null;
  /** Counts per bin of `binWidth` seconds from `start` (P / 10 wide, so a period is ten bins). */
  histogram: {
    /** Left edge of the first bin, seconds (always 0). */
    start: number;
    /** Bin width, seconds: P / 10 (1 without a flusher period). */
    binWidth: number;
    /** Delays per bin, from `start`, up to the bin of the largest delay. */
    counts: number[];
  };
  /** Every delay, in the order pages were cleaned. */
  samples: number[];
}

/** Clean delays of a run (`simulate(params, { traceClean: true })`). */
export interface CleanDelays {
  /** P, seconds: the flusher's period after the timer wheel's rounding. */
  period: number;
  /** E, seconds: dirty_expire_centisecs / 100. */
  expire: number;
  /** Pages dirtied while their inode was clean. */
  cleanInode: CleanDelayStats;
  /** Pages dirtied while their inode was already dirty. */
  dirtyInode: CleanDelayStats;
}

/**
 * Statistics of recorded clean delays against kupdate's window [E, E + P), apart for
 * pages dirtied in a clean inode and in an already dirty one.
 *
 * @param samples the delays a PageCache recorded (`traceClean`), seconds
 * @param expire E, seconds (dirty_expire_centisecs / 100)
 * @param period P, seconds: the flusher's period after the timer wheel's rounding (kupdatePeriod)
 */
export function cleanDelayStats(samples: CleanDelaySamples, expire: number, period: number): CleanDelays {
  return {
    period,
    expire,
    cleanInode: summarise(samples.cleanInode, expire, period),
    dirtyInode: summarise(samples.dirtyInode, expire, period),
  };
}

function summarise(xs: number[], expire: number, period: number): CleanDelayStats {
  const binWidth = period > 0 ? period / 10 : 1;
  if (xs.length === 0) {
    return {
      count: 0,
      min: null,
      max: null,
      mean: null,
      fractionInWindow: null,
      histogram: { start: 0, binWidth, counts: [] },
      samples: [],
    };
  }
  let min = Infinity,
    max = -Infinity,
    sum = 0,
    inWindow = 0;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    // A tolerance of 1e-9 s absorbs binary noise in tick times (phase + k·P).
    if (x >= expire - 1e-9 && x < expire + period - 1e-9) inWindow++;
  }
  const counts = new Array<number>(Math.floor(max / binWidth) + 1).fill(0);
  for (const x of xs) counts[Math.floor(x / binWidth)]++;
  return {
    count: xs.length,
    min,
    max,
    mean: sum / xs.length,
    fractionInWindow: inWindow / xs.length,
    histogram: { start: 0, binWidth, counts },
    samples: xs.slice(),
  };
}
