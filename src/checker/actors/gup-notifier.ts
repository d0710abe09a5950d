/**
 * The GUP user's MMU-notifier side (`notifier=yes`, `busy=yes`, `end=munmap`): its
 * registration while it holds the page, the release its notifier runs inside an
 * invalidating path (notifier.ts has that path's side), and the munmap that ends a pin.
 * i915 userptr before the 5.13 mmu_interval_notifier rework: userptr_mn_invalidate_range_start
 * → __i915_gem_object_put_pages → i915_gem_userptr_put_pages.
 *
 * `busy=yes`: drivers/gpu/drm/i915/gem/i915_gem_pages.c __i915_gem_object_put_pages begins
 * 'if (i915_gem_object_has_pinned_pages(obj)) return -EBUSY;', and the notifier returns that
 * error; mm/mmu_notifier.c __mmu_notifier_invalidate_range_start logs a callback's failure
 * in a blockable range and the invalidation goes on (read in 5.x; not confirmed for every
 * release). The model takes "pinned pages" to mean: the GPU still has device writes to do.
 *
 * The functions work on the GUP user's registers at `r[o..]` (gup.ts): 1 device writes
 * left, 2 holds a reference, 8 the NOTIFIER bits.
 */
import type { PageCache } from "../../model/page-cache.js";
import { NOTIFIER_DID, notifierRelease, zapPteRange } from "../../model/page-paths.js";
import type { Policy } from "../../model/policy.js";
import { releaseWaitsForLock, type Release } from "../../model/release.js";
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import { BLOCKED, DONE, PAGE } from "./actor.js";
import { defineLabel, labelOf, LABELS } from "./labels.js";
import type { Step, StepTable } from "./program.js";

/** The GUP user's pcs of its notifier side (after REL_STEP and GUP_STEP.ANON, before FAULT_STEP). */
export const NOTIFIER_STEP = {
  /** The release ran from the MMU notifier and its lock_page sleeps on a lock its own path holds. */
  HUNG: 14,
  /** `end=munmap`: after the release, unmap_vmas zaps the ptes. */
  MUNMAP_ZAP: 15,
} as const;
/** A pc of the notifier side. */
export type NotifierPc = (typeof NOTIFIER_STEP)[keyof typeof NOTIFIER_STEP];

/** Register 8 of the GUP user: the options, and whether the reference is registered with the notifier. */
export const NOTIFIER = {
  /** `notifier=yes`. */
  OPTION: 1,
  /** The reference is held and the notifier would release it. */
  REGISTERED: 2,
  /** `end=munmap`. */
  MUNMAP: 4,
  /** `busy=yes`: put_pages fails while device writes are left. */
  BUSY: 8,
} as const;

/** What zap_pte_range reads and writes (page-paths.ts zapPteRange). */
export const MUNMAP_ZAP_FP = packFootprint(
  PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.LOCK,
  PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.REF,
);

const LABEL = {
  DEADLOCK: defineLabel("notifier: lock_page on the page its path holds: hangs"),
  BUSY: defineLabel("notifier: put_pages -EBUSY (in use by the GPU), pages kept"),
  ZAP: defineLabel("unmap_vmas: zap_pte_range"),
};

/** The object's pages are registered with the userptr's MMU notifier (at the grab, `notifier=yes`). */
export function registerNotifier(c: PageCache, r: Int32Array, o: number): void {
  if (!(r[o + 8] & NOTIFIER.OPTION)) return;
  c.notifierPins[PAGE]++;
  r[o + 8] |= NOTIFIER.REGISTERED;
}

/** The release starts in the GUP user's own context: the notifier no longer runs it. */
export function unregisterNotifier(c: PageCache, r: Int32Array, o: number): void {
  if (!(r[o + 8] & NOTIFIER.REGISTERED)) return;
  r[o + 8] &= ~NOTIFIER.REGISTERED;
  if (c.notifierPins[PAGE] > 0) c.notifierPins[PAGE]--;
}

/** An invalidating path waits for this user's notifier release now. */
export function notified(c: PageCache, r: Int32Array, o: number): boolean {
  return (r[o + 8] & NOTIFIER.REGISTERED) !== 0 && c.notifying[PAGE] !== 0;
}

/**
 * The release run by the MMU notifier of an invalidating path (page-paths.ts notifierRelease;
 * `notifying` 2: the path holds PG_locked, 1: it holds none). While device writes are left
 * and `busy=yes`, put_pages fails (-EBUSY) and the path goes on without it. A release that
 * must lock a page another task holds waits (munmap's path holds none); one that must lock
 * the page its own path holds hangs: the actor moves to `hungPc` (aa56a292ce62's deadlock);
 * otherwise the pages are put and the actor is done (its remaining device writes are
 * dropped: the object is unbound).
 */
