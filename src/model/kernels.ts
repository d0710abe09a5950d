/**
 * Kernel version presets: what each mainline release does where pinsim's model cares.
 *
 * A preset is a bundle of facts, each with the commit or file that says it (docs/model.md,
 * "Mappings, backings, callers, folios and kernel versions", gives the longer story). A run
 * given `kernel: "6.6"` takes its pin/release policy per caller, its reclaim guard, its ext4
 * behaviour, its long-term refusal, io_uring's own refusals and its HZ from here; any
 * parameter given explicitly overrides the preset, and the result records both.
 *
 * Presets describe the mainline release x.y.0, not a stable branch: several fixes below were
 * backported (the ext4 BUG -> warn change reached 5.10.y and 5.15.y; the reclaim guard reached
 * 6.2.y), and a distribution kernel may differ again. A version marked "≈" in a citation is
 * the release the feature is believed to have landed in, to be confirmed with
 * `git describe --contains <commit>` before it appears in a paper.
 */
import type { FsBehavior } from "./params.js";
import type { PolicyId } from "./policy-ids.js";

/**
 * The releases with a preset (longterm releases and the latest), oldest first: the id and the
 * month of the mainline release (YYYY-MM). One line here and the FEATURES entries are all a
 * preset is made of.
 */
export const RELEASES = [
  ["4.14", "2017-11"],
  ["4.19", "2018-10"],
  ["5.4", "2019-11"],
  ["5.10", "2020-12"],
  ["5.15", "2021-10"],
  ["6.1", "2022-12"],
  ["6.6", "2023-10"],
  ["6.12", "2024-11"],
  ["6.18", "2025-11"],
] as const satisfies readonly (readonly [string, string])[];
/** The ids of a RELEASES-shaped list, as a tuple of literals. */
type IdsOf<T extends readonly (readonly [string, string])[]> = { readonly [I in keyof T]: T[I][0] };
/** The kernel releases with a preset, oldest first (the first column of RELEASES). */
export const KERNEL_IDS = RELEASES.map(([id]) => id) as unknown as IdsOf<typeof RELEASES>;
/** One of {@link KERNEL_IDS}. */
export type KernelId = (typeof KERNEL_IDS)[number];
/** The newest preset: the release a caller's profile and the folio orders describe when a run names none. */
export const NEWEST_KERNEL: KernelId = KERNEL_IDS[KERNEL_IDS.length - 1];

/**
 * What io_uring's IORING_REGISTER_BUFFERS refuses on its own, before GUP itself refused
 * anything (io_sqe_buffer_register in fs/io_uring.c, later io_pin_pages in io_uring/rsrc.c):
 * - `absent`: there is no io_uring (before 5.1);
 * - `file-except-hugetlb`: any VMA with a vm_file, shared or private, fails with EOPNOTSUPP
 *   unless it is hugetlbfs (5.1 to 5.13);
 * - `file-except-shmem-hugetlb`: shmem (tmpfs, memfd, MAP_SHARED|MAP_ANONYMOUS) is allowed too
 *   (5.14 to 6.4);
 * - `gup`: io_uring checks nothing itself and GUP's long-term rule decides (6.5 on).
 */
export const IO_URING_RULES = ["absent", "file-except-hugetlb", "file-except-shmem-hugetlb", "gup"] as const;
/** One of {@link IO_URING_RULES}. */
export type IoUringRule = (typeof IO_URING_RULES)[number];

/** A kernel behaviour the presets switch on at one release, with the source that says so. */
export interface Feature {
  /** First mainline release that has it, [major, minor]. */
  readonly since: readonly [number, number];
  /** What a release with it does, a few words (`pinsim kernels`, the kernel tables of docs/simulation.md and docs/model.md). */
  readonly on: string;
  /** What a release without it does, a few words. */
  readonly off: string;
  /** File and function, commit, and the public report or thread where there is one. */
  readonly cite: string;
}

