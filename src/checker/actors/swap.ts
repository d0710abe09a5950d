/**
 * Reclaim's path for an anonymous page (mm/vmscan.c shrink_folio_list), as steps the
 * reclaim actor runs on backing `anon`: trylock_page, add_to_swap (kept out of swap when
 * maybe pinned, 5.11 on), try_to_unmap (a maybe-pinned exclusive page keeps its pte, 5.19
 * on), pageout -> swap_writepage when dirty and nothing else holds the page, the I/O's
 * completion, and on the next pass __remove_mapping. The operations are src/model/anon.ts's,
 * which the engine runs at one instant (shrinkAnonPage).
 */
import { SWAP, addToSwap, swapWritepage, tryToUnmapAnon } from "../../model/anon.js";
import type { PageCache } from "../../model/page-cache.js";
import { EVERYTHING } from "../footprint.js";
import { DONE, PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import type { StepTable } from "./program.js";

/** Program counters of the swap-out steps in the reclaim actor (after its own and the writeback's). */
export const SWAP_STEP = { TRYLOCK: 40, ADD: 41, UNMAP: 42, PAGEOUT: 43, IO_DONE: 44, REMOVE: 45 } as const;
/** A pc of the swap-out steps. */
export type SwapPc = (typeof SWAP_STEP)[keyof typeof SWAP_STEP];
// Registers (the reclaim actor's): 0 pc, 1 second pass (after swap_writepage's I/O).

const SWAP_LABEL = {
  NOT_LRU: defineLabel("not on the LRU"),
  BUSY: defineLabel("trylock_page: busy"),
  UNDER_WB: defineLabel("PG_writeback: skip"),
  TRYLOCK: defineLabel("trylock_page"),
  TRYLOCK_AGAIN: defineLabel("trylock_page (again)"),
  KEEP_PINNED: defineLabel("folio_maybe_dma_pinned: keep out of swap"),
  ADD: defineLabel("add_to_swap: in the swap cache, dirty"),
  IN_CACHE: defineLabel("in the swap cache already"),
  ACTIVATE: defineLabel("try_to_unmap: exclusive, maybe pinned: activate"),
  UNMAP: defineLabel("try_to_unmap: ptes become swap entries"),
  REDIRTIED: defineLabel("redirtied: keep"),
  HELD: defineLabel("is_page_cache_freeable: no, keep"),
  WRITE: defineLabel("pageout: swap_writepage, unlock_page"),
  IO_DONE: defineLabel("end_page_writeback (swap)"),
  EVICTED: defineLabel("__remove_mapping: evicted to swap"),
  HELD_REMOVE: defineLabel("__remove_mapping: held"),
};

/** Reclaim is done with the page (unlock it first if it holds PG_locked). */
function stop(c: PageCache, r: Int32Array, o: number, unlock: boolean): void {
  if (unlock) c.unlockPage(PAGE);
  r[o] = DONE;
  r[o + 1] = 0;
}

/** shrink_folio_list takes the page: off the LRU (left memory, or the owner moved), busy or under writeback it stops. */
function trylock(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.resident(PAGE) || c.ownerMoved[PAGE]) {
    stop(c, r, o, false);
    return SWAP_LABEL.NOT_LRU;
  }
  if (c.locked(PAGE) || c.writeback(PAGE)) {
    const busy = c.locked(PAGE) === 1;
    stop(c, r, o, false);
    return busy ? SWAP_LABEL.BUSY : SWAP_LABEL.UNDER_WB;
  }
  c.trylockPage(PAGE);
  r[o] = SWAP_STEP.ADD;
  return r[o + 1] === 1 ? SWAP_LABEL.TRYLOCK_AGAIN : SWAP_LABEL.TRYLOCK;
}

/** pageout: a dirty page nobody else holds goes to swap; a clean one to __remove_mapping. */
function pageout(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.dirty(PAGE)) {
    r[o] = SWAP_STEP.REMOVE;
    return SWAP_LABEL.IN_CACHE;
  }
  if (r[o + 1] === 1) {
    stop(c, r, o, true);
    return SWAP_LABEL.REDIRTIED;
  }
  if (!c.isPageCacheFreeable(PAGE)) {
    stop(c, r, o, true);
    return SWAP_LABEL.HELD;
  }
  swapWritepage(c, PAGE);
  c.unlockPage(PAGE);
  r[o] = SWAP_STEP.IO_DONE;
  return SWAP_LABEL.WRITE;
}

/** The swap-out steps for the reclaim actor's table. */
export const SWAP_STEPS: StepTable<SwapPc> = {
  [SWAP_STEP.TRYLOCK]: { footprint: EVERYTHING, next: [SWAP_STEP.ADD, DONE], run: trylock },
  [SWAP_STEP.ADD]: {
    footprint: EVERYTHING,
    next: [SWAP_STEP.UNMAP, DONE],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      const was = c.swapCache[PAGE];
      if (addToSwap(c, PAGE) === SWAP.KEEP) {
        stop(c, r, o, true);
        return SWAP_LABEL.KEEP_PINNED;
      }
      r[o] = SWAP_STEP.UNMAP;
      return was ? SWAP_LABEL.IN_CACHE : SWAP_LABEL.ADD;
    },
  },
  [SWAP_STEP.UNMAP]: {
    footprint: EVERYTHING,
    next: [SWAP_STEP.PAGEOUT, DONE],
    run: (ctx, r, o) => {
      if (tryToUnmapAnon(ctx.cache, PAGE) === SWAP.ACTIVATE) {
        stop(ctx.cache, r, o, true);
        return SWAP_LABEL.ACTIVATE;
      }
      r[o] = SWAP_STEP.PAGEOUT;
      return SWAP_LABEL.UNMAP;
    },
  },
  [SWAP_STEP.PAGEOUT]: { footprint: EVERYTHING, next: [SWAP_STEP.REMOVE, SWAP_STEP.IO_DONE, DONE], run: pageout },
  [SWAP_STEP.IO_DONE]: {
    footprint: EVERYTHING,
    next: [SWAP_STEP.TRYLOCK],
    run: (ctx, r, o) => {
      ctx.cache.endPageWriteback(PAGE);
      r[o] = SWAP_STEP.TRYLOCK;
      r[o + 1] = 1;
      return SWAP_LABEL.IO_DONE;
    },
  },
  [SWAP_STEP.REMOVE]: {
    footprint: EVERYTHING,
    next: [DONE],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      const evicted = c.removeMapping(PAGE);
      if (evicted) c.swapCache[PAGE] = 0;
      stop(c, r, o, true); // the freed page's lock goes with it
      return evicted ? SWAP_LABEL.EVICTED : SWAP_LABEL.HELD_REMOVE;
    },
  },
};
