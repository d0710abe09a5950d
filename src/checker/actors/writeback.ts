/**
 * One page's writeback as steps shared by the flusher (write_cache_pages) and reclaim
 * (shrink_folio_list → pageout), mm/page-writeback.c and mm/vmscan.c: clear_page_dirty_for_io
 * in its two halves (page_mkclean, then the policy's writebackDecision and
 * TestClearPageDirty), ->writepage's check for buffers, set_page_writeback, unlock_page
 * and submit_bio (to the `io` actor when there is one), the block layer's bounce,
 * end_page_writeback. Written once here, at the same pcs in both actors (WRITEBACK_STEP);
 * each actor says only where its own path goes when the page is not written, dropped, or
 * submitted (a WritebackPlan).
 */
import type { PageCache } from "../../model/page-cache.js";
import { WritebackDecision } from "../../model/policy.js";
import { PAGE_VAR, packFootprint } from "../footprint.js";
import { PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { withNotifier } from "./notifier.js";
import type { Step, StepRun, StepTable } from "./program.js";

/** The register in which both writing actors keep the policy's WritebackDecision bits. */
export const DECISION_REG = 2;

/**
 * Program counters of the shared steps, the same in every writing actor (after its own,
 * as FAULT_STEP). MKCLEAN and UNLOCK are steps of write_cache_pages only: pageout runs
 * page_mkclean within a step of its own, and its ->writepage unlocks with
 * set_page_writeback.
 */
export const WRITEBACK_STEP = {
  MKCLEAN: 10,
  DECIDE: 11,
  WRITEPAGE: 12,
  SET_WB: 13,
  UNLOCK: 14,
  BIO_BOUNCE: 15,
  END: 16,
  /** page_mkclean resumed after the MMU notifiers its rmap walk ran (withNotifier). */
  MKCLEAN_NOTIFIED: 17,
} as const;
/** A pc of the shared writeback steps. */
export type WritebackPc = (typeof WRITEBACK_STEP)[keyof typeof WRITEBACK_STEP];
/** The pcs of the shared steps pageout has (no page_mkclean step, no unlock step). */
export type PageoutPc = Exclude<
  WritebackPc,
  typeof WRITEBACK_STEP.MKCLEAN | typeof WRITEBACK_STEP.UNLOCK | typeof WRITEBACK_STEP.MKCLEAN_NOTIFIED
>;
const PC = WRITEBACK_STEP;

/** Footprints of the shared steps (PAGE_VAR bits, `reads | writes << 16`). */
export const WRITEBACK_FP = {
  /** page_mkclean: a dirty pte moves into PG_dirty. */
  mkclean: packFootprint(PAGE_VAR.PTE | PAGE_VAR.BUF | PAGE_VAR.MAP | PAGE_VAR.DIRTY, PAGE_VAR.PTE | PAGE_VAR.DIRTY),
  /** The policy's writebackDecision and TestClearPageDirty; may unlock. */
  decide: packFootprint(PAGE_VAR.ALL, PAGE_VAR.DIRTY | PAGE_VAR.LOCK),
  /** ->writepage's check for buffers; may drop the dirty state and unlock. */
  writepage: packFootprint(PAGE_VAR.BUF | PAGE_VAR.DIRTY | PAGE_VAR.MAP, PAGE_VAR.DIRTY | PAGE_VAR.LOCK),
  /** set_page_writeback: the I/O captures the content (a bounce copies it). */
  setWb: packFootprint(PAGE_VAR.MEM | PAGE_VAR.DISK, PAGE_VAR.WB),
  /** unlock_page, then submit_bio (the `io` actor's queue). */
  unlockSubmit: packFootprint(0, PAGE_VAR.LOCK | PAGE_VAR.IOQ),
  /** The block layer's bounce copy at submit_bio, then the bio queued. */
  bounce: packFootprint(PAGE_VAR.MEM, PAGE_VAR.WB | PAGE_VAR.IOQ),
  /** end_page_writeback: the captured version reaches the disk. */
  end: packFootprint(PAGE_VAR.WB, PAGE_VAR.WB | PAGE_VAR.DISK),
} as const;

const LABEL = {
  MKCLEAN: defineLabel("page_mkclean"),
  CLEARED: defineLabel("TestClearPageDirty"),
  KEPT: defineLabel("pinned: keep PG_dirty"),
  DROP: defineLabel("->writepage: no buffers, drop"),
  WRITEPAGE: defineLabel("->writepage"),
  BUG: defineLabel("->writepage: no buffers, BUG"),
  SET_WB: defineLabel("set_page_writeback"),
  SET_WB_BOUNCE: defineLabel("bounce, set_page_writeback"),
  UNLOCK: defineLabel("unlock_page"),
  SET_WB_UNLOCK: defineLabel("set_page_writeback, unlock"),
  BIO_BOUNCE: defineLabel("submit_bio: bounce"),
  END: defineLabel("end_page_writeback"),
};

/** Where a writing actor goes from a point of the shared steps: how it sets its registers, and its possible pcs. */
export interface WritebackExit<Pc extends number> {
  /** Set the registers (and, where the exit says so, drop the page lock). */
  readonly go: (c: PageCache, r: Int32Array, o: number) => void;
  /** The pcs `go` may leave the actor at. */
  readonly next: readonly Pc[];
}

/** A writing actor's use of the shared steps: where its own path goes from them. */
export interface WritebackPlan<Pc extends number> {
  /** This pass is WB_SYNC_ALL (the flusher's pass mode; reclaim's pageout is WB_SYNC_NONE). */
  readonly sync: (r: Int32Array, o: number) => boolean;
  /** The policy's decision writes nothing: after unlock_page. */
  readonly skip: WritebackExit<Pc>;
  /** The label of that skip (`pinned: skip, unlock_page`, `pinned: keep_locked`). */
  readonly skipLabel: number;
  /** ->writepage found no buffers and dropped the page's dirty state, the page still locked. */
  readonly drop: WritebackExit<Pc>;
  /** The bio is submitted to the `io` actor, or its I/O completed. */
  readonly done: WritebackExit<Pc>;
}

/** The backing writes back at all (tmpfs and hugetlbfs do not: their writing actors run nothing). */
export function writesBack(ctx: StepContext): boolean {
  return ctx.env.writesBack;
}

/**
 * submit_bio with an `io` actor: queue the bio for its completion and return true (the
 * submitter moves on); without one, false (the submitter completes the I/O itself).
 */
export function submit(ctx: StepContext, r: Int32Array): boolean {
  if (ctx.ioQueue < 0) return false;
  r[ctx.ioQueue] = 1;
  return true;
}

/** clear_page_dirty_for_io's first half, page_mkclean, with the page locked; the decision is the next step. */
export function mkclean(c: PageCache, r: Int32Array, o: number): void {
  c.pageMkclean(PAGE);
  r[o] = PC.DECIDE;
}

/**
 * clear_page_dirty_for_io's second half (PageCache.testClearPageDirtyForIo): the policy's
 * writebackDecision, then TestClearPageDirty if it lets the page clear. A decision not to
 * write unlocks the page and takes the plan's skip.
 */
function decide(plan: WritebackPlan<number>): Step {
  return {
    footprint: WRITEBACK_FP.decide,
    next: [PC.WRITEPAGE, ...plan.skip.next],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      const d = c.testClearPageDirtyForIo(PAGE, plan.sync(r, o));
      r[o + DECISION_REG] = d;
      if (!(d & WritebackDecision.WRITE)) {
        c.unlockPage(PAGE);
        plan.skip.go(c, r, o);
        return plan.skipLabel;
      }
      r[o] = PC.WRITEPAGE;
      return d & WritebackDecision.CLEAR ? LABEL.CLEARED : LABEL.KEPT;
    },
  };
}

