/**
 * A pinner group's policy: the era's policy module (MODEL.md §4) with the caller's own GUP
 * and release behaviour laid over it (src/model/callers.ts). The engine and the checker run
 * one of these per group; the result is a Policy like any other, with the base policy's id.
 */
import { BACKING_PROFILES, type Backing, type Mapping, type PinAccess } from "../model/backings.js";
import type { CallerProfile } from "../model/callers.js";
import { gupDecide, type GupAnswer } from "../model/gup-rules.js";
import type { KernelId } from "../model/kernels.js";
import { deviceMirrorOf, type Policy } from "../model/policy.js";
import { dirtyIfClean, setPageDirtyLock, setPageDirtyUnlocked, trylockSetPageDirty } from "./common.js";

const nothing = (): void => {};

/**
 * The policy a group of `caller` runs on top of `base`:
 * - a read pin (no FOLL_WRITE) never dirties anything: FOLL_TOUCH dirties only for writes,
 *   and the release passes make_dirty = false (unpin_user_pages_dirty_lock);
 * - vmsplice takes plain FOLL_GET references and releases them without dirtying
 *   (iov_iter_get_pages, pipe buffer release);
 * - O_DIRECT dirties at submission (bio_set_pages_dirty) and redirties a page found clean
 *   at completion (bio_check_pages_dirty);
 * - io_uring's unmap drops the pins without dirtying (io_buffer_unmap);
 * - i915 userptr dirties without waiting for the page lock: set_page_dirty unlocked before
 *   5.4, `if (trylock_page) set_page_dirty` from 5.4 (skipping a page whose lock is held);
 * - everyone else releases as the era's policy does (set_page_dirty_lock,
 *   `if (!PageDirty) set_page_dirty_lock`).
 * A base policy without a reference (mmu-notifier) is kept as it is: the device mirrors.
 */
export function callerPolicy(base: Policy, caller: CallerProfile, access: PinAccess): Policy {
  if (deviceMirrorOf(base)) return base;
  const write = caller.write === "always" || (caller.write === "per-access" && access === "write");
  if (caller.id === "generic" && write) return base;
  const reference = caller.reference === "FOLL_GET" && caller.id === "vmsplice" ? "FOLL_GET" : base.reference;
  let afterGrab = base.afterGrab;
  let beforeRelease = base.beforeRelease;
  let releaseTakesPageLock = base.releaseTakesPageLock;
  let releaseTrylocks = base.releaseTrylocks ?? false;
  if (!write || caller.release === "none") {
    afterGrab = write ? base.afterGrab : nothing;
    beforeRelease = nothing;
    releaseTakesPageLock = () => false;
  } else if (caller.release === "bio-redirty") {
    afterGrab = (pc, p) => {
      setPageDirtyLock(pc, p); // bio_set_pages_dirty before the I/O
      base.afterGrab(pc, p);
    };
    beforeRelease = dirtyIfClean; // bio_check_pages_dirty after it
    releaseTakesPageLock = (pc, p) => !pc.dirty[p];
  } else if (caller.release === "set_page_dirty" || caller.release === "trylock-set_page_dirty") {
    // i915_gem_userptr_put_pages: never waits for the page lock (it may run under
    // try_to_unmap, which holds it): unlocked before 5.4, a trylock from then on.
    beforeRelease = caller.release === "set_page_dirty" ? setPageDirtyUnlocked : trylockSetPageDirty;
    releaseTakesPageLock = () => false;
    releaseTrylocks = caller.release === "trylock-set_page_dirty";
  }
  if (reference === base.reference && afterGrab === base.afterGrab && beforeRelease === base.beforeRelease) return base;
  return {
    ...base,
    reference,
    afterGrab,
    beforeRelease,
    releaseTakesPageLock,
    releaseTrylocks,
    summary: `${base.summary} (as ${caller.id}${write ? "" : ", read-only"})`,
  };
}

/** What a pinner group's GUP call meets, decided once per group (the VMA does not change). */
export interface GroupGup {
  /** Refused every time, with this errno (the pinner retries after pinGap). */
  refused: GupAnswer["errno"];
  /** Pins land on an anonymous copy (private mapping): no page-cache folio is held. */
  anonymous: boolean;
  /** The effective flags. */
  flags: GupAnswer["flags"];
  /** gupDecide's answer, for the record. */
  answer: GupAnswer;
}

/**
 * Decide a group's GUP outcome. With a kernel preset, gupDecide answers; without one (or
 * with an explicit policy), the policy's refuseGup stands for GUP's 6.5 rule: it refuses a
 * writable FOLL_PIN|FOLL_LONGTERM pin of a shared mapping whose backing needs dirty
 * tracking, and io_uring's own refusals apply only under a kernel preset.
 */
export function groupGup(o: {
  kernel: KernelId | null;
  mapping: Mapping;
  backing: Backing;
  access: "read" | "write";
  path: "slow" | "fast" | "fast-no-recheck";
  longTerm: boolean;
  caller: CallerProfile;
  policy: Policy;
}): GroupGup {
  const answer = gupDecide({
    kernel: o.kernel ?? o.caller.kernel,
    mapping: o.mapping,
    backing: o.backing,
    access: o.access,
    path: o.path === "slow" ? "slow" : "fast",
    longTerm: o.longTerm,
    caller: o.caller.id,
  });
  const f = answer.flags;
  const gupRule =
    o.policy.reference === "FOLL_PIN" &&
    o.policy.refuseGup(f.longTerm) &&
    f.write &&
    o.mapping === "shared" &&
    BACKING_PROFILES[o.backing].needsDirtyTracking;
  const own = o.kernel !== null && !answer.pinned && answer.refusedBy !== "check_vma_flags";
  const refused = own ? answer.errno : gupRule ? "EFAULT" : null;
  return { refused, anonymous: answer.target === "anon-copy", flags: f, answer };
}
