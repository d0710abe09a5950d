/**
 * Does GUP pin, or refuse? One pure function, `gupDecide`, used by the engine, the checker
 * and `pinsim calibrate` (which compares it with io_uring registrations measured on a
 * running kernel).
 *
 * The rules, newest first:
 * - 6.5 on, mm/gup.c check_vma_flags: `if (write && !vma_anon &&
 *   !writable_file_mapping_allowed(vma, gup_flags)) return -EFAULT;`, where
 *   writable_file_mapping_allowed is true unless the call is FOLL_PIN|FOLL_LONGTERM and
 *   vma_needs_dirty_tracking(vma) (a shared writable mapping whose fs has page_mkwrite or
 *   can write back: ext4, xfs, btrfs; not tmpfs, not hugetlbfs). GUP-fast declines such a
 *   folio in gup_fast_folio_allowed (folio_fast_pin_allowed in 6.5–6.9) and falls back to
 *   the slow path, which refuses: the outcome does not depend on the path. This is the
 *   gup_longterm selftest's rule: `should_work = !shared || !rw ||
 *   fs_supports_writable_longterm_pinning(fs_type)` (only tmpfs and hugetlbfs).
 * - Before 6.5 GUP refused no file mapping for writeback's sake (check_vma_flags tested only
 *   VM_IO|VM_PFNMAP and the VMA's permissions; FOLL_LONGTERM refused only fs-dax, which the
 *   model has no backing for), but io_uring refused on its own: any file-backed VMA except
 *   hugetlbfs with EOPNOTSUPP (5.1–5.13), shmem allowed from 5.14 (see kernels.ts FEATURES).
 *   io_uring did not exist before 5.1.
 * - A write pin of a private mapping breaks COW first (FAULT_FLAG_WRITE) and pins the
 *   anonymous copy: no page-cache folio is ever held. A long-term read-only pin of a
 *   private mapping unshares too since ≈6.2 (gup_must_unshare).
 */
import { BACKING_PROFILES, type Backing, type Mapping, type PinAccess } from "./backings.js";
import { callerProfile, type CallerId } from "./callers.js";
import { FEATURES, hasFeature, kernelPreset, type KernelId } from "./kernels.js";

/** A GUP call, as a user describes it. */
export interface GupQuestion {
  /** Kernel release preset. */
  kernel: KernelId;
  /** MAP_SHARED or MAP_PRIVATE. */
  mapping: Mapping;
  /** The filesystem behind the mapping. */
  backing: Backing;
  /** `write` asks for FOLL_WRITE (the device writes into the pages). A caller may force it (io_uring) or never ask (vmsplice). */
  access: PinAccess;
  /** pin_user_pages (slow) or pin_user_pages_fast. */
  path: "slow" | "fast";
  /** FOLL_LONGTERM. A caller may force it (RDMA, VFIO, io_uring) or never ask (O_DIRECT, GPU userptr, vmsplice). */
  longTerm: boolean;
  /** Who calls GUP; default `generic` (flags exactly as asked, FOLL_PIN where the release has it). */
  caller?: CallerId;
  /**
   * FOLL_FORCE: a write through a read-only mapping (ptrace, /proc/pid/mem). A shared
   * mapping refuses it; a private one breaks COW (the copy, or Dirty COW's page-cache page
   * before 4.9: the checker's race). Default false.
   */
  force?: boolean;
}

/** What GUP does with it. */
export interface GupAnswer {
  /** The pages were pinned (or referenced, for FOLL_GET). */
  pinned: boolean;
  /** The error a refused call returns; null when pinned. */
  errno: "EFAULT" | "EOPNOTSUPP" | "ENOSYS" | null;
  /** The kernel function that refused; null when pinned. */
  refusedBy: string | null;
  /** The flags the caller actually passed. */
  flags: {
    /** FOLL_GET (get_user_pages) or FOLL_PIN (pin_user_pages). */
    reference: "FOLL_GET" | "FOLL_PIN";
    /** FOLL_WRITE. */
    write: boolean;
    /** FOLL_LONGTERM. */
    longTerm: boolean;
  };
  /**
   * What is held: the page-cache folio, an anonymous copy made by COW or unshare, or (backing
   * `anon`) the process's own anonymous page (nothing when refused).
   */
  target: "page-cache" | "anon-copy" | "anon-page" | null;
  /** GUP-fast declined the folio (gup_fast_folio_allowed) and the slow path decided. */
  fastFallback: boolean;
  /** One line: the rule that decided, with its source. */
  why: string;
}

/** Why FOLL_FORCE through a read-only shared mapping is refused (gupDecide). */
const FORCE_SHARED =
  "FOLL_FORCE never writes through a read-only shared mapping (cda540ace6a1 'mm: get_user_pages(write,force) refuse to COW in shared areas', Hugh Dickins, 3.15)";
/** Why an anonymous page is pinned (gupDecide). */
const ANON_PAGE =
  "an anonymous page has no file: no refusal applies (vma_needs_dirty_tracking is false); GUP holds the process's own page, after a COW break where a fork shares it";

/**
 * Decide whether a GUP call pins or is refused, for every kernel preset, mapping, backing,
 * access, path, long-term flag and caller. Pure and total; throws RangeError only for an
 * unknown kernel id.
 *
 * @example
 * gupDecide({ kernel: "6.6", mapping: "shared", backing: "ext4", access: "write", path: "slow", longTerm: true })
 *   // -> { pinned: false, errno: "EFAULT", refusedBy: "check_vma_flags", ... }
 */
