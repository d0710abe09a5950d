/**
 * Building blocks the policies share: the release variants and the plain writeback
 * decision. Each policy file composes them and says which era it stands for.
 */
import { METRIC } from "../model/metrics.js";
import { WritebackDecision, type Policy } from "../model/policy.js";
import type { PageCache } from "../model/page-cache.js";

/** set_page_dirty_lock (mm/page-writeback.c): lock_page, set_page_dirty, unlock_page. */
export function setPageDirtyLock(pc: PageCache, p: number): void {
  pc.setPageDirty(p);
}

/**
 * i915 userptr's release from 5.4 (i915_gem_userptr_put_pages, 2d691aeca4ae):
 * `if (trylock_page) { set_page_dirty; unlock_page }`; a page whose lock another task holds
 * is not dirtied at all ("we risk missing some page dirtying"). Declared with
 * `releaseTakesPageLock: false` and `releaseTrylocks: true` (it never waits).
 */
export function trylockSetPageDirty(pc: PageCache, p: number): void {
  if (!pc.trylockPage(p)) return;
  pc.setPageDirty(p);
  pc.unlockPage(p);
}

/** set_page_dirty without the page lock (i915 userptr before 5.4): never waits, always dirties. */
export function setPageDirtyUnlocked(pc: PageCache, p: number): void {
  pc.setPageDirty(p);
}

/**
 * The seed patch's release (put_user_pages_dirty_lock, v5.2), kept by
 * unpin_user_pages_dirty_lock (mm/gup.c, v5.6 on): `if (!PageDirty(page)) set_page_dirty_lock(page)`.
 */
export function dirtyIfClean(pc: PageCache, p: number): void {
  if (!pc.dirty[p]) setPageDirtyLock(pc, p);
}

/** A page is cleaned as any page: TestClearPageDirty, then the I/O. */
export const cleanAndWrite = (): number => WritebackDecision.CLEAR | WritebackDecision.WRITE;

/**
 * Defaults every policy starts from (spread it, then override): FOLL_PIN, the reclaim
 * guard on, no hooks beyond the seed's release (`if (!PageDirty) set_page_dirty_lock`,
 * unpin_user_pages_dirty_lock in mm/gup.c, v5.6 on).
 */
export const FOLL_PIN_BASE = {
  /** pin_user_pages: FOLL_PIN adds GUP_PIN_COUNTING_BIAS. */
  reference: "FOLL_PIN",
  /** GUP takes a reference; no device mirror. */
  deviceMirror: null,
  /** The reclaim guard of mm/vmscan.c (v6.4) is on. */
  reclaimGuardDefault: true,
  /** Writeback does not ask folio_maybe_dma_pinned. */
  writebackConsultsDetector: false,
  /** No bounce copies. */
  bounces: false,
  /** Pinned pages are cleaned like any other. */
  keepsDirty: false,
  /** No check_vma_flags refusal. */
  refuseGup: () => false,
  /** Nothing after the grab (FOLL_TOUCH is GUP's own). */
  afterGrab: () => {},
  /** `if (!PageDirty)`: only a clean page's release takes PG_locked. */
  releaseTakesPageLock: (pc: PageCache, p: number) => !pc.dirty[p],
  /** dirtyIfClean: set_page_dirty_lock on a clean page. */
  beforeRelease: dirtyIfClean,
  /** cleanAndWrite: TestClearPageDirty, then the I/O. */
  writebackDecision: cleanAndWrite,
} as const satisfies Omit<Policy, "id" | "era" | "summary">;

/** A release that dirties nothing takes no lock (spread it over FOLL_PIN_BASE). */
export const noRelease = {
  /** The release never takes PG_locked. */
  releaseTakesPageLock: () => false,
  /** Nothing is dirtied: the reference is just dropped. */
  beforeRelease: () => {},
} as const;

/**
 * Keep pinned pages dirty (Jérôme Glisse's steps [3..N]; Jan Kara, LSF/MM 2018 and the
 * 2023 RFC "Writeback handling of pinned pages"): a page folio_maybe_dma_pinned calls
 * pinned is never cleaned. WB_SYNC_NONE skips it; WB_SYNC_ALL writes it and leaves it
 * dirty, from the page itself or (`bounce`) from a copy taken under the page lock.
 */
export function keepDirtyPolicy(o: { id: string; era: string; summary: string; bounce: boolean }): Policy {
  const syncWrite = o.bounce ? WritebackDecision.WRITE | WritebackDecision.BOUNCE : WritebackDecision.WRITE;
  return {
    ...FOLL_PIN_BASE,
    ...o,
    writebackConsultsDetector: true,
    keepsDirty: true,
    bounces: o.bounce,
    writebackDecision: (pc, p, sync) => {
      if (!pc.folioMaybeDmaPinned(p)) return WritebackDecision.CLEAR | WritebackDecision.WRITE;
      pc.count(METRIC.keptDirty);
      return sync ? syncWrite : 0;
    },
  };
}