/** A Feature entry (typed as Feature, so each entry's fields carry Feature's docs). */
const feature = (since: readonly [number, number], on: string, off: string, cite: string): Feature => ({
  since,
  on,
  off,
  cite,
});

/**
 * Every release-dependent behaviour the presets use. Each preset's fields are derived from
 * this table and RELEASES and nothing else, so a citation sits beside the one place a fact is
 * stated; `pinsim kernels` and the kernel tables of docs/simulation.md and docs/model.md (scripts/kernel-table.mjs) list
 * every entry, in this order, with its `on` or `off` words.
 */
export const FEATURES = {
  /** pin_user_pages*() and FOLL_PIN exist; RDMA umem, VFIO type1 and io_uring are converted to them. */
  pinUserPages: feature(
    [5, 6],
    "pin_user_pages (FOLL_PIN)",
    "FOLL_GET only",
    "eddb1c228f79 'mm/gup: introduce pin_user_pages*() and FOLL_PIN' (5.6) with the caller conversions of the same series, e.g. 19fed0dae94d 'vfio, mm: pin_user_pages (FOLL_PIN) and put_user_page() conversion', 'fs/io_uring: set FOLL_PIN via pin_user_pages()', 'IB/umem: use get_user_pages_fast() to pin DMA pages' -> pin_user_pages_fast",
  ),
  /** FOLL_PIN adds GUP_PIN_COUNTING_BIAS (1024) to an order-0 page; large folios keep an exact pin count. */
  follPinTracking: feature(
    [5, 7],
    "FOLL_PIN counted (bias 1024)",
    "no pin count",
    "3faa52c03f44 'mm/gup: track FOLL_PIN pages' (GUP_PIN_COUNTING_BIAS, page_maybe_dma_pinned) and 47e29d32afba 'mm/gup: page->hpage_pinned_refcount: exact pin counts for huge pages' (compound pages of order > 1), both 5.7",
  ),
  /** A writable FOLL_PIN|FOLL_LONGTERM GUP of a shared mapping that needs dirty tracking fails with EFAULT. */
  longtermRefusal: feature(
    [6, 5],
    "long-term write pins of shared fs mappings refused",
    "no long-term refusal",
    "mm/gup.c check_vma_flags -> writable_file_mapping_allowed (8ac268436e6d 'mm/gup: disallow FOLL_LONGTERM GUP-nonfast writing to file-backed mappings') and gup_fast_folio_allowed, formerly folio_fast_pin_allowed (a6e79df92e4a '... GUP-fast writing to file-backed mappings'), Lorenzo Stoakes, 6.5; mm/mmap.c vma_needs_dirty_tracking; io_uring's own check removed in the same series ('io_uring: rsrc: delegate VMA file-backed check to GUP')",
  ),
  /** Reclaim does not strip private data (buffers) from a folio the detector calls pinned. */
  reclaimGuard: feature(
    [6, 4],
    "reclaim guard",
    "no reclaim guard",
    "mm/vmscan.c shrink_folio_list: 'if (folio_maybe_dma_pinned(folio)) goto activate_locked' after unmap, 'mm: do not reclaim private data from pinned page' (Jan Kara, 15dc1b0447d9, merged for 6.4-rc1; also in 6.2.y stable)",
  ),
  /** ext4 warns and skips a dirty page without buffers in writeback instead of BUG()ing. */
  ext4Warn: feature(
    [5, 18],
    "ext4 warns and drops",
    "ext4 BUG()s on a bufferless dirty page",
    "cc5095747edf 'ext4: don't BUG if someone dirty pages without asking ext4 first' (Theodore Ts'o, 5.18, CVE-2022-49171; backported to the 5.10.y and 5.15.y stable branches; syzbot report https://lore.kernel.org/r/Yg0m6IjcNmfaSokM@google.com)",
  ),
  /** ext4 has no ->writepage: reclaim's pageout() activates a dirty ext4 folio instead of writing it. */
  ext4NoWritepage: feature(
    [6, 2],
    "reclaim leaves dirty ext4 folios to the flusher",
    "reclaim writes dirty ext4 folios",
    "dae999602eeb 'ext4: stop providing .writepage hook' (Jan Kara, merged for 6.2): mm/vmscan.c pageout() returns PAGE_ACTIVATE when mapping->a_ops->writepage is NULL; the dirty folio is left to the flusher",
  ),
  /** No filesystem has ->writepage: reclaim writes only shmem and anonymous swap-cache folios. */
  noWritepage: feature(
    [6, 16],
    "reclaim writes no file folio (shmem only)",
    "reclaim writes other filesystems' dirty folios",
    "6b0dfabb3555 'fs: Remove aops->writepage' (Matthew Wilcox, 6.16): pageout() keeps a ->writepage-like path only for shmem (shmem_writeout) and swap; every other dirty file folio is activated",
  ),
  /** io_uring exists; IORING_REGISTER_BUFFERS pins with FOLL_WRITE|FOLL_LONGTERM and refuses file-backed VMAs except hugetlbfs. */
  ioUring: feature(
    [5, 1],
    "io_uring",
    "no io_uring",
    "fs/io_uring.c io_sqe_buffer_register (io_uring added in 5.1): 'don't support file backed memory': vma->vm_file && !is_file_hugepages() -> -EOPNOTSUPP; Jens Axboe in axboe/liburing#197: the check 'has been there since 5.1 when io_uring was introduced'",
  ),
  /** io_uring also registers shmem-backed buffers (tmpfs, memfd). */
  ioUringShmem: feature(
    [5, 14],
    "tmpfs io_uring buffers",
    "no tmpfs io_uring buffers",
    "io_sqe_buffer_register: 'if (vma_is_shmem(vma)) continue;' before the vm_file test; Pavel Begunkov in axboe/liburing#358 (request: 'Allow registering buffers backed by memfd'): 'memfd/shmem is queued for 5.14'",
  ),
  /** O_DIRECT takes FOLL_PIN (not FOLL_GET) on user pages and releases them with unpin_user_page. */
  odirectPin: feature(
    [6, 3],
    "O_DIRECT pins (FOLL_PIN)",
    "O_DIRECT takes FOLL_GET",
    "block/bio.c bio_iov_iter_get_pages -> iov_iter_extract_pages, BIO_PAGE_PINNED, bio_release_page -> unpin_user_page (David Howells, 'block: Convert bio_iov_iter_get_pages to use iov_iter_extract_pages', ≈6.3)",
  ),
  /** i915 userptr pins with pin_user_pages_fast (FOLL_PIN) instead of get_user_pages. */
  gpuUserptrPin: feature(
    [5, 13],
    "i915 userptr pins (FOLL_PIN)",
    "i915 userptr takes FOLL_GET",
    "drivers/gpu/drm/i915/gem/i915_gem_userptr.c rework onto mmu_interval_notifier and pin_user_pages_fast (Maarten Lankhorst, 'drm/i915: Fix userptr so we do not have to worry about obj->mm.lock', ≈5.13); earlier __get_user_pages_fast(..., !i915_gem_object_is_readonly(obj), ...), and the MMU notifier put the object's pages from invalidate_range_start (userptr_mn_invalidate_range_start -> __i915_gem_object_put_pages -> i915_gem_userptr_put_pages: the call traces of bugzilla 203317, from unmap_vmas on munmap and from page_mkclean_one under clear_page_dirty_for_io); after it the notifier only bumps the interval's sequence and waits for the GPU",
  ),
  /** i915 userptr's release dirties a page only if trylock_page succeeds (else it skips the dirtying). */
  i915UserptrTrylock: feature(
    [5, 4],
    "i915 userptr dirties only under trylock_page",
    "i915 userptr dirties without the page lock",
    "2d691aeca4ae 'drm/i915/userptr: Try to acquire the page lock around set_page_dirty()' (Chris Wilson, drm-fixes for 5.4; stable 4.14.y, 4.19.y, 5.3.y): i915_gem_userptr_put_pages 'if (obj->mm.dirty && trylock_page(page)) { set_page_dirty(page); unlock_page(page); }', 'in exchange we risk missing some page dirtying'; before it a plain set_page_dirty without the lock (bugzilla 203317, the ext4_set_page_dirty WARN), except during 5.3-rc: aa56a292ce62 'drm/i915/userptr: Acquire the page lock around set_page_dirty()' (drm-intel cb6d7c7dc7ff) took set_page_dirty_lock and deadlocked when the release ran from the MMU notifier of try_to_unmap (Linus Torvalds: 'You can't take the page lock in invalidate_range(), since it's called from try_to_unmap(), which is called with the page lock already held', <CAHk-=wjKv_Zw2zGHduyrQH_VQzxXYzwKdwwzzpsdnsdx=EK30Q@mail.gmail.com>; freedesktop bug 111601), reverted by 505a8ec7e11a before 5.3",
  ),
  /** A long-term R/O pin in a private (COW) mapping unshares: it pins an anonymous copy, never the page-cache page. */
  roLongtermUnshare: feature(
    [6, 2],
    "R/O long-term pins of private mappings unshare",
    "R/O long-term pins may hold the page-cache page",
    "'mm/gup: reliable R/O long-term pinning in COW mappings' and 'mm: extend FAULT_FLAG_UNSHARE support to anything in a COW mapping' (David Hildenbrand, posted Nov 2022, ≈6.2); mm/internal.h gup_must_unshare",
  ),
  /** Page-cache folios of order 1 exist (earlier, the page cache used order 0 or >= 2 only). */
  pageCacheOrder1: feature(
    [6, 8],
    "order-1 page-cache folios",
    "no order-1 page-cache folios",
    "'mm: support order-1 folios in the page cache' (Matthew Wilcox, ≈6.8); by then folio->_pincount sits in the first tail page on 64-bit, so order-1 folios have an exact pin count (include/linux/mm.h folio_has_pincount: 'if (IS_ENABLED(CONFIG_64BIT)) return folio_test_large(folio)')",
  ),
  /** xfs caches file data in large folios. */
  xfsLargeFolios: feature(
    [5, 18],
    "xfs large folios",
    "xfs order-0 folios",
    "6795801366da 'xfs: Support large folios' (Matthew Wilcox, 5.18)",
  ),
  /** ext4 caches regular-file data in large folios. */
  ext4LargeFolios: feature(
    [6, 16],
    "ext4 large folios",
    "ext4 order-0 folios",
    "'ext4: enable large folio for regular file' (Zhang Yi, ≈6.16)",
  ),
  /** tmpfs files take any large-folio order, not only PMD-sized THP. */
  tmpfsMthp: feature(
    [6, 14],
    "tmpfs folios of any order",
    "tmpfs order 0 or PMD THP only",
    "'mm: shmem: add large folio support for tmpfs' (Baolin Wang, ≈6.14); PMD-sized THP with huge= since 5a6e75f8110c 'shmem: prepare huge= mount option and sysfs knob' (4.8)",
  ),
  /** btrfs inodes carry stable writes (until then btrfs_page_mkwrite waited for writeback by hand). */
  btrfsStableWritesFlag: feature(
    [6, 15],
    "btrfs stable-writes flag",
    "btrfs waits for writeback by hand",
    "btrfs 6.15 changelog (btrfs-progs docs, Kernel changes): 'enable stable writes on inodes, replacing manually waiting for writeback'; before, btrfs_page_mkwrite called folio_wait_writeback itself",
  ),
  /** ext4's ->set_page_dirty warns on a clean page dirtied without PG_locked, and on a page without buffers. */
  ext4DirtyWarn: feature(
    [4, 10],
    "ext4 warns on set_page_dirty of a clean unlocked page or a page without buffers",
    "ext4 does not check set_page_dirty",
    "fs/ext4/inode.c ext4_set_page_dirty (ext4_dirty_folio after the 5.18 folio conversion): 'WARN_ON_ONCE(!PageLocked(page) && !PageDirty(page))', then 'WARN_ON_ONCE(!page_has_buffers(page))', added by 6dcc693bc57f 'ext4: warn when page is dirtied without buffers' (Jan Kara, 4.10); the traces of bugzilla 203317 (5.2) stop at the first one (fs/ext4/inode.c:3925); xfs (iomap_dirty_folio, filemap_dirty_folio) and btrfs (filemap_dirty_folio) check neither",
  ),
  /** invalidate_mapping_pages refuses a folio that holds references beyond the page cache's, its private data's and its own. */
  invalidateRefcount: feature(
    [5, 18],
    "invalidate_mapping_pages leaves a referenced (pinned) folio alone",
    "invalidate_mapping_pages frees a pinned page's buffers (it checks only page_mapped)",
    "mm/truncate.c invalidate_inode_page: 'if (page_mapped(page)) return 0' replaced by 'if (folio_ref_count(folio) > folio_nr_pages(folio) + 1) return 0' in e41c81d0d30e 'mm/truncate: Replace page_mapped() call in invalidate_inode_page()' (Matthew Wilcox, folio pull for 5.18), later mapping_evict_folio (folio_nr_pages + folio_has_private + 1: the release that added folio_has_private not confirmed); before it try_to_release_page freed the buffers of a clean pinned page that no pte mapped and __remove_mapping then failed (held): Jan Kara's analysis of the 5.10/5.15 ext4_set_page_dirty WARN, <20240129160939.jgrhzrh5l2paezvp@quack3> (stable thread 'mm/truncate: fix WARNING in ext4_set_page_dirty()', January 2024); the 5.10/5.15 backport was posted as an RFC (<20240125130947.600632-1-r.smirnov@omp.ru>) and not applied in that thread, so the presets' 5.10 and 5.15 have no fix",
  ),
  /** btrfs returns -EUCLEAN for a dirty folio without the Ordered flag, on CONFIG_BTRFS_EXPERIMENTAL builds. */
  btrfsRejectOutOfBand: feature(
    [6, 15],
    "btrfs rejects out-of-band dirty folios (-EUCLEAN) on experimental builds",
    "btrfs sends out-of-band dirty folios to the COW fixup worker",
    "fs/btrfs/inode.c btrfs_writepage_cow_fixup: 'if (folio_test_ordered(folio)) return 0;' then, with CONFIG_BTRFS_EXPERIMENTAL, 'marked dirty without notifying the fs' and -EUCLEAN (7ca3e84980ef 'btrfs: reject out-of-band dirty folios during writeback', Qu Wenruo, 6.15; AUTOSEL for 6.13.y and 6.14.y); default builds still queue the fixup worker (btrfs_writepage_fixup_worker), which reserves space, sets delalloc and redirties the folio; the Ordered flag is set when writeback's delalloc makes the ordered extent (folio_set_ordered in extent_clear_unlock_delalloc) and cleared when its I/O completes (btrfs_finish_ordered_io)",
  ),
  /** A FOLL_FORCE write through a read-only private mapping follows only the COW'd pte (FOLL_COW): the Dirty COW race is closed. */
  follCow: feature(
    [4, 9],
    "FOLL_FORCE writes follow only the COW copy (FOLL_COW)",
    "FOLL_FORCE drops FOLL_WRITE after the COW fault (Dirty COW)",
    "19be0eaffa3a 'mm: remove gup_flags FOLL_WRITE games from __get_user_pages()' (Linus Torvalds, 2016-10-13, before 4.9-rc1; stable 4.8.3, 4.4.26; CVE-2016-5195): before it, after faultin_page resolved the COW of a write to a !VM_WRITE vma, __get_user_pages cleared FOLL_WRITE ('if ((ret & VM_FAULT_WRITE) && !(vma->vm_flags & VM_WRITE)) *flags &= ~FOLL_WRITE') and looked the page up again as a read, so a MADV_DONTNEED in between let the read fault map the page-cache page and GUP return it; after it, FOLL_COW and can_follow_write_pte ('pte_write(pte) || ((flags & FOLL_FORCE) && (flags & FOLL_COW) && pte_dirty(pte))') make the lookup fault again; 5535be309971 'mm/gup: fix FOLL_FORCE COW security issue and remove FOLL_COW' (David Hildenbrand, 6.0, 5.19.y) replaced FOLL_COW with a PageAnonExclusive test, with the same outcome for a private file mapping",
  ),
  /** fork() copies an anonymous page folio_maybe_dma_pinned calls pinned, in an mm that has pinned (early COW). */
  forkCopiesPinned: feature(
    [5, 9],
    "fork copies maybe-pinned anon pages (MMF_HAS_PINNED)",
    "fork shares pinned anon pages COW",
    "Peter Xu's series in 5.9-rc7 (Linus Torvalds, 'Linux 5.9-rc7', <CAHk-=wj1SJmva5pQxT-XZkMREOa+iJuy0K8-zua0K=vF-Jz7zw@mail.gmail.com>): 008cfe4418b3 'mm: Introduce mm_struct.has_pinned' (commit message from Jason Gunthorpe; set by every FOLL_PIN GUP, never cleared; packed into MMF_HAS_PINNED by a458b76a4171, 5.14), 70e806e4e645 'mm: Do early cow for pinned pages during fork() for ptes' (mm/memory.c copy_present_page: 'if (likely(!atomic_read(&src_mm->has_pinned))) return 1; if (likely(!page_maybe_dma_pinned(page))) return 1;' then the child gets a copy; 'That might give false positives for pinning, but it will work correctly'), 4eae4efa2c29 for hugetlb; page_needs_cow_for_dma from 5.13, folio_needs_cow_for_dma from 6.5; libibverbs needed MADV_DONTFORK before (rdma-core's copy-on-fork attribute, Gal Pressman)",
  ),
  /** A write fault on a read-only anonymous pte reuses the page only if page_count == 1 (a GUP reference forces a copy). */
  cowReuseRefcount: feature(
    [5, 9],
    "COW reuse only at page_count 1",
    "COW reuse when page_mapcount is 1",
    "09854ba94c6a 'mm: do_wp_page() simplification' (Linus Torvalds, 5.9-rc1): do_wp_page reuses an anonymous page only if 'page_count(page) == 1' (before, reuse_swap_page decided from the mapcount and swap count, so a GUP reference did not prevent reuse); the reason early COW at fork (70e806e4e645) went into the same release",
  ),
  /** Reclaim does not add an anonymous page folio_maybe_dma_pinned calls pinned to the swap cache. */
  swapSkipsPinned: feature(
    [5, 11],
    "reclaim keeps maybe-pinned anon pages out of swap",
    "reclaim swaps pinned anon pages out",
    "feb889fb40fa 'mm: don't put pinned pages into the swap cache' (Linus Torvalds, 2021-01-16, 5.11-rc4): mm/vmscan.c shrink_page_list 'if (!PageSwapCache(page)) { ... if (page_maybe_dma_pinned(page)) goto keep_locked;' before add_to_swap",
  ),
  /** PG_anon_exclusive: fork copies only exclusive maybe-pinned pages, counting its own reference; try_to_unmap keeps them mapped. */
  anonExclusive: feature(
    [5, 19],
    "PG_anon_exclusive (reliable anon pins)",
    "no PG_anon_exclusive",
    "David Hildenbrand's 'mm: COW fixes part 2: reliable GUP pins of anonymous pages' (5.19): 6c287605fd56 'mm: remember exclusively mapped anonymous pages with PG_anon_exclusive' (try_to_unmap_one: 'if (anon_exclusive && page_try_share_anon_rmap(subpage))' restores the pte and fails for a maybe-pinned page; do_wp_page reuses an exclusive page), fb3d824d1a46 'mm/rmap: split page_dup_rmap() into page_dup_file_rmap() and page_try_dup_anon_rmap()' (copy_present_pte: 'get_page(page); if (unlikely(page_try_dup_anon_rmap(page, false, src_vma))) { put_page(page); return copy_present_page(...)', so the detector sees fork's own reference; only a PageAnonExclusive page is copied); 6.18 copy_present_ptes takes folio_ref_add(folio, nr) before the test, as calibration V5 measured",
  ),
  /** btrfs turns an O_DIRECT write to a file with data checksums into a buffered write. */
  btrfsDioFallback: feature(
    [6, 15],
    "btrfs O_DIRECT writes to checksummed files go buffered",
    "btrfs O_DIRECT writes DMA from the user's pages",
    "968f19c5b1b7 'btrfs: always fallback to buffered write if the inode requires checksum' (Qu Wenruo, btrfs pull for 6.15, <cover.1742834133.git.dsterba@suse.com>: 'this avoids a problem with checksum mismatch errors, observed e.g. on virtual images when writes to pages under writeback cause the checksum mismatch reports'); fstests generic/761; reports: QubesOS/qubes-issues#9488, canonical/lxd#7843",
  ),
} as const satisfies Record<string, Feature>;
/** A kernel feature whose first release is known (a key of FEATURES). */
export type FeatureName = keyof typeof FEATURES;

