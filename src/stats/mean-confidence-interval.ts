import { mean, sampleStandardDeviation } from "simple-statistics";
import { studentTQuantile } from "./student-t-quantile.js";

/**
 * The mean of a sample with its two-sided [Student t confidence
 * interval](https://en.wikipedia.org/wiki/Student%27s_t-distribution#Confidence_intervals)
 * mean ± t_{(1+c)/2, n-1} · s / √n, as R's `t.test(x)$conf.int`. With fewer than two
 * values the interval is unknown (null); with no spread it is the mean itself.
 *
 * @param values the sample, finite numbers
 * @param confidence two-sided confidence level in (0, 1), default 0.95
 * @returns `{ mean, lo, hi }`: the sample mean and the interval's ends, in the values' unit;
 *   `lo` and `hi` are null for a single value
 * @throws {RangeError} when the sample is empty or confidence is outside (0, 1)
 * @example
 * meanConfidenceInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // => { mean: 5.5, lo: 3.3341…, hi: 7.6658… } (R: t.test(1:10)$conf.int)
 * meanConfidenceInterval([4]); // => { mean: 4, lo: null, hi: null }
 */
export function meanConfidenceInterval(
  values: readonly number[],
  confidence = 0.95,
): {
  /** The sample mean. */
  mean: number;
  /** Lower end of the interval; null with fewer than two values. */
  lo: number | null;
  /** Upper end of the interval; null with fewer than two values. */
  hi: number | null;
} {
  if (values.length === 0) throw new RangeError("meanConfidenceInterval: empty sample");
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`meanConfidenceInterval: confidence must be in (0, 1), got ${confidence}`);
  const m = mean(values as number[]);
  if (values.length < 2) return { mean: m, lo: null, hi: null };
  const s = sampleStandardDeviation(values as number[]);
  if (s === 0) return { mean: m, lo: m, hi: m };
  const half = (tQuantile(1 - (1 - confidence) / 2, values.length - 1) * s) / Math.sqrt(values.length);
  return { mean: m, lo: m - half, hi: m + half };
}

// NOTE: memoised for performance: a sweep summary asks for the same few quantiles
// thousands of times, and each is a bisection.
const quantiles = new Map<string, number>();
function tQuantile(p: number, df: number): number {
  const k = `${p},${df}`;
  let q = quantiles.get(k);
  if (q === undefined) {
    q = studentTQuantile(p, df);
    if (quantiles.size < 10000) quantiles.set(k, q);
  }
  return q;
}
