/**
 * What backs a mapping, and how each backing behaves where the model cares: the private data
 * a write fault attaches and reclaim releases, what writeback does with a dirty folio that
 * lacks it, stable writes and checksums, whether the mapping needs dirty tracking at all,
 * and which folio orders its page cache can hold in which release.
 *
 * Sources: fs/ext4/inode.c (buffer heads), fs/iomap/buffered-io.c (iomap_folio_state, the
 * private data of xfs), fs/btrfs/inode.c and extent_io.c (extent-mapped folios, the COW
 * fixup worker, data checksums), mm/shmem.c and fs/hugetlbfs/inode.c (no writeback),
 * mm/mmap.c vma_needs_dirty_tracking. docs/model.md has the longer story.
 */
import { ParamError } from "../errors.js";
import { hasFeature, KERNELS, NEWEST_KERNEL, type KernelId } from "./kernels.js";

/**
 * The file systems and memory backings modelled (docs/model-coverage.md). `anon` is private
 * anonymous memory (MAP_PRIVATE|MAP_ANONYMOUS): no file, the mapping is private (resolveParams
 * and the checker refuse `mapping` `shared` given with it: a shared anonymous mapping is
 * shmem, backing `tmpfs`).
 */
export const BACKINGS = ["ext4", "xfs", "btrfs", "tmpfs", "hugetlbfs", "anon"] as const;
/** One of {@link BACKINGS}. */
export type Backing = (typeof BACKINGS)[number];

/** The mmap flavours a pinned buffer can have. */
export const MAPPINGS = ["shared", "private"] as const;
/** MAP_SHARED or MAP_PRIVATE. */
export type Mapping = (typeof MAPPINGS)[number];

/** Whether the pin asks for FOLL_WRITE. */
export const PIN_ACCESSES = ["write", "read"] as const;
/** FOLL_WRITE (the device writes into the pages) or not. */
export type PinAccess = (typeof PIN_ACCESSES)[number];

/** What ->writepages does with a dirty folio whose private data reclaim has released. */
export type BufferlessWriteback =
  /** ext4: BUG() before 5.18, warn and drop the dirty bit after (params `fsBehavior`). */
  | "ext4"
  /** iomap (xfs): nothing to lose; iomap_writepage_map allocates the folio state if it needs one and writes. */
  | "write"
  /** btrfs: the COW fixup worker reserves space, re-attaches the private marker, redirties and writes later. */
  | "cow-fixup"
  /** tmpfs, hugetlbfs: no writeback at all. */
  | "none";

/** What one backing does where the model cares: dirty tracking, writeback, private data, stable writes, checksums. */
export interface BackingProfile {
  /** The backing, one of BACKINGS. */
  readonly id: Backing;
  /** statfs f_type magic the gup_longterm selftest keys on. */
  readonly magic: string;
  /**
   * vma_needs_dirty_tracking() of a shared writable mapping: the fs has page_mkwrite
   * (vm_ops_needs_writenotify) or its mapping can write back (mapping_can_writeback).
   * This is what 6.5's long-term refusal and the gup_longterm selftest
   * (fs_supports_writable_longterm_pinning: only tmpfs and hugetlbfs) turn on.
   */
  readonly needsDirtyTracking: boolean;
  /** The flusher, fsync and reclaim's pageout write its pages to storage. */
  readonly writesBack: boolean;
  /** What folio->private holds for an order-0 folio with block size = PAGE_SIZE; null: nothing. */
  readonly privateData: string | null;
  /** A write fault (page_mkwrite, write_begin) attaches that private data. */
  readonly privateAtWriteFault: boolean;
  /** try_to_release_page (filemap_release_folio) frees it from a clean folio, with no reference check. */
  readonly privateReleasedByReclaim: boolean;
  /** What writeback does with a dirty folio that lacks the private data. */
  readonly bufferlessWriteback: BufferlessWriteback;
  /**
   * ->dirty_folio warns when it is called on a clean folio without PG_locked, or on one
   * without private data (ext4_set_page_dirty / ext4_dirty_folio; FEATURES.ext4DirtyWarn).
   */
  readonly dirtyWarnings: boolean;
  /** page_mkwrite waits for writeback to finish (SB_I_STABLE_WRITES or by hand). */
  readonly stableWrites: boolean;
  /** Data checksums computed at bio submission: a DMA write during writeback leaves a checksum that does not match the data on disk. */
  readonly dataChecksums: boolean;
  /**
   * Private anonymous memory: no file and no page cache; reclaim moves it to swap
   * (add_to_swap, pageout -> swap_writepage) and a fault reads it back (do_swap_page); fork
   * shares it copy-on-write (copy_present_pte) and a write fault breaks the sharing
   * (do_wp_page). src/model/anon.ts holds these paths.
   */
  readonly anonymous: boolean;
  /** Where each fact comes from. */
  readonly cite: string;
}

