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
import { BLOCKED, DONE, PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";
import {
  DECISION_REG,
  WRITEBACK_FP,
  bioBounceStep,
  decideStep,
  endStep,
  mkclean,
  setWriteback,
  unlockSubmit,
  unlockSubmitNext,
  writepageStep,
  writesBack,
  type WritebackExit,
  type WritebackPlan,
} from "./writeback.js";

const FLUSH_STEP = {
  LOCK: 1,
  CHECK: 2,
  MKCLEAN: 3,
  DECIDE: 4,
  WRITEPAGE: 5,
  SET_WB: 6,
  UNLOCK: 7,
  BIO_BOUNCE: 8,
  END: 9,
} as const;
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
  MKCLEAN: defineLabel("page_mkclean"),
  SKIP: defineLabel("pinned: skip, unlock_page"),
  SET_WB: defineLabel("set_page_writeback"),
  SET_WB_BOUNCE: defineLabel("bounce, set_page_writeback"),
  UNLOCK: defineLabel("unlock_page"),
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

const PASS_ENDS: WritebackExit<FlushPc | typeof DONE> = {
  go: (_c, r, o) => endPass(r, o),
  next: [FLUSH_STEP.LOCK, DONE],
};
const UNLOCK_PASS_ENDS: WritebackExit<FlushPc | typeof DONE> = {
  go: (c, r, o) => (c.unlockPage(PAGE), endPass(r, o)),
  next: PASS_ENDS.next,
};

/** write_cache_pages's use of the shared writeback steps: every way out ends the pass. */
const PLAN: WritebackPlan<FlushPc | typeof DONE> = {
  pc: FLUSH_STEP,
  sync: syncPass,
  skip: PASS_ENDS,
  skipLabel: FLUSH_LABEL.SKIP,
  drop: UNLOCK_PASS_ENDS,
  done: PASS_ENDS,
};

/** lock_page on the page of the pass (none left: the pass ends). */
function lock(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.resident[PAGE]) {
    endPass(r, o);
    return FLUSH_LABEL.NO_PAGE;
  }
  if (!c.trylockPage(PAGE)) return BLOCKED;
  r[o] = FLUSH_STEP.CHECK;
  return FLUSH_LABEL.LOCK;
}

/**
 * write_cache_pages's checks: skip if truncated or clean; under writeback skip
 * (WB_SYNC_NONE) or wait for it (WB_SYNC_ALL, with the page locked: folio_wait_writeback).
 */
function check(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.attached[PAGE] || !c.dirty[PAGE] || (c.writeback[PAGE] && !syncPass(r, o))) {
    const why = !c.attached[PAGE] ? FLUSH_LABEL.TRUNCATED : !c.dirty[PAGE] ? FLUSH_LABEL.CLEAN : FLUSH_LABEL.UNDER_WB;
    UNLOCK_PASS_ENDS.go(c, r, o);
    return why;
  }
  if (c.writeback[PAGE]) return BLOCKED;
  r[o] = FLUSH_STEP.MKCLEAN;
  return FLUSH_LABEL.WRITE;
}

const LOCK_FP = packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK);

const STEPS: StepTable<FlushPc> = {
  [FLUSH_STEP.LOCK]: {
    footprint: LOCK_FP,
    now: (ctx) => (ctx.cache.resident[PAGE] ? LOCK_FP : packFootprint(PAGE_VAR.MAP, 0)),
    next: [FLUSH_STEP.CHECK, ...PASS_ENDS.next],
    run: lock,
  },
  [FLUSH_STEP.CHECK]: {
    footprint: packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.LOCK, PAGE_VAR.LOCK),
    next: [FLUSH_STEP.MKCLEAN, ...PASS_ENDS.next],
    run: check,
  },
  [FLUSH_STEP.MKCLEAN]: {
    footprint: WRITEBACK_FP.mkclean,
    next: [FLUSH_STEP.DECIDE],
    run: (ctx, r, o) => (mkclean(ctx.cache, r, o, PLAN), FLUSH_LABEL.MKCLEAN),
  },
  [FLUSH_STEP.DECIDE]: decideStep(PLAN),
  [FLUSH_STEP.WRITEPAGE]: writepageStep(PLAN, FLUSH_STEP.SET_WB),
  [FLUSH_STEP.SET_WB]: {
    footprint: WRITEBACK_FP.setWb,
    next: [FLUSH_STEP.UNLOCK],
    run: (ctx, r, o) => {
      const bounce = setWriteback(ctx.cache, r, o);
      r[o] = FLUSH_STEP.UNLOCK;
      return bounce ? FLUSH_LABEL.SET_WB_BOUNCE : FLUSH_LABEL.SET_WB;
    },
  },
  [FLUSH_STEP.UNLOCK]: {
    footprint: WRITEBACK_FP.unlockSubmit,
    next: unlockSubmitNext(PLAN),
    run: (ctx, r, o) => (unlockSubmit(ctx, r, o, PLAN), FLUSH_LABEL.UNLOCK),
  },
  [FLUSH_STEP.BIO_BOUNCE]: bioBounceStep(PLAN),
  [FLUSH_STEP.END]: endStep(PLAN),
};

const PROGRAM = new Program("flusher", STEPS);

/** The flusher: `passes` runs of write_cache_pages over the page, each WB_SYNC_NONE or WB_SYNC_ALL. */
export class Flusher extends TableActor {
  /** Registers: pc, passes left, the policy's decision, the WB_SYNC_ALL passes (bit i: pass i), passes in all. */
  readonly size = 5;
  /** The actor's name (`P1`). */
  readonly name: string;
  /** Lane header: `P1 WB_SYNC_NONE|ALL`. */
  readonly title: string;

  /** @param decl the `Actor` line (its `sync` alternatives name the title) */
  constructor(decl: ActorDecl) {
    super(PROGRAM);
    this.name = decl.name;
    const modes = (decl.options.get("sync") ?? ["none"]).map((m) => String(m).toUpperCase());
    this.title = `${decl.name} WB_SYNC_${modes.join("|")}`;
  }

  /** The passes and their modes; on tmpfs and hugetlbfs there is nothing to write back. */
  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as FlusherActor;
    r[o] = writesBack(ctx) ? FLUSH_STEP.LOCK : DONE;
    r[o + 1] = r[o + 4] = s.passes;
    r[o + 3] = s.syncAll.reduce((m, all, i) => m | (all ? 1 << i : 0), 0);
  }
}
