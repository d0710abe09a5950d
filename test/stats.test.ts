import { strict as assert } from "node:assert";
import { test } from "node:test";
import {
  meanConfidenceInterval,
  regularizedIncompleteBeta,
  regularizedLowerIncompleteGamma,
  standardNormalCumulativeProbability,
  standardNormalQuantile,
  studentTCumulativeProbability,
  studentTQuantile,
  wilsonInterval,
} from "../src/stats/index.js";

const close = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("wilsonInterval matches Newcombe (1998) and R prop.test(correct = FALSE)", () => {
  // Newcombe RG, "Two-sided confidence intervals for the single proportion: comparison of
  // seven methods", Statistics in Medicine 17:857-872 (1998), Table II, method 3 (Wilson
  // score, no continuity correction), to 4 decimals:
  //   81/263: 0.2553 to 0.3662   15/148: 0.0624 to 0.1605   0/20: 0 to 0.1611   1/29: 0.0061 to 0.1718
  // R: prop.test(81, 263, correct = FALSE)$conf.int  ->  0.2552885 0.3662096
  const cases: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [x, n, lo, hi] of cases) {
    const [l, h] = wilsonInterval(x, n);
    close(l, lo, 5e-5);
    close(h, hi, 5e-5);
  }
  const [l, h] = wilsonInterval(81, 263);
  close(l, 0.2552885, 5e-8);
  close(h, 0.3662096, 5e-8);
  // 0/n: the upper end is z²/(n + z²) exactly.
  close(wilsonInterval(0, 20)[1], 1.959963984540054 ** 2 / (20 + 1.959963984540054 ** 2), 1e-15);
  assert.deepEqual(wilsonInterval(29, 29).map((v) => Math.min(v, 1))[1], 1);
  assert.throws(() => wilsonInterval(3, 2), RangeError);
  assert.throws(() => wilsonInterval(1, 0), RangeError);
  assert.throws(() => wilsonInterval(1, 2, 1), RangeError);
});

test("studentTQuantile matches R qt()", () => {
  // confirmed in R: qt(0.975, c(1, 2, 4, 9, 29, 1000))
  //   12.706205 4.302653 2.776445 2.262157 2.045230 1.962339
  const r: [number, number][] = [
    [1, 12.706205],
    [2, 4.302653],
    [4, 2.776445],
    [9, 2.262157],
    [29, 2.04523],
    [1000, 1.962339],
  ];
  for (const [df, q] of r) close(studentTQuantile(0.975, df), q, 5e-7);
  close(studentTQuantile(0.025, 9), -2.262157, 5e-7);
  close(studentTQuantile(0.995, 5), 4.032143, 5e-7); // R: qt(0.995, 5) = 4.032143
  assert.equal(studentTQuantile(0.5, 7), 0);
  close(studentTCumulativeProbability(studentTQuantile(0.9, 3.5), 3.5), 0.9, 1e-14);
  assert.throws(() => studentTQuantile(1, 3), RangeError);
  assert.throws(() => studentTQuantile(0.5, 0), RangeError);
});

test("normal quantile and CDF match R qnorm()/pnorm(); probit is too coarse", () => {
  close(standardNormalQuantile(0.975), 1.959963984540054, 1e-14); // R: qnorm(0.975)
  close(standardNormalQuantile(0.995), 2.575829303548901, 1e-13); // R: qnorm(0.995)
  close(standardNormalCumulativeProbability(-1), 0.158655253931457, 1e-14); // R: pnorm(-1)
  close(regularizedLowerIncompleteGamma(1, 1), 1 - Math.exp(-1), 1e-15);
  close(regularizedIncompleteBeta(0.5, 2, 3), 11 / 16, 1e-14); // P(Binomial(4, 1/2) >= 2) = 11/16
  assert.throws(() => standardNormalQuantile(0), RangeError);
});

test("meanConfidenceInterval matches R t.test()", () => {
  // confirmed in R: t.test(1:10)$conf.int = 3.334149 7.665851
  const ci = meanConfidenceInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(ci.mean, 5.5);
  close(ci.lo!, 3.334149, 5e-7);
  close(ci.hi!, 7.665851, 5e-7);
  assert.deepEqual(meanConfidenceInterval([4]), { mean: 4, lo: null, hi: null });
  assert.deepEqual(meanConfidenceInterval([2, 2, 2]), { mean: 2, lo: 2, hi: 2 });
  assert.throws(() => meanConfidenceInterval([]), RangeError);
});
