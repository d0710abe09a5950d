/**
 * pinsim: GUP page pins against page-cache writeback, simulated.
 *
 * Data flows one way, and this index is grouped in that order:
 *
 *     params → engine (with a policy) → run result → sweep table → stats → plot
 *
 * plus the interleaving checker (the same page model and policies, every interleaving of a
 * few actors) and the notebook helpers. Everything here is the supported API. The page
 * model's state and operations (`PageCache`) and the checker's actors are internals,
 * reachable through the subpath exports `pinsim/model` and `pinsim/checker` for notebooks
 * that drive a page by hand.
 *
 * @example
 * ```ts
 * import { simulate, sweep, plotSvg, kernelErasFigure } from "pinsim";
 * const run = simulate({ policy: "dirty-at-gup", pinDuration: 60, seed: 1 });
 * run.metrics.lostData; // a count, or null where the policy makes it meaningless
 * ```
 *
 * @packageDocumentation
 */

// Bad input: one error type (one line naming the field, the value and what is allowed).
export { InputError, WorkerDiedError } from "./errors.js";

// Parameters of a run (MODEL.md §6): defaults, validation, the kernel knobs' sysctl names.
export {
  DEFAULT_PARAMS,
  DISTRIBUTION_PARAMS,
  PARAM_NAMES,
  FS_BEHAVIORS,
  GUP_PATHS,
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
} from "./model/params.js";
export type { IdleParam } from "./model/idle-params.js";

// Distributions of pin durations, gaps, share counts and latencies ("exp:10", "zipf:1.1:4096", …).
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
} from "./model/distributions.js";

// Kernel presets and coverage (docs/model-coverage.md): which kernel, backing and caller a
// run stands for, and whether GUP pins or refuses there.
export {
  KERNELS,
  KERNEL_IDS,
  KERNEL_TABLE,
  RELEASES,
  hasFeature,
  kernelPreset,
  kernelTable,
  kernelVersion,
  FEATURES,
  type Feature,
  type FeatureName,
  type KernelId,
  type KernelPreset,
  type KernelTable,
} from "./model/kernels.js";
export { kernelDetail, kernelLines, kernelsMarkdown, PRESET_COLUMNS, type PresetColumn } from "./model/kernel-table.js";
export { BACKINGS, MAPPINGS, PIN_ACCESSES, type Backing, type Mapping, type PinAccess } from "./model/backings.js";
export {
  CALLER_IDS,
  callerProfile,
  type CallerId,
  type CallerProfile,
  type ReleaseKind,
  type WriteFlag,
} from "./model/callers.js";
export { gupDecide, type GupAnswer, type GupQuestion } from "./model/gup-rules.js";
export type { KernelPresetValues, KernelRecord, PinnerGroup } from "./model/coverage-params.js";

// Policies (MODEL.md §4): how GUP pins a page and how the release dirties it, one value each.
// A policy of your own is a value of the same shape, passed to simulate(params, { policy })
// and checkConfig({ policy, … }); the building blocks the built-in ones share are here too.
export { POLICIES, POLICY_IDS, getPolicy, type PolicyId } from "./policies/index.js";
export { FOLL_PIN_BASE, definePolicy, keepDirtyPolicy, noRelease, type PolicyWithId } from "./policies/index.js";
// The release as data (src/model/release.ts): its values, checks and the steps that run it.
export * from "./model/release.js";
export {
  NEWEST_KERNEL,
  pinDecision,
  policyFollowsPreset,
  runEnv,
  type EnvInput,
  type PinDecision,
  type PinnerShape,
  type RunEnv,
} from "./model/env.js";
export { ANON_FEATURES, anonRules, type AnonFeature, type AnonRules, type CowReuse } from "./model/anon.js";
export type { GroupGup } from "./policies/caller.js";
export * from "./model/policy.js";
export { checkPolicy } from "./model/policy-check.js";

