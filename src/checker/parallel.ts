/**
 * The parallel search (`--workers N`): the one-thread search of search.ts split over N
 * worker threads, with the same states, verdicts and shortest witnesses whatever N.
 *
 * Each state belongs to one worker, chosen by the top bits of the hash its store takes
 * (the table takes the low bits, so a worker's states still spread over its whole table);
 * the hash travels with the successor, computed once. A worker keeps its states and their
 * path records. The search goes breadth-first, one level at a time: each
 * worker expands its part of the level and sends every successor to its owner; each owner
 * adds what it received in the one-thread search's order; this thread merges the new
 * states' keys into the level's order (ranks) and hands them back. The one-thread search
 * numbers a level's states in the order they are found: by the rank of the first
 * predecessor that finds them, then by that predecessor's actor, so a state's key is
 * `rank of its first predecessor * 32 + actor` and the order of the keys is the one-thread
 * order. Each source sends its successors in key order (it expands its states in rank
 * order, actors in order), and an owner adds them in key order merging its sources, so it
 * keeps the first predecessor as the state's parent, as the one-thread search does. End
 * states are judged by their owner, the first of each incident (the least level, then
 * rank) is the shortest witness. The bound cuts the level where the one-thread search
 * would have stopped (Coordinator.level), so a bound hit gives the same counts too.
 *
 * This thread waits for the workers with Atomics.wait and reads their answers with
 * receiveMessageOnPort, so checkConfig stays synchronous. Why not piscina (the sweeps'
 * pool): its tasks are independent and go to any free worker, whereas here each worker
 * holds a part of the state store for the whole search and every level is a barrier.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { InputError } from "../errors.js";
import type { SearchInput, SearchOutput } from "./search.js";
import type { SearchSpec } from "./explore.js";
import { Stepper, type Found, type PathState } from "./stepper.js";
import { hashWords } from "./state.js";
import { INCIDENTS, type IncidentName } from "./verdict.js";
import { labelOf } from "./actors/labels.js";
import type { Answer, FirstHit, Report, Request } from "./parallel-worker.js";

/** The most workers `--workers` takes. */
export const MAX_WORKERS = 64;

/** Words after a state's own in a successor record: its parent (the sender's index), the parent's rank, the step, the state's hash. */
export const RECORD_EXTRA = 4;

/** How long the workers may take to start and build their first search, in milliseconds. */
const START_MS = 120_000;

/** Worker threads that answer on their ports, and the shared counter of their answers. */
class Pool {
  readonly workers: Worker[] = [];
  readonly ports: MessagePort[] = [];
  /** ctl[0]: answers posted so far. */
  readonly ctl = new Int32Array(new SharedArrayBuffer(4));
  private answered = 0;

  constructor(readonly n: number) {
    const file = new URL("../../dist/checker/parallel-worker.js", import.meta.url);
    if (!existsSync(fileURLToPath(file)))
      throw new InputError("dist/checker/parallel-worker.js not found: run npm run build");
    for (let id = 0; id < n; id++) {
      const { port1, port2 } = new MessageChannel();
      const w = new Worker(file, { workerData: { port: port2, ctl: this.ctl.buffer, id }, transferList: [port2] });
      w.unref(), port1.unref();
      this.workers.push(w), this.ports.push(port1);
    }
  }