/**
 * ->writepage's check for buffers (ext4's "no buffers" path drops the page; before v5.18
 * it hit the BUG in page_buffers), then set_page_writeback next. xfs and tmpfs need no
 * private data.
 */
function writepage(plan: WritebackPlan<number>): Step {
  return {
    footprint: WRITEBACK_FP.writepage,
    next: [PC.SET_WB, ...plan.drop.next],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      if (!c.writepageHasBuffers(PAGE)) {
        plan.drop.go(c, r, o);
        return LABEL.DROP;
      }
      r[o] = PC.SET_WB;
      return c.buffers(PAGE) || c.privateData === "none" ? LABEL.WRITEPAGE : LABEL.BUG;
    },
  };
}

/** set_page_writeback with the decision's bounce; returns whether it bounced. */
function setWriteback(c: PageCache, r: Int32Array, o: number): boolean {
  const bounce = (r[o + DECISION_REG] & WritebackDecision.BOUNCE) !== 0;
  c.setPageWriteback(PAGE, bounce);
  return bounce;
}

/**
 * unlock_page, then the bio: bounced by the block layer first (BOUNCE_AT_BIO), queued for
 * the `io` actor (the plan's done), or completed by the actor's next step.
 */
function unlockSubmit(ctx: StepContext, r: Int32Array, o: number, plan: WritebackPlan<number>): void {
  ctx.cache.unlockPage(PAGE);
  if (r[o + DECISION_REG] & WritebackDecision.BOUNCE_AT_BIO) r[o] = PC.BIO_BOUNCE;
  else if (!submit(ctx, r)) r[o] = PC.END;
  else plan.done.go(ctx.cache, r, o);
}