// One run of the event-driven engine: simulate(params) → RunResult.
export {
  simulate,
  EVENT_NAMES,
  type RunResultWithTrace,
  type SimulateOptions,
  type TraceRow,
} from "./engine/simulate.js";
export { GROUP_METRICS, type GroupMetric, type GroupResult } from "./engine/groups.js";
export { kupdatePeriod } from "./engine/flusher.js";
export { cleanDelayStats, type CleanDelayStats, type CleanDelays } from "./engine/clean-delays.js";
export type { CleanDelaySamples } from "./model/page-cache.js";
export { PRNG_NAME } from "./engine/random.js";

// What a run reports (MODEL.md §5): incidents and costs, one documented field each.
export {
  METRICS,
  METRIC_NAMES,
  NULL_CONDITIONS,
  metricIsNull,
  metricsOf,
  rate,
  runRates,
  type FinalSyncCounts,
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
} from "./model/metrics.js";

// The interleaving checker (MODEL.md §7): scenarios, verdicts, witnesses.
export { applyVariant } from "./checker/choices.js";
export {
  ScenarioError,
  expectedVerdicts,
  parseScenario,
  type ActorDecl,
  type ActorKind,
  type ActorSpec,
  type Coverage,
  type CpuActor,
  type Expectation,
  type FlusherActor,
  type ForkActor,
  type GupActor,
  type InvalidateActor,
  type IoActor,
  type KnobChoices,
  type Knobs,
  type MadviseActor,
  type MunmapActor,
  type OptionValue,
  type PageSpec,
  type ReclaimActor,
  type Scenario,
  type TruncateActor,
  type Variant,
} from "./checker/scenario.js";
export {
  FAILURE_ID,
  INCIDENTS,
  VERDICTS,
  type BitstateNever,
  type IncidentName,
  type Judgement,
  type Verdict,
} from "./checker/verdict.js";
export {
  checkConfig,
  type CheckConfig,
  type CheckOptions,
  type CheckResult,
  type WitnessStep,
} from "./checker/explore.js";
export type { BitstateFacts } from "./checker/search.js";
export { formatWitness, formatWitnessInline } from "./checker/witness.js";
export { witnessPlot, witnessText, type WitnessChart } from "./plot/witness.js";
export {
  formatRun,
  formatVerdictTable,
  judge,
  loadScenario,
  loadScenarioDir,
  runJson,
  runScenario,
  verdictTable,
  type RunOptions,
  type ScenarioRun,
  type TableCell,
  type VerdictTable,
} from "./checker/judge.js";

// Sweeps: a grid of points × seeds run in parallel into a results directory, resumable and shardable.
export { sweep, type SweepOptions, type SweepProgress } from "./sweep/run.js";
export { loadResults } from "./sweep/load.js";
export { mergeResults } from "./sweep/merge.js";
export { ResultsError } from "./sweep/errors.js";
export { parseSweepConfig, AXIS_NAMES } from "./sweep/config.js";
export { readSweepConfig, presetNames, PRESETS_DIR } from "./sweep/presets.js";
export { parseShard, shardFromEnv, type Shard } from "./sweep/shard.js";
export type { Cell, FailedPoint, Manifest, PointStatus, ResultsTable, Row, SweepConfig } from "./sweep/types.js";

// Statistics for sweep summaries (one function per file, checked against R).
export { meanConfidenceInterval } from "./stats/mean-confidence-interval.js";
export { wilsonInterval } from "./stats/wilson-interval.js";
export { standardNormalCumulativeProbability } from "./stats/standard-normal-cumulative-probability.js";
export { standardNormalQuantile } from "./stats/standard-normal-quantile.js";
export { studentTCumulativeProbability } from "./stats/student-t-cumulative-probability.js";
export { studentTQuantile } from "./stats/student-t-quantile.js";
export { regularizedIncompleteBeta } from "./stats/regularized-incomplete-beta.js";
export { regularizedLowerIncompleteGamma } from "./stats/regularized-lower-incomplete-gamma.js";

