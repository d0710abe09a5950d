/**
 * pinsim: GUP page pins against page-cache writeback, simulated.
 * Data flows one way: params → engine (with a policy) → run result → sweep table → stats → plot.
 */
export { InputError, WorkerDiedError, describeFatal, oneLine } from "./errors.js";
export * from "./model/index.js";
export * from "./engine/index.js";
export { POLICIES, getPolicy } from "./policies/index.js";
export { PACKAGE_VERSION } from "./version.js";
export * from "./checker/index.js";
export * from "./notebook/index.js";
export * from "./sweep/index.js";
export * from "./stats/index.js";
export * from "./plot/index.js";
export * from "./calibrate/index.js";
