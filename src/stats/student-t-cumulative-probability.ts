import { regularizedIncompleteBeta } from "./regularized-incomplete-beta.js";

/**
 * The cumulative distribution function of [Student's t
 * distribution](https://dlmf.nist.gov/8.17#iv) with `df` degrees of freedom:
 * P(T <= t) = 1 - I_{df/(df+t²)}(df/2, 1/2) / 2 for t >= 0 (Abramowitz and Stegun 26.7.1
 * with 26.5.27), and by symmetry for t < 0.
 *
 * @param t any real number
 * @param df degrees of freedom, a positive number
 * @returns P(T <= t)
 * @throws {RangeError} when df is not positive
 * @example
 * studentTCumulativeProbability(2.262157162798205, 9); // => 0.975 (R: pt(2.262157, 9))
 */
export function studentTCumulativeProbability(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCumulativeProbability: df must be positive, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 1;
  if (t === -Infinity) return 0;
  const tail = regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5) / 2;
  return t >= 0 ? 1 - tail : tail;
}
