/**
 * fork() of the process that maps the page (kernel/fork.c dup_mmap -> mm/memory.c
 * copy_page_range -> copy_present_pte), then the child: it exits (exit_mmap), writes the
 * page (its own do_wp_page), or keeps sharing it to the end. The rule per release is
 * src/model/anon.ts copyPresentPte: shared copy-on-write before 5.9; copied at once from
 * 5.9 when the mm has MMF_HAS_PINNED and folio_maybe_dma_pinned says yes. copy_page_range
 * invalidates the COW range for the MMU notifiers first (MMU_NOTIFY_PROTECTION_PAGE, v5.2):
 * copyPresentPte bumps notifierSeq, so a mirroring device (mmu-notifier) refaults.
 */
import { EVERYTHING } from "../footprint.js";
import { FORK, WP, childUnmap, childWriteFault, childWriteWaits, copyPresentPte } from "../../model/anon.js";
import { METRIC } from "../../model/metrics.js";
import type { ActorDecl, ActorSpec, ForkActor } from "../scenario.js";
import { BLOCKED, DONE, PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";

const FORK_STEP = { FORK: 1, CHILD: 2 } as const;
type ForkPc = (typeof FORK_STEP)[keyof typeof FORK_STEP];
// Registers: 0 pc, 1 the child shares the page, 2 what the child does (CHILD_MODE).
const CHILD_MODE = { exit: 0, write: 1, stay: 2 } as const;

const FORK_LABEL = {
  NO_ANON: defineLabel("copy_page_range: no anon_vma, the child faults later"),
  NONE: defineLabel("copy_present_pte: not present, nothing shared"),
  SHARED: defineLabel("copy_present_pte: shared COW, both ptes RO"),
  COPIED: defineLabel("copy_present_page: maybe pinned, the child gets a copy"),
  EXIT: defineLabel("child exit_mmap"),
  CHILD_REUSE: defineLabel("child write fault: reuse"),
  CHILD_COPY: defineLabel("child write fault: COW copy"),
};

/** copy_page_range over the page: one fork, its copy_present_pte. */
function fork(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  c.count(METRIC.forks);
  if (!ctx.env.anonymous) {
    // A file mapping without anonymous pages: vma_needs_copy is false, no pte is copied.
    r[o] = DONE;
    return FORK_LABEL.NO_ANON;
  }
  const did = copyPresentPte(c, PAGE);
  r[o + 1] = did === FORK.SHARED ? 1 : 0;
  r[o] = r[o + 1] && r[o + 2] !== CHILD_MODE.stay ? FORK_STEP.CHILD : DONE;
  return did === FORK.SHARED ? FORK_LABEL.SHARED : did === FORK.COPIED ? FORK_LABEL.COPIED : FORK_LABEL.NONE;
}

/** The child leaves the page: exit_mmap, or a write fault (after the page lock it may wait for; childWriteFault) that reuses it (it is the child's now) or copies. */
function child(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (r[o + 2] === CHILD_MODE.write && childWriteWaits(c, PAGE)) return BLOCKED;
  r[o] = DONE;
  r[o + 1] = 0;
  if (r[o + 2] === CHILD_MODE.exit) {
    childUnmap(c, PAGE);
    return FORK_LABEL.EXIT;
  }
  if (childWriteFault(c, PAGE) === WP.COPIED) return FORK_LABEL.CHILD_COPY;
  c.cpuStore(PAGE); // the child's store lands in the page it now owns
  return FORK_LABEL.CHILD_REUSE;
}

const STEPS: StepTable<ForkPc> = {
  [FORK_STEP.FORK]: { footprint: EVERYTHING, next: [FORK_STEP.CHILD, DONE], run: fork },
  [FORK_STEP.CHILD]: { footprint: EVERYTHING, next: [DONE], run: child },
};

const PROGRAM = new Program("fork", STEPS);

/** A fork of the owner's mm, and its child's exit, write or stay. */
export class Fork extends TableActor {
  /** Registers: pc, the child shares the page, the child's mode. */
  readonly size = 3;

  /** @param decl the `Actor` line (the lane: `P1 fork, child exit`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} fork, child ${(decl.options.get("child") ?? ["exit"]).join("|")}`);
  }

  /** Starts at the fork. */
  init(r: Int32Array, o: number, _ctx: StepContext, spec: ActorSpec): void {
    r[o] = FORK_STEP.FORK;
    r[o + 1] = 0;
    r[o + 2] = CHILD_MODE[(spec as ForkActor).child];
  }
}
