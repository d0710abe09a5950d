/**
 * The write fault on the shared mapping, as steps shared by every actor that faults:
 * GUP's faultin_page, a CPU store, and a mirroring device refaulting (mm/memory.c
 * do_shared_fault → do_page_mkwrite → ->page_mkwrite, finish_mkwrite_fault,
 * fault_dirty_shared_page). The first step (faultLock) runs inside the faulting actor's
 * own step; the later ones are table entries at pcs FAULT_STEP, which each faulting
 * actor adds to its own table (faultSteps).
 */
import type { PageCache } from "../../model/page-cache.js";
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import { BLOCKED, PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import type { StepTable } from "./program.js";

/** Program counters of the fault's steps in every actor that faults (after its own). */
export const FAULT_STEP = { MKWRITE: 20, WAIT: 21, UNLOCK: 22 } as const;
/** A pc of the fault's steps. */
export type FaultPc = (typeof FAULT_STEP)[keyof typeof FAULT_STEP];
/** What faultLock returns for a truncated page (the faulting actor's SIGBUS). */
export const SIGBUS = -2;

const FAULT_LABEL = {
  LOCK: defineLabel("lock_page (fault)"),
  READ: defineLabel("filemap_fault: read, lock_page"),
  MKWRITE: defineLabel("->page_mkwrite, pte writable"),
  MKWRITE_STABLE: defineLabel("->page_mkwrite: set_page_dirty"),
  HAD_PTE: defineLabel("pte writable already"),
  WAIT: defineLabel("folio_wait_stable, pte writable"),
  UNLOCK: defineLabel("unlock_page (fault)"),
};

/**
 * The fault's first step (filemap_fault, then do_page_mkwrite → ->page_mkwrite locks
 * the page): read the page back if it left memory, refuse a truncated page (SIGBUS),
 * take PG_locked. `ret` is the pc to resume once the fault unlocks (kept in register
 * `retReg`). Returns a label, BLOCKED, or SIGBUS.
 */
export function faultLock(c: PageCache, r: Int32Array, o: number, retReg: number, ret: number): number {
  if (c.resident(PAGE) && c.locked(PAGE)) return BLOCKED;
  const read = !c.resident(PAGE);
  if (read) c.readPage(PAGE);
  if (!c.attached(PAGE)) return SIGBUS;
  c.trylockPage(PAGE);
  r[o + retReg] = ret;
  r[o] = FAULT_STEP.MKWRITE;
  return read ? FAULT_LABEL.READ : FAULT_LABEL.LOCK;
}

/**
 * A write fault from a faulting actor's own step: faultLock, or on a truncated page the
 * actor's SIGBUS (`sigbus` sets its registers and returns its label; a module-level
 * function, so nothing is allocated per step).
 */
export function writeFault(
  c: PageCache,
  r: Int32Array,
  o: number,
  retReg: number,
  ret: number,
  sigbus: (r: Int32Array, o: number) => number,
): number {
  const f = faultLock(c, r, o, retReg, ret);
  return f === SIGBUS ? sigbus(r, o) : f;
}

/** Footprint of faultLock in the current state: a page read back from disk touches everything. */
export function faultLockFootprint(c: PageCache): number {
  return c.resident(PAGE) ? packFootprint(PAGE_VAR.LOCK | PAGE_VAR.MAP, PAGE_VAR.LOCK) : EVERYTHING;
}

/**
 * ->page_mkwrite with the page locked: buffers, set_page_dirty and the writable pte; under
 * stable writes (block_page_mkwrite) the pte waits for folio_wait_stable, still locked.
 */
function mkwrite(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  c.mapPage(PAGE);
  if (c.pteWritable(PAGE)) {
    r[o] = FAULT_STEP.UNLOCK;
    return FAULT_LABEL.HAD_PTE;
  }
  if (!ctx.env.stable) {
    c.pageMkwrite(PAGE);
    r[o] = FAULT_STEP.UNLOCK;
    return FAULT_LABEL.MKWRITE;
  }
  c.attachBuffers(PAGE);
  c.setPageDirty(PAGE);
  r[o] = FAULT_STEP.WAIT;
  return FAULT_LABEL.MKWRITE_STABLE;
}

/** folio_wait_stable, then finish_mkwrite_fault: the pte writable once PG_writeback is clear. */
function waitStable(ctx: StepContext, r: Int32Array, o: number): number {
  if (ctx.cache.writeback(PAGE)) return BLOCKED;
  ctx.cache.pageMkwrite(PAGE);
  r[o] = FAULT_STEP.UNLOCK;
  return FAULT_LABEL.WAIT;
}

/**
 * The fault's steps for an actor's table: ->page_mkwrite, folio_wait_stable,
 * fault_dirty_shared_page's unlock_page, which resumes at the pc kept in register
 * `retReg` (one of `resume`).
 */
export function faultSteps<R extends number>(retReg: number, resume: readonly R[]): StepTable<FaultPc, FaultPc | R> {
  return {
    [FAULT_STEP.MKWRITE]: {
      footprint: packFootprint(
        PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
        PAGE_VAR.PTE | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
      ),
      next: [FAULT_STEP.WAIT, FAULT_STEP.UNLOCK],
      run: mkwrite,
    },
    [FAULT_STEP.WAIT]: {
      footprint: packFootprint(
        PAGE_VAR.WB | PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
        PAGE_VAR.PTE | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
      ),
      next: [FAULT_STEP.UNLOCK],
      run: waitStable,
    },
    [FAULT_STEP.UNLOCK]: {
      footprint: packFootprint(0, PAGE_VAR.LOCK),
      next: resume,
      run: (ctx, r, o) => {
        ctx.cache.unlockPage(PAGE);
        r[o] = r[o + retReg];
        return FAULT_LABEL.UNLOCK;
      },
    },
  };
}
