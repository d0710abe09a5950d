/**
 * Sweeps: a grid of parameter points × seeds, run in parallel, written point by point,
 * resumable and shardable. The on-disk contract is in types.ts.
 */

// Running and reading sweeps
export { sweep, type SweepOptions, type SweepProgress } from "./run.js";
export { loadResults } from "./load.js";
export { mergeResults } from "./merge.js";
export { ResultsError } from "./errors.js";

// Configs, grids, seeds, shards
export { parseSweepConfig, AXIS_NAMES } from "./config.js";
export { expandAxis, expandGrid, pointSeeds, type SweepPoint } from "./grid.js";
export { canonicalJson, deriveSeed, sha256Hex } from "./hash.js";
export { makePlan, configHash, type SweepPlan } from "./plan.js";
export { parseShard, formatShard, shardFromEnv, inShard, type Shard } from "./shard.js";
export { readSweepConfig, presetNames, PRESETS_DIR } from "./presets.js";

// Tables
export { runColumns, summaryColumns, summaryRow, renderCsv, renderJsonl } from "./table.js";

// The results contract
export type { Cell, Manifest, PointStatus, ResultsTable, Row, SweepConfig } from "./types.js";
