/**
 * The exhaustive interleaving checker (docs/model.md#the-interleaving-checker): actors as atomic steps over one
 * page, every interleaving explored breadth-first, Never / Sometimes / Always per
 * policy, variant and incident, with the shortest witness; scenarios judged against
 * their expected verdicts, as tools/memory-model does.
 */

// Scenarios: the litmus-like file format and its parser
export {
  ACTOR_KINDS,
  DEFAULT_COVERAGE,
  type Coverage,
  DIRECTIVES,
  MAX_ACTORS,
  ScenarioError,
  expectedVerdicts,
  pageName,
  parseAlternatives,
  parseScenario,
  type ActorDecl,
  type ActorKind,
  type ActorSpec,
  type CpuActor,
  type Expectation,
  type FlusherActor,
  type ForkActor,
  type GupActor,
  type InvalidateActor,
  type KnobChoices,
  type Knobs,
  type MadviseActor,
  type MunmapActor,
  type OptionDef,
  type OptionValue,
  type PageSpec,
  type ReclaimActor,
  type Scenario,
  type TruncateActor,
  type Variant,
} from "./scenario.js";
// Choices: a variant applied, actors and knobs expanded into concrete configurations
export {
  applyVariant,
  declOf,
  expandActor,
  expandChoices,
  expandKnobs,
  knobChoicesOf,
  rootChoices,
  type Expansion,
} from "./choices.js";
// Incidents judged and the verdicts
export {
  FAILURE_ID,
  INCIDENTS,
  VERDICTS,
  incidentMask,
  maskNames,
  type IncidentName,
  type Judgement,
  type Verdict,
  type BitstateNever,
  verdictMatches,
} from "./verdict.js";
// Actors: the kernel paths cut into steps
export {
  BLOCKED,
  CpuWriter,
  DONE,
  Flusher,
  GupUser,
  IoCompletion,
  PAGE,
  Program,
  Reclaim,
  TableActor,
  Truncate,
  makeActor,
  type Actor,
  type FootprintNow,
  type Step,
  type StepContext,
  type StepRun,
  type StepTable,
} from "./actors/index.js";
// Footprints for the partial-order reduction
export { PAGE_VAR, futures } from "./footprint.js";
// The search
export {
  checkConfig,
  checkerEnv,
  departsFromSpec,
  finalSync,
  initialCache,
  type CheckConfig,
  type CheckOptions,
  type CheckResult,
  type WitnessStep,
} from "./explore.js";
// A search's roots counted before they are built
export { checkRoots, variantRoots, type VariantRoots } from "./roots.js";
export { persistentSet, search, type BitstateFacts, type Root, type SearchInput, type SearchOutput } from "./search.js";
// The packed state encoding
export { StateSet } from "./state.js";
export { BitStateSet, bitstateMissProbability, BITSTATE_HASHES } from "./bitstate.js";
// Witnesses as text
export { PAGE_LEGEND, formatWitness, formatWitnessInline, pageState, wrap } from "./witness.js";
// Judging scenario files, and the verdict table
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
} from "./judge.js";