export function notifierReleaseStep(c: PageCache, r: Int32Array, o: number, policy: Policy, hungPc: number): number {
  const holdsLock = c.notifying[PAGE] === 2;
  if (r[o + 8] & NOTIFIER.BUSY && r[o + 1] > 0) {
    // The GPU still renders into the object: its pages are pinned and
    // __i915_gem_object_put_pages fails; the invalidation goes on without the release.
    c.notifying[PAGE] = 0;
    return LABEL.BUSY;
  }
  const release = policy.release;
  if (!holdsLock && releaseWaitsForLock(release, c, PAGE) && c.locked(PAGE)) return BLOCKED;
  const dirty = c.dirty(PAGE) === 1;
  const pin = policy.reference === "FOLL_PIN";
  if (notifierRelease(c, PAGE, pin, c.cleanWrites(PAGE), policy, holdsLock) === NOTIFIER_DID.DEADLOCK) {
    r[o] = hungPc;
    return LABEL.DEADLOCK;
  }
  r[o + 8] = 0;
  r[o + 2] = r[o + 1] = 0;
  r[o] = DONE;
  return notifierLabel(release, dirty, holdsLock, pin);
}

/**
 * `end=munmap` with `notifier=yes`: the user unmaps the range (munmap → unmap_vmas), whose
 * invalidate_range_start runs the release from the notifier in the user's own context,
 * holding no page lock (bugzilla 203317's first trace: Xorg's munmap); then `zapPc`.
 */
export function munmapReleaseStep(c: PageCache, r: Int32Array, o: number, policy: Policy, zapPc: number): number {
  if (releaseWaitsForLock(policy.release, c, PAGE) && c.locked(PAGE)) return BLOCKED;
  const dirty = c.dirty(PAGE) === 1;
  const pin = policy.reference === "FOLL_PIN";
  notifierRelease(c, PAGE, pin, c.cleanWrites(PAGE), policy, false);
  r[o + 8] = NOTIFIER.MUNMAP;
  r[o + 2] = 0;
  r[o] = zapPc;
  return labelOf(`munmap: invalidate_range_start: ${LABELS[notifierLabel(policy.release, dirty, false, pin)]}`);
}

/** unmap_vmas after the release (`end=munmap`): zap_pte_range; the actor is done. */
export function munmapZapStep(c: PageCache, r: Int32Array, o: number): number {
  zapPteRange(c, PAGE);
  r[o] = DONE;
  r[o + 8] = 0;
  return LABEL.ZAP;
}

/**
 * The label of a release run from the MMU notifier: `notifier:` and what the release's code
 * did there (`holdsLock`: the invalidating path held PG_locked, so a trylock failed).
 */
function notifierLabel(release: Release, wasDirty: boolean, holdsLock: boolean, pin: boolean): number {
  const put = pin ? "unpin_user_page" : "put_page";
  let what: string;
  if (release.dirty === "never") what = put;
  else if (release.dirty === "if-clean" && wasDirty) what = `PageDirty: ${put}`;
  else if (release.lock === "trylock" && holdsLock) what = `trylock_page: busy, not dirtied; ${put}`;
  else if (release.lock === "trylock") what = `trylock_page, set_page_dirty, unlock_page; ${put}`;
  else if (release.lock === "lock") what = `set_page_dirty_lock; ${put}`;
  else what = `set_page_dirty (${holdsLock ? "PG_locked held by the path" : "no page lock"}); ${put}`;
  return labelOf(`notifier: ${what}`);
}

/** The notifier side's steps for the GUP user's table. */
export function notifierSteps(): StepTable<NotifierPc> {
  return {
    // Hung for good: the invalidating path holds the lock this release sleeps on.
    [NOTIFIER_STEP.HUNG]: { footprint: 0, next: [], run: () => BLOCKED },
    [NOTIFIER_STEP.MUNMAP_ZAP]: {
      footprint: MUNMAP_ZAP_FP,
      next: [DONE],
      run: (ctx, r, o) => munmapZapStep(ctx.cache, r, o),
    },
  };
}

/**
 * A GUP step that may take the reference (follow_page_pte, try_grab_folio_fast): with
 * `notifier=yes` it registers it (registerNotifier writes notifierPins), so its footprint
 * adds the notifier state, which invalidate_range_start reads.
 */
export function registering<Pc extends number>(step: Step<Pc>): Step<Pc> {
  const now = step.now,
    fp = packFootprint(PAGE_VAR.NOTIFY, PAGE_VAR.NOTIFY);
  return { ...step, footprint: step.footprint | fp, now: (ctx, r, o) => (now ? now(ctx, r, o) : step.footprint) | fp };
}

/**
 * A step of the GUP user while it may hold a registered reference (`notifier=yes`): when an
 * invalidating path waits on the page (`notified`), the step is the notifier's release
 * (notifierReleaseStep: anything may change, the actor ends or hangs); otherwise the step
 * itself. `pc` is the step's own pc, `policyOf` gives the root's policy.
 */
export function notifiable<Pc extends number>(
  pc: Pc,
  step: Step<Pc>,
  policyOf: (r: Int32Array, o: number) => Policy,
): Step<Pc | typeof NOTIFIER_STEP.HUNG | typeof DONE> {
  const now = step.now;
  return {
    footprint: EVERYTHING,
    now: (ctx, r, o) => (notified(ctx.cache, r, o) ? EVERYTHING : now ? now(ctx, r, o) : step.footprint),
    // A busy put_pages leaves the actor where it was.
    next: [...step.next, pc, NOTIFIER_STEP.HUNG, DONE],
    run: (ctx, r, o) =>
      notified(ctx.cache, r, o)
        ? notifierReleaseStep(ctx.cache, r, o, policyOf(r, o), NOTIFIER_STEP.HUNG)
        : step.run(ctx, r, o),
  };
}
