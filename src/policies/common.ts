/**
 * Building blocks the policies share: the release variants and the plain writeback
 * decision. Each policy file composes them and says which era it stands for.
 */
import { WB, type Policy } from "../model/policy.js";
import type { PageCache } from "../model/page-cache.js";

/** set_page_dirty_lock: lock_page, set_page_dirty, unlock_page. */
export function setPageDirtyLock(pc: PageCache, p: number): void {
  pc.setPageDirty(p);
}

/**
 * The seed patch's release (put_user_pages_dirty_lock), kept by
 * unpin_user_pages_dirty_lock: `if (!PageDirty(page)) set_page_dirty_lock(page)`.
 */
export function dirtyIfClean(pc: PageCache, p: number): void {
  if (!pc.dirty[p]) setPageDirtyLock(pc, p);
}

/** A page is cleaned as any page: TestClearPageDirty, then the I/O. */
export const cleanAndWrite = (): number => WB.CLEAR | WB.WRITE;

/** Defaults every policy starts from: FOLL_PIN, no hooks beyond the seed's release. */
export const FOLL_PIN_BASE = {
  reference: "FOLL_PIN",
  reclaimGuardDefault: true,
  writebackConsultsDetector: false,
  bounces: false,
  keepsDirty: false,
  refuseGup: () => false,
  afterGrab: () => {},
  beforeRelease: dirtyIfClean,
  writebackDecision: cleanAndWrite,
} as const satisfies Omit<Policy, "id" | "era" | "summary">;
