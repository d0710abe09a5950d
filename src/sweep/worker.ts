/**
 * The piscina worker: one simulation per task. Loaded from dist/ (compiled JS).
 */
import { simulate } from "../engine/simulate.js";
import { setBudget } from "../model/budget.js";
import type { Metrics } from "../model/metrics.js";

export interface RunTask {
  params: Record<string, unknown>;
  /** `--no-budget`: the worker thread has its own copy of the budget switch. */
  noBudget?: boolean;
}

export default function runTask(task: RunTask): Metrics {
  setBudget(!task.noBudget);
  return simulate(task.params).metrics;
}