export function gupDecide(q: GupQuestion): GupAnswer {
  const kernel = kernelPreset(q.kernel).id;
  const caller = callerProfile(q.caller ?? "generic", kernel);
  const flags = {
    reference: caller.reference,
    write: caller.write === "always" || (caller.write === "per-access" && q.access === "write"),
    longTerm: caller.longTerm ?? q.longTerm,
  };
  const backing = BACKING_PROFILES[q.backing];
  const shared = q.mapping === "shared";
  const refuse = (errno: GupAnswer["errno"], refusedBy: string, why: string, fastFallback = false): GupAnswer => ({
    pinned: false,
    errno,
    refusedBy,
    flags,
    target: null,
    fastFallback,
    why,
  });

  if (!caller.exists)
    return refuse("ENOSYS", "io_uring_setup", `io_uring does not exist before 5.1 (${FEATURES.ioUring.cite})`);

  // FOLL_FORCE on a read-only shared mapping: check_vma_flags' '!is_cow_mapping(vm_flags)'.
  if (q.force && flags.write && shared && !backing.anonymous) return refuse("EFAULT", "check_vma_flags", FORCE_SHARED);

  // GUP itself, 6.5 on: check_vma_flags -> writable_file_mapping_allowed (slow path);
  // gup_fast_folio_allowed makes GUP-fast fall back to the slow path for the same folios.
  const longtermPinWrite = flags.reference === "FOLL_PIN" && flags.longTerm && flags.write;
  if (hasFeature(kernel, "longtermRefusal") && longtermPinWrite && shared && backing.needsDirtyTracking) {
    return refuse(
      "EFAULT",
      "check_vma_flags",
      `a writable FOLL_PIN|FOLL_LONGTERM pin of a shared ${q.backing} mapping needs dirty tracking: writable_file_mapping_allowed is false (${FEATURES.longtermRefusal.cite})`,
      q.path === "fast",
    );
  }

  // io_uring's own check before 6.5 (io_sqe_buffer_register / io_pin_pages): any vm_file,
  // shared or private, except hugetlbfs, and shmem from 5.14.
  if (caller.id === "io_uring" && !hasFeature(kernel, "longtermRefusal")) {
    const shmemOk = hasFeature(kernel, "ioUringShmem");
    // Anonymous memory has no vm_file: io_uring always took it.
    const allowed = q.backing === "hugetlbfs" || (q.backing === "tmpfs" && shmemOk) || backing.anonymous;
    if (!allowed)
      return refuse(
        "EOPNOTSUPP",
        kernel.startsWith("6.") ? "io_pin_pages" : "io_sqe_buffer_register",
        `io_uring refuses a file-backed registered buffer (${q.mapping} ${q.backing}) before 6.5: ${shmemOk ? FEATURES.ioUringShmem.cite : FEATURES.ioUring.cite}`,
      );
  }

  // Pinned. What is held?
  const { target, why } = held(q, kernel, flags, longtermPinWrite);
  return { pinned: true, errno: null, refusedBy: null, flags, target, fastFallback: false, why };
}

/** What a GUP call that pins holds, and the rule that says so (gupDecide's last step). */
function held(
  q: GupQuestion,
  kernel: KernelId,
  flags: GupAnswer["flags"],
  longtermPinWrite: boolean,
): { target: NonNullable<GupAnswer["target"]>; why: string } {
  const backing = BACKING_PROFILES[q.backing];
  if (backing.anonymous) return { target: "anon-page", why: ANON_PAGE };
  const cow =
    q.mapping !== "shared" &&
    (flags.write || (flags.longTerm && flags.reference === "FOLL_PIN" && hasFeature(kernel, "roLongtermUnshare")));
  const why = cow
    ? flags.write
      ? `a write pin of a private mapping breaks COW first and pins the anonymous copy (FAULT_FLAG_WRITE on a MAP_PRIVATE vma)`
      : `a long-term read pin of a private mapping unshares and pins an anonymous copy (${FEATURES.roLongtermUnshare.cite})`
    : !flags.write
      ? `a read pin (no FOLL_WRITE) is never refused for writeback's sake: writable_file_mapping_allowed is consulted only for writes`
      : !longtermPinWrite
        ? `only FOLL_PIN|FOLL_LONGTERM write pins are refused (writable_file_mapping_allowed returns true otherwise)`
        : !backing.needsDirtyTracking
          ? `${q.backing} needs no dirty tracking (vma_needs_dirty_tracking is false), so long-term write pins are allowed`
          : `before 6.5 GUP refuses no long-term write pin of a file mapping (check_vma_flags tests only VM_IO|VM_PFNMAP and permissions)`;
  return { target: cow ? "anon-copy" : "page-cache", why };
}

/**
 * The gup_longterm selftest's expectation for a long-term GUP pin
 * (tools/testing/selftests/mm/gup_longterm.c, do_test, added with the 6.5 rule):
 * `!shared || !rw || fs_supports_writable_longterm_pinning(fs_type)`, the latter true for
 * tmpfs and hugetlbfs only. For the io_uring case the selftest uses `!shared || fs_supports…`.
 */
export function gupLongtermSelftestShouldWork(
  mapping: Mapping,
  backing: Backing,
  access: PinAccess,
  ioUring = false,
): boolean {
  const fsSupportsWritableLongtermPinning = backing === "tmpfs" || backing === "hugetlbfs";
  if (ioUring) return mapping === "private" || fsSupportsWritableLongtermPinning;
  return mapping === "private" || access === "read" || fsSupportsWritableLongtermPinning;
}