/** CONFIG_HZ default of kernel/Kconfig.hz ('default HZ_250') in every preset; distributions differ (RHEL and Ubuntu 24.04 build 1000). */
export const HZ_CITE =
  "kernel/Kconfig.hz: 'default HZ_250' (unchanged in every preset's release); distributions override it, e.g. 1000";

/**
 * One preset: the facts the engine and the checker take from a kernel release. `Id` and `F`
 * are the release ids and feature names of the table it was built from (the real one by
 * default; a test may build presets from a table with more).
 */
export interface KernelPreset<Id extends string = KernelId, F extends string = FeatureName> {
  /** The release, e.g. `6.1`. */
  readonly id: Id;
  /** [major, minor]. */
  readonly version: readonly [number, number];
  /** Mainline release month, YYYY-MM. */
  readonly released: string;
  /** One line for `pinsim kernels`: every feature's `on` or `off` words, in FEATURES order, joined by "; ". */
  readonly summary: string;
  /** pin_user_pages*() exists (FOLL_PIN callers); before it every caller takes FOLL_GET. */
  readonly pinUserPages: boolean;
  /** FOLL_PIN is counted (bias on order-0, exact count on large folios): the detector exists. */
  readonly follPinTracking: boolean;
  /**
   * Smallest folio order whose pin count is exact (folio->_pincount, never the refcount
   * bias); null where FOLL_PIN is not counted at all. Covers every order the page cache of
   * that release can hold.
   */
  readonly pincountMinOrder: number | null;
  /** Page-cache folios of order 1 can exist. */
  readonly pageCacheOrder1: boolean;
  /** Default of `reclaimGuard`. */
  readonly reclaimGuard: boolean;
  /** Default of `fsBehavior` on ext4. */
  readonly fsBehavior: FsBehavior;
  /** The 6.5 long-term refusal (check_vma_flags). */
  readonly longtermRefusal: boolean;
  /** io_uring's own refusal of registered buffers. */
  readonly ioUring: IoUringRule;
  /**
   * The policy module whose hooks stand for a plain FOLL_PIN caller's GUP and release
   * (the generic caller, RDMA, VFIO from 5.6, io_uring): `legacy-put-page` before
   * pin_user_pages, `put-user-pages-dirty` before FOLL_PIN was counted, `foll-pin`, and
   * `longterm-refused` from the 6.5 refusal on.
   */
  readonly pinPolicy: PolicyId;
  /** Default of `hz`. */
  readonly hz: number;
  /** Which features this release has, in the table's order. */
  readonly features: readonly F[];
}

