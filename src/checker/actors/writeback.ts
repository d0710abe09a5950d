/**
 * One page's writeback as steps shared by the flusher (write_cache_pages) and reclaim
 * (shrink_folio_list → pageout): clear_page_dirty_for_io in its two halves (page_mkclean,
 * then the policy's writebackDecision and TestClearPageDirty), ->writepage's check for
 * buffers, set_page_writeback, unlock_page and submit_bio (to the `io` actor when there
 * is one), the block layer's bounce, end_page_writeback. Written once here; each actor
 * says only where its own path goes when the page is not written, dropped, or submitted
 * (a WritebackPlan), so both run the same kernel steps with the same footprints.
 */
import { BACKING_PROFILES } from "../../model/backings.js";
import type { PageCache } from "../../model/page-cache.js";
import { WritebackDecision } from "../../model/policy.js";
import { PAGE_VAR, packFootprint } from "../footprint.js";
import { PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import type { Step } from "./program.js";

/** The register in which both writing actors keep the policy's WritebackDecision bits. */
export const DECISION_REG = 2;

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
  CLEARED: defineLabel("TestClearPageDirty"),
  KEPT: defineLabel("pinned: keep PG_dirty"),
  DROP: defineLabel("->writepage: no buffers, drop"),
  WRITEPAGE: defineLabel("->writepage"),
  BUG: defineLabel("->writepage: no buffers, BUG"),
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

/** A writing actor's use of the shared steps: their pcs in its program, and its exits. */
export interface WritebackPlan<Pc extends number> {
  /** The pcs of the shared steps in the actor's program. */
  readonly pc: { readonly DECIDE: Pc; readonly WRITEPAGE: Pc; readonly BIO_BOUNCE: Pc; readonly END: Pc };
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
  return !ctx.coverage || BACKING_PROFILES[ctx.coverage.backing].writesBack;
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
export function mkclean<Pc extends number>(c: PageCache, r: Int32Array, o: number, plan: WritebackPlan<Pc>): void {
  c.pageMkclean(PAGE);
  r[o] = plan.pc.DECIDE;
}

/**
 * clear_page_dirty_for_io's second half (PageCache.testClearPageDirtyForIo): the policy's
 * writebackDecision, then TestClearPageDirty if it lets the page clear. A decision not to
 * write unlocks the page and takes the plan's skip.
 */
export function decideStep<Pc extends number>(plan: WritebackPlan<Pc>): Step<Pc> {
  return {
    footprint: WRITEBACK_FP.decide,
    next: [plan.pc.WRITEPAGE, ...plan.skip.next],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      const d = c.testClearPageDirtyForIo(PAGE, plan.sync(r, o));
      r[o + DECISION_REG] = d;
      if (!(d & WritebackDecision.WRITE)) {
        c.unlockPage(PAGE);
        plan.skip.go(c, r, o);
        return plan.skipLabel;
      }
      r[o] = plan.pc.WRITEPAGE;
      return d & WritebackDecision.CLEAR ? LABEL.CLEARED : LABEL.KEPT;
    },
  };
}

/**
 * ->writepage's check for buffers (ext4's "no buffers" path drops the page; before v5.18
 * it hit the BUG in page_buffers), then `setWb` next. xfs and tmpfs need no private data.
 */
export function writepageStep<Pc extends number>(plan: WritebackPlan<Pc>, setWb: Pc): Step<Pc> {
  return {
    footprint: WRITEBACK_FP.writepage,
    next: [setWb, ...plan.drop.next],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      if (!c.writepageHasBuffers(PAGE)) {
        plan.drop.go(c, r, o);
        return LABEL.DROP;
      }
      r[o] = setWb;
      return c.buffers[PAGE] || c.privateData === "none" ? LABEL.WRITEPAGE : LABEL.BUG;
    },
  };
}

/** set_page_writeback with the decision's bounce; returns whether it bounced. */
export function setWriteback(c: PageCache, r: Int32Array, o: number): boolean {
  const bounce = (r[o + DECISION_REG] & WritebackDecision.BOUNCE) !== 0;
  c.setPageWriteback(PAGE, bounce);
  return bounce;
}

/**
 * unlock_page, then the bio: bounced by the block layer first (BOUNCE_AT_BIO), queued for
 * the `io` actor (the plan's done), or completed by the actor's next step.
 */
export function unlockSubmit<Pc extends number>(
  ctx: StepContext,
  r: Int32Array,
  o: number,
  plan: WritebackPlan<Pc>,
): void {
  ctx.cache.unlockPage(PAGE);
  if (r[o + DECISION_REG] & WritebackDecision.BOUNCE_AT_BIO) r[o] = plan.pc.BIO_BOUNCE;
  else if (!submit(ctx, r)) r[o] = plan.pc.END;
  else plan.done.go(ctx.cache, r, o);
}

/** The pcs unlockSubmit may leave the actor at. */
export function unlockSubmitNext<Pc extends number>(plan: WritebackPlan<Pc>): Pc[] {
  return [plan.pc.BIO_BOUNCE, plan.pc.END, ...plan.done.next];
}

/** The block layer's bounce copy at submit_bio, then the bio queued or completed next. */
export function bioBounceStep<Pc extends number>(plan: WritebackPlan<Pc>): Step<Pc> {
  return {
    footprint: WRITEBACK_FP.bounce,
    next: [plan.pc.END, ...plan.done.next],
    run: (ctx, r, o) => {
      ctx.cache.bounceAtBio(PAGE);
      if (submit(ctx, r)) plan.done.go(ctx.cache, r, o);
      else r[o] = plan.pc.END;
      return LABEL.BIO_BOUNCE;
    },
  };
}

/** end_page_writeback by the submitter itself (no `io` actor), then the plan's done. */
export function endStep<Pc extends number>(plan: WritebackPlan<Pc>): Step<Pc> {
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
