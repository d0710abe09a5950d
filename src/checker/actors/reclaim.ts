/**
 * Memory pressure (docs/model.md#reclaim): shrink_folio_list over the page (mm/vmscan.c).
 * trylock_page, try_to_unmap, the reclaim guard (folio_maybe_dma_pinned →
 * activate_locked), pageout if dirty and freeable (is_page_cache_freeable; a held dirty
 * page is kept) through one page's writeback (writeback.ts), whose ->writepage unlocks;
 * the next pass continues after the I/O; try_to_release_page (frees the buffers of a
 * clean page), __remove_mapping (evicts only if nobody else holds the page).
 */
import type { PageCache } from "../../model/page-cache.js";
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl } from "../scenario.js";
import { DONE, PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { withNotifier } from "./notifier.js";
import { Program, TableActor, type StepTable } from "./program.js";
import { SWAP_STEP, SWAP_STEPS, type SwapPc } from "./swap.js";
import {
  DECISION_REG,
  WRITEBACK_STEP,
  mkclean,
  pageoutSteps,
  writesBack,
  type PageoutPc,
  type WritebackPlan,
} from "./writeback.js";

/** Reclaim's own steps; pageout's writeback follows at WRITEBACK_STEP. */
const RECLAIM_STEP = { TRYLOCK: 1, UNMAP: 2, GUARD: 3, CONTINUE: 4, REMOVE: 5, UNMAP_NOTIFIED: 6 } as const;
/** A pc of reclaim's own steps. */
type ReclaimPc = (typeof RECLAIM_STEP)[keyof typeof RECLAIM_STEP];
// Registers: 0 pc, 1 second pass (after pageout's I/O), 2 the policy's writeback decision (DECISION_REG).

const RECLAIM_LABEL = {
  NOT_LRU: defineLabel("not on the LRU"),
  BUSY: defineLabel("trylock_page: busy"),
  UNDER_WB: defineLabel("PG_writeback: skip"),
  TRYLOCK: defineLabel("trylock_page"),
  TRYLOCK_AGAIN: defineLabel("trylock_page (again)"),
  UNMAP: defineLabel("try_to_unmap"),
  GUARD_KEEP: defineLabel("folio_maybe_dma_pinned: activate"),
  GUARD_NO: defineLabel("folio_maybe_dma_pinned: no"),
  REDIRTIED: defineLabel("redirtied: keep"),
  HELD: defineLabel("is_page_cache_freeable: no, keep"),
  NO_WRITEPAGE: defineLabel("pageout: no ->writepage, activate"),
  MKCLEAN: defineLabel("pageout: page_mkclean"),
  RELEASE_BUSY: defineLabel("try_to_release_page: busy, activate"),
  RELEASE: defineLabel("try_to_release_page"),
  KEEP_LOCKED: defineLabel("pinned: keep_locked"),
  EVICTED: defineLabel("__remove_mapping: evicted"),
  HELD_REMOVE: defineLabel("__remove_mapping: held"),
};

/** Reclaim is done with the page (it was locked: unlock_page first). */
function stop(c: PageCache, r: Int32Array, o: number, unlock: boolean): void {
  if (unlock) c.unlockPage(PAGE);
  r[o] = DONE;
  r[o + 1] = r[o + DECISION_REG] = 0;
}

/** pageout's use of the shared writeback steps: a skip keeps the page, a drop evicts it, the I/O leads to the next pass. */
const PLAN: WritebackPlan<ReclaimPc | typeof DONE> = {
  sync: () => false,
  skip: { go: (c, r, o) => stop(c, r, o, false), next: [DONE] },
  skipLabel: RECLAIM_LABEL.KEEP_LOCKED,
  // ext4 dropped the page's dirty state: nothing stops the eviction now.
  drop: { go: (_c, r, o) => ((r[o + DECISION_REG] = 0), (r[o] = RECLAIM_STEP.REMOVE)), next: [RECLAIM_STEP.REMOVE] },
  // The next shrink pass over the page, after pageout (its I/O completed or, with an `io` actor, submitted).
  done: {
    go: (_c, r, o) => ((r[o] = RECLAIM_STEP.TRYLOCK), (r[o + 1] = 1), (r[o + DECISION_REG] = 0)),
    next: [RECLAIM_STEP.TRYLOCK],
  },
};

/** shrink_folio_list takes the page: off the LRU, busy or under writeback it stops; else trylock_page. */
function trylock(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.resident(PAGE) || !c.attached(PAGE)) {
    stop(c, r, o, false);
    return RECLAIM_LABEL.NOT_LRU;
  }
  if (c.locked(PAGE) || c.writeback(PAGE)) {
    stop(c, r, o, false);
    return c.locked(PAGE) ? RECLAIM_LABEL.BUSY : RECLAIM_LABEL.UNDER_WB;
  }
  c.trylockPage(PAGE);
  r[o] = RECLAIM_STEP.UNMAP;
  return r[o + 1] === 1 ? RECLAIM_LABEL.TRYLOCK_AGAIN : RECLAIM_LABEL.TRYLOCK;
}

