/**
 * The flusher (docs/model.md#the-flushers): `passes` runs of write_cache_pages over the
 * page (mm/page-writeback.c; WB_SYNC_NONE for kupdate and background writeback,
 * WB_SYNC_ALL for fsync and sync, each pass its own mode), cut where the kernel can be
 * interrupted: lock_page, the checks, then one page's writeback (writeback.ts):
 * clear_page_dirty_for_io (page_mkclean, the policy's decision and TestClearPageDirty),
 * ->writepage, set_page_writeback, unlock_page, [the block layer's bounce],
 * end_page_writeback.
 */
import { PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl, ActorSpec, FlusherActor } from "../scenario.js";
import { BLOCKED, DONE, PAGE, lockPage, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";
import {
  DECISION_REG,
  WRITEBACK_STEP,
  writeCachePageSteps,
  writesBack,
  type WritebackExit,
  type WritebackPc,
} from "./writeback.js";

/** The flusher's own steps; the writeback's follow at WRITEBACK_STEP. */
const FLUSH_STEP = { LOCK: 1, CHECK: 2 } as const;
/** A pc of the flusher's own steps. */
type FlushPc = (typeof FLUSH_STEP)[keyof typeof FLUSH_STEP];
// Registers: 0 pc, 1 passes left, 2 the policy's writeback decision (WritebackDecision bits,
// DECISION_REG), 3 which passes are WB_SYNC_ALL (bit i: pass i), 4 passes in all.

const FLUSH_LABEL = {
  NO_PAGE: defineLabel("no page: pass ends"),
  LOCK: defineLabel("lock_page"),
  TRUNCATED: defineLabel("truncated: unlock_page"),
  CLEAN: defineLabel("clean: unlock_page"),
  UNDER_WB: defineLabel("PG_writeback: unlock_page"),
  WRITE: defineLabel("PageDirty: write"),
  SKIP: defineLabel("pinned: skip, unlock_page"),
};

/** The pass ends: the next one starts over at lock_page, or the flusher is done. */
function endPass(r: Int32Array, o: number): void {
  r[o + DECISION_REG] = 0;
  r[o + 1]--;
  r[o] = r[o + 1] > 0 ? FLUSH_STEP.LOCK : DONE;
}

/** This pass is WB_SYNC_ALL. */
function syncPass(r: Int32Array, o: number): boolean {
  return ((r[o + 3] >> (r[o + 4] - r[o + 1])) & 1) === 1;
}

/** Every way out of a pass ends it (after unlock_page where the page is still locked). */
const PASS_ENDS: WritebackExit<FlushPc | typeof DONE> = {
  go: (_c, r, o) => endPass(r, o),
  next: [FLUSH_STEP.LOCK, DONE],
};
const UNLOCK_PASS_ENDS: WritebackExit<FlushPc | typeof DONE> = {
  go: (c, r, o) => (c.unlockPage(PAGE), endPass(r, o)),
  next: PASS_ENDS.next,
};

/** lock_page on the page of the pass (none left: the pass ends). */
function lock(ctx: StepContext, r: Int32Array, o: number): number {
  if (ctx.cache.resident(PAGE)) return lockPage(ctx.cache, r, o, FLUSH_STEP.CHECK, FLUSH_LABEL.LOCK);
  endPass(r, o);
  return FLUSH_LABEL.NO_PAGE;
}

/**
 * write_cache_pages's checks: skip if truncated or clean; under writeback skip
 * (WB_SYNC_NONE) or wait for it (WB_SYNC_ALL, with the page locked: folio_wait_writeback).
 */
function check(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.attached(PAGE) || !c.dirty(PAGE) || (c.writeback(PAGE) && !syncPass(r, o))) {
    const why = !c.attached(PAGE) ? FLUSH_LABEL.TRUNCATED : !c.dirty(PAGE) ? FLUSH_LABEL.CLEAN : FLUSH_LABEL.UNDER_WB;
    UNLOCK_PASS_ENDS.go(c, r, o);
    return why;
  }
  if (c.writeback(PAGE)) return BLOCKED;
  r[o] = WRITEBACK_STEP.MKCLEAN;
  return FLUSH_LABEL.WRITE;
}

const LOCK_FP = packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK);

const STEPS: StepTable<FlushPc | WritebackPc> = {
  [FLUSH_STEP.LOCK]: {
    footprint: LOCK_FP,
    now: (ctx) => (ctx.cache.resident(PAGE) ? LOCK_FP : packFootprint(PAGE_VAR.MAP, 0)),
    next: [FLUSH_STEP.CHECK, ...PASS_ENDS.next],
    run: lock,
  },
  [FLUSH_STEP.CHECK]: {
    footprint: packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.LOCK, PAGE_VAR.LOCK),
    next: [WRITEBACK_STEP.MKCLEAN, ...PASS_ENDS.next],
    run: check,
  },
  // write_cache_pages's use of the shared writeback steps: every way out ends the pass.
  ...writeCachePageSteps({
    sync: syncPass,
    skip: PASS_ENDS,
    skipLabel: FLUSH_LABEL.SKIP,
    drop: UNLOCK_PASS_ENDS,
    done: PASS_ENDS,
  }),
};

const PROGRAM = new Program("flusher", STEPS);

/** The flusher: `passes` runs of write_cache_pages over the page, each WB_SYNC_NONE or WB_SYNC_ALL. */
export class Flusher extends TableActor {
  /** Registers: pc, passes left, the policy's decision, the WB_SYNC_ALL passes (bit i: pass i), passes in all. */
  readonly size = 5;

  /** @param decl the `Actor` line (its `sync` alternatives name the lane: `P1 WB_SYNC_NONE|ALL`) */
  constructor(decl: ActorDecl) {
    const modes = (decl.options.get("sync") ?? ["none"]).map((m) => String(m).toUpperCase());
    super(PROGRAM, decl.name, `${decl.name} WB_SYNC_${modes.join("|")}`);
  }

  /** The passes and their modes; on tmpfs and hugetlbfs there is nothing to write back. */
  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as FlusherActor;
    r[o] = writesBack(ctx) ? FLUSH_STEP.LOCK : DONE;
    r[o + 1] = r[o + 4] = s.passes;
    r[o + 3] = s.syncAll.reduce((m, all, i) => m | (all ? 1 << i : 0), 0);
  }
}
