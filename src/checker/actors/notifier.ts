/**
 * invalidate_range_start as the invalidating actors run it: before an invalidating path
 * (reclaim's try_to_unmap, the flusher's page_mkclean, truncate, an invalidation, munmap)
 * changes the ptes, the MMU notifiers of the range run in that path's context
 * (mm/mmu_notifier.c __mmu_notifier_invalidate_range_start). A GUP user whose release runs
 * from its notifier (`notifier=yes`: i915 userptr before the 5.13 mmu_interval_notifier
 * rework, userptr_mn_invalidate_range_start → __i915_gem_object_put_pages) releases its
 * pages there, while the path holds what it holds.
 *
 * The checker runs that release as a step of the GUP actor, with the invalidating actor
 * waiting in between: the path sets PageCache.notifying (2 when it holds PG_locked, 1 when
 * not) and its step resumes once every notifier release of the page has returned
 * (page-paths.ts notifierRelease clears the flag). A release that must lock_page while the path
 * holds the lock never returns (pageLockDeadlocks): the path waits forever, as the kernel's
 * task sleeps on its own lock.
 */
import type { PageCache } from "../../model/page-cache.js";
import { PAGE_VAR, packFootprint } from "../footprint.js";
import { BLOCKED, PAGE } from "./actor.js";
import { defineLabel } from "./labels.js";
import type { Step } from "./program.js";

/** The handshake's footprint: an invalidating step reads and writes the notifier state. */
export const NOTIFY_FP = packFootprint(PAGE_VAR.NOTIFY, PAGE_VAR.NOTIFY);

const NOTIFIER_LABEL = { START: defineLabel("invalidate_range_start") };

/**
 * invalidate_range_start on the page: if GUP references registered for release from the
 * notifier are held, mark the page as being invalidated (`holdsLock`: the path holds
 * PG_locked) and return true (the path must wait); else false (nothing to run).
 */
export function invalidateRangeStart(c: PageCache, holdsLock: boolean, rmap: boolean): boolean {
  // An rmap walk (try_to_unmap, folio_mkclean) reaches the userptr's vma only through a pte
  // that maps the page; munmap invalidates the range whatever is mapped.
  if (c.notifierPins[PAGE] === 0 || (rmap && !(c.resident(PAGE) && c.mapped(PAGE)))) return false;
  c.notifying[PAGE] = holdsLock ? 2 : 1;
  return true;
}

/**
 * A step of an invalidating path with the notifier in front of it: at its pc, `fire`
 * (invalidate_range_start; if a notifier release must run, the actor moves to `waitPc`);
 * at `waitPc`, the step itself once every notifier release has returned. `step` is the
 * path's own step (what runs after the notifiers), `holdsLock` what the path holds then,
 * `rmap` whether it finds the vma through the page's rmap (then only a mapped page notifies).
 */
export function withNotifier<Pc extends number>(
  step: Step<Pc>,
  waitPc: Pc,
  holdsLock: boolean,
  rmap = true,
): { fire: Step<Pc>; wait: Step<Pc> } {
  const now = step.now;
  return {
    fire: {
      footprint: step.footprint | NOTIFY_FP,
      ...(now ? { now: (ctx, r, o) => now(ctx, r, o) | NOTIFY_FP } : {}),
      next: [...step.next, waitPc],
      run: (ctx, r, o) => {
        if (!invalidateRangeStart(ctx.cache, holdsLock, rmap)) return step.run(ctx, r, o);
        r[o] = waitPc;
        return NOTIFIER_LABEL.START;
      },
    },
    wait: {
      footprint: step.footprint | NOTIFY_FP,
      next: step.next,
      run: (ctx, r, o) => (ctx.cache.notifying[PAGE] !== 0 ? BLOCKED : step.run(ctx, r, o)),
    },
  };
}