// Figures of a results table, as Observable Plot options or text, and the renderers.
export {
  FIGURES,
  FIGURE_NAMES,
  FORMATS,
  getFigure,
  availableFigures,
  renderFigure,
  type Format,
} from "./plot/figures.js";
export type { Figure, FigureOpts } from "./plot/figure.js";
export { kernelErasFigure } from "./plot/kernel-eras.js";
export { cleanDelayFigure, refusalFigure, thresholdFigure, type CalibrationFigure } from "./plot/calibration.js";
export { lostDataFigure } from "./plot/lost-data.js";
export { lostDataHeatmapFigure } from "./plot/lost-data-heatmap.js";
export { doubleWritebacksFigure } from "./plot/double-writebacks.js";
export { falsePositivesFigure, predictedThreshold, type FalsePositivesOpts } from "./plot/false-positives.js";
export {
  pageTimelineFigure,
  pageTimelinePlot,
  pageTimelineText,
  timelineFromResults,
  tracePage,
  type PageTimeline,
  type TraceOptions,
} from "./plot/page-timeline.js";
export { plotSvg, type FigureOptions } from "./plot/svg.js";
export { svgToPng, type PngOptions } from "./plot/png.js";
export { textChart, type TextChartOptions, type TextSeries } from "./plot/text-chart.js";
export { textTable, matrixTable, type TextColumn } from "./plot/text-table.js";
export { formatInterval, formatNumber, formatPercent } from "./plot/format.js";
export { PlotInputError, missingFor, type FigureNeeds } from "./plot/table.js";
export { report, checkResults } from "./plot/report.js";

// Notebooks: show figures, tables and runs in a tslab cell; live sweep progress.
export {
  figure,
  show,
  showHtml,
  showMarkdown,
  showPng,
  showRun,
  showTable,
  inTslabKernel,
  type Showable,
} from "./notebook/display.js";
export type { DataTableCell, DataTableOptions, Displayable, PngImage, SvgFigure } from "./notebook/mime.js";
export {
  progressDisplay,
  type ProgressDisplay,
  type ProgressEvent,
  type ProgressOptions,
} from "./notebook/progress.js";

// Calibration (`pinsim calibrate`): the running kernel measured by the C probes of
// calibrate/, and the model held against it.
export { calibrate, CalibrateInterrupted, type CalibrateOptions, type CalibrateProgress } from "./calibrate/run.js";
export { CalibrateInputError, CalibrateUnavailableError, ProbeError } from "./calibrate/errors.js";
export {
  CALIBRATION_FORMAT,
  loadCalibration,
  type Calibration,
  type CalibrationConfig,
  type CalibrationManifest,
} from "./calibrate/store.js";
export type { ComparisonRow } from "./calibrate/compare.js";
export { calibrationHeader, comparisonText } from "./calibrate/report.js";
// The lab (`pinsim calibrate --kernel SPEC`): another kernel booted under QEMU, its record in calibration.json.
export { calibrateLab, LabBootError, type LabOptions } from "./calibrate/lab/run.js";
export type { LabFilesystem, LabInfo, NotMeasured } from "./calibrate/lab/assemble.js";
export type { LabConfig } from "./calibrate/lab/plan.js";
export type { ReclaimKernel } from "./calibrate/lab/reclaim.js";
export type { GuardRecord, RaceRecord } from "./calibrate/lab/pinned.js";
export { DEBIAN_SERIES, type DebianSeries, type KernelSpec } from "./calibrate/lab/spec.js";
// The shapes inside calibration.json (what loadCalibration returns), part by part.
export { PARTS, type Environment, type FilesystemInfo, type HzInfo, type Part } from "./calibrate/environment.js";
export type {
  CleanDelayRaw,
  CleanPrepared,
  CleanSample,
  CleanStart,
  CleanTimeout,
  DetectorPinned,
  DetectorRaw,
  DetectorSkip,
  DetectorStart,
  ForkTrial,
  LongtermRaw,
  LongtermStart,
  OdirectResult,
  PinsResult,
  RegisterResult,
} from "./calibrate/parse.js";
export type {
  CleanDelayKernel,
  DelaySummary,
  DetectorKernel,
  LongtermKernel,
  Pass,
  PeriodEstimate,
  RegistrationVerdict,
  ThresholdStep,
  WindowFraction,
} from "./calibrate/stats.js";
export type { CleanDelayModel, ModelRegistration } from "./calibrate/model.js";
export { MAPPING_KINDS, type MappingKind } from "./calibrate/refusal.js";

// Provenance: every artifact names the version that wrote it.
export { PACKAGE_VERSION } from "./version.js";
