/**
 * Invalidation of the page cache over the page's range (mm/truncate.c), in two modes:
 *
 * - `mode=mapping`: invalidate_mapping_pages (drop_caches, fadvise POSIX_FADV_DONTNEED, and
 *   ext4_dio_write_iter after an O_DIRECT write fell back to buffered I/O): trylock_page
 *   (a locked page is skipped), invalidate_inode_page — refuse a dirty page or one under
 *   writeback, then a mapped page (before e41c81d0d30e, v5.18) or a page with any reference
 *   beyond the page cache's and its buffers' (from it: mapping_evict_folio) —
 *   try_to_release_page (frees the buffers, looking at no reference), __remove_mapping
 *   (refuses a held page), unlock_page.
 * - `mode=pages2`: invalidate_inode_pages2_range (the O_DIRECT write path, around the
 *   write: after filemap_write_and_wait_range, and again after the I/O): lock_page, wait
 *   for writeback, unmap the page if mapped (unmap_mapping_folio: the MMU notifiers run,
 *   the page locked), try_to_release_page, then invalidate_complete_page2: a dirty page
 *   fails (-EBUSY, "Page cache invalidation failure on direct I/O"), a clean one leaves the
 *   page cache whoever holds it; unlock_page. The same on every release.
 */
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl, ActorSpec, InvalidateActor } from "../scenario.js";
import { BLOCKED, DONE, PAGE, lockPage, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { withNotifier } from "./notifier.js";
import { Program, TableActor, type StepTable } from "./program.js";
import { deleteFromPageCache, invalidateRefuses, zapPteRange } from "../../model/page-paths.js";

const INVALIDATE_STEP = {
  TRYLOCK: 1,
  EVICT_CHECK: 2,
  REMOVE: 3,
  LOCK: 4,
  UNMAP: 5,
  UNMAP_NOTIFIED: 6,
  RELEASE2: 7,
  DELETE2: 8,
} as const;
type InvalidatePc = (typeof INVALIDATE_STEP)[keyof typeof INVALIDATE_STEP];
// Registers: 0 pc.
const INVALIDATE_LABEL = {
  NO_PAGE: defineLabel("no page"),
  BUSY: defineLabel("trylock_page: busy, skip"),
  TRYLOCK: defineLabel("trylock_page"),
  KEPT_DIRTY: defineLabel("invalidate_inode_page: dirty or writeback, keep"),
  KEPT_MAPPED: defineLabel("invalidate_inode_page: page_mapped, keep"),
  KEPT_HELD: defineLabel("mapping_evict_folio: extra references, keep"),
  RELEASE_BUSY: defineLabel("try_to_release_page: busy, keep"),
  RELEASE: defineLabel("try_to_release_page"),
  EVICTED: defineLabel("remove_mapping: evicted, unlock_page"),
  HELD: defineLabel("remove_mapping: held, unlock_page"),
  LOCK: defineLabel("lock_page"),
  UNMAP: defineLabel("unmap_mapping_folio"),
  NOT_MAPPED: defineLabel("folio_wait_writeback; not mapped"),
  RELEASE2_BUSY: defineLabel("try_to_release_page: busy, -EBUSY, unlock_page"),
  DIRTY2: defineLabel("invalidate_complete_page2: dirty, -EBUSY, unlock_page"),
  DELETED: defineLabel("__delete_from_page_cache, unlock_page"),
};

/** The step ends the invalidation (unlocking the page first where it holds it). */
function done(ctx: StepContext, r: Int32Array, o: number, unlock: boolean, label: number): number {
  if (unlock) ctx.cache.unlockPage(PAGE);
  r[o] = DONE;
  return label;
}

/** The page is in the cache (resident and attached), else the invalidation meets nothing. */
const present = (ctx: StepContext): boolean => ctx.cache.resident(PAGE) === 1 && ctx.cache.attached(PAGE) === 1;

/** invalidate_inode_page's checks, then try_to_release_page (mode=mapping, page locked). */
function evictCheck(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (invalidateRefuses(c, PAGE)) {
    const why =
      c.dirty(PAGE) || c.writeback(PAGE)
        ? INVALIDATE_LABEL.KEPT_DIRTY
        : ctx.env.invalidateChecksRefs
          ? INVALIDATE_LABEL.KEPT_HELD
          : INVALIDATE_LABEL.KEPT_MAPPED;
    return done(ctx, r, o, true, why);
  }
  if (!c.tryToReleasePage(PAGE)) return done(ctx, r, o, true, INVALIDATE_LABEL.RELEASE_BUSY);
  r[o] = INVALIDATE_STEP.REMOVE;
  return INVALIDATE_LABEL.RELEASE;
}

/** folio_wait_writeback, then unmap_mapping_folio if mapped (mode=pages2, page locked). */
const UNMAP = withNotifier<InvalidatePc | typeof DONE>(
  {
    footprint: packFootprint(
      PAGE_VAR.WB | PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.REF | PAGE_VAR.LOCK,
      PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.REF,
    ),
    next: [INVALIDATE_STEP.RELEASE2],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      if (c.writeback(PAGE)) return BLOCKED;
      r[o] = INVALIDATE_STEP.RELEASE2;
      if (!(c.mapped(PAGE) && c.shares[PAGE] > 0)) return INVALIDATE_LABEL.NOT_MAPPED;
      zapPteRange(c, PAGE);
      return INVALIDATE_LABEL.UNMAP;
    },
  },
  INVALIDATE_STEP.UNMAP_NOTIFIED,
  true,
);

