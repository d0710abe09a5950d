/**
 * The exhaustive interleaving checker (MODEL.md §7): actors as atomic steps over one
 * page, every interleaving explored breadth-first, Never / Sometimes / Always per
 * policy, variant and incident, with the shortest witness; scenarios judged against
 * their expected verdicts, as tools/memory-model does.
 */

// Scenarios: the litmus-like file format and its parser
export {
  ScenarioError, applyVariant, expectedVerdicts, parseScenario,
  type ActorKind, type ActorSpec, type CpuActor, type Expectation, type FlusherActor, type GupActor,
  type Knobs, type PageSpec, type ReclaimActor, type Scenario, type TruncateActor, type Variant,
} from "./scenario.js";
// Incidents judged and the verdicts
export {
  FAILURE_ID, INCIDENTS, VERDICTS, incidentMask, maskNames,
  type IncidentName, type Judgement, type Verdict,
} from "./verdict.js";
// Actors: the kernel paths cut into steps
export { CpuWriter, Flusher, GupUser, Reclaim, Truncate, makeActor, type Actor, type StepContext } from "./actors.js";
// The search
export {
  checkConfig, finalSync, initialCache,
  type CheckConfig, type CheckOptions, type CheckResult, type WitnessStep,
} from "./explore.js";
// Witnesses as text
export { formatWitness, formatWitnessInline, wrap } from "./witness.js";
// Judging scenario files, and the verdict table
export {
  formatRun, formatVerdictTable, judge, loadScenario, loadScenarioDir, runJson, runScenario, verdictTable,
  type RunOptions, type ScenarioRun, type TableCell, type VerdictTable,
} from "./judge.js";