/** Every backing's profile, each fact with its source (`cite`). */
export const BACKING_PROFILES: Readonly<Record<Backing, BackingProfile>> = Object.freeze({
  ext4: {
    id: "ext4",
    magic: "EXT4_SUPER_MAGIC",
    needsDirtyTracking: true,
    writesBack: true,
    privateData: "buffer heads",
    privateAtWriteFault: true,
    privateReleasedByReclaim: true,
    bufferlessWriteback: "ext4",
    dirtyWarnings: true,
    stableWrites: false,
    dataChecksums: false,
    anonymous: false,
    cite: "fs/ext4/inode.c ext4_page_mkwrite -> block_page_mkwrite attaches buffer heads; try_to_free_buffers releases them (ext4_release_folio); ext4_writepage BUG()s on a dirty page without buffers until cc5095747edf (5.18), then warns and clears the dirty bit",
  },
  xfs: {
    id: "xfs",
    magic: "XFS_SUPER_MAGIC",
    needsDirtyTracking: true,
    writesBack: true,
    privateData: null,
    privateAtWriteFault: false,
    privateReleasedByReclaim: false,
    bufferlessWriteback: "write",
    dirtyWarnings: false,
    stableWrites: false,
    dataChecksums: false,
    anonymous: false,
    cite: "fs/iomap/buffered-io.c: folio->private is an iomap_folio_state (struct iomap_page before 6.4), allocated only when a folio holds more than one block (ifs_alloc / iomap_page_create: 'if (!ifs && nr_blocks > 1)'), so an order-0 folio with 4 KiB blocks has none; iomap_release_folio frees it from a clean folio; iomap_writepage_map writes a dirty folio without one (8e1bcef8e18d 'iomap: Permit pages without an iop to enter writeback', 5.10). xfs moved from buffer heads to iomap for buffered I/O in 4.19–5.0 (Christoph Hellwig's series); the presets treat xfs as iomap throughout",
  },
  btrfs: {
    id: "btrfs",
    magic: "BTRFS_SUPER_MAGIC",
    needsDirtyTracking: true,
    writesBack: true,
    privateData: "extent-mapped marker (EXTENT_FOLIO_PRIVATE, or a btrfs_subpage when sectorsize < PAGE_SIZE)",
    privateAtWriteFault: true,
    privateReleasedByReclaim: true,
    bufferlessWriteback: "cow-fixup",
    dirtyWarnings: false,
    stableWrites: true,
    dataChecksums: true,
    anonymous: false,
    cite: "fs/btrfs: btrfs_page_mkwrite and prepare_pages call set_folio_extent_mapped; __btrfs_release_folio -> clear_folio_extent_mapped on release; a dirty folio without it ('marked dirty without notifying the fs') goes to the COW fixup worker (btrfs_writepage_cow_fixup), which redirties it for a later pass; 'btrfs: reject out-of-band dirty folios during writeback' (7ca3e84980ef, Qu Wenruo, 6.15) returns -EUCLEAN instead, only with CONFIG_BTRFS_EXPERIMENTAL; the test is the folio's Ordered flag, set when writeback makes an ordered extent of a delalloc range and cleared when its I/O completes; btrfs_page_mkwrite waited for writeback by hand (stable pages) and 6.15 sets stable writes on inodes; data checksums are computed at submission (btrfs_csum_one_bio), so data changed under writeback fails its checksum on read (6.15 falls back to buffered I/O for O_DIRECT on checksummed files for this reason)",
  },
  tmpfs: {
    id: "tmpfs",
    magic: "TMPFS_MAGIC",
    needsDirtyTracking: false,
    writesBack: false,
    privateData: null,
    privateAtWriteFault: false,
    privateReleasedByReclaim: false,
    bufferlessWriteback: "none",
    dirtyWarnings: false,
    stableWrites: false,
    dataChecksums: false,
    anonymous: false,
    cite: "mm/shmem.c: no page_mkwrite and a noop backing_dev_info (mapping_can_writeback is false), so vma_needs_dirty_tracking() is false; pages leave memory only by swap, never through the flusher",
  },
  hugetlbfs: {
    id: "hugetlbfs",
    magic: "HUGETLBFS_MAGIC",
    needsDirtyTracking: false,
    writesBack: false,
    privateData: null,
    privateAtWriteFault: false,
    privateReleasedByReclaim: false,
    bufferlessWriteback: "none",
    dirtyWarnings: false,
    stableWrites: false,
    dataChecksums: false,
    anonymous: false,
    cite: "fs/hugetlbfs/inode.c: no writeback, no page_mkwrite; folios are the huge page size (2 MiB = order 9 on x86-64 with 4 KiB pages) and are never reclaimed",
  },
  anon: {
    id: "anon",
    magic: "(none: MAP_PRIVATE|MAP_ANONYMOUS, no filesystem)",
    needsDirtyTracking: false,
    writesBack: false,
    privateData: null,
    privateAtWriteFault: false,
    privateReleasedByReclaim: false,
    bufferlessWriteback: "none",
    dirtyWarnings: false,
    stableWrites: false,
    dataChecksums: false,
    anonymous: true,
    cite: "mm/memory.c do_anonymous_page (a new exclusive page, writable pte), do_wp_page (COW), do_swap_page (swap-in through the swap cache), copy_present_pte (fork); mm/vmscan.c shrink_folio_list: add_to_swap puts the folio in the swap cache (one reference, folio_mark_dirty), try_to_unmap replaces the ptes by swap entries, pageout -> swap_writepage writes it, __remove_mapping frees it only when nothing but the swap cache holds it; the flusher never sees it (no inode); vma_needs_dirty_tracking is false (no vm_file), so no long-term refusal; gup_longterm's anonymous cases always pin",
  },
});

