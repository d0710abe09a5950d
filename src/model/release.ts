/**
 * The release of a GUP reference as data: which page lock it takes, when it dirties the
 * page, and (from the policy's reference) how it drops the reference. The engine runs a
 * release as one atomic step ({@link releaseAtOnce}); the checker cuts it where the kernel
 * can be interrupted (check PG_dirty, lock_page, set_page_dirty, unlock_page, put), reading
 * the same value through {@link releaseWaitsForLock} and {@link releaseDirtyLocked}. Both
 * read it from `Policy.release`; nothing compares hooks.
 *
 * Kernel sources: set_page_dirty_lock (mm/page-writeback.c: lock_page, set_page_dirty,
 * unlock_page); unpin_user_pages_dirty_lock (mm/gup.c, v5.6 on; put_user_pages_dirty_lock in
 * v5.2: `if (!PageDirty(page)) set_page_dirty_lock(page)`); bio_check_pages_dirty
 * (block/bio.c); i915_gem_userptr_put_pages (drivers/gpu/drm/i915/gem/i915_gem_userptr.c:
 * plain set_page_dirty before 2d691aeca4ae, `if (trylock_page)` from 5.4); io_buffer_unmap
 * (io_uring/rsrc.c) and the pipe buffer release of vmsplice (no dirtying).
 */
import { InputError } from "../errors.js";
import type { ReleaseKind } from "./callers.js";
import type { PageCache } from "./page-cache.js";

/** The page lock a release takes around set_page_dirty. */
export const RELEASE_LOCKS = ["none", "lock", "trylock"] as const;
/**
 * `none`: set_page_dirty without PG_locked (or no dirtying at all); `lock`: lock_page, which
 * waits for the holder (set_page_dirty_lock); `trylock`: trylock_page, which gives up at once
 * and then skips the dirtying (i915 userptr from 5.4).
 */
export type ReleaseLock = (typeof RELEASE_LOCKS)[number];

/** When a release dirties the page. */
export const RELEASE_DIRTYING = ["always", "if-clean", "never"] as const;
/**
 * `always`: every page (legacy set_page_dirty_lock); `if-clean`: only a page found clean,
 * `if (!PageDirty(page))` tested before the lock is taken (unpin_user_pages_dirty_lock,
 * bio_check_pages_dirty); `never`: the reference is only dropped (io_uring, vmsplice, a read pin).
 */
export type ReleaseDirtying = (typeof RELEASE_DIRTYING)[number];

/**
 * One release, declared. How the reference is dropped is not a field: it follows the
 * policy's `reference` (FOLL_GET: put_page, FOLL_PIN: unpin_user_page, `none`: a mirroring
 * device's mmu_interval_notifier_remove, which puts nothing), so the two cannot disagree.
 */
export interface Release {
  /** The page lock taken around set_page_dirty. */
  readonly lock: ReleaseLock;
  /** When the page is dirtied. */
  readonly dirty: ReleaseDirtying;
  /**
   * Time simulation only: the share (0..1) of `trylock` attempts that find PG_locked held.
   * The engine never leaves PG_locked set between events, so without it a trylock always
   * succeeds there; the checker ignores it (it explores the real lock). Default 0.
   */
  readonly trylockMissShare?: number;
}

/** set_page_dirty_lock on every page (legacy callers, up to 5.5). */
export const SET_PAGE_DIRTY_LOCK: Release = Object.freeze({ lock: "lock", dirty: "always" });
/** `if (!PageDirty) set_page_dirty_lock` (the seed patch, unpin_user_pages_dirty_lock). */
export const DIRTY_IF_CLEAN: Release = Object.freeze({ lock: "lock", dirty: "if-clean" });
/** The reference is dropped and nothing is dirtied. */
export const NO_DIRTYING: Release = Object.freeze({ lock: "none", dirty: "never" });
/** set_page_dirty without the page lock (i915 userptr before 5.4). */
export const SET_PAGE_DIRTY_UNLOCKED: Release = Object.freeze({ lock: "none", dirty: "always" });
/** `if (trylock_page) { set_page_dirty; unlock_page }` (i915 userptr from 5.4, 2d691aeca4ae). */
export const TRYLOCK_SET_PAGE_DIRTY: Release = Object.freeze({ lock: "trylock", dirty: "always" });

/**
 * The release a caller's own code runs instead of the era's policy, by the caller profile's
 * ReleaseKind (src/model/callers.ts), or null where the caller releases as the era's policy
 * does: `set_page_dirty_lock` and `dirty-if-clean` are what the era's policy runs already,
 * and `SetPageDirty` (VFIO before 5.6) is not modelled apart (docs/model.md, "Where the
 * kernel disagrees"). A read pin (no FOLL_WRITE) always releases with NO_DIRTYING.
 */