/** After try_to_unmap (and the guard): pageout a dirty freeable page, or free a clean one's buffers. */
function continueAfterUnmap(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (c.dirty(PAGE)) {
    if (r[o + 1] === 1) {
      stop(c, r, o, true);
      return RECLAIM_LABEL.REDIRTIED;
    }
    if (!c.isPageCacheFreeable(PAGE)) {
      // pageout() never writes a page someone else holds: PAGE_KEEP.
      stop(c, r, o, true);
      return RECLAIM_LABEL.HELD;
    }
    if (!ctx.env.reclaimWrites) {
      // No ->writepage (ext4 from v6.2, every filesystem from v6.16): PAGE_ACTIVATE, the page stays dirty.
      stop(c, r, o, true);
      return RECLAIM_LABEL.NO_WRITEPAGE;
    }
    // pageout: clear_page_dirty_for_io starts with page_mkclean.
    mkclean(c, r, o);
    return RECLAIM_LABEL.MKCLEAN;
  }
  if (!c.tryToReleasePage(PAGE)) {
    stop(c, r, o, true);
    return RECLAIM_LABEL.RELEASE_BUSY;
  }
  r[o] = RECLAIM_STEP.REMOVE;
  return RECLAIM_LABEL.RELEASE;
}

/**
 * try_to_unmap with the page locked (try_to_unmap_one: the MMU notifiers of each mapping
 * run first, withNotifier), then the guard or the rest of the pass.
 */
const UNMAP = withNotifier<ReclaimPc>(
  {
    footprint: packFootprint(
      PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.REF | PAGE_VAR.MAP | PAGE_VAR.BUF,
      PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.REF,
    ),
    next: [RECLAIM_STEP.GUARD, RECLAIM_STEP.CONTINUE],
    run: (ctx, r, o) => {
      ctx.cache.tryToUnmap(PAGE);
      r[o] = ctx.env.guard ? RECLAIM_STEP.GUARD : RECLAIM_STEP.CONTINUE;
      return RECLAIM_LABEL.UNMAP;
    },
  },
  RECLAIM_STEP.UNMAP_NOTIFIED,
  true,
);

const STEPS: StepTable<ReclaimPc | PageoutPc | SwapPc> = {
  ...SWAP_STEPS,
  [RECLAIM_STEP.TRYLOCK]: {
    footprint: packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK | PAGE_VAR.WB, PAGE_VAR.LOCK),
    next: [RECLAIM_STEP.UNMAP, DONE],
    run: trylock,
  },
  [RECLAIM_STEP.UNMAP]: UNMAP.fire,
  [RECLAIM_STEP.UNMAP_NOTIFIED]: UNMAP.wait,
  [RECLAIM_STEP.GUARD]: {
    footprint: packFootprint(PAGE_VAR.REF, PAGE_VAR.LOCK),
    next: [RECLAIM_STEP.CONTINUE, DONE],
    run: (ctx, r, o) => {
      if (ctx.cache.reclaimGuardKeeps(PAGE)) {
        stop(ctx.cache, r, o, true);
        return RECLAIM_LABEL.GUARD_KEEP;
      }
      r[o] = RECLAIM_STEP.CONTINUE;
      return RECLAIM_LABEL.GUARD_NO;
    },
  },
  [RECLAIM_STEP.CONTINUE]: {
    footprint: packFootprint(PAGE_VAR.ALL, PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.BUF | PAGE_VAR.REF | PAGE_VAR.LOCK),
    next: [WRITEBACK_STEP.DECIDE, RECLAIM_STEP.REMOVE, DONE],
    run: continueAfterUnmap,
  },
  ...pageoutSteps(PLAN),
  [RECLAIM_STEP.REMOVE]: {
    footprint: EVERYTHING,
    next: [DONE],
    run: (ctx, r, o) => {
      const evicted = ctx.cache.removeMapping(PAGE);
      stop(ctx.cache, r, o, true);
      return evicted ? RECLAIM_LABEL.EVICTED : RECLAIM_LABEL.HELD_REMOVE;
    },
  },
};

const PROGRAM = new Program("reclaim", STEPS);

/** Memory pressure: one shrink_folio_list over the page, and its second pass after pageout. */
export class Reclaim extends TableActor {
  /** Registers: pc, second pass, the policy's decision. */
  readonly size = 3;

  /** @param decl the `Actor` line (the lane: `P2 reclaim`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} reclaim`);
  }

  /** Anonymous memory: the swap-out steps (swap.ts). tmpfs, hugetlbfs: reclaim swaps and keeps the data; the model runs nothing. */
  init(r: Int32Array, o: number, ctx: StepContext): void {
    r[o] = ctx.env.anonymous ? SWAP_STEP.TRYLOCK : writesBack(ctx) ? RECLAIM_STEP.TRYLOCK : DONE;
    r[o + 1] = 0;
  }
}