  /**
   * Send worker w `requests[w]` (its ArrayBuffers moved, not copied) and wait for every answer.
   * @throws Error a worker's failure (its stack), or workers that do not answer within `timeoutMs`
   */
  call(requests: Request[], timeoutMs = Infinity): Answer[] {
    requests.forEach((r, w) => this.ports[w].postMessage(r, transfers(r)));
    const target = this.answered + this.n,
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
}

/** The buffers of a request to move to the worker. */
function transfers(r: Request): ArrayBuffer[] {
  if (r.op === "insert")
    return r.bufs.filter((b) => !(b.buffer instanceof SharedArrayBuffer)).map((b) => b.buffer as ArrayBuffer);
  if (r.op === "commit") return [r.ranks.buffer as ArrayBuffer];
  return [];
}

let pool: Pool | null = null;

/** The process's pool of n workers (started on first use, kept for the next searches; they do not keep the process alive). */
function poolOf(n: number): Pool {
  if (pool?.n !== n) {
    for (const w of pool?.workers ?? []) void w.terminate();
    pool = new Pool(n);
  }
  return pool;
}

/**
 * Explore every interleaving from the roots of `input` over `workers` worker threads:
 * what search(input) gives, the same states, tallies and witnesses. `spec` is how each
 * worker rebuilds `input` (explore.ts specInput).
 * @throws Error a worker's failure
 */
export function searchParallel(input: SearchInput, spec: SearchSpec, workers: number): SearchOutput {
  const p = poolOf(workers);
  const c = new Coordinator(input, p);
  try {
    p.call(
      p.workers.map((_, id) => ({ op: "init", spec, n: workers, id })),
      START_MS,
    );
  } catch (e) {
    // workers that did not start (or answer) are not asked again: the next search starts new ones
    for (const w of p.workers) void w.terminate();
    pool = null;
    throw e;
  }
  try {
    c.run();
    return c.output();
  } finally {
    p.call(p.workers.map(() => ({ op: "end" })));
  }
}

/**
 * A growable Int32Array of records. A worker's buffers to each owner are `shared`
 * (SharedArrayBuffer): kept from level to level and read in place by the owner, the level
 * barrier keeping writer and reader apart, so no level allocates or copies them again.
 */
export class Records {
  a: Int32Array;
  len = 0;
  constructor(private readonly shared = false) {
    this.a = this.alloc(1024);
  }
  private alloc(n: number): Int32Array {
    return this.shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
  }
  /** Append `n` words of `src` from `o`, then four words. */
  push(src: Int32Array, o: number, n: number, x: number, y: number, z: number, h: number): void {
    if (this.len + n + 4 > this.a.length) {
      const b = this.alloc(Math.max(this.a.length * 2, this.len + n + 4));
      b.set(this.a.subarray(0, this.len));
      this.a = b;
    }
    const a = this.a;
    for (let k = 0; k < n; k++) a[this.len + k] = src[o + k];
    a[this.len + n] = x;
    a[this.len + n + 1] = y;
    a[this.len + n + 2] = z;
    a[this.len + n + 3] = h;
    this.len += n + 4;
  }
  /** The records so far (a view). */
  view(): Int32Array {
    return this.a.subarray(0, this.len);
  }
}

/** The level loop: roots, then expand, exchange, rank and commit, until no new state or the bound. */
class Coordinator {
  private readonly stepper: Stepper;
  private states = 0;
  private boundHit = false;
  private report: Report[] = [];

  constructor(
    private readonly input: SearchInput,
    private readonly pool: Pool,
  ) {
    this.stepper = new Stepper(input);
  }

  /** The search: the roots as level 0 (never cut by the bound, as search.ts adds them all), then each level. */
  run(): void {
    const { pool, stepper } = this;
    const n = pool.n,
      W = stepper.W;
    const roots = Array.from({ length: n }, () => new Records());
    this.input.roots.forEach((_, k) => {
      const buf = stepper.packRoot(k),
        h = hashWords(buf, 0, W) | 0;
      roots[ownerOf(h, n)].push(buf, 0, W, -1, k, k, h);
    });
    let next = this.level(
      roots.map((r) => [r.view()]),
      Infinity,
    );
    while (next) {
      const out = next.map((a) => (a as Extract<Answer, { out: Int32Array[] }>).out);
      next = this.level(
        out.map((_, d) => out.map((o) => o[d])),
        Math.max(0, this.input.maxStates - this.states),
      );
    }
    this.report = pool.call(pool.workers.map(() => ({ op: "report" }))) as Report[];
  }

