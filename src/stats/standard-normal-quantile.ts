import { standardNormalCumulativeProbability } from "./standard-normal-cumulative-probability.js";

/**
 * The quantile function of the standard normal distribution, as R's `qnorm(p)`, by
 * bisection on standardNormalCumulativeProbability. simple-statistics' `probit` is an
 * approximation (probit(0.975) = 1.9572 instead of 1.95996), too coarse for intervals.
 *
 * @param p a probability in (0, 1)
 * @returns z with Φ(z) = p
 * @throws {RangeError} when p is outside (0, 1)
 * @example
 * standardNormalQuantile(0.975); // => 1.959963984540054 (R: qnorm(0.975))
 */
export function standardNormalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`standardNormalQuantile: p must be in (0, 1), got ${p}`);
  if (p < 0.5) return -standardNormalQuantile(1 - p);
  if (p === 0.5) return 0;
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mid === lo || mid === hi) break;
    if (standardNormalCumulativeProbability(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
