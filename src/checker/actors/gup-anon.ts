/**
 * The GUP user's steps beyond a page-cache pin (src/checker/actors.ts calls them): GUP on
 * anonymous memory (the owner's faults, MMF_HAS_PINNED, a pin that lands on the owner's new
 * page), FOLL_FORCE through a read-only private file mapping (the COW copy, and Dirty COW's
 * page-cache page before 4.9), and an O_DIRECT write's source window (submit_bio to the
 * bio's completion) or its buffered fallback (btrfs from 6.15).
 */
import { METRIC } from "../../model/metrics.js";
import type { PageCache } from "../../model/page-cache.js";
import { WP, anonFault, anonUnshare, anonWritable, mmSetHasPinned, swapInWaits } from "../../model/anon.js";
import { BLOCKED, DONE, PAGE, type StepContext } from "./actor.js";
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import type { PinnerShape } from "../../model/env.js";
import type { GupActor } from "../spec.js";
import type { StepTable } from "./program.js";
import { defineLabel } from "./labels.js";

/** The GUP user's pcs for these steps (its own are 1..13, the notifier side's 14..15, the fault's 20..22). */
export const GUP_EXTRA_STEP = {
  DIO_SUBMIT: 23,
  DIO_COMPLETE: 24,
  FORCE_FAULT: 25,
  FORCE_FOLLOW: 26,
  DIO_BUFFERED: 27,
} as const;

const LABEL = {
  MOVED: defineLabel("follow_page_pte: the owner's new page"),
  SWAP_IN: defineLabel("faultin_page: do_swap_page"),
  WP_REUSE: defineLabel("faultin_page: do_wp_page, reuse"),
  WP_COPY: defineLabel("faultin_page: do_wp_page, COW copy"),
  UNSHARE_REUSE: defineLabel("faultin_page: unshare, reuse"),
  UNSHARE_COPY: defineLabel("faultin_page: unshare, copy"),
  SUBMIT: defineLabel("submit_bio: the page is the write's source"),
  COMPLETE: defineLabel("bio completion (source released)"),
  BUFFERED: defineLabel("direct write: checksummed inode, buffered copy"),
  COW: defineLabel("faultin_page: COW copy (FOLL_FORCE)"),
  COW_READ: defineLabel("faultin_page: read, COW copy (FOLL_FORCE)"),
  FOLLOW_COPY: defineLabel("follow_page_pte: the COW copy"),
  REFAULT: defineLabel("follow_page_pte: no COW'd pte, fault again"),
  SIGBUS: defineLabel("faultin_page: SIGBUS"),
};

/**
 * Before follow_page_pte on anonymous memory: MMF_HAS_PINNED for a FOLL_PIN call; the owner's
 * fault when its pte does not allow the access (do_swap_page, do_wp_page; unshare for a
 * read-only pin of a shared page from 5.19). Returns a label when it used the step (the GUP
 * user retries follow_page_pte, or is done when the owner's page moved), BLOCKED (nothing
 * changed) while do_swap_page waits for the lock reclaim holds (swapInWaits), or ANON_GO_ON
 * to go on to the grab of page 0.
 */
export function anonFollow(ctx: StepContext, r: Int32Array, o: number, write: boolean, pin: boolean): number {
  const c = ctx.cache;
  if (!c.ownerMoved[PAGE] && swapInWaits(c, PAGE, write)) return BLOCKED;
  if (pin) mmSetHasPinned(c, PAGE);
  if (c.ownerMoved[PAGE]) {
    // The owner maps another page now: GUP pins that one, which the model does not follow.
    c.count(METRIC.pinsTaken);
    r[o] = DONE;
    return LABEL.MOVED;
  }
  if (!c.resident(PAGE) || !c.mapped(PAGE)) {
    anonFault(c, PAGE, write);
    return LABEL.SWAP_IN;
  }
  if (write && !anonWritable(c, PAGE)) return anonFault(c, PAGE, true) === WP.COPIED ? LABEL.WP_COPY : LABEL.WP_REUSE;
  if (!write && pin && ctx.env.anon.exclusive && !c.anonExclusive[PAGE])
    return anonUnshare(c, PAGE) === WP.COPIED ? LABEL.UNSHARE_COPY : LABEL.UNSHARE_REUSE;
  return ANON_GO_ON;
}

/** anonFollow's answer when the GUP user goes on to follow_page_pte's grab (not a label, not BLOCKED). */
export const ANON_GO_ON = -2;

/** submit_bio of an O_DIRECT write: the page is a source of the bio in flight (PageCache.dioSources). */
export function dioSubmit(c: PageCache, r: Int32Array, o: number): number {
  c.dioSources[PAGE]++;
  r[o] = GUP_EXTRA_STEP.DIO_COMPLETE;
  return LABEL.SUBMIT;
}

/** The bio completed: the page is no longer read by the device; `next` is the release's first step. */
export function dioComplete(c: PageCache, r: Int32Array, o: number, next: number): number {
  c.dioSources[PAGE]--;
  r[o] = next;
  return LABEL.COMPLETE;
}

/**
 * btrfs's buffered fallback (968f19c5b1b7, 6.15): the data is copied into the page cache
 * of the file at once (copy_from_user); no page is pinned and no bio reads it later.
 */
