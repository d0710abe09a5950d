/**
 * Statistics for sweep summaries: one function per file, long English names. The
 * sample moments come from simple-statistics; what it lacks (exact normal and t
 * quantiles, the Wilson interval) is here, each checked against R in the tests.
 */

// Intervals
export { meanConfidenceInterval } from "./mean-confidence-interval.js";
export { wilsonInterval } from "./wilson-interval.js";

// Distributions
export { standardNormalCumulativeProbability } from "./standard-normal-cumulative-probability.js";
export { standardNormalQuantile } from "./standard-normal-quantile.js";
export { studentTCumulativeProbability } from "./student-t-cumulative-probability.js";
export { studentTQuantile } from "./student-t-quantile.js";

// Special functions
export { regularizedIncompleteBeta } from "./regularized-incomplete-beta.js";
export { regularizedLowerIncompleteGamma } from "./regularized-lower-incomplete-gamma.js";
