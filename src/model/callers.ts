/**
 * GUP callers: each is the flags it passes, how long it typically holds the pages, how its
 * release dirties them, and what it refused on its own before GUP did, release by release.
 *
 * Sources (docs/model.md has the longer story): block/bio.c (bio_set_pages_dirty,
 * bio_check_pages_dirty, bio_release_pages) and fs/iomap/direct-io.c for O_DIRECT;
 * drivers/infiniband/core/umem.c (ib_umem_get, __ib_umem_release) for RDMA;
 * drivers/vfio/vfio_iommu_type1.c (vaddr_get_pfn, put_pfn) for VFIO; fs/io_uring.c and
 * io_uring/rsrc.c (io_sqe_buffer_register, io_pin_pages, io_buffer_unmap) for io_uring;
 * drivers/gpu/drm/i915/gem/i915_gem_userptr.c for GPU userptr; fs/splice.c vmsplice_to_pipe
 * -> iov_iter_get_pages for vmsplice.
 */
import type { PolicyId } from "./policy-ids.js";
import { FEATURES, hasFeature, kernelPreset, type KernelId } from "./kernels.js";
import type { DistributionSpec } from "./distributions.js";

/** The GUP callers modelled (docs/model-coverage.md): how each pins and releases, per kernel. */
export const CALLER_IDS = ["generic", "odirect", "rdma", "vfio", "io_uring", "gpu-userptr", "vmsplice"] as const;
/** One of {@link CALLER_IDS}. */
export type CallerId = (typeof CALLER_IDS)[number];

/** Every ReleaseKind, in the order its docs list them (the checker's `release=` option). */
export const RELEASE_KINDS = [
  "set_page_dirty_lock",
  "set_page_dirty",
  "trylock-set_page_dirty",
  "dirty-if-clean",
  "SetPageDirty",
  "bio-redirty",
  "none",
] as const satisfies readonly ReleaseKind[];

/** How a caller's release dirties the pages before dropping its reference. */
export type ReleaseKind =
  /** set_page_dirty_lock on every page, then put_page (legacy callers). */
  | "set_page_dirty_lock"
  /** set_page_dirty without the page lock, then put_page (i915 userptr before 5.4). */
  | "set_page_dirty"
  /** `if (trylock_page) { set_page_dirty; unlock_page }`, else no dirtying at all (i915 userptr from 5.4). */
  | "trylock-set_page_dirty"
  /** `if (!PageDirty) set_page_dirty_lock`: put_user_pages_dirty_lock, unpin_user_pages_dirty_lock(make_dirty), ib_umem's own test before 5.6. */
  | "dirty-if-clean"
  /** SetPageDirty: the flag only, no ->dirty_folio, no inode dirtying (VFIO put_pfn before 5.6). */
  | "SetPageDirty"
  /** O_DIRECT read: bio_set_pages_dirty before the I/O, bio_check_pages_dirty after it (redirties pages cleaned meanwhile). */
  | "bio-redirty"
  /** Drops the reference only (io_uring's unmap, vmsplice's pipe buffer release). */
  | "none";

/** Whether the caller asks for FOLL_WRITE. */
export type WriteFlag = "always" | "per-access" | "never";

