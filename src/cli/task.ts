/**
 * A command's long synchronous computation (a simulation, the checker's search) run in a
 * worker thread, so that the main thread's event loop stays free for the SIGINT/SIGTERM
 * handler (src/cli/stop.ts): on abort the worker is terminated (V8 stops it between two
 * instructions, whatever loop it is in) and the promise rejects with the abort's reason.
 * The hot loops need no stop flag of their own.
 *
 * The worker is the compiled dist/cli/task-worker.js (from dist/ and from src/ under tsx
 * alike, as the sweep's pool). Its answer is plain data (structured clone); an error comes
 * back as the one line the CLI would print (bad input: exit 2) or a bug's stack.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { InputError, WorkerDiedError } from "../errors.js";
import type { TaskName, TaskReply, Tasks } from "./task-worker.js";

/** dist/cli/task-worker.js. @throws InputError when the package is not built. */
function taskWorkerFile(): URL {
  const file = new URL("../../dist/cli/task-worker.js", import.meta.url);
  if (!existsSync(fileURLToPath(file))) throw new InputError("dist/cli/task-worker.js not found: run npm run build");
  return file;
}

/**
 * Run task `name` (src/cli/task-worker.ts) with `input` in a worker thread.
 * @throws InputError the task's bad input (one line); the abort's reason after `signal`
 *   aborts; WorkerDiedError if the worker died (out of memory); an Error with the worker's
 *   stack for a bug.
 */
export function runTask<K extends TaskName>(
  name: K,
  input: Parameters<Tasks[K]>[0],
  signal: AbortSignal,
): ReturnType<Tasks[K]> {
  type Answer = Awaited<ReturnType<Tasks[K]>>;
  if (signal.aborted) return Promise.reject(signal.reason) as ReturnType<Tasks[K]>;
  const worker = new Worker(taskWorkerFile(), { workerData: { name, input } });
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = () => {
      void worker.terminate();
      settle(() => reject(signal.reason));
    };
    signal.addEventListener("abort", onAbort);
    worker.on("message", (m: TaskReply) => {
      settle(() => {
        if ("ok" in m) resolve(m.ok as Answer);
        else if ("input" in m) reject(new InputError(m.input));
        else reject(new Error(`in the worker thread of ${name}: ${m.bug}`));
      });
      void worker.terminate();
    });
    worker.on("error", (e) => settle(() => reject(new WorkerDiedError(`the ${name} worker died: ${e.message}`))));
    worker.on("exit", (code) =>
      settle(() => reject(new WorkerDiedError(`the ${name} worker exited with code ${code} before answering`))),
    );
  }) as ReturnType<Tasks[K]>;
}
