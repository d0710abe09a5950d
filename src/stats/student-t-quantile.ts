import { studentTCumulativeProbability } from "./student-t-cumulative-probability.js";

/**
 * The quantile function (inverse CDF) of Student's t distribution: the t with
 * P(T <= t) = p for `df` degrees of freedom, as R's `qt(p, df)`. Found by bisection on
 * studentTCumulativeProbability to machine precision; exact closed forms for df = 1
 * (Cauchy) and df = 2.
 *
 * @param p a probability in (0, 1)
 * @param df degrees of freedom, a positive number
 * @returns the p-quantile
 * @throws {RangeError} when p is outside (0, 1) or df is not positive
 * @example
 * studentTQuantile(0.975, 9); // => 2.2621571627982… (R: qt(0.975, 9) = 2.262157)
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`);
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  let lo = 0;
  let hi = 1;
  while (studentTCumulativeProbability(hi, df) < p) hi *= 2;
  // 200 halvings reach adjacent doubles; stop earlier when they do.
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (studentTCumulativeProbability(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
