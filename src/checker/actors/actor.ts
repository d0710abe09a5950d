/**
 * What every checker actor is: a program of atomic steps over page 0 of a one-page
 * PageCache, its registers in an Int32Array slice (the program counter first), and the
 * context every step sees. A step is what the kernel runs under a spinlock (the pte lock)
 * or between two points where another CPU can get in; PG_locked is held across steps,
 * as the kernel holds it.
 */
import type { PageCache } from "../../model/page-cache.js";
import type { Policy } from "../../model/policy.js";
import type { ActorSpec } from "../scenario.js";
import type { RunEnv } from "../../model/env.js";

/** The one page every actor works on. */
export const PAGE = 0;
/** Program counter of a finished actor. */
export const DONE = 0;
/** What step() returns when the actor cannot move now (nothing was changed). */
export const BLOCKED = -1;

/** What every step sees besides its own registers. */
export interface StepContext {
  /** The one-page cache the actors share (decoded from the state being expanded). */
  cache: PageCache;
  /** The policy checked (a GUP actor's caller may lay its own release over it): env.policy. */
  policy: Policy;
  /**
   * The search's environment (runEnv, src/model/env.ts, the engine's too): the reclaim guard,
   * whether reclaim's pageout() writes a dirty file page (false for ext4 from v6.2 and every
   * filesystem from v6.16, where it returns PAGE_ACTIVATE), stable writes (page_mkwrite waits
   * for PG_writeback, folio_wait_stable), whether the backing writes back at all.
   */
  env: RunEnv;
  /**
   * Register index of the `io` actor's queue, or -1 without one. With it, the flusher and
   * reclaim submit the bio and move on; the `io` actor completes it (end_page_writeback).
   */
  ioQueue: number;
}

/**
 * One actor of a search. For the partial-order reduction each actor says what its next
 * step reads and writes (`footprint`) and what all its remaining steps may (`future`);
 * both come from its step table (src/checker/actors/program.ts), as does `step`.
 */
export interface Actor {
  /** The actor's name on its `Actor` line (`P0`). */
  readonly name: string;
  /** Lane header of the witness, e.g. `P0 gup slow`. */
  readonly title: string;
  /** Registers, the program counter first. */
  readonly size: number;
  /** Set the registers for one concrete alternative of the actor's declaration. */
  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void;
  /**
   * Run the next step if it can run now: returns its label's index in LABELS (the kernel
   * function it stands for), or BLOCKED, in which case nothing was changed. A step reads
   * and writes the cache's encoded fields (src/checker/state.ts), the actor's own registers
   * `r[o .. o + size)` and the io queue register `r[ctx.ioQueue]`, nothing else: the search
   * builds a successor from the state's other register words as they were (Stepper.packStep).
   */
  step(ctx: StepContext, r: Int32Array, o: number): number;
  /** What the next step reads and writes (PAGE_VAR bits, `reads | writes << 16`), in the current state. */
  footprint(ctx: StepContext, r: Int32Array, o: number): number;
  /** What every step the actor may still take reads and writes. */
  future(r: Int32Array, o: number): number;
  /** Never finishes (the I/O completion): a state where only it is left and it cannot move is an end state. */
  readonly daemon?: boolean;
}

/** The pte GUP-fast and the CPU see: present and writable. */
export function pteWritable(c: PageCache): boolean {
  return c.resident(PAGE) === 1 && c.mapped(PAGE) === 1 && c.pteWritable(PAGE) === 1;
}

/** lock_page as a step: BLOCKED while another task holds PG_locked, else take it and go to `next`. */
export function lockPage(c: PageCache, r: Int32Array, o: number, next: number, label: number): number {
  if (!c.trylockPage(PAGE)) return BLOCKED;
  r[o] = next;
  return label;
}
