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
import { CALLER_RELEASES, NO_DIRTYING, sameRelease, type Release } from "../model/release.js";

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
  const o = callerOverlay(base, caller, access);
  if (!o.changes) return base;
  return {
    ...base,
    reference: o.reference,
    afterGrab: !o.write ? nothing : caller.dirtiesAtPin ? bioSetPagesDirty(base) : base.afterGrab,
    release: o.release,
    summary: `${base.summary} (as ${caller.id}${o.write ? "" : ", read-only"})`,
  };
}

/**
 * What `caller` changes in `base` (callerPolicy): the reference, the release, and whether
 * its GUP dirties otherwise (a read pin does not; O_DIRECT dirties at submission).
 * `changes` is false when the result is `base` itself; `ownRelease` says the caller's own
 * release code runs instead of the policy's (a read pin, or a ReleaseKind with an entry in
 * CALLER_RELEASES: io_uring, vmsplice, O_DIRECT, i915 userptr), even where it does what the
 * policy's would: the checker counts that as off the policy's spec. A mirroring policy
 * (mmu-notifier) is never changed.
 */
export function callerOverlay(
  base: Policy,
  caller: CallerProfile,
  access: PinAccess,
): { changes: boolean; ownRelease: boolean; write: boolean; reference: Policy["reference"]; release: Release } {
  const write = caller.write === "always" || (caller.write === "per-access" && access === "write");
  if (deviceMirrorOf(base))
    return { changes: false, ownRelease: false, write, reference: base.reference, release: base.release };
  const reference = caller.reference === "FOLL_GET" && caller.id === "vmsplice" ? "FOLL_GET" : base.reference;
  // The caller's own release as data (CALLER_RELEASES), or the era's; a read pin never dirties.
  const own = write ? CALLER_RELEASES[caller.release] : NO_DIRTYING;
  const release = own ?? base.release;
  const ownGrab = !write || caller.dirtiesAtPin;
  const changes = reference !== base.reference || ownGrab || !sameRelease(release, base.release);
  return { changes, ownRelease: own !== null, write, reference, release };
}

/** O_DIRECT's bio_set_pages_dirty before the I/O (block/bio.c), then the base policy's own hook. */
function bioSetPagesDirty(base: Policy): Policy["afterGrab"] {
  return (pc, p) => {
    pc.setPageDirty(p, true); // set_page_dirty_lock: the engine never holds PG_locked between events
    base.afterGrab(pc, p);
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
  /** FOLL_FORCE (gupDecide's `force`). Default false. */
  force?: boolean;
}): GroupGup {
  const answer = gupDecide({
    kernel: o.kernel ?? o.caller.kernel,
    mapping: o.mapping,
    backing: o.backing,
    access: o.access,
    path: o.path === "slow" ? "slow" : "fast",
    longTerm: o.longTerm,
    caller: o.caller.id,
    force: o.force ?? false,
  });
  const f = answer.flags;
  const gupRule =
    o.policy.reference === "FOLL_PIN" &&
    o.policy.refuseGup(f.longTerm) &&
    f.write &&
    o.mapping === "shared" &&
    BACKING_PROFILES[o.backing].needsDirtyTracking;
  const own = o.kernel !== null && !answer.pinned && answer.refusedBy !== "check_vma_flags";
  // FOLL_FORCE through a read-only shared mapping: check_vma_flags refuses it under every policy.
  const forced = (o.force ?? false) && f.write && o.mapping === "shared" && !BACKING_PROFILES[o.backing].anonymous;
  const refused = forced ? "EFAULT" : own ? answer.errno : gupRule ? "EFAULT" : null;
  return { refused, anonymous: answer.target === "anon-copy", flags: f, answer };
}
