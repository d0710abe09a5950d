/**
 * The parallel search (`--workers N`): the one-thread search of search.ts split over N
 * threads, the calling thread and N-1 worker threads, with the same states, verdicts and
 * shortest witnesses whatever N.
 *
 * Each state belongs to one thread, chosen by the top bits of the hash its store takes
 * (the table takes the low bits, so a thread's states still spread over its whole table);
 * the hash travels with the successor, computed once. A thread keeps its states and their
 * path records. The search goes breadth-first, one level at a time, every thread in step
 * (parallel-level.ts): each adds the successors sent to it in the one-thread search's
 * order, expands them at once and sends each successor to its owner, then waits at the
 * level's one barrier. The one-thread search numbers a level's states in the order they
 * are found: by the rank of the first predecessor that finds them, then by that
 * predecessor's actor, so a state's key is `rank of its first predecessor * 32 + actor` and
 * the order of the keys is the one-thread order. Each source sends its successors in key
 * order (it expands its states in key order, actors in order), and an owner adds them
 * merging its sources by (parent's key, actor), so it keeps the first predecessor as the
 * state's parent, as the one-thread search does; a parent's rank is its place among all
 * threads' keys of its level, which the owner walks (shared memory) as it adds. End states
 * are judged by their owner, the first of each incident (the least level, then key) is the
 * shortest witness. The bound cuts the level where the one-thread search would have
 * stopped, so a bound hit gives the same counts too.
 *
 * The threads share their records, keys and counts in SharedArrayBuffers (growable, so
 * that nothing is copied or sent as a level grows) and meet at an Atomics barrier; the
 * messages (receiveMessageOnPort, so checkConfig stays synchronous) only start a search and
 * fetch its report and witnesses. Why not piscina (the sweeps' pool): its tasks are
 * independent and go to any free worker, whereas here each thread holds a part of the state
 * store for the whole search and every level is a barrier.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { InputError } from "../errors.js";
import { search, type SearchInput, type SearchOutput } from "./search.js";
import type { SearchSpec } from "./explore.js";
import type { Found, PathState } from "./stepper.js";
import { INCIDENTS, type IncidentName } from "./verdict.js";
import { labelOf } from "./actors/labels.js";
import { Partition, makeShared, type FirstHit, type Got, type Report, type Shared } from "./parallel-level.js";
import type { Answer, Request } from "./parallel-worker.js";

export { ownerOf, rankAt } from "./parallel-level.js";

/** The most workers `--workers` takes. */
export const MAX_WORKERS = 64;

/** How long the workers may take to start and build their first search, in milliseconds. */
const START_MS = 120_000;

/**
 * Worker threads started at once: the cores. A worker thread honours terminate() only once
 * its bootstrap (Node's and our modules') is done, and the process joins every worker at
 * exit, so 64 workers booting together on 2 cores held a Ctrl-C for 3.4-7.9 s; started a
 * core's worth at a time, an interrupt waits for one batch's bootstrap at most.
 */
const BOOT_BATCH = Math.max(1, availableParallelism());

/**
 * The workers' Node flags: the process's, but --input-type (a worker given a file fails to
 * load with it, and its pool would wait START_MS for nothing: `node --input-type=module -e`).
 */
const execArgv = process.execArgv.filter((a) => !a.startsWith("--input-type"));

/** Worker threads that answer on their ports, and the shared counter of their answers. */
class Pool {
  readonly workers: Worker[] = [];
  readonly ports: MessagePort[] = [];
  /** ctl[0]: answers posted so far; ctl[1]: workers whose modules have loaded. */
  readonly ctl = new Int32Array(new SharedArrayBuffer(8));
  /** The threads' shared memory, kept from search to search (its buffers only grow; each reserves address space). */
  readonly shared: Shared;
  private answered = 0;

  /** n - 1 worker threads: the calling thread is thread 0. */
  constructor(readonly n: number) {
    const file = new URL("../../dist/checker/parallel-worker.js", import.meta.url);
    if (!existsSync(fileURLToPath(file)))
      throw new InputError("dist/checker/parallel-worker.js not found: run npm run build");
    this.shared = makeShared(n);
    for (let id = 1; id < n; id++) {
      if (id > 1 && (id - 1) % BOOT_BATCH === 0) this.booted(id - 1);
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(file, {
        workerData: { port: port2, ctl: this.ctl.buffer, id },
        transferList: [port2],
        execArgv,
      });
      w.unref(), port1.unref();
      this.workers.push(w), this.ports.push(port1);
    }
  }