/** [major, minor] of a release id such as `6.1`. */
export function kernelVersion(id: string): readonly [number, number] {
  const [a, b] = id.split(".").map(Number);
  return [a, b];
}

/** Whether release `id` is at least `v`. */
export function atLeast(id: string, v: readonly [number, number]): boolean {
  const [a, b] = kernelVersion(id);
  return a > v[0] || (a === v[0] && b >= v[1]);
}

/** Whether release `id` has feature `f` (FEATURES[f].since <= id). */
export function hasFeature(id: KernelId, f: FeatureName): boolean {
  return atLeast(id, FEATURES[f].since);
}

/**
 * A kernel table: the presets, oldest first, and the features they were derived from. What
 * `pinsim kernels` and the kernel tables of docs/simulation.md and docs/model.md print (src/model/kernel-table.ts).
 */
export interface KernelTable<Id extends string = KernelId, F extends string = FeatureName> {
  /** One preset per release, oldest first. */
  readonly presets: readonly KernelPreset<Id, F>[];
  /** The features by name, in the order they are listed. */
  readonly features: Readonly<Record<F, Feature>>;
}

/**
 * The presets of `releases` ([id, YYYY-MM], oldest first) under `features`, which must hold
 * every FeatureName (the preset's fields read them) and may hold more. Pure.
 *
 * @example kernelTable(RELEASES, FEATURES).presets[0].id; // => "4.14"
 */
