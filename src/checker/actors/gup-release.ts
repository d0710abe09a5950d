/**
 * The GUP user's release, as the kernel runs it (mm/gup.c unpin_user_pages_dirty_lock,
 * mm/page-writeback.c set_page_dirty_lock): check PG_dirty, lock_page, set_page_dirty,
 * unlock_page, put/unpin, reading the policy's release as data (Policy.release,
 * src/model/release.ts); a release that takes no page lock puts at once. Under a device
 * mirror (mmu-notifier) the release drops the mirror. Steps of the GUP user's table at
 * REL_STEP.
 */
import { METRIC } from "../../model/metrics.js";
import type { PageCache } from "../../model/page-cache.js";
import { RELEASE_DID, releaseAtOnce, releaseDirtyLocked, releaseWaitsForLock } from "../../model/release.js";
import { EVERYTHING, HOOK, PAGE_VAR, packFootprint } from "../footprint.js";
import { DONE, PAGE, lockPage, type StepContext } from "./actor.js";
import { decisionOf, pins, type GupCore } from "./gup-decision.js";
import { defineLabel } from "./labels.js";
import type { StepTable } from "./program.js";

/** Program counters of the release's steps in the GUP user's program. */
export const REL_STEP = { CHECK: 8, LOCK: 9, DIRTY: 10, UNLOCK: 11, PUT: 12 } as const;
/** A pc of the release's steps. */
export type ReleasePc = (typeof REL_STEP)[keyof typeof REL_STEP];

const REL_LABEL = {
  NOTIFIER_REMOVE: defineLabel("mmu_interval_notifier_remove"),
  LOCK_NEXT: defineLabel("set_page_dirty_lock"),
  LOCK_ALWAYS: defineLabel("set_page_dirty_lock (already dirty)"),
  LOCK: defineLabel("lock_page"),
  SET_DIRTY: defineLabel("set_page_dirty"),
  ALREADY_DIRTY: defineLabel("set_page_dirty: already dirty"),
  UNLOCK: defineLabel("unlock_page"),
  PUT: defineLabel("put_page"),
  UNPIN: defineLabel("unpin_user_page"),
  PUT_DIRTY: defineLabel("PageDirty: put_page"),
  UNPIN_DIRTY: defineLabel("PageDirty: unpin_user_page"),
  DIRTIED_PUT: defineLabel("set_page_dirty (no page lock); put_page"),
  DIRTIED_UNPIN: defineLabel("set_page_dirty (no page lock); unpin_user_page"),
  TRYLOCK_BUSY_PUT: defineLabel("trylock_page: busy, not dirtied; put_page"),
  TRYLOCK_BUSY_UNPIN: defineLabel("trylock_page: busy, not dirtied; unpin_user_page"),
};

/** gup_put_folio, with the release's counts (pinsCompleted, releasesUnsaved); the actor is done. */
function put(c: PageCache, r: Int32Array, o: number, pin: boolean): void {
  c.count(METRIC.pinsCompleted);
  if (c.unsaved(PAGE)) c.count(METRIC.releasesUnsaved);
  c.gupPutFolio(PAGE, pin);
  r[o + 2] = 0;
  r[o] = DONE;
}

/**
 * The release's first step: unpin_user_pages_dirty_lock's `if (!PageDirty)` (or the
 * legacy set_page_dirty_lock, which always locks). A release that takes no page lock
 * (or only tries it) dirties as it declares and puts the reference at once.
 */
function releaseCheck(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (g.mirror !== null) {
    // mmu_interval_notifier_remove: the device stops mirroring; there is nothing to put.
    r[o] = DONE;
    r[o + 3] = 0;
    return REL_LABEL.NOTIFIER_REMOVE;
  }
  const d = decisionOf(g, r, o),
    release = d.policy.release,
    pin = pins(d);
  if (releaseWaitsForLock(release, c, PAGE)) {
    r[o] = REL_STEP.LOCK;
    return c.dirty[PAGE] ? REL_LABEL.LOCK_ALWAYS : REL_LABEL.LOCK_NEXT;
  }
  const dirty = c.dirty[PAGE];
  const busy = releaseAtOnce(release, c, PAGE) === RELEASE_DID.BUSY;
  put(c, r, o, pin);
  if (busy) return pin ? REL_LABEL.TRYLOCK_BUSY_UNPIN : REL_LABEL.TRYLOCK_BUSY_PUT;
  if (!dirty && c.dirty[PAGE]) return pin ? REL_LABEL.DIRTIED_UNPIN : REL_LABEL.DIRTIED_PUT;
  return dirty ? (pin ? REL_LABEL.UNPIN_DIRTY : REL_LABEL.PUT_DIRTY) : pin ? REL_LABEL.UNPIN : REL_LABEL.PUT;
}

/** The release's steps for the GUP user's table. */
export function releaseSteps(g: GupCore): StepTable<ReleasePc> {
  return {
    [REL_STEP.CHECK]: {
      footprint: g.mirror !== null ? 0 : EVERYTHING,
      next: [REL_STEP.LOCK, DONE],
      run: (ctx, r, o) => releaseCheck(g, ctx, r, o),
    },
    [REL_STEP.LOCK]: {
      footprint: packFootprint(PAGE_VAR.LOCK, PAGE_VAR.LOCK),
      next: [REL_STEP.DIRTY],
      run: (ctx, r, o) => lockPage(ctx.cache, r, o, REL_STEP.DIRTY, REL_LABEL.LOCK),
    },
    [REL_STEP.DIRTY]: {
      footprint: HOOK,
      next: [REL_STEP.UNLOCK],
      run: (ctx, r, o) => {
        const c = ctx.cache,
          was = c.dirty[PAGE];
        releaseDirtyLocked(decisionOf(g, r, o).policy.release, c, PAGE);
        r[o] = REL_STEP.UNLOCK;
        return !was && c.dirty[PAGE] ? REL_LABEL.SET_DIRTY : REL_LABEL.ALREADY_DIRTY;
      },
    },
    [REL_STEP.UNLOCK]: {
      footprint: packFootprint(0, PAGE_VAR.LOCK),
      next: [REL_STEP.PUT],
      run: (ctx, r, o) => {
        ctx.cache.unlockPage(PAGE);
        r[o] = REL_STEP.PUT;
        return REL_LABEL.UNLOCK;
      },
    },
    [REL_STEP.PUT]: {
      footprint: EVERYTHING,
      next: [DONE],
      run: (ctx, r, o) => {
        const pin = pins(decisionOf(g, r, o));
        put(ctx.cache, r, o, pin);
        return pin ? REL_LABEL.UNPIN : REL_LABEL.PUT;
      },
    },
  };
}
