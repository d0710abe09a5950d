/**
 * truncate_inode_pages over the file (mm/truncate.c): lock_page, wait for writeback,
 * truncate_inode_folio, unlock_page.
 */
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl } from "../scenario.js";
import { BLOCKED, DONE, PAGE, lockPage, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";

const TRUNCATE_STEP = { LOCK: 1, TRUNCATE: 2, UNLOCK: 3 } as const;
type TruncatePc = (typeof TRUNCATE_STEP)[keyof typeof TRUNCATE_STEP];
// Registers: 0 pc.
const TRUNCATE_LABEL = {
  NO_PAGE: defineLabel("no page: i_size only"),
  LOCK: defineLabel("lock_page"),
  FREED: defineLabel("truncate_inode_folio: freed"),
  HELD: defineLabel("truncate_inode_folio: held"),
  UNLOCK: defineLabel("unlock_page"),
};

/** lock_page; without a page in the cache only i_size changes (the inode is clean). */
function lock(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (c.resident(PAGE) && c.attached(PAGE)) return lockPage(c, r, o, TRUNCATE_STEP.TRUNCATE, TRUNCATE_LABEL.LOCK);
  r[o] = DONE;
  c.inodeDirty[0] = 0;
  return TRUNCATE_LABEL.NO_PAGE;
}

/** folio_wait_writeback, then truncate_inode_folio: a page nobody else holds is freed, its lock with it. */
function truncate(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (c.writeback(PAGE)) return BLOCKED;
  c.truncatePage(PAGE);
  c.inodeDirty[0] = 0;
  if (!c.resident(PAGE)) {
    c.unlockPage(PAGE);
    r[o] = DONE;
    return TRUNCATE_LABEL.FREED;
  }
  r[o] = TRUNCATE_STEP.UNLOCK;
  return TRUNCATE_LABEL.HELD;
}

const STEPS: StepTable<TruncatePc> = {
  [TRUNCATE_STEP.LOCK]: {
    footprint: packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK | PAGE_VAR.DIRTY),
    next: [TRUNCATE_STEP.TRUNCATE, DONE],
    run: lock,
  },
  [TRUNCATE_STEP.TRUNCATE]: { footprint: EVERYTHING, next: [TRUNCATE_STEP.UNLOCK, DONE], run: truncate },
  [TRUNCATE_STEP.UNLOCK]: {
    footprint: packFootprint(0, PAGE_VAR.LOCK),
    next: [DONE],
    run: (ctx, r, o) => {
      ctx.cache.unlockPage(PAGE);
      r[o] = DONE;
      return TRUNCATE_LABEL.UNLOCK;
    },
  },
};

const PROGRAM = new Program("truncate", STEPS);

/** truncate_inode_pages over the file. */
export class Truncate extends TableActor {
  /** Registers: pc. */
  readonly size = 1;

  /** @param decl the `Actor` line (the lane: `P3 truncate`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} truncate`);
  }

  /** Starts at lock_page; anonymous memory has no file to truncate (done at once). */
  init(r: Int32Array, o: number, ctx: StepContext): void {
    r[o] = ctx.env.anonymous ? DONE : TRUNCATE_STEP.LOCK;
  }
}
