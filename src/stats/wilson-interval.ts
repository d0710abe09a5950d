import { standardNormalQuantile } from "./standard-normal-quantile.js";

// NOTE: the usual level, computed once for performance.
const Z95 = standardNormalQuantile(0.975);

/**
 * The [Wilson score interval](https://doi.org/10.1080/01621459.1927.10502953) (Wilson
 * 1927) for a binomial proportion: the p whose score test at the given confidence does
 * not reject, as R's `prop.test(x, n, correct = FALSE)$conf.int`. Unlike the Wald
 * interval it stays inside [0, 1] and is sensible at 0 and n successes.
 *
 * @param successes number of successes, 0 <= successes <= trials
 * @param trials number of trials, positive
 * @param confidence two-sided confidence level in (0, 1), default 0.95
 * @returns [lower, upper]
 * @throws {RangeError} when the counts are impossible or confidence is outside (0, 1)
 * @example
 * wilsonInterval(81, 263); // => [0.2553…, 0.3662…] (Newcombe 1998, Table II, method 3)
 * wilsonInterval(0, 10); // => [0, 0.2775…] (R: prop.test(0, 10, correct = FALSE)$conf.int)
 */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): [number, number] {
  if (!(trials > 0) || !Number.isFinite(trials))
    throw new RangeError(`wilsonInterval: trials must be positive, got ${trials}`);
  if (!(successes >= 0 && successes <= trials))
    throw new RangeError(`wilsonInterval: successes must be in 0..${trials}, got ${successes}`);
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`wilsonInterval: confidence must be in (0, 1), got ${confidence}`);
  const z = confidence === 0.95 ? Z95 : standardNormalQuantile(1 - (1 - confidence) / 2);
  const n = trials;
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp rounding noise at the exact ends (0 or n successes).
  return [Math.max(0, center - half), Math.min(1, center + half)];
}
