/**
 * The GUP user's release, as the kernel runs it (mm/gup.c unpin_user_pages_dirty_lock,
 * mm/page-writeback.c set_page_dirty_lock): check PG_dirty, lock_page, set_page_dirty,
 * unlock_page, put/unpin, reading the policy's release as data (Policy.release,
 * src/model/release.ts); a release that takes no page lock puts at once. Under a device
 * mirror (mmu-notifier) the release drops the mirror. Steps of the GUP user's table at
 * REL_STEP. The labels say what the release's kernel code ran, not what the page happened
 * to be (issue 21): the legacy set_page_dirty_lock locks whether or not the page is dirty
 * (it has no PageDirty shortcut); a trylock that got the lock dirtied under it
 * (2d691aeca4ae, i915 from 5.4); a `none` release ran set_page_dirty without it (i915
 * before 5.4); an if-clean release found the page dirty (`PageDirty:`); a no-dirtying one
 * only put. With `notifier=yes` and `end=munmap` the release runs from munmap's notifier
 * (gup-notifier.ts), and `end=munmap` zaps the ptes after it (NOTIFIER_STEP.MUNMAP_ZAP).
 */
import { METRIC } from "../../model/metrics.js";
import type { PageCache } from "../../model/page-cache.js";
import {
  RELEASE_DID,
  releaseAtOnce,
  releaseDirtyLocked,
  releaseWaitsForLock,
  type Release,
} from "../../model/release.js";
import { EVERYTHING, HOOK, PAGE_VAR, packFootprint } from "../footprint.js";
import { DONE, PAGE, lockPage, type StepContext } from "./actor.js";
import { decisionOf, pins, type GupCore } from "./gup-decision.js";
import { NOTIFIER, NOTIFIER_STEP, munmapReleaseStep, unregisterNotifier, type NotifierPc } from "./gup-notifier.js";
import { defineLabel } from "./labels.js";
import type { StepTable } from "./program.js";

/** Program counters of the release's steps in the GUP user's program. */
export const REL_STEP = { CHECK: 8, LOCK: 9, DIRTY: 10, UNLOCK: 11, PUT: 12 } as const;
/** A pc of the release's steps. */
export type ReleasePc = (typeof REL_STEP)[keyof typeof REL_STEP];

const REL_LABEL = {
  NOTIFIER_REMOVE: defineLabel("mmu_interval_notifier_remove"),
  LOCK_NEXT: defineLabel("set_page_dirty_lock"),
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
  TRYLOCK_PUT: defineLabel("trylock_page, set_page_dirty, unlock_page; put_page"),
  TRYLOCK_UNPIN: defineLabel("trylock_page, set_page_dirty, unlock_page; unpin_user_page"),
};

/** The label of a release run at once (releaseAtOnce did `did`). */
function releaseLabel(release: Release, did: number, pin: boolean): number {
  const L = REL_LABEL;
  if (did === RELEASE_DID.BUSY) return pin ? L.TRYLOCK_BUSY_UNPIN : L.TRYLOCK_BUSY_PUT;
  if (did === RELEASE_DID.DIRTIED) {
    if (release.lock === "trylock") return pin ? L.TRYLOCK_UNPIN : L.TRYLOCK_PUT;
    return pin ? L.DIRTIED_UNPIN : L.DIRTIED_PUT;
  }
  if (release.dirty === "if-clean") return pin ? L.UNPIN_DIRTY : L.PUT_DIRTY;
  return pin ? L.UNPIN : L.PUT;
}

/** gup_put_folio, with the release's counts (pinsCompleted, releasesUnsaved); the actor is done, or `end=munmap` unmaps next. */
function put(c: PageCache, r: Int32Array, o: number, pin: boolean): void {
  c.count(METRIC.pinsCompleted);
  if (c.unsaved(PAGE)) c.count(METRIC.releasesUnsaved);
  c.gupPutFolio(PAGE, pin);
  r[o + 2] = 0;
  r[o] = r[o + 8] & NOTIFIER.MUNMAP ? NOTIFIER_STEP.MUNMAP_ZAP : DONE;
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
  if ((r[o + 8] & (NOTIFIER.MUNMAP | NOTIFIER.REGISTERED)) === (NOTIFIER.MUNMAP | NOTIFIER.REGISTERED))
    return munmapReleaseStep(c, r, o, d.policy, NOTIFIER_STEP.MUNMAP_ZAP);
  unregisterNotifier(c, r, o);
  if (releaseWaitsForLock(release, c, PAGE)) {
    // set_page_dirty_lock: the legacy release locks whether or not the page is dirty; the
    // if-clean one gets here only on a clean page.
    r[o] = REL_STEP.LOCK;
    return REL_LABEL.LOCK_NEXT;
  }
  const did = releaseAtOnce(release, c, PAGE);
  put(c, r, o, pin);
  return releaseLabel(release, did, pin);
}

/** The release's steps for the GUP user's table. */
export function releaseSteps(g: GupCore): StepTable<ReleasePc, ReleasePc | NotifierPc | typeof DONE> {
  return {
    [REL_STEP.CHECK]: {
      footprint: g.mirror !== null ? 0 : EVERYTHING,
      next: [REL_STEP.LOCK, NOTIFIER_STEP.MUNMAP_ZAP, DONE],
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
          was = c.dirty(PAGE);
        releaseDirtyLocked(decisionOf(g, r, o).policy.release, c, PAGE);
        r[o] = REL_STEP.UNLOCK;
        return !was && c.dirty(PAGE) ? REL_LABEL.SET_DIRTY : REL_LABEL.ALREADY_DIRTY;
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
      next: [NOTIFIER_STEP.MUNMAP_ZAP, DONE],
      run: (ctx, r, o) => {
        const pin = pins(decisionOf(g, r, o));
        put(ctx.cache, r, o, pin);
        return pin ? REL_LABEL.UNPIN : REL_LABEL.PUT;
      },
    },
  };
}