/** Largest folio order a run may ask for (2 MiB folios with 4 KiB pages). */
export const MAX_FOLIO_ORDER = 9;

/**
 * The folio orders the page cache of `backing` can hold in release `kernel` (with default
 * build options), ascending. Throws nothing; validation messages quote `folioOrdersText`.
 */
export function folioOrders(backing: Backing, kernel: KernelId | null): number[] {
  const k = kernel ?? NEWEST_KERNEL;
  const all = (from: number) => Array.from({ length: MAX_FOLIO_ORDER - from + 1 }, (_, i) => from + i);
  // Order-1 page-cache folios exist only since 6.8 ('mm: support order-1 folios in the page cache').
  const large = () => [0, ...all(hasFeature(k, "pageCacheOrder1") ? 1 : 2)];
  switch (backing) {
    case "hugetlbfs":
      return [MAX_FOLIO_ORDER]; // 2 MiB huge pages; 1 GiB ones are order 18, beyond the model
    case "tmpfs":
      return hasFeature(k, "tmpfsMthp") ? large() : [0, MAX_FOLIO_ORDER]; // PMD THP (huge=) before mTHP
    case "xfs":
      return hasFeature(k, "xfsLargeFolios") ? large() : [0];
    case "ext4":
      return hasFeature(k, "ext4LargeFolios") ? large() : [0];
    case "btrfs":
      return [0]; // large data folios (≈6.17) need CONFIG_BTRFS_EXPERIMENTAL
    case "anon":
      return [0, MAX_FOLIO_ORDER]; // order 0, or a PMD-mapped THP (madvise); mTHP (6.8) is not modelled
  }
}

