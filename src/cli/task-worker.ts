/**
 * The worker thread of src/cli/task.ts: runs one task named in workerData and posts its
 * answer (plain data), or the one line of a bad input, or a bug's stack. Each task imports
 * only what it needs (a simulation does not load the plotting libraries).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { RunResultWithTrace, SimulateOptions } from "../engine/simulate.js";
import { describeFatal, InputError, oneLine } from "../errors.js";
import type { CheckInput, CheckOutput } from "./commands/check-compute.js";

/** The tasks a worker runs, by name. */
export const TASKS = {
  /** One simulation (`pinsim run`), the soft budgets on or off. */
  simulate: async (i: {
    params: Record<string, unknown>;
    options: Pick<SimulateOptions, "traceClean">;
    budget: boolean;
  }): Promise<RunResultWithTrace> => {
    const [{ simulate }, { setBudget }] = await Promise.all([
      import("../engine/simulate.js"),
      import("../model/budget.js"),
    ]);
    setBudget(i.budget);
    return simulate(i.params, i.options);
  },
  /** The checker's work of `pinsim check`: its output text, the witness files to write, the exit code. */
  check: async (i: CheckInput): Promise<CheckOutput> => (await import("./commands/check-compute.js")).computeCheck(i),
};
/** The tasks' table. */
export type Tasks = typeof TASKS;
/** A task's name. */
export type TaskName = keyof Tasks;
/** What the worker posts: the answer, a bad input's one line, or a bug's stack. */
export type TaskReply = { ok: unknown } | { input: string } | { bug: string };

async function main(name: TaskName, input: never): Promise<TaskReply> {
  try {
    return { ok: await TASKS[name](input) };
  } catch (e) {
    // A ScenarioError is an InputError whose message may span lines: one line, as the CLI prints it.
    const line = e instanceof InputError ? oneLine(e.message) : describeFatal(e);
    return line !== null ? { input: line } : { bug: (e as Error)?.stack ?? String(e) };
  }
}

if (parentPort) {
  const { name, input } = workerData as { name: TaskName; input: never };
  const port = parentPort;
  void main(name, input).then((reply) => port.postMessage(reply));
}