export function dioBuffered(r: Int32Array, o: number): number {
  r[o] = DONE;
  return LABEL.BUFFERED;
}

/**
 * faultin_page(FAULT_FLAG_WRITE) of a FOLL_FORCE write to a read-only private file mapping:
 * do_cow_fault reads the file page (filemap_fault) and maps an anonymous copy, dirty and
 * read-only (the vma has no VM_WRITE). Next: follow_page_pte again.
 */
export function forceFault(c: PageCache, r: Int32Array, o: number): number {
  const read = !c.resident(PAGE);
  if (read) c.readPage(PAGE);
  if (!c.attached(PAGE)) {
    r[o] = DONE;
    return LABEL.SIGBUS;
  }
  c.cowCopy[PAGE] = 1;
  r[o] = GUP_EXTRA_STEP.FORCE_FOLLOW;
  return read ? LABEL.COW_READ : LABEL.COW;
}

/**
 * follow_page_pte after the COW fault. The copy is there: GUP holds it, the file page is
 * untouched. MADV_DONTNEED zapped it meanwhile: with FOLL_COW (4.9 on) the lookup fails
 * and GUP faults again (`FORCE_FAULT`); before, FOLL_WRITE was dropped, so the lookup is a
 * read: the read fault maps the page-cache page and GUP returns it (Dirty COW): returns -1,
 * and the GUP user grabs page 0 for the write.
 */
export function forceFollow(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (c.cowCopy[PAGE]) {
    c.count(METRIC.pinsTaken);
    r[o] = DONE;
    return LABEL.FOLLOW_COPY;
  }
  if (ctx.env.anon.follCow) {
    r[o] = GUP_EXTRA_STEP.FORCE_FAULT;
    return LABEL.REFAULT;
  }
  if (!c.resident(PAGE)) c.readPage(PAGE);
  if (!c.attached(PAGE)) {
    r[o] = DONE;
    return LABEL.SIGBUS;
  }
  c.mapPage(PAGE);
  return -1;
}

/** What a GUP actor's root takes of these paths, decided once with its other GUP decisions. */
export interface ExtraDecision {
  /** An O_DIRECT write (caller odirect, no FOLL_WRITE): the page is the bio's source from submit_bio to completion. */
  readonly dioWrite: boolean;
  /** The first pc when one of these paths replaces GUP's own (the buffered fallback, FOLL_FORCE's COW fault), else -1. */
  readonly first: number;
}

/**
 * The paths of one root: an O_DIRECT write whose destination (`dest`) may fall back to a
 * buffered write in this release, and FOLL_FORCE through a read-only private file mapping
 * (`anonymousCopy`: GUP's answer is the COW copy).
 */
export function extraDecision(
  ctx: StepContext,
  shape: PinnerShape,
  a: GupActor,
  write: boolean,
  anonymousCopy: boolean,
): ExtraDecision {
  const dioWrite = shape.caller === "odirect" && !write;
  const buffered = dioWrite && ctx.env.anon.dioBufferedFallback.includes(a.dest ?? "ext4");
  const force = !!shape.force && write && anonymousCopy;
  return {
    dioWrite: dioWrite && !buffered,
    first: buffered ? GUP_EXTRA_STEP.DIO_BUFFERED : force ? GUP_EXTRA_STEP.FORCE_FAULT : -1,
  };
}

/** A pc of these steps. */
export type ExtraPc = (typeof GUP_EXTRA_STEP)[keyof typeof GUP_EXTRA_STEP];

/**
 * These steps for the GUP user's table: `afterGrab` the pcs a grab may lead to, `release`
 * the release's first pc, `grab` the GUP user's grab of page 0 for Dirty COW's write (its
 * own try_grab_folio, hook and counts).
 */
export function extraSteps<A extends number, R extends number>(
  afterGrab: readonly A[],
  release: R,
  grab: (ctx: StepContext, r: Int32Array, o: number) => number,
): StepTable<ExtraPc, ExtraPc | A | R | typeof DONE> {
  const S = GUP_EXTRA_STEP;
  const dio = packFootprint(PAGE_VAR.DIO, PAGE_VAR.DIO);
  return {
    [S.DIO_SUBMIT]: { footprint: dio, next: [S.DIO_COMPLETE], run: (ctx, r, o) => dioSubmit(ctx.cache, r, o) },
    [S.DIO_COMPLETE]: { footprint: dio, next: [release], run: (ctx, r, o) => dioComplete(ctx.cache, r, o, release) },
    [S.DIO_BUFFERED]: { footprint: 0, next: [DONE], run: (_ctx, r, o) => dioBuffered(r, o) },
    [S.FORCE_FAULT]: {
      footprint: EVERYTHING,
      next: [S.FORCE_FOLLOW, DONE],
      run: (ctx, r, o) => forceFault(ctx.cache, r, o),
    },
    [S.FORCE_FOLLOW]: {
      footprint: EVERYTHING,
      next: [S.FORCE_FAULT, DONE, ...afterGrab],
      run: (ctx, r, o) => {
        const f = forceFollow(ctx, r, o);
        return f >= 0 ? f : grab(ctx, r, o);
      },
    },
  };
}
