/**
 * The page model of docs/model.md: parameters, distributions, page and inode state with the
 * kernel operations on it, the policy interface, and the incidents and costs.
 */

// Parameters (docs/model.md#parameters)
export {
  DEFAULT_PARAMS,
  DISTRIBUTION_PARAMS,
  FS_BEHAVIORS,
  GUP_PATHS,
  PARAM_NAMES,
  REFCOUNT_MAX,
  SYSCTL_ALIASES,
  ParamError,
  allowedValues,
  flagName,
  resolveParams,
  type FsBehavior,
  type GupPath,
  type ParamName,
  type Params,
  type ParamsInput,
} from "./params.js";
export type { IdleParam } from "./idle-params.js";
// Distributions
export {
  DISTRIBUTION_FORMS,
  DistributionError,
  distributionMean,
  distributionRange,
  formatDistribution,
  parseDistribution,
  sampler,
  type Distribution,
  type DistributionSpec,
  type Uniform,
} from "./distributions.js";
// Page and inode state, kernel operations (docs/model.md#state, #operations)
export {
  PageCache,
  PG,
  WRITE,
  countArray,
  type CleanDelaySamples,
  type CountArray,
  type PageCacheOptions,
  type PageCacheSizes,
} from "./page-cache.js";
// What a policy decides (docs/model.md#policies)
export {
  WritebackDecision,
  deviceMirrorOf,
  type DeviceMirror,
  type Policy,
  type ReferenceKind,
} from "./policy.js";
export { checkPolicy } from "./policy-check.js";
// The release as data (src/model/release.ts) and the run's environment (src/model/env.ts)
export {
  CALLER_RELEASES,
  DIRTY_IF_CLEAN,
  NO_DIRTYING,
  RELEASE_DIRTYING,
  RELEASE_LOCKS,
  SET_PAGE_DIRTY_LOCK,
  SET_PAGE_DIRTY_UNLOCKED,
  TRYLOCK_SET_PAGE_DIRTY,
  releaseAtOnce,
  releaseDirtyLocked,
  releaseWaitsForLock,
  type Release,
  type ReleaseDirtying,
  type ReleaseLock,
} from "./release.js";
export {
  DEFAULT_FS_BEHAVIOR,
  NEWEST_KERNEL,
  pinDecision,
  presetPolicyId,
  runEnv,
  type EnvInput,
  type PinDecision,
  type PinnerShape,
  type RunEnv,
} from "./env.js";
// Anonymous memory, fork, FOLL_FORCE and O_DIRECT writes per release (docs/model.md)
export { ANON_FEATURES, anonRules, type AnonFeature, type AnonRules, type CowReuse } from "./anon.js";
export { POLICY_IDS, type PolicyId } from "./policy-ids.js";
// Incidents and costs (docs/model.md#incidents-and-costs)
export {
  METRIC,
  METRICS,
  METRIC_NAMES,
  GROUP_METRICS,
  NULL_CONDITIONS,
  metricIsNull,
  metricsOf,
  rate,
  runRates,
  type FinalSyncCounts,
  type GroupMetric,
  type MetricInfo,
  type MetricName,
  type MetricRow,
  type Metrics,
  type NullCondition,
  type NullRule,
  type RunFacts,
  type Rate,
  type Rates,
  type RunResult,
} from "./metrics.js";
// Coverage (issue 10): kernel presets, backings, callers, and whether GUP pins or refuses
export {
  FEATURES,
  HZ_CITE,
  IO_URING_RULES,
  KERNELS,
  KERNEL_IDS,
  KERNEL_TABLE,
  RELEASES,
  atLeast,
  hasFeature,
  kernelPreset,
  kernelTable,
  kernelVersion,
  type Feature,
  type FeatureName,
  type IoUringRule,
  type KernelId,
  type KernelPreset,
  type KernelTable,
} from "./kernels.js";
export { PRESET_COLUMNS, kernelDetail, kernelLines, kernelsMarkdown, type PresetColumn } from "./kernel-table.js";
export {
  BACKINGS,
  BACKING_PROFILES,
  MAPPINGS,
  MAX_FOLIO_ORDER,
  PIN_ACCESSES,
  folioOrders,
  folioOrdersText,
  type Backing,
  type BackingProfile,
  type BufferlessWriteback,
  type Mapping,
  type PinAccess,
} from "./backings.js";
export {
  CALLER_IDS,
  callerProfile,
  type CallerId,
  type CallerProfile,
  type ReleaseKind,
  type WriteFlag,
} from "./callers.js";
export { gupDecide, gupLongtermSelftestShouldWork, type GupAnswer, type GupQuestion } from "./gup-rules.js";
// Magnitude budgets and hard limits (issue 12)
export {
  BUDGET,
  HARD,
  budgetEnabled,
  setBudget,
  checkInputShape,
  checkRun,
  checkSweep,
  checkWorkers,
  eventStreams,
  expectedEvents,
  estimatedBytes,
  folioBytes,
  type EventStream,
} from "./budget.js";
export { PageTimes } from "./page-times.js";
