/**
 * What the checker judges: the incidents of docs/model.md#incidents-and-costs that are events (not costs or
 * maxima), with their failure-mode ids (F1…F10, same section), and the three litmus verdicts.
 */
import type { METRIC_TABLE, MetricRow } from "../model/metric-table.js";
import { METRIC, METRICS } from "../model/metrics.js";

/** One of {@link INCIDENTS}: an incident metric of docs/model.md#incidents-and-costs the checker decides. */
export type IncidentName = Extract<(typeof METRIC_TABLE)[number], Pick<Required<MetricRow>, "checked">>["name"];

/** Incidents the checker decides (the metrics table's `checked` rows), in the order of their ids (docs/model.md#incidents-and-costs). */
export const INCIDENTS: readonly IncidentName[] = METRICS.filter((m) => m.checked).map((m) => m.name as IncidentName);

/** Failure-mode id of each incident (docs/model.md#incidents-and-costs) (keptDirty stands for F10, starvation). */
export const FAILURE_ID = Object.fromEntries(
  METRICS.filter((m) => m.checked).map((m) => [m.name, m.failure!]),
) as Readonly<Record<IncidentName, string>>;

/** Index into PageCache.counters of each incident, in INCIDENTS order. */
export const INCIDENT_METRIC: readonly number[] = INCIDENTS.map((n) => METRIC[n]);
/** INCIDENT_METRIC as a typed array, for the search's inner loop. */
const INCIDENT_METRICS = Int32Array.from(INCIDENT_METRIC);

/** tools/memory-model's verdicts: in no, some, or every terminal execution. */
export const VERDICTS = ["Never", "Sometimes", "Always"] as const;
/** One of {@link VERDICTS}. */
export type Verdict = (typeof VERDICTS)[number];

/** What the checker reports: a verdict, or Unknown when the state bound cut the search short. */
export type Judgement = Verdict | "Unknown (bound hit)" | BitstateNever;

/** A Never found in bitstate mode (explore.ts): never a plain Never, it carries the probability of a missed state. */
export type BitstateNever = `Never (bitstate, probability of a missed state ${string})`;

/** Whether `got` answers `expected`: the same verdict, or a bitstate Never for a Never. */
export function verdictMatches(got: Judgement, expected: Verdict): boolean {
  return got === expected || (expected === "Never" && got.startsWith("Never (bitstate"));
}

/** Bit mask of the incidents whose counters are non-zero. */
export function incidentMask(counters: Float64Array): number {
  let mask = 0;
  for (let i = 0; i < INCIDENT_METRIC.length; i++) if (counters[INCIDENT_METRIC[i]] > 0) mask |= 1 << i;
  return mask;
}

/**
 * incidentMask, then those counters zeroed (and no other: the checker never reads a cost
 * counter, so they may hold anything). The search's inner loop, instead of a fill(0) of
 * every counter after each step.
 */
export function takeIncidentMask(counters: Float64Array): number {
  let mask = 0;
  for (let i = 0; i < INCIDENT_METRICS.length; i++) {
    const m = INCIDENT_METRICS[i],
      v = counters[m];
    if (v === 0) continue; // NOTE: for performance: no store for the (usual) zero
    if (v > 0) mask |= 1 << i;
    counters[m] = 0;
  }
  return mask;
}

/** Incident names of a mask, in INCIDENTS order. */
export function maskNames(mask: number): IncidentName[] {
  return INCIDENTS.filter((_, i) => mask & (1 << i));
}