/**
 * The folio order a run uses: the one given if the page cache of `backing` can hold it on
 * `kernel`, or the smallest it can when none is given (hugetlbfs: 9).
 *
 * @throws {ParamError} `invalid folioOrder: N (allowed: ORDERS for BACKING on KERNEL)`, the
 *   one message the engine's parameters and the checker's `Folio:` line both give.
 */
export function resolveFolioOrder(backing: Backing, kernel: KernelId | null, given?: number | null): number {
  const orders = folioOrders(backing, kernel);
  if (given === undefined || given === null) return orders[0];
  if (!orders.includes(given)) throw new ParamError("folioOrder", given, folioOrdersText(backing, kernel));
  return given;
}

/** The allowed orders as an error message prints them: "0, 2..9" or "9". */
export function folioOrdersText(backing: Backing, kernel: KernelId | null): string {
  const o = folioOrders(backing, kernel);
  const runs: string[] = [];
  for (let i = 0; i < o.length; ) {
    let j = i;
    while (j + 1 < o.length && o[j + 1] === o[j] + 1) j++;
    runs.push(j === i ? String(o[i]) : `${o[i]}..${o[j]}`);
    i = j + 1;
  }
  const why =
    backing === "btrfs"
      ? " (btrfs large data folios need CONFIG_BTRFS_EXPERIMENTAL)"
      : backing === "hugetlbfs"
        ? " (2 MiB huge pages)"
        : "";
  return `${runs.join(", ")} for ${backing}${kernel ? ` on ${kernel}` : ""}${why}`;
}

/**
 * Whether reclaim writes a dirty, otherwise unheld folio of `backing` on release `kernel`
 * (mm/vmscan.c shrink_folio_list -> pageout -> ->writepage). `kernel` null (no preset) keeps
 * the model's original rule, as MODEL.md states it: every reclaim pass over a freeable dirty
 * page writes it, as kernels before v3.2 did.
 *
 * With a preset: false for ext4 from v6.2 (FEATURES.ext4NoWritepage) and for every
 * filesystem from v6.16 (FEATURES.noWritepage); pageout() then returns PAGE_ACTIVATE and
 * the page stays dirty for the flusher. Backings that the model never writes back (tmpfs,
 * hugetlbfs: BackingProfile.writesBack false) answer true, which changes nothing for them.
 * Not modelled, so a preset keeps writing where the kernel is stricter still: direct
 * reclaim has skipped file pages since ee72886d8ed5 (v3.2), kswapd writes only folios met
 * dirty twice at the LRU tail (v4.11), ext4 before v6.2 redirtied delalloc pages, and xfs
 * and btrfs lost their ->writepage before v6.16.
 */
export function reclaimWritesFile(kernel: KernelId | null, backing: Backing): boolean {
  if (kernel === null || !BACKING_PROFILES[backing].writesBack) return true;
  if (hasFeature(kernel, "noWritepage")) return false;
  return !(backing === "ext4" && hasFeature(kernel, "ext4NoWritepage"));
}

/**
 * What a PageCache of `backing` folios of order `folioOrder` on release `kernel` tracks, for
 * the engine and the checker alike:
 * - `exactPincount`: a large folio's pin count is exact where the kernel keeps
 *   folio->_pincount (47e29d32afba, v5.7, order >= 2; order 1 from the release that allows
 *   order-1 page-cache folios); without a preset, as in current kernels. Order 0 never.
 * - `privateData`: what writeback needs attached (BackingProfile): ext4's buffer heads,
 *   btrfs's extent marker re-attached by the COW fixup worker, or nothing (xfs's
 *   iomap_folio_state is made on demand; tmpfs and hugetlbfs have none).
 */
export function pageCacheTracking(
  kernel: KernelId | null,
  backing: Backing,
  folioOrder: number,
): { exactPincount: boolean; privateData: "ext4" | "none" | "cow-fixup" } {
  const profile = BACKING_PROFILES[backing];
  const minOrder = kernel === null ? 1 : KERNELS[kernel].pincountMinOrder;
  return {
    exactPincount: folioOrder > 0 && minOrder !== null && folioOrder >= minOrder,
    privateData:
      profile.bufferlessWriteback === "cow-fixup" ? "cow-fixup" : profile.privateData === null ? "none" : "ext4",
  };
}