  /**
   * One level: worker d adds `bufs[d]` (a buffer from each source), the new states'
   * keys merged into ranks, at most `room` of them kept; the level before is judged up to
   * where the one-thread search would have stopped. Returns the expansions of the kept
   * states, or null at the end.
   */
  private level(bufs: Int32Array[][], room: number): Answer[] | null {
    const { pool } = this;
    const keys = pool.call(bufs.map((b) => ({ op: "insert", bufs: b }))).map((a) => (a as { keys: Float64Array }).keys);
    const { ranks, total, cut } = mergeKeys(keys, room);
    // Past the bound the one-thread search stops at the first state it cannot add: the one
    // of rank `room`, found by its first predecessor (rank cut); that one and the states
    // after it in the level before are not judged.
    this.boundHit = total > room;
    const cutoff = this.boundHit ? cut : 2 ** 31 - 1;
    const more = !this.boundHit && total > 0;
    this.states += Math.min(total, room);
    const answers = pool.call(
      ranks.map((r) => ({ op: "commit", ranks: r.filter((x) => x < room), cutoff, expand: more })),
    );
    return more ? answers : null;
  }

  /** The tallies summed and each incident's first end state (least level, then rank) turned into its witness. */
  output(): SearchOutput {
    const { report } = this;
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
      states: this.states,
      terminals: report.reduce((s, r) => s + r.terminals, 0),
      deadlocks: report.reduce((s, r) => s + r.deadlocks, 0),
      boundHit: this.boundHit,
      hits,
      witnesses,
      inSpec,
      bytes: report.reduce((s, r) => s + r.bytes, 0),
    };
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
      const label = childVia < 0 ? -1 : childVia & 0xffff;
      const requests: Request[] = this.pool.workers.map((_, x) =>
        x === w ? { op: "get", local: i, label } : { op: "none" },
      );
      const got = this.pool.call(requests)[w] as Extract<Answer, { words: Int32Array }>;
      if (childVia >= 0) path[path.length - 1].via = (childVia & ~0xffff) | labelOf(got.label);
      path.push({ data: got.words, o: 0, via: got.via });
      if (got.parentLocal < 0) break;
      (childVia = got.via), (w = got.parentWorker), (i = got.parentLocal);
    }
    return this.stepper.witnessOf(path.reverse(), h.sync, h.mask, h.hung);
  }
}

/** The least (level, rank) among the workers' first hits of one incident, with its worker. */
function firstOf(hits: (FirstHit | null)[]): (FirstHit & { worker: number }) | null {
  let best: (FirstHit & { worker: number }) | null = null;
  hits.forEach((h, worker) => {
    if (h && (!best || h.level < best.level || (h.level === best.level && h.rank < best.rank))) best = { ...h, worker };
  });
  return best;
}

/**
 * The owner among n workers of a state whose hash (state.ts hashWords, as the store takes
 * it) is h: from its top bits, so that a worker's states still spread over its whole table,
 * which takes the low bits.
 */
export function ownerOf(h: number, n: number): number {
  return Math.floor(((h >>> 0) * n) / 2 ** 32);
}

/**
 * The ranks of the new states of a level: worker w's keys (ascending) merged with the
 * others'; `total` new states, and when more than `room`, `cut` = the rank of the first
 * predecessor of the state of rank `room` (the first the bound refuses).
 */
export function mergeKeys(keys: Float64Array[], room: number): { ranks: Int32Array[]; total: number; cut: number } {
  const n = keys.length;
  const ranks = keys.map((k) => new Int32Array(k.length));
  const at = new Int32Array(n);
  const total = keys.reduce((s, k) => s + k.length, 0);
  let cut = -1;
  // NOTE: for performance, a linear scan of the heads (n is small) rather than a heap.
  for (let r = 0; r < total; r++) {
    let best = -1,
      bk = Infinity;
    for (let w = 0; w < n; w++) {
      if (at[w] < keys[w].length && keys[w][at[w]] < bk) (bk = keys[w][at[w]]), (best = w);
    }
    ranks[best][at[best]++] = r;
    if (r === room) cut = Math.floor(bk / 32);
  }
  return { ranks, total, cut };
}
