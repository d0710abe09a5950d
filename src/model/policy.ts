/**
 * What a pin and release policy decides (docs/model.md, "Policies"). The engine and the
 * checker call these hooks at the points where the kernel's behaviour differs between
 * eras; everything else is the shared page model. A policy is one value: a user can write
 * one in a notebook cell and pass it to `simulate(params, { policy })` and `checkConfig`.
 */
import { InputError } from "../errors.js";
import type { PageCache } from "./page-cache.js";
import type { Release } from "./release.js";

/** Bits of a writeback decision, taken after page_mkclean in clear_page_dirty_for_io. */
export const WritebackDecision = {
  /** TestClearPageDirty: the page is clean once the I/O is queued (the normal case). */
  CLEAR: 1,
  /** Start the I/O (set_page_writeback). Without it the page is skipped and left dirty. */
  WRITE: 2,
  /** Copy the page first, under the page lock: device writes no longer reach the I/O. */
  BOUNCE: 4,
  /** Copy at bio submission, `bounceDelay` after unlock_page: a device write can still land in between. */
  BOUNCE_AT_BIO: 8,
} as const;

/**
 * How GUP takes its reference: FOLL_GET adds 1 to the refcount, FOLL_PIN adds
 * GUP_PIN_COUNTING_BIAS (or 1 to folio->_pincount on a large folio), `none` takes no
 * reference at all (the policy then has a {@link DeviceMirror}).
 */
export type ReferenceKind = "FOLL_GET" | "FOLL_PIN" | "none";

/**
 * A device that mirrors the CPU's page table instead of holding a page reference: the
 * driver faults the range in with hmm_range_fault (mm/hmm.c) inside an
 * mmu_interval_read_begin / mmu_interval_read_retry section (mm/mmu_notifier.c and
 * include/linux/mmu_notifier.h, v5.5 on), and its interval notifier's invalidate callback
 * drops the device mapping when the kernel write-protects, unmaps or truncates the page
 * (PageCache.notifyInvalidate). The engine and the checker call these hooks where GUP
 * would take its reference and where the device writes; the release
 * (mmu_interval_notifier_remove) leaves the page as it is. src/policies/mmu-notifier.ts
 * implements them with PageCache.mmuIntervalReadBegin and mmuIntervalReadRetry.
 */
export interface DeviceMirror {
  /**
   * The device maps page p, whose pte is present (and writable, for a write): returns the
   * invalidation sequence its mapping is valid for. Takes no reference, dirties nothing.
   */
  mirror(pc: PageCache, p: number): number;
  /**
   * Before a device write through the mapping taken at `seq`: whether it was invalidated
   * since (or the page left memory), so the device must refault before it writes. Reads
   * the state only; the checker calls it to compute footprints.
   */
  invalidated(pc: PageCache, p: number, seq: number): boolean;
  /**
   * The device refaulted page p (the CPU's write fault made the pte writable again):
   * counts deviceRefaults and returns the new sequence.
   */
  refault(pc: PageCache, p: number): number;
}

/** A pin and release policy: declared properties (the release among them) plus the hooks the engine and checker call. */
export interface Policy {
  /** Short kebab-case id (a built-in one of POLICY_IDS, or any name for a user's own policy). */
  readonly id: string;
  /** Kernel era or proposal. */
  readonly era: string;
  /** One line for `pinsim policies`. */
  readonly summary: string;
  /** FOLL_GET adds 1, FOLL_PIN adds the bias, `none` takes no reference (mmu-notifier). */
  readonly reference: ReferenceKind;
  /**
   * With `reference: "none"`: the device's mirror of the mapping, called instead of GUP's
   * grab and release. Absent or null for a policy whose GUP takes a reference. The engine
   * and the checker read it through deviceMirrorOf, which refuses a mismatch.
   */
  readonly deviceMirror?: DeviceMirror | null;
  /** Default of the reclaim guard (mm/vmscan.c, v6.4) under this policy. */
  readonly reclaimGuardDefault: boolean;
  /** Whether writeback consults folio_maybe_dma_pinned (its counters are null otherwise, unless the reclaim guard is on). */
  readonly writebackConsultsDetector: boolean;
  /** Whether it can bounce (bounceCopies is null otherwise). */
  readonly bounces: boolean;
  /** Whether it keeps pinned pages dirty (keptDirty is null otherwise). */
  readonly keepsDirty: boolean;
  /** check_vma_flags: refuse the whole GUP call before any page is touched. */
  refuseGup(longTerm: boolean): boolean;
  /** After GUP took its reference on page p (follow_page_pte, under the pte lock). */
  afterGrab(pc: PageCache, p: number): void;
  /**
   * The release, declared (src/model/release.ts): which page lock it takes (`none`, `lock`,
   * `trylock`) and when it dirties the page (`always`, `if-clean`, `never`); the reference is
   * dropped as `reference` says (put_page, unpin_user_page). The engine and the checker's
   * release steps both read it; a caller's own release replaces it (callerPolicy).
   */
  readonly release: Release;
  /**
   * In write_cache_pages, after page_mkclean, on a locked dirty page not under writeback:
   * a combination of WritebackDecision bits. `sync` is WB_SYNC_ALL.
   */
  writebackDecision(pc: PageCache, p: number, sync: boolean): number;
}

/**
 * The policy's device mirror, or null when its GUP takes a reference; the engine and the
 * checker call it once, when they are built, and keep the answer.
 *
 * @throws {InputError} `reference` is "none" without a `deviceMirror`, or a `deviceMirror`
 * comes with a reference kind that takes a reference.
 */
export function deviceMirrorOf(policy: Policy): DeviceMirror | null {
  const mirror = policy.deviceMirror ?? null;
  if ((policy.reference === "none") !== (mirror !== null)) {
    throw new InputError(
      `invalid policy ${policy.id}: reference ${policy.reference} ${mirror ? "with" : "without"} a deviceMirror (allowed: reference "none" with a deviceMirror, FOLL_GET or FOLL_PIN without one)`,
    );
  }
  return mirror;
}