const STEPS: StepTable<InvalidatePc> = {
  [INVALIDATE_STEP.TRYLOCK]: {
    footprint: packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK),
    next: [INVALIDATE_STEP.EVICT_CHECK, DONE],
    run: (ctx, r, o) => {
      if (!present(ctx)) return done(ctx, r, o, false, INVALIDATE_LABEL.NO_PAGE);
      if (!ctx.cache.trylockPage(PAGE)) return done(ctx, r, o, false, INVALIDATE_LABEL.BUSY);
      r[o] = INVALIDATE_STEP.EVICT_CHECK;
      return INVALIDATE_LABEL.TRYLOCK;
    },
  },
  [INVALIDATE_STEP.EVICT_CHECK]: {
    footprint: packFootprint(PAGE_VAR.ALL, PAGE_VAR.BUF | PAGE_VAR.REF | PAGE_VAR.LOCK),
    next: [INVALIDATE_STEP.REMOVE, DONE],
    run: evictCheck,
  },
  [INVALIDATE_STEP.REMOVE]: {
    footprint: EVERYTHING,
    next: [DONE],
    run: (ctx, r, o) => {
      const evicted = ctx.cache.removeMapping(PAGE);
      return done(ctx, r, o, true, evicted ? INVALIDATE_LABEL.EVICTED : INVALIDATE_LABEL.HELD);
    },
  },
  [INVALIDATE_STEP.LOCK]: {
    footprint: packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK),
    next: [INVALIDATE_STEP.UNMAP, DONE],
    run: (ctx, r, o) => {
      if (!present(ctx)) return done(ctx, r, o, false, INVALIDATE_LABEL.NO_PAGE);
      return lockPage(ctx.cache, r, o, INVALIDATE_STEP.UNMAP, INVALIDATE_LABEL.LOCK);
    },
  },
  [INVALIDATE_STEP.UNMAP]: UNMAP.fire,
  [INVALIDATE_STEP.UNMAP_NOTIFIED]: UNMAP.wait,
  [INVALIDATE_STEP.RELEASE2]: {
    footprint: packFootprint(
      PAGE_VAR.BUF | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.MAP,
      PAGE_VAR.BUF | PAGE_VAR.REF | PAGE_VAR.LOCK,
    ),
    next: [INVALIDATE_STEP.DELETE2, DONE],
    run: (ctx, r, o) => {
      // do_launder_page: ext4 has no ->launder_folio; then invalidate_complete_page2.
      if (!ctx.cache.tryToReleasePage(PAGE)) return done(ctx, r, o, true, INVALIDATE_LABEL.RELEASE2_BUSY);
      r[o] = INVALIDATE_STEP.DELETE2;
      return INVALIDATE_LABEL.RELEASE;
    },
  },
  [INVALIDATE_STEP.DELETE2]: {
    footprint: EVERYTHING,
    next: [DONE],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      if (!deleteFromPageCache(c, PAGE)) return done(ctx, r, o, true, INVALIDATE_LABEL.DIRTY2);
      return done(ctx, r, o, true, INVALIDATE_LABEL.DELETED);
    },
  },
};

const PROGRAM = new Program("invalidate", STEPS);

/** An invalidation of the page cache over the page: invalidate_mapping_pages or invalidate_inode_pages2_range. */
export class Invalidate extends TableActor {
  /** Registers: pc. */
  readonly size = 1;

  /** @param decl the `Actor` line (its `mode` names the lane: `P3 invalidate_mapping_pages`) */
  constructor(decl: ActorDecl) {
    const modes = (decl.options.get("mode") ?? ["mapping"]).map((m) =>
      m === "pages2" ? "invalidate_inode_pages2" : "invalidate_mapping_pages",
    );
    super(PROGRAM, decl.name, `${decl.name} ${modes.join("|")}`);
  }

  /** Starts at trylock_page (mapping) or lock_page (pages2); tmpfs and hugetlbfs have no such pass here. */
  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as InvalidateActor;
    r[o] = !ctx.env.writesBack ? DONE : s.mode === "pages2" ? INVALIDATE_STEP.LOCK : INVALIDATE_STEP.TRYLOCK;
  }
}
