import { regularizedLowerIncompleteGamma } from "./regularized-lower-incomplete-gamma.js";

/**
 * The cumulative distribution function Φ(x) of the standard normal distribution, as R's
 * `pnorm(x)`: Φ(x) = (1 + erf(x/√2)) / 2 with erf(y) = P(1/2, y²) (DLMF 7.11.1, 8.4.1).
 * Unlike simple-statistics' table-based cumulativeStdNormalProbability it is accurate to
 * about 1e-15, which the interval endpoints need.
 *
 * @param x any real number
 * @returns Φ(x)
 * @example
 * standardNormalCumulativeProbability(1.959963984540054); // => 0.975 (R: pnorm(1.959964))
 */
export function standardNormalCumulativeProbability(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const half = regularizedLowerIncompleteGamma(0.5, (x * x) / 2) / 2;
  return x >= 0 ? 0.5 + half : 0.5 - half;
}