export const CALLER_RELEASES: Readonly<Record<ReleaseKind, Release | null>> = Object.freeze({
  set_page_dirty_lock: null,
  set_page_dirty: SET_PAGE_DIRTY_UNLOCKED,
  "trylock-set_page_dirty": TRYLOCK_SET_PAGE_DIRTY,
  "dirty-if-clean": null,
  SetPageDirty: null,
  // bio_check_pages_dirty after the I/O: `if (!PageDirty) set_page_dirty_lock`.
  "bio-redirty": DIRTY_IF_CLEAN,
  // io_buffer_unmap, the pipe buffer release: the reference is only dropped.
  none: NO_DIRTYING,
});

/** Whether two releases are the same declared value. */
export function sameRelease(a: Release, b: Release): boolean {
  return a.lock === b.lock && a.dirty === b.dirty && (a.trylockMissShare ?? 0) === (b.trylockMissShare ?? 0);
}

/**
 * Check a release value. @throws {InputError} one line naming the field, the value and
 * what is allowed (a policy written in a notebook cell is checked before the run starts).
 */
export function checkRelease(r: unknown, owner: string): Release {
  if (r === null || typeof r !== "object")
    throw new InputError(
      `invalid ${owner}.release: ${String(r)} (allowed: { lock, dirty }, e.g. { lock: "lock", dirty: "if-clean" })`,
    );
  const o = r as Record<string, unknown>;
  if (!(RELEASE_LOCKS as readonly unknown[]).includes(o.lock))
    throw new InputError(`invalid ${owner}.release.lock: ${String(o.lock)} (allowed: ${RELEASE_LOCKS.join(", ")})`);
  if (!(RELEASE_DIRTYING as readonly unknown[]).includes(o.dirty))
    throw new InputError(
      `invalid ${owner}.release.dirty: ${String(o.dirty)} (allowed: ${RELEASE_DIRTYING.join(", ")})`,
    );
  const miss = o.trylockMissShare;
  if (miss !== undefined && !(typeof miss === "number" && miss >= 0 && miss <= 1))
    throw new InputError(`invalid ${owner}.release.trylockMissShare: ${String(miss)} (allowed: a number in 0..1)`);
  return r as Release;
}

/**
 * Whether the release waits for PG_locked on page p now: a `lock` release takes lock_page
 * unless its `if (!PageDirty)` test finds the page dirty already. The checker blocks it while
 * another actor holds the lock, then runs {@link releaseDirtyLocked}.
 */
export function releaseWaitsForLock(r: Release, pc: PageCache, p: number): boolean {
  return r.lock === "lock" && !(r.dirty === "if-clean" && pc.dirty(p));
}

/** The dirtying under the page lock the release took (set_page_dirty between lock_page and unlock_page). */
export function releaseDirtyLocked(r: Release, pc: PageCache, p: number): void {
  if (r.dirty === "always" || (r.dirty === "if-clean" && !pc.dirty(p))) pc.setPageDirty(p, true);
}

/** What {@link releaseAtOnce} did to the page. */
export const RELEASE_DID = {
  /** Nothing to dirty: `never`, or `if-clean` on a dirty page. */
  NOTHING: 0,
  /** set_page_dirty ran. */
  DIRTIED: 1,
  /** trylock_page failed (PG_locked held, or a priced miss): the dirtying was skipped. */
  BUSY: 2,
} as const;

/**
 * The release's dirtying as one step: everything but waiting for the page lock (the engine,
 * which never holds PG_locked between events, runs every release this way; the checker runs
 * this when {@link releaseWaitsForLock} is false). A trylock that finds PG_locked held, or
 * that `miss()` says missed (the engine's trylockMissShare), skips the dirtying.
 * Returns one of RELEASE_DID.
 */
export function releaseAtOnce(r: Release, pc: PageCache, p: number, miss?: () => boolean): number {
  if (r.dirty === "never" || (r.dirty === "if-clean" && pc.dirty(p))) return RELEASE_DID.NOTHING;
  if (r.lock === "trylock") {
    if (miss?.() || !pc.trylockPage(p)) return RELEASE_DID.BUSY;
    pc.setPageDirty(p);
    pc.unlockPage(p);
    return RELEASE_DID.DIRTIED;
  }
  // set_page_dirty_lock holds PG_locked (the engine's instant); a `none` release dirties
  // with whatever PG_locked says (ext4's lock warning reads the flag, not the holder).
  pc.setPageDirty(p, r.lock === "lock" || pc.locked(p) === 1);
  return RELEASE_DID.DIRTIED;
}