export function kernelTable<Id extends string, F extends string>(
  releases: readonly (readonly [Id, string])[],
  features: Readonly<Record<F | FeatureName, Feature>>,
): KernelTable<Id, F | FeatureName> {
  return {
    presets: releases.map(([id, released]) => Object.freeze(build(id, released, features))),
    features,
  };
}

/** One preset: each field read from the release's features, the summary from every feature's words. */
function build<Id extends string, F extends string>(
  id: Id,
  released: string,
  features: Readonly<Record<F | FeatureName, Feature>>,
): KernelPreset<Id, F | FeatureName> {
  const has = (f: F | FeatureName) => atLeast(id, features[f].since);
  const names = Object.keys(features) as (F | FeatureName)[];
  const ioUring: IoUringRule = !has("ioUring")
    ? "absent"
    : has("longtermRefusal")
      ? "gup"
      : has("ioUringShmem")
        ? "file-except-shmem-hugetlb"
        : "file-except-hugetlb";
  const pinPolicy: PolicyId = !has("follPinTracking")
    ? has("pinUserPages")
      ? "put-user-pages-dirty"
      : "legacy-put-page"
    : has("longtermRefusal")
      ? "longterm-refused"
      : "foll-pin";
  return {
    id,
    version: kernelVersion(id),
    released,
    summary: names.map((f) => (has(f) ? features[f].on : features[f].off)).join("; "),
    pinUserPages: has("pinUserPages"),
    follPinTracking: has("follPinTracking"),
    pincountMinOrder: !has("follPinTracking") ? null : has("pageCacheOrder1") ? 1 : 2,
    pageCacheOrder1: has("pageCacheOrder1"),
    reclaimGuard: has("reclaimGuard"),
    fsBehavior: has("ext4Warn") ? "ext4-warn" : "ext4-bug",
    longtermRefusal: has("longtermRefusal"),
    ioUring,
    pinPolicy,
    hz: 250,
    features: names.filter(has),
  };
}

/** The real kernel table: RELEASES under FEATURES. */
export const KERNEL_TABLE: KernelTable = kernelTable(RELEASES, FEATURES);

/** Every preset by id, oldest first. */
export const KERNELS: Readonly<Record<KernelId, KernelPreset>> = Object.freeze(
  Object.fromEntries(KERNEL_TABLE.presets.map((p) => [p.id, p])) as Record<KernelId, KernelPreset>,
);

/** The preset for `id`; throws RangeError naming the allowed ids for anything else. */
export function kernelPreset(id: string): KernelPreset {
  if (!(KERNEL_IDS as readonly string[]).includes(id))
    throw new RangeError(`invalid kernel: ${JSON.stringify(id)} (allowed: ${KERNEL_IDS.join(", ")})`);
  return KERNELS[id as KernelId];
}