/** The pcs unlockSubmit may leave the actor at. */
const submitted = (plan: WritebackPlan<number>): number[] => [PC.BIO_BOUNCE, PC.END, ...plan.done.next];

/** The block layer's bounce copy at submit_bio, then the bio queued or completed next. */
function bioBounce(plan: WritebackPlan<number>): Step {
  return {
    footprint: WRITEBACK_FP.bounce,
    next: [PC.END, ...plan.done.next],
    run: (ctx, r, o) => {
      ctx.cache.bounceAtBio(PAGE);
      if (submit(ctx, r)) plan.done.go(ctx.cache, r, o);
      else r[o] = PC.END;
      return LABEL.BIO_BOUNCE;
    },
  };
}

/** end_page_writeback by the submitter itself (no `io` actor), then the plan's done. */
function end(plan: WritebackPlan<number>): Step {
  return {
    footprint: WRITEBACK_FP.end,
    next: plan.done.next,
    run: (ctx, r, o) => {
      ctx.cache.endPageWriteback(PAGE);
      plan.done.go(ctx.cache, r, o);
      return LABEL.END;
    },
  };
}

/** The steps both writing actors run: the decision, ->writepage, the bounce, end_page_writeback. */
function commonSteps(plan: WritebackPlan<number>): Record<number, Step> {
  return {
    [PC.DECIDE]: decide(plan),
    [PC.WRITEPAGE]: writepage(plan),
    [PC.BIO_BOUNCE]: bioBounce(plan),
    [PC.END]: end(plan),
  };
}

/**
 * The shared steps as write_cache_pages runs them (the flusher): page_mkclean, the
 * decision, ->writepage, set_page_writeback, unlock_page and submit_bio as the next step,
 * the bounce, end_page_writeback; entries of the actor's step table at WRITEBACK_STEP.
 */
export function writeCachePageSteps<Pc extends number>(
  plan: WritebackPlan<Pc>,
): StepTable<WritebackPc, Pc | WritebackPc> {
  const p = plan as WritebackPlan<number>;
  // folio_mkclean's rmap walk runs the MMU notifiers of each mapping first (page_mkclean_one),
  // with the page locked.
  const mk = withNotifier<number>(
    {
      footprint: WRITEBACK_FP.mkclean,
      next: [PC.DECIDE],
      run: (ctx, r, o) => (mkclean(ctx.cache, r, o), LABEL.MKCLEAN),
    },
    PC.MKCLEAN_NOTIFIED,
    true,
  );
  const steps: Record<number, Step> = {
    ...commonSteps(p),
    [PC.MKCLEAN]: mk.fire,
    [PC.MKCLEAN_NOTIFIED]: mk.wait,
    [PC.SET_WB]: {
      footprint: WRITEBACK_FP.setWb,
      next: [PC.UNLOCK],
      run: (ctx, r, o) => {
        const bounce = setWriteback(ctx.cache, r, o);
        r[o] = PC.UNLOCK;
        return bounce ? LABEL.SET_WB_BOUNCE : LABEL.SET_WB;
      },
    },
    [PC.UNLOCK]: {
      footprint: WRITEBACK_FP.unlockSubmit,
      next: submitted(p),
      run: (ctx, r, o) => (unlockSubmit(ctx, r, o, p), LABEL.UNLOCK),
    },
  };
  return steps as StepTable<WritebackPc, Pc | WritebackPc>;
}

/**
 * The shared steps as pageout runs them (reclaim), after its own step's page_mkclean:
 * the decision, ->writepage, set_page_writeback with unlock_page and submit_bio in the
 * same step (->writepage unlocks the page), the bounce, end_page_writeback.
 */
export function pageoutSteps<Pc extends number>(plan: WritebackPlan<Pc>): StepTable<PageoutPc, Pc | PageoutPc> {
  const p = plan as WritebackPlan<number>;
  const run: StepRun = (ctx, r, o) => (setWriteback(ctx.cache, r, o), unlockSubmit(ctx, r, o, p), LABEL.SET_WB_UNLOCK);
  const steps: Record<number, Step> = {
    ...commonSteps(p),
    [PC.SET_WB]: { footprint: WRITEBACK_FP.setWb | WRITEBACK_FP.unlockSubmit, next: submitted(p), run },
  };
  return steps as StepTable<PageoutPc, Pc | PageoutPc>;
}
