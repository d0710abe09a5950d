/**
 * The piscina worker: one simulation per task. Loaded from dist/ (compiled JS).
 */
import { simulate } from "../engine/simulate.js";
import { setBudget } from "../model/budget.js";
import type { Metrics } from "../model/metrics.js";

/** One run for the worker: the point's parameters with its seed. */
export interface RunTask {
  /** Run parameters as simulate() takes them (validated there). */
  params: Record<string, unknown>;
  /** `--no-budget`: the worker thread has its own copy of the budget switch. */
  noBudget?: boolean;
}

/**
 * Run one simulation in a worker thread and return its metrics (structured-cloned back).
 *
 * @throws whatever simulate() throws on bad parameters (the pool reports it for the point).
 */
export default function runTask(task: RunTask): Metrics {
  setBudget(!task.noBudget);
  return simulate(task.params).metrics;
}
