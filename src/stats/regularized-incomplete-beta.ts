import { gammaln } from "simple-statistics";

/**
 * The [regularized incomplete beta function](https://dlmf.nist.gov/8.17) I_x(a, b), the
 * cumulative distribution of Beta(a, b) at x. Evaluated by the continued fraction of
 * DLMF 8.17.22 with the modified Lentz method (Numerical Recipes §6.4, `betacf`), using
 * the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly.
 *
 * @param x a number in [0, 1]
 * @param a a positive shape
 * @param b a positive shape
 * @returns I_x(a, b), accurate to about 1e-14
 * @throws {RangeError} when x is outside [0, 1] or a shape is not positive
 * @example
 * regularizedIncompleteBeta(0.5, 2, 3); // => 0.6875 (I_0.5(2, 3) = 11/16; R: pbeta(0.5, 2, 3))
 */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedIncompleteBeta: x must be in [0, 1], got ${x}`);
  if (!(a > 0) || !(b > 0)) throw new RangeError(`regularizedIncompleteBeta: shapes must be positive, got ${a}, ${b}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return (front * continuedFraction(x, a, b)) / a;
  return 1 - (front * continuedFraction(1 - x, b, a)) / b;
}

const TINY = 1e-300;

function continuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 1000; m++) {
    const m2 = 2 * m;
    // Even step, then odd step of the fraction (DLMF 8.17.22).
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}
