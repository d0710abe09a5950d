/**
 * The block layer's completion of a submitted bio as its own actor (`io`):
 * end_page_writeback whenever a bio is queued (writeback.ts submit). With it the flusher
 * ends its pass, and reclaim goes on to its next pass, right after submit_bio, as the
 * kernel does; without it each completes its own I/O as its next step.
 */
import { PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl } from "../scenario.js";
import { BLOCKED, PAGE } from "./actor.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";

const IO_STEP = { IDLE: 1 } as const;
type IoPc = (typeof IO_STEP)[keyof typeof IO_STEP];
// Registers: 0 pc (always IDLE), 1 a submitted bio waits for completion (the queue, StepContext.ioQueue).
const IO_LABEL = { END: defineLabel("bio completion: end_page_writeback") };

const STEPS: StepTable<IoPc> = {
  [IO_STEP.IDLE]: {
    footprint: packFootprint(PAGE_VAR.IOQ | PAGE_VAR.WB, PAGE_VAR.IOQ | PAGE_VAR.WB | PAGE_VAR.DISK),
    next: [IO_STEP.IDLE],
    run: (ctx, r, o) => {
      if (r[o + 1] === 0 || !ctx.cache.writeback(PAGE)) return BLOCKED;
      ctx.cache.endPageWriteback(PAGE);
      r[o + 1] = 0;
      return IO_LABEL.END;
    },
  },
};

const PROGRAM = new Program("io", STEPS);

/** The I/O completion: never finishes; a state where only it is left, with no bio queued, is an end state. */
export class IoCompletion extends TableActor {
  /** Registers: pc, the queue. */
  readonly size = 2;
  /** A daemon: never done. */
  override readonly daemon = true;

  /** @param decl the `Actor` line (the lane: `P3 I/O completion`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} I/O completion`);
  }

  /** Idle, no bio queued. */
  init(r: Int32Array, o: number): void {
    r[o] = IO_STEP.IDLE;
  }
}
