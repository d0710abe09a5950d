/**
 * The piscina worker: one simulation per task. Loaded from dist/ (compiled JS).
 */
import { simulate } from "../engine/simulate.js";
import type { Metrics } from "../model/metrics.js";

export interface RunTask {
  params: Record<string, unknown>;
}

export default function runTask(task: RunTask): Metrics {
  return simulate(task.params).metrics;
}
