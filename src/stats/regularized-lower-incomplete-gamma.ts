import { gammaln } from "simple-statistics";

/**
 * The [regularized lower incomplete gamma function](https://dlmf.nist.gov/8.2) P(a, x),
 * the cumulative distribution of Gamma(a, 1) at x. Its series (DLMF 8.7.1) below
 * x = a + 1, else 1 - Q(a, x) from the continued fraction of DLMF 8.9.2 by the modified
 * Lentz method (Numerical Recipes §6.2, `gser` and `gcf`).
 *
 * @param a a positive shape
 * @param x a non-negative number
 * @returns P(a, x), accurate to about 1e-15
 * @throws {RangeError} when a is not positive or x is negative
 * @example
 * regularizedLowerIncompleteGamma(1, 1); // => 0.6321205588285577 (1 - e^-1)
 */
export function regularizedLowerIncompleteGamma(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`regularizedLowerIncompleteGamma: a must be positive, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`regularizedLowerIncompleteGamma: x must be non-negative, got ${x}`);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  const lnFront = a * Math.log(x) - x - gammaln(a);
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10000; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * 1e-17) break;
    }
    return sum * Math.exp(lnFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return 1 - Math.exp(lnFront) * h;
}
