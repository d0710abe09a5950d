/**
 * A worker thread of the parallel search (parallel.ts): it rebuilds the search from its
 * spec and runs its part (parallel-level.ts Partition) in step with the other threads.
 * Loaded from dist/ (compiled JS), from dist/ and from src/ under tsx alike. Each request
 * is answered on the port, then the shared counter is bumped and the waiting thread woken.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { specInput, type SearchSpec } from "./explore.js";
import { Aborted, Partition, type Got, type Report, type Shared } from "./parallel-level.js";

/** What the calling thread asks. */
export type Request =
  | { op: "init"; spec: SearchSpec; shared: Shared; id: number }
  /** Run the level loop to the end of the search (parallel-level.ts Partition.run). */
  | { op: "run"; maxStates: number }
  | { op: "report" }
  /** State `local`'s words and path record, and the text of label index `label` here (-1: none). */
  | { op: "get"; local: number; label: number }
  | { op: "none" }
  | { op: "end" };

/** What a worker answers. */
export type Answer = { ok: true } | Report | Got | { error: string };

let part: Partition | null = null;

/** Answer one request. */
function answer(m: Request): Answer {
  switch (m.op) {
    case "init":
      part = new Partition(specInput(m.spec), m.id, m.shared);
      return { ok: true };
    case "run":
      try {
        part!.run(m.maxStates);
      } catch (e) {
        if (e instanceof Aborted) return { ok: true }; // another thread failed: it reports
        part!.abort();
        throw e;
      }
      return { ok: true };
    case "report":
      return part!.report();
    case "get":
      return part!.get(m.local, m.label);
    case "end":
      part = null;
      return { ok: true };
    default:
      return { ok: true };
  }
}

if (workerData?.port) {
  const { port, ctl: buffer } = workerData as { port: MessagePort; ctl: SharedArrayBuffer };
  const ctl = new Int32Array(buffer);
  Atomics.add(ctl, 1, 1); // loaded: the next batch may start (parallel.ts BOOT_BATCH)
  Atomics.notify(ctl, 1);
  port.on("message", (m: Request) => {
    let reply: Answer;
    try {
      reply = answer(m);
    } catch (e) {
      reply = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    port.postMessage(reply);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
  });
}