  /**
   * Wait until `count` workers have loaded their modules (see BOOT_BATCH).
   * @throws Error if they have not within START_MS (a worker that failed to load never counts)
   */
  private booted(count: number): void {
    const until = Date.now() + START_MS;
    for (let v = Atomics.load(this.ctl, 1); v < count; v = Atomics.load(this.ctl, 1)) {
      const left = until - Date.now();
      if (left <= 0) throw new Error("checker: the parallel search's workers did not start (src/checker/parallel.ts)");
      Atomics.wait(this.ctl, 1, v, left);
    }
  }

  /** Send worker thread w + 1 `requests[w]`. */
  post(requests: Request[]): void {
    requests.forEach((r, w) => this.ports[w].postMessage(r));
  }

  /**
   * Wait for an answer from every worker thread.
   * @throws Error a worker's failure (its stack), or workers that do not answer within `timeoutMs`
   */
  collect(timeoutMs = Infinity): Answer[] {
    const target = this.answered + this.workers.length,
      until = Date.now() + timeoutMs;
    for (let v = Atomics.load(this.ctl, 0); v < target; v = Atomics.load(this.ctl, 0)) {
      const left = until - Date.now();
      if (left <= 0) throw new Error("checker: the parallel search's workers did not answer (src/checker/parallel.ts)");
      Atomics.wait(this.ctl, 0, v, Math.min(left, 2 ** 31 - 1));
    }
    this.answered = target;
    // every answer read before any is thrown, so that none is left for the next call
    const answers = this.ports.map((p) => receiveMessageOnPort(p)!.message as Answer);
    const failed = answers.find((a) => "error" in a);
    if (failed) throw new Error(`checker: in a worker of the parallel search: ${(failed as { error: string }).error}`);
    return answers;
  }

  /** post, then collect. */
  call(requests: Request[], timeoutMs = Infinity): Answer[] {
    this.post(requests);
    return this.collect(timeoutMs);
  }
}

let pool: Pool | null = null;

/** The process's pool for n threads (started on first use, kept for the next searches; they do not keep the process alive). */
function poolOf(n: number): Pool {
  if (pool?.n !== n) {
    for (const w of pool?.workers ?? []) void w.terminate();
    pool = new Pool(n);
  }
  return pool;
}

/**
 * Explore every interleaving from the roots of `input` over `workers` threads (this one
 * and workers - 1 worker threads): what search(input) gives, the same states, tallies and
 * witnesses. `spec` is how each worker rebuilds `input` (explore.ts specInput).
 * @throws Error a worker's failure
 */
export function searchParallel(input: SearchInput, spec: SearchSpec, workers: number): SearchOutput {
  const p = poolOf(workers);
  const shared = p.shared;
  // no thread is in the level loop now: the barrier starts afresh (a failed search may have left arrivals)
  const sync = new Int32Array(shared.sync);
  Atomics.store(sync, 0, 0), Atomics.store(sync, 2, 0);
  try {
    p.call(
      p.workers.map((_, w) => ({ op: "init", spec, shared, id: w + 1 })),
      START_MS,
    );
  } catch (e) {
    // workers that did not start (or answer) are not asked again: the next search starts new ones
    for (const w of p.workers) void w.terminate();
    pool = null;
    throw e;
  }
  const part = new Partition(input, 0, shared);
  try {
    p.post(p.workers.map(() => ({ op: "run", maxStates: input.maxStates })));
    let failure: unknown = null;
    try {
      part.run(input.maxStates);
    } catch (e) {
      part.abort();
      failure = e;
    }
    p.collect(); // a worker's failure first: an Aborted here says only that one failed
    if (failure) throw failure;
    const reports = [part.report(), ...(p.call(p.workers.map(() => ({ op: "report" }))) as Report[])];
    return new Witnesses(part, p).output(reports);
  } finally {
    p.call(p.workers.map(() => ({ op: "end" })));
  }
}

/**
 * States a search with workers first explores in the calling thread alone (default of
 * CheckOptions.parallelFrom): one that ends within them is done; one that does not starts
 * again over the threads, that work lost (0.3-0.6 s, about 5 % of a 5 M-state search).
 * The shipped scenarios' searches have a median of 173 states (the largest 311,612), and
 * there the level-synchronous search costs more than it gains (a barrier a level, each
 * worker rebuilding the search and starting its stores small): `pinsim check --workers 2`
 * took 6.2-6.6 s against 4.2-4.5 s with 1 when every search used the threads, 6.2-6.6 s
 * from 2^16 states, 4.9-5.2 s (as 1 worker's 5.2-5.3 s) from 2^18 (load average 2).
 */
