/**
 * `pinsim calibrate`: measure the running kernel with the C probes of calibrate/ and hold
 * the model against it (issue 14). Grouped by concern.
 */

// Driver
export {
  calibrate,
  calibrationConfig,
  chooseHz,
  finish,
  parseParts,
  unavailableMessage,
  CalibrateInterrupted,
  type CalibrateOptions,
  type CalibrateProgress,
} from "./run.js";
// Errors
export { CalibrateInputError, CalibrateUnavailableError, ProbeError } from "./errors.js";
// The machine
export {
  missingRequirements,
  PARTS,
  readEnvironment,
  readFilesystem,
  readHz,
  readSysctls,
  FS_MAGIC,
  SYSCTLS,
  type Environment,
  type FilesystemInfo,
  type HzInfo,
  type Part,
} from "./environment.js";
// Probes: build and parse
export {
  buildProbes,
  cacheRoot,
  compilerVersion,
  firstCompilerError,
  probeSourceDir,
  probeSources,
  PROBES,
  type BuiltProbes,
  type ProbeName,
} from "./build.js";
export {
  jsonLines,
  parseCleanDelay,
  parseDetector,
  parseLongterm,
  type CleanDelayRaw,
  type CleanSample,
  type DetectorRaw,
  type ForkTrial,
  type LongtermRaw,
} from "./parse.js";
// Statistics of the samples
export {
  cleanDelayKernel,
  delaySamples,
  detectorKernel,
  estimatePeriod,
  inWindow,
  ksDistanceUniform,
  longtermKernel,
  registrationVerdict,
  summarizeDelays,
  thresholdStep,
  windowFraction,
  type CleanDelayKernel,
  type DelaySample,
  type DelaySummary,
  type DetectorKernel,
  type LongtermKernel,
  type PeriodEstimate,
  type ThresholdStep,
} from "./stats.js";
// The model's side
export {
  cleanDelayParams,
  modelCleanDelays,
  modelForkCopies,
  modelOdirect,
  modelRegistrations,
  modelThreshold,
  presetFor,
  type CleanDelayModel,
} from "./model.js";
export { expectedRegistration, mappingShape, MAPPING_KINDS, presetOf, releaseOf, type MappingKind } from "./refusal.js";
// Comparison, results folder, text
export { cleanDelayRows, detectorRows, longtermRows, PERIOD_TOLERANCE, type ComparisonRow } from "./compare.js";
export {
  CALIBRATION_FILES,
  CALIBRATION_FORMAT,
  loadCalibration,
  resultsKind,
  writeCalibration,
  type Calibration,
  type CalibrationConfig,
  type CalibrationManifest,
} from "./store.js";
export { calibrationHeader, comparisonText } from "./report.js";
// The lab: other kernels booted under QEMU (`--kernel SPEC`)
export { calibrateLab, LabBootError, parseLabParts, type LabOptions } from "./lab/run.js";
export { parseKernelSpec, type KernelImage, type KernelSpec } from "./lab/spec.js";
export type { LabInfo, NotMeasured } from "./lab/assemble.js";
export { matrixText } from "./lab/matrix.js";