/** How one caller pins and releases pages in one kernel release ({@link callerProfile}). */
export interface CallerProfile {
  /** The caller. */
  readonly id: CallerId;
  /** The kernel release it describes. */
  readonly kernel: KernelId;
  /** The interface exists in this release (io_uring: 5.1 on). */
  readonly exists: boolean;
  /** FOLL_GET (+1) or FOLL_PIN (+bias; exact count on large folios). */
  readonly reference: "FOLL_GET" | "FOLL_PIN";
  /** FOLL_WRITE: always (io_uring), per `pinAccess`, or never (vmsplice). */
  readonly write: WriteFlag;
  /** FOLL_LONGTERM; null: taken from the `longTerm` parameter (generic). */
  readonly longTerm: boolean | null;
  /** The pages are dirtied when the pin is taken (bio_set_pages_dirty), besides GUP's own FOLL_TOUCH dirtying. */
  readonly dirtiesAtPin: boolean;
  /** How its release dirties the pages before dropping its reference. */
  readonly release: ReleaseKind;
  /** The device writes into the pages while held (false for vmsplice and for read access). */
  readonly deviceWrites: boolean;
  /** Typical hold time, in words. */
  readonly hold: string;
  /** A default `pinDuration` for a group of this caller, seconds (distribution). */
  readonly holdDefault: DistributionSpec;
  /**
   * The policy module (docs/model.md#policies) whose hooks stand for this caller's GUP and release in
   * this release; `release`/`dirtiesAtPin` say where the caller differs from it.
   */
  readonly policy: PolicyId;
  /** File and function, commit. */
  readonly cite: string;
}

/**
 * What `caller` does in release `kernel`. Pure; throws RangeError for an unknown kernel.
 *
 * @example callerProfile("io_uring", "5.10").reference === "FOLL_PIN"
 */
export function callerProfile(caller: CallerId, kernel: KernelId): CallerProfile {
  const k = kernelPreset(kernel).id;
  return { id: caller, kernel: k, exists: true, ...PROFILES[caller](k) };
}

/** What a caller's profile states beyond its id and release (PROFILES). */
type ProfileFields = Omit<CallerProfile, "id" | "kernel" | "exists"> & { exists?: boolean };

/** The policy a plain FOLL_PIN caller runs in release k (KernelPreset.pinPolicy). */
const pinPolicy = (k: KernelId): PolicyId => kernelPreset(k).pinPolicy;
/** FOLL_PIN once pin_user_pages exists (5.6), else FOLL_GET. */
const pinRef = (k: KernelId): CallerProfile["reference"] => (hasFeature(k, "pinUserPages") ? "FOLL_PIN" : "FOLL_GET");