export const PARALLEL_FROM = 1 << 18;

/** CheckOptions.parallelFrom (`given`), else PINSIM_PARALLEL_FROM (the CLI's tests), else PARALLEL_FROM. @throws InputError either not an integer >= 0 */
export function parallelFrom(given: number | undefined): number {
  const env = process.env.PINSIM_PARALLEL_FROM;
  const [field, v] = given !== undefined ? ["parallelFrom", given] : ["PINSIM_PARALLEL_FROM", env];
  if (v === undefined || v === "") return PARALLEL_FROM;
  const n = typeof v === "number" ? v : /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InputError(field, v, "an integer >= 0 (states the calling thread explores first)");
  return n;
}

/**
 * search(input) if it ends within `from` states (the bound counted), else searchParallel over
 * `workers` threads: the same states, verdicts and witnesses either way (parallel.ts).
 */
export function searchWithWorkers(input: SearchInput, spec: SearchSpec, workers: number, from: number): SearchOutput {
  if (from > 0) {
    const trial = search({ ...input, maxStates: Math.min(input.maxStates, from) });
    if (!trial.boundHit || input.maxStates <= from) return trial;
  }
  return searchParallel(input, spec, workers);
}

/** The tallies of every thread summed, and the witnesses fetched from the threads that own their states. */
class Witnesses {
  constructor(
    private readonly part: Partition,
    private readonly pool: Pool,
  ) {}

  /** The tallies summed and each incident's first end state (least level, then key) turned into its witness. */
  output(report: Report[]): SearchOutput {
    const hits = INCIDENTS.map((_, k) => report.reduce((s, r) => s + r.hits[k], 0));
    const witnesses = new Map<IncidentName, Found>(),
      inSpec = new Map<IncidentName, Found>();
    INCIDENTS.forEach((name, k) => {
      const w = firstOf(report.map((r) => r.first[k])),
        wi = firstOf(report.map((r) => r.firstInSpec[k]));
      if (w) witnesses.set(name, this.witness(w));
      if (wi) inSpec.set(name, wi === w ? witnesses.get(name)! : this.witness(wi));
    });
    return {
      states: report[0].states,
      terminals: report.reduce((s, r) => s + r.terminals, 0),
      deadlocks: report.reduce((s, r) => s + r.deadlocks, 0),
      boundHit: report[0].boundHit,
      hits,
      witnesses,
      inSpec,
      bytes: report.reduce((s, r) => s + r.bytes, 0),
    };
  }

  /** State `local` of thread w, with the text of label index `label` as that thread numbers it. */
  private get(w: number, local: number, label: number): Got {
    if (w === 0) return this.part.get(local, label);
    const requests: Request[] = this.pool.workers.map((_, x) =>
      x + 1 === w ? { op: "get", local, label } : { op: "none" },
    );
    return this.pool.call(requests)[w - 1] as Got;
  }

  /**
   * The path of a first hit, fetched from the states' owners back to its root. A step's label
   * index is in the numbering of the thread that expanded its parent (labels made from data
   * are numbered as each thread meets them, labels.ts labelOf), that is the parent's owner:
   * so each request for a parent also asks it for the text of the child's label.
   */
  private witness(h: FirstHit & { worker: number }): Found {
    const path: PathState[] = [];
    for (let w = h.worker, i = h.local, childVia = -1; ; ) {
      const got = this.get(w, i, childVia < 0 ? -1 : childVia & 0xffff);
      if (childVia >= 0) path[path.length - 1].via = (childVia & ~0xffff) | labelOf(got.label);
      path.push({ data: got.words, o: 0, via: got.via });
      if (got.parentLocal < 0) break;
      (childVia = got.via), (w = got.parentWorker), (i = got.parentLocal);
    }
    return this.part.witnessOf(path.reverse(), h.sync, h.mask, h.hung);
  }
}

/** The least (level, key) among the threads' first hits of one incident, with its thread. */
function firstOf(hits: (FirstHit | null)[]): (FirstHit & { worker: number }) | null {
  let best: (FirstHit & { worker: number }) | null = null;
  hits.forEach((h, worker) => {
    if (h && (!best || h.level < best.level || (h.level === best.level && h.rank < best.rank))) best = { ...h, worker };
  });
  return best;
}