/** Each caller's profile in release k: its flags, release, hold time and sources. */
const PROFILES: Record<CallerId, (k: KernelId) => ProfileFields> = {
  generic: (k) => ({
    reference: pinRef(k),
    write: "per-access",
    longTerm: null,
    dirtiesAtPin: false,
    release: "dirty-if-clean",
    deviceWrites: true,
    hold: "as the pinDuration parameter says",
    holdDefault: 60,
    policy: pinPolicy(k),
    cite: "docs/model.md#policies: legacy put_page up to 5.5, FOLL_PIN with unpin_user_pages_dirty_lock from 5.7, the 6.5 long-term refusal",
  }),
  odirect: (k) => {
    const p = hasFeature(k, "odirectPin");
    return {
      reference: p ? "FOLL_PIN" : "FOLL_GET",
      write: "per-access",
      longTerm: false,
      dirtiesAtPin: true,
      release: "bio-redirty",
      deviceWrites: true,
      hold: "one block I/O: 10 µs–1 ms on NVMe, 5–20 ms on disks",
      holdDefault: "lognormal:-8:1",
      policy: p ? pinPolicy(k) : "dirty-at-gup",
      cite: `fs/iomap/direct-io.c iomap_dio_bio_iter: 'if (dio->flags & IOMAP_DIO_DIRTY) bio_set_pages_dirty(bio)' before submission, iomap_dio_bio_end_io -> bio_check_pages_dirty (block/bio.c: redirties any page found clean, via set_page_dirty_lock in bio_dirty_fn) for reads; FOLL_GET through iov_iter_get_pages until ${FEATURES.odirectPin.cite}`,
    };
  },
  rdma: (k) => ({
    reference: pinRef(k),
    write: "per-access",
    longTerm: true,
    dirtiesAtPin: false,
    release: "dirty-if-clean",
    deviceWrites: true,
    hold: "the memory region's life: registered at start, kept for hours to days",
    holdDefault: "lognormal:9:1",
    policy: pinPolicy(k),
    cite: "drivers/infiniband/core/umem.c ib_umem_get: FOLL_LONGTERM (get_user_pages_longterm from 4.15) with FOLL_WRITE when the access flags allow local writes; __ib_umem_release: 'if (!PageDirty(page) && umem->writable && dirty) set_page_dirty_lock(page); put_page(page)' until 5.6, then unpin_user_page_range_dirty_lock(..., make_dirty && umem->writable)",
  }),
  vfio: (k) => ({
    reference: pinRef(k),
    write: "per-access",
    longTerm: true,
    dirtiesAtPin: false,
    release: hasFeature(k, "pinUserPages") ? "dirty-if-clean" : "SetPageDirty",
    deviceWrites: true,
    hold: "the VM's life: days to months",
    holdDefault: "lognormal:11:1",
    policy: hasFeature(k, "pinUserPages") ? pinPolicy(k) : "legacy-put-page",
    cite: "drivers/vfio/vfio_iommu_type1.c vaddr_get_pfn: FOLL_WRITE if IOMMU_WRITE, FOLL_LONGTERM; put_pfn: 'if (prot & IOMMU_WRITE) SetPageDirty(page); put_page(page)' until 19fed0dae94d (5.6), then unpin_user_pages_dirty_lock(&page, 1, prot & IOMMU_WRITE)",
  }),
  io_uring: (k) => {
    const exists = hasFeature(k, "ioUring");
    return {
      exists,
      reference: pinRef(k),
      write: "always",
      longTerm: true,
      dirtiesAtPin: false,
      release: "none",
      deviceWrites: true,
      hold: "the ring's registered-buffer life: minutes to days",
      holdDefault: "lognormal:8:1",
      policy: pinPolicy(k),
      cite: `IORING_REGISTER_BUFFERS pins with FOLL_WRITE|FOLL_LONGTERM (tools/testing/selftests/mm/gup_longterm.c: 'io_uring always pins pages writable'); io_buffer_unmap drops the pins without dirtying (put_page, then unpin_user_page); refusals: ${FEATURES.ioUring.cite}; ${FEATURES.ioUringShmem.cite}; 6.5: ${FEATURES.longtermRefusal.cite}`,
    };
  },
  "gpu-userptr": (k) => {
    const p = hasFeature(k, "gpuUserptrPin");
    return {
      reference: p ? "FOLL_PIN" : "FOLL_GET",
      write: "per-access",
      longTerm: false,
      dirtiesAtPin: false,
      release: hasFeature(k, "i915UserptrTrylock") ? "trylock-set_page_dirty" : "set_page_dirty",
      deviceWrites: true,
      hold: "until the object's pages are released or an MMU notifier invalidates them: seconds to hours",
      holdDefault: "lognormal:5:1.5",
      policy: p ? pinPolicy(k) : "legacy-put-page",
      cite: `i915_gem_userptr_put_pages: 'if (obj->mm.dirty) set_page_dirty(page)' without the page lock, then put_page (the real-world trigger of bugzilla 203317, the ext4_set_page_dirty WARN); from 5.4 only if trylock_page succeeds, else the page is not dirtied (${FEATURES.i915UserptrTrylock.cite}); then put_page / unpin_user_page; not FOLL_LONGTERM (the driver listens to MMU notifiers); ${FEATURES.gpuUserptrPin.cite}`,
    };
  },
  vmsplice: () => ({
    reference: "FOLL_GET",
    write: "never",
    longTerm: false,
    dirtiesAtPin: false,
    release: "none",
    deviceWrites: false,
    hold: "until the reader drains the pipe: microseconds to forever",
    holdDefault: "exp:1",
    policy: "legacy-put-page",
    cite: "fs/splice.c vmsplice_to_pipe -> iov_iter_get_pages: plain FOLL_GET references, one per page per pipe buffer, never FOLL_PIN (measured on 6.18: 51,200 references moved nr_foll_pin_acquired by 0; docs/model.md#the-pin-detector); they raise the refcount the detector reads without any pin",
  }),
};
