/**
 * The checker's actors: each a program of atomic steps over page 0 of a one-page
 * PageCache, driving the same PageCache operations and policy hooks as the engine.
 * A step is what the kernel runs under a spinlock (the pte lock) or between two points
 * where another CPU can get in; PG_locked is held across steps, as the kernel holds it.
 *
 * Each actor keeps its program counter, its options (the alternative a search root took)
 * and a few registers in an Int32Array slice; a step returns the index of its label in
 * LABELS (no string is built per step). For the partial-order reduction each actor says
 * what its next step reads and writes (`footprint`) and what all its remaining steps may
 * (`future`, from its program table).
 */
import { METRIC as M } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import { WritebackDecision as WB, type Policy } from "../model/policy.js";
import { EVERYTHING, FP, HOOK, fp, futures } from "./footprint.js";
import type { ActorDecl, ActorSpec, Coverage, CpuActor, FlusherActor, GupActor } from "./scenario.js";
import { BACKING_PROFILES } from "../model/backings.js";
import { callerProfile } from "../model/callers.js";
import { callerPolicy, groupGup, type GroupGup } from "../policies/caller.js";

/** The one page every actor works on. */
export const P = 0;
/** Program counter of a finished actor. */
export const DONE = 0;
/** What step() returns when the actor cannot move now (nothing was changed). */
export const BLOCKED = -1;

/** What every step sees besides its own registers. */
export interface StepContext {
  cache: PageCache;
  policy: Policy;
  /** The reclaim guard (mm/vmscan.c, v6.4) is on. */
  guard: boolean;
  /** SB_I_STABLE_WRITES: page_mkwrite waits for PG_writeback (folio_wait_stable). */
  stable: boolean;
  /** Kernel, mapping, backing, folio order (scenario.ts Coverage); absent: none, shared, ext4, 0. */
  coverage?: Coverage;
  /**
   * Register index of the `io` actor's queue, or -1 without one. With it, the flusher and
   * reclaim submit the bio and move on; the `io` actor completes it (end_page_writeback).
   */
  ioQueue: number;
}

export interface Actor {
  readonly name: string;
  /** Lane header of the witness, e.g. `P0 gup slow`. */
  readonly title: string;
  /** Registers, the program counter first. */
  readonly size: number;
  /** Set the registers for one concrete alternative of the actor's declaration. */
  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void;
  /**
   * Run the next step if it can run now: returns its label's index in LABELS (the kernel
   * function it stands for), or BLOCKED, in which case nothing was changed.
   */
  step(ctx: StepContext, r: Int32Array, o: number): number;
  /** What the next step reads and writes (FP bits, `reads | writes << 16`), in the current state. */
  footprint(ctx: StepContext, r: Int32Array, o: number): number;
  /** What every step the actor may still take reads and writes. */
  future(r: Int32Array, o: number): number;
  /** Never finishes (the I/O completion): a state where only it is left and it cannot move is an end state. */
  readonly daemon?: boolean;
}

/** Every step label; a step returns an index into it. */
export const LABELS: string[] = [];
const L = (text: string): number => LABELS.push(text) - 1;
const LABEL_INDEX = new Map<string, number>();
/** The index of a label built from data (a caller's refusal), added on first use. */
function labelOf(text: string): number {
  let k = LABEL_INDEX.get(text) ?? LABELS.indexOf(text);
  if (k < 0) k = L(text);
  LABEL_INDEX.set(text, k);
  return k;
}

/** The pte GUP-fast and the CPU see: present and writable. */
function pteWritable(c: PageCache): boolean {
  return c.resident[P] === 1 && c.mapped[P] === 1 && c.pteWritable[P] === 1;
}

// ---- the write fault, shared by GUP's faultin_page, the CPU and a refaulting device ---

/** Program counters of the fault's steps in every actor that faults (after its own). */
const FAULT = { MKWRITE: 20, WAIT: 21, UNLOCK: 22 } as const;
const SIGBUS = -2;
const LF = {
  LOCK: L("lock_page (fault)"),
  READ: L("filemap_fault: read, lock_page"),
  MKWRITE: L("->page_mkwrite, pte writable"),
  MKWRITE_STABLE: L("->page_mkwrite: set_page_dirty"),
  HAD_PTE: L("pte writable already"),
  WAIT: L("folio_wait_stable, pte writable"),
  UNLOCK: L("unlock_page (fault)"),
};

/**
 * The fault's first step (filemap_fault, then do_page_mkwrite → ->page_mkwrite locks
 * the page): read the page back if it left memory, refuse a truncated page (SIGBUS),
 * take PG_locked. `ret` is the pc to resume once the fault unlocks (kept in register
 * `retReg`). Returns a label, BLOCKED, or SIGBUS.
 */
function faultLock(c: PageCache, r: Int32Array, o: number, retReg: number, ret: number): number {
  if (c.resident[P] && c.locked[P]) return BLOCKED;
  const read = !c.resident[P];
  if (read) c.readPage(P);
  if (!c.attached[P]) return SIGBUS;
  c.trylockPage(P);
  r[o + retReg] = ret;
  r[o] = FAULT.MKWRITE;
  return read ? LF.READ : LF.LOCK;
}

/** Footprint of faultLock in the current state. */
function faultLockFootprint(c: PageCache): number {
  return c.resident[P] ? fp(FP.LOCK | FP.MAP, FP.LOCK) : EVERYTHING;
}

/**
 * The fault's later steps, with the page locked: ->page_mkwrite (buffers, set_page_dirty;
 * block_page_mkwrite then folio_wait_stable, still locked, under stable writes),
 * finish_mkwrite_fault (pte writable), fault_dirty_shared_page (unlock_page).
 */
function faultStep(ctx: StepContext, r: Int32Array, o: number, retReg: number): number {
  const c = ctx.cache;
  switch (r[o]) {
    case FAULT.MKWRITE:
      c.mapPage(P);
      if (c.pteWritable[P]) {
        r[o] = FAULT.UNLOCK;
        return LF.HAD_PTE;
      }
      if (!ctx.stable) {
        c.pageMkwrite(P);
        r[o] = FAULT.UNLOCK;
        return LF.MKWRITE;
      }
      c.attachBuffers(P);
      c.setPageDirty(P);
      r[o] = FAULT.WAIT;
      return LF.MKWRITE_STABLE;
    case FAULT.WAIT:
      if (c.writeback[P]) return BLOCKED;
      c.pageMkwrite(P);
      r[o] = FAULT.UNLOCK;
      return LF.WAIT;
    case FAULT.UNLOCK:
      c.unlockPage(P);
      r[o] = r[o + retReg];
      return LF.UNLOCK;
  }
  throw new Error(`fault: bad pc ${r[o]}`);
}

const FAULT_STEPS = (resume: readonly number[]): Record<number, readonly [number, readonly number[]]> => ({
  [FAULT.MKWRITE]: [fp(FP.PTE | FP.MAP | FP.REF | FP.BUF | FP.DIRTY, FP.PTE | FP.REF | FP.BUF | FP.DIRTY), [FAULT.WAIT, FAULT.UNLOCK]],
  [FAULT.WAIT]: [fp(FP.WB | FP.PTE | FP.MAP | FP.REF | FP.BUF | FP.DIRTY, FP.PTE | FP.REF | FP.BUF | FP.DIRTY), [FAULT.UNLOCK]],
  [FAULT.UNLOCK]: [fp(0, FP.LOCK), resume],
});

// ---- GUP user -------------------------------------------------------------------------

/** One root's GUP decision: the caller's policy over the base one and what GUP meets. */
interface Decision {
  policy: Policy;
  gup: GroupGup;
  /** FOLL_WRITE. */
  write: boolean;
  /** The caller's device writes to the page (a write pin of a caller that writes). */
  dma: boolean;
  /** The refusal's label, or -1. */
  refuse: number;
}

const G = {
  REFUSE: 1, FOLLOW: 2, FAST_READ: 3, FAST_GRAB: 4, FAST_RECHECK: 5, AFTER_GRAB: 6, DMA: 7,
  REL_CHECK: 8, REL_LOCK: 9, REL_DIRTY: 10, REL_UNLOCK: 11, REL_PUT: 12, ANON: 13,
} as const;
// Registers: 0 pc, 1 DMA writes left, 2 holds a reference, 3 notifier sequence the device
// mirrored, 4 path (0 slow, 1 fast, 2 fast-no-recheck), 5 the policy's afterGrab runs
// after the pte lock (1) or inside it (0), 6 the pc a fault resumes, 7 the index of the
// root's GUP decision (caller, access, path, longterm: GupUser.decisions).
const GUP_PATH_CODE = { slow: 0, fast: 1, "fast-no-recheck": 2 } as const;
const LG = {
  REFUSE: L("check_vma_flags: -EFAULT"),
  ANON: L("faultin_page: COW, pin the anonymous copy"),
  READ_GRAB: L("follow_page_pte: grab (read)"),
  SIGBUS: L("faultin_page: SIGBUS"),
  MIRROR: L("hmm_range_fault: mirror"),
  REFUSED: L("try_grab_folio: refused"),
  GRAB: L("follow_page_pte: grab"),
  GRAB_ONLY: L("follow_page_pte: grab (hook after pte unlock)"),
  FAST_RO: L("gup_fast: pte RO, slow"),
  FAST_W: L("gup_fast: pte W"),
  FAST_FREED: L("try_grab_folio_fast: freed, slow"),
  FAST_REFUSED: L("try_grab_folio_fast: refused"),
  FAST_NO_RECHECK: L("try_grab_folio_fast (no recheck)"),
  FAST_GRAB: L("try_grab_folio_fast"),
  RECHECK_UNDO: L("recheck pte: changed, undo"),
  RECHECK_SAME: L("recheck pte: same"),
  HOOK_DIRTIED: L("set_page_dirty (after pte unlock)"),
  HOOK_NOTHING: L("afterGrab: nothing"),
  DEV_SIGBUS: L("device fault: SIGBUS"),
  DEV_REMIRROR: L("device refault: mirror"),
  DMA: L("DMA write"),
  NOTIFIER_REMOVE: L("mmu_interval_notifier_remove"),
  REL_LOCK_NEXT: L("set_page_dirty_lock"),
  REL_LOCK_ALWAYS: L("set_page_dirty_lock (already dirty)"),
  LOCK: L("lock_page"),
  SET_DIRTY: L("set_page_dirty"),
  ALREADY_DIRTY: L("set_page_dirty: already dirty"),
  UNLOCK: L("unlock_page"),
  PUT: L("put_page"),
  UNPIN: L("unpin_user_page"),
  PUT_DIRTY: L("PageDirty: put_page"),
  UNPIN_DIRTY: L("PageDirty: unpin_user_page"),
};

/**
 * The GUP user (mm/gup.c): GUP for write on the page (slow, fast with the pte recheck, or
 * fast without it), `dma` device writes, then the release as the kernel runs it: check
 * PG_dirty, lock_page, set_page_dirty, unlock_page, put/unpin (a policy whose release
 * takes no page lock puts at once). The policy's afterGrab runs under the pte lock, or
 * (`hook=after`) as its own step after it. Under `mmu-notifier` it takes no reference:
 * the device mirrors the pte and refaults after an invalidation.
 */
export class GupUser implements Actor {
  readonly size = 8;
  readonly name: string;
  readonly title: string;
  private readonly fut: Int32Array;
  private readonly dmaFootprint: number;

  constructor(decl: ActorDecl, policy: Policy) {
    this.name = decl.name;
    this.title = `${decl.name} gup ${(decl.options.get("path") ?? ["slow"]).join("|")}`;
    const noRef = policy.reference === "none";
    this.dmaFootprint = noRef ? EVERYTHING : fp(FP.MAP | FP.DIRTY | FP.WB, FP.MEM);
    const after = [G.DMA, G.REL_CHECK, G.AFTER_GRAB, 0];
    this.fut = futures({
      [G.REFUSE]: [0, [0]],
      [G.FOLLOW]: [EVERYTHING, [G.FOLLOW, FAULT.MKWRITE, ...after]],
      [G.FAST_READ]: [fp(FP.PTE | FP.MAP, 0), [G.FOLLOW, G.FAST_GRAB]],
      [G.FAST_GRAB]: [fp(FP.ALL, FP.REF | FP.DIRTY), [G.FOLLOW, G.FAST_RECHECK, ...after]],
      [G.FAST_RECHECK]: [EVERYTHING, [G.FOLLOW, ...after]],
      [G.AFTER_GRAB]: [HOOK, [G.DMA, G.REL_CHECK]],
      [G.DMA]: [this.dmaFootprint, [G.DMA, G.REL_CHECK, FAULT.MKWRITE]],
      [G.REL_CHECK]: [noRef ? 0 : EVERYTHING, [G.REL_LOCK, 0]],
      [G.REL_LOCK]: [fp(FP.LOCK, FP.LOCK), [G.REL_DIRTY]],
      [G.REL_DIRTY]: [HOOK, [G.REL_UNLOCK]],
      [G.REL_UNLOCK]: [fp(0, FP.LOCK), [G.REL_PUT]],
      [G.REL_PUT]: [EVERYTHING, [0]],
      ...FAULT_STEPS([G.FOLLOW, G.DMA]),
    }, 24);
  }

  /** The GUP decisions of this search's roots; register 7 indexes them. */
  private readonly decisions: Decision[] = [];
  private readonly decisionIndex = new Map<string, number>();

  /**
   * The caller's policy over the base policy and the GUP outcome for one root's options
   * (src/policies/caller.ts: callerPolicy, groupGup), decided once per combination.
   */
  private decide(ctx: StepContext, s: GupActor): number {
    const cov = ctx.coverage;
    const caller = s.caller ?? "generic", access = s.access ?? "write";
    const key = [ctx.policy.id, caller, access, s.path, s.longterm, cov?.kernel, cov?.mapping, cov?.backing].join("|");
    let k = this.decisionIndex.get(key);
    if (k === undefined) {
      const profile = callerProfile(caller, cov?.kernel ?? "6.18");
      const policy = callerPolicy(ctx.policy, profile, access);
      const gup = groupGup({
        kernel: cov?.kernel ?? null, mapping: cov?.mapping ?? "shared", backing: cov?.backing ?? "ext4",
        access, path: s.path, longTerm: s.longterm, caller: profile, policy,
      });
      const refuse = gup.refused === null ? -1
        : gup.refused === "EFAULT" ? LG.REFUSE : labelOf(`${gup.answer.refusedBy}: -${gup.refused}`);
      k = this.decisions.push({ policy, gup, write: gup.flags.write, dma: gup.flags.write && profile.deviceWrites, refuse }) - 1;
      this.decisionIndex.set(key, k);
    }
    return k;
  }

  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as GupActor;
    const noRef = ctx.policy.reference === "none";
    const k = this.decide(ctx, s), d = this.decisions[k];
    r[o] = d.gup.refused !== null ? G.REFUSE : d.gup.anonymous ? G.ANON : noRef || !d.write || s.path === "slow" ? G.FOLLOW : G.FAST_READ;
    r[o + 1] = d.dma ? s.dma : 0;
    r[o + 4] = GUP_PATH_CODE[s.path];
    r[o + 5] = s.hook === "after" ? 1 : 0;
    r[o + 7] = k;
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    switch (r[o]) {
      case G.REFUSE:
      case G.ANON:
        return 0;
      case G.FOLLOW:
        if (!this.decisions[r[o + 7]].write && ctx.policy.reference !== "none") return EVERYTHING;
        return !pteWritable(c) ? faultLockFootprint(c) : ctx.policy.reference === "none" ? fp(FP.PTE | FP.MAP, 0) : fp(FP.ALL, FP.REF | FP.DIRTY);
      case G.FAST_READ:
        return fp(FP.PTE | FP.MAP, 0);
      case G.FAST_GRAB:
        return fp(FP.ALL, FP.REF | FP.DIRTY);
      case G.DMA:
        if (ctx.policy.reference !== "none") return this.dmaFootprint;
        if (c.resident[P] && c.notifierSeq[P] === r[o + 3]) return fp(FP.MAP | FP.DIRTY | FP.WB | FP.PTE, FP.MEM);
        return pteWritable(c) ? fp(FP.PTE | FP.MAP, 0) : faultLockFootprint(c);
      case G.AFTER_GRAB:
      case G.REL_DIRTY:
        return HOOK;
      case G.REL_LOCK:
        return fp(FP.LOCK, FP.LOCK);
      case G.REL_UNLOCK:
        return fp(0, FP.LOCK);
      case G.REL_CHECK:
        return ctx.policy.reference === "none" ? 0 : EVERYTHING;
      case G.FAST_RECHECK:
      case G.REL_PUT:
        return EVERYTHING;
      default:
        return faultFootprint(r[o]);
    }
  }

  future(r: Int32Array, o: number): number {
    return this.fut[r[o]];
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    // The caller's policy (src/policies/caller.ts): its hooks and reference, grab to release.
    const c = ctx.cache, d = this.decisions[r[o + 7]], policy = d.policy;
    const pin = policy.reference === "FOLL_PIN", noRef = policy.reference === "none";
    switch (r[o]) {
      case G.REFUSE:
        // check_vma_flags: writable FOLL_LONGTERM on a dirty-tracked file mapping (-EFAULT),
        // or the caller's own check (io_uring before 6.5: -EOPNOTSUPP).
        c.count(M.refusedPins);
        r[o] = DONE;
        return d.refuse;
      case G.ANON:
        // A private mapping: COW (or unshare) pins an anonymous copy; the file page is untouched.
        c.count(M.pinsTaken);
        r[o] = DONE;
        return LG.ANON;
      case G.FOLLOW: {
        if (!d.write && !noRef) {
          // A read pin needs a present pte, not a writable one: no write fault, no FOLL_TOUCH dirtying.
          if (!c.resident[P]) c.readPage(P);
          if (!c.attached[P]) {
            r[o] = DONE;
            return LG.SIGBUS;
          }
          c.mapPage(P);
          if (!c.tryGrabFolio(P, pin)) {
            c.count(M.refusedPins);
            r[o] = DONE;
            return LG.REFUSED;
          }
          c.count(M.pinsTaken);
          r[o + 2] = 1;
          r[o] = this.afterGup(r, o);
          return LG.READ_GRAB;
        }
        if (!pteWritable(c)) {
          // follow_page_pte found no writable pte: faultin_page, then retry.
          const f = faultLock(c, r, o, 6, G.FOLLOW);
          if (f === SIGBUS) {
            r[o] = DONE;
            return LG.SIGBUS;
          }
          return f;
        }
        if (noRef) {
          // hmm_range_fault: the device mirrors the pte, remembering the notifier sequence.
          r[o + 3] = c.notifierSeq[P];
          c.count(M.pinsTaken);
          r[o] = this.afterGup(r, o);
          return LG.MIRROR;
        }
        // follow_page_pte under the pte lock: try_grab_folio, FOLL_TOUCH, the policy's hook.
        if (!c.tryGrabFolio(P, pin)) {
          c.count(M.refusedPins);
          r[o] = DONE;
          return LG.REFUSED;
        }
        if (!c.pteWritable[P] && !c.dirty[P]) c.setPageDirty(P);
        r[o + 2] = 1;
        return this.grabbed(ctx, r, o, LG.GRAB);
      }
      case G.FAST_READ:
        // gup_fast_pte_range: ptep_get_lockless; a read-only pte falls back to the slow path.
        if (!pteWritable(c)) {
          r[o] = G.FOLLOW;
          return LG.FAST_RO;
        }
        r[o] = G.FAST_GRAB;
        return LG.FAST_W;
      case G.FAST_GRAB:
        // try_grab_folio_fast: the reference is taken before the pte is checked again;
        // folio_ref_try_add fails on a freed page (refcount 0) and GUP goes slow.
        if (!c.resident[P]) {
          r[o] = G.FOLLOW;
          return LG.FAST_FREED;
        }
        if (!c.tryGrabFolio(P, pin)) {
          c.count(M.refusedPins);
          r[o] = DONE;
          return LG.FAST_REFUSED;
        }
        r[o + 2] = 1;
        if (r[o + 4] === GUP_PATH_CODE["fast-no-recheck"]) return this.grabbed(ctx, r, o, LG.FAST_NO_RECHECK);
        r[o] = G.FAST_RECHECK;
        return LG.FAST_GRAB;
      case G.FAST_RECHECK:
        // "pin the page, then check pte not changed"; if changed, undo and go slow.
        if (!pteWritable(c)) {
          c.gupPutFolio(P, pin);
          r[o + 2] = 0;
          r[o] = G.FOLLOW;
          return LG.RECHECK_UNDO;
        }
        return this.grabbed(ctx, r, o, LG.RECHECK_SAME);
      case G.AFTER_GRAB: {
        // The policy's afterGrab once the pte lock is dropped (dirty-at-gup's variant).
        const was = c.dirty[P];
        policy.afterGrab(c, P);
        c.count(M.pinsTaken);
        r[o] = this.afterGup(r, o);
        return !was && c.dirty[P] ? LG.HOOK_DIRTIED : LG.HOOK_NOTHING;
      }
      case G.DMA:
        return this.dma(ctx, r, o);
      case G.REL_CHECK:
        return this.releaseCheck(ctx, r, o, pin);
      case G.REL_LOCK:
        if (!c.trylockPage(P)) return BLOCKED;
        r[o] = G.REL_DIRTY;
        return LG.LOCK;
      case G.REL_DIRTY: {
        const was = c.dirty[P];
        policy.beforeRelease(c, P);
        r[o] = G.REL_UNLOCK;
        return !was && c.dirty[P] ? LG.SET_DIRTY : LG.ALREADY_DIRTY;
      }
      case G.REL_UNLOCK:
        c.unlockPage(P);
        r[o] = G.REL_PUT;
        return LG.UNLOCK;
      case G.REL_PUT:
        this.put(c, r, o, pin);
        return pin ? LG.UNPIN : LG.PUT;
      default:
        return faultStep(ctx, r, o, 6);
    }
  }

  /** The reference is held: the policy's hook now (inside the pte lock) or as the next step. */
  private grabbed(ctx: StepContext, r: Int32Array, o: number, label: number): number {
    if (r[o + 5] === 1) {
      r[o] = G.AFTER_GRAB;
      return label === LG.GRAB ? LG.GRAB_ONLY : label;
    }
    this.decisions[r[o + 7]].policy.afterGrab(ctx.cache, P);
    ctx.cache.count(M.pinsTaken);
    r[o] = this.afterGup(r, o);
    return label;
  }

  /** One device write; under mmu-notifier an invalidated mirror refaults first. */
  private dma(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    if (ctx.policy.reference === "none" && (!c.resident[P] || c.notifierSeq[P] !== r[o + 3])) {
      if (pteWritable(c)) {
        c.count(M.deviceRefaults);
        r[o + 3] = c.notifierSeq[P];
        return LG.DEV_REMIRROR;
      }
      const f = faultLock(c, r, o, 6, G.DMA);
      if (f !== SIGBUS) return f;
      r[o + 1]--;
      if (r[o + 1] === 0) r[o] = G.REL_CHECK;
      return LG.DEV_SIGBUS;
    }
    c.dmaWrite(P);
    r[o + 1]--;
    if (r[o + 1] === 0) r[o] = G.REL_CHECK;
    return LG.DMA;
  }

  /**
   * The release's first step: unpin_user_pages_dirty_lock's `if (!PageDirty)` (or the
   * legacy set_page_dirty_lock, which always locks). A release that takes no page lock
   * runs the policy's hook and puts the reference at once.
   */
  private releaseCheck(ctx: StepContext, r: Int32Array, o: number, pin: boolean): number {
    const c = ctx.cache;
    if (ctx.policy.reference === "none") {
      r[o] = DONE;
      r[o + 3] = 0;
      return LG.NOTIFIER_REMOVE;
    }
    const policy = this.decisions[r[o + 7]].policy;
    if (policy.releaseTakesPageLock(c, P)) {
      r[o] = G.REL_LOCK;
      return c.dirty[P] ? LG.REL_LOCK_ALWAYS : LG.REL_LOCK_NEXT;
    }
    const dirty = c.dirty[P];
    policy.beforeRelease(c, P);
    this.put(c, r, o, pin);
    return dirty ? (pin ? LG.UNPIN_DIRTY : LG.PUT_DIRTY) : pin ? LG.UNPIN : LG.PUT;
  }

  /** gup_put_folio, with the release's counts (pinsCompleted, releasesUnsaved). */
  private put(c: PageCache, r: Int32Array, o: number, pin: boolean): void {
    c.count(M.pinsCompleted);
    if (c.unsaved(P)) c.count(M.releasesUnsaved);
    c.gupPutFolio(P, pin);
    r[o + 2] = 0;
    r[o] = DONE;
  }

  private afterGup(r: Int32Array, o: number): number {
    return r[o + 1] > 0 ? G.DMA : G.REL_CHECK;
  }
}

// ---- flusher --------------------------------------------------------------------------

const F = { LOCK: 1, CHECK: 2, MKCLEAN: 3, DECIDE: 4, WRITEPAGE: 5, SET_WB: 6, UNLOCK: 7, BIO_BOUNCE: 8, END: 9 } as const;
// Registers: 0 pc, 1 passes left, 2 the policy's writeback decision (WB bits), 3 which
// passes are WB_SYNC_ALL (bit i: pass i), 4 passes in all.
const LW = {
  NO_PAGE: L("no page: pass ends"),
  LOCK: L("lock_page"),
  TRUNCATED: L("truncated: unlock_page"),
  CLEAN: L("clean: unlock_page"),
  UNDER_WB: L("PG_writeback: unlock_page"),
  WRITE: L("PageDirty: write"),
  MKCLEAN: L("page_mkclean"),
  SKIP: L("pinned: skip, unlock_page"),
  CLEARED: L("TestClearPageDirty"),
  KEPT: L("pinned: keep PG_dirty"),
  DROP: L("->writepage: no buffers, drop"),
  WRITEPAGE: L("->writepage"),
  BUG: L("->writepage: no buffers, BUG"),
  SET_WB: L("set_page_writeback"),
  SET_WB_BOUNCE: L("bounce, set_page_writeback"),
  UNLOCK: L("unlock_page"),
  BIO_BOUNCE: L("submit_bio: bounce"),
  END: L("end_page_writeback"),
};

/** The steps of one page's writeback shared by the flusher and reclaim's pageout. */
const WRITEBACK_FP = {
  decide: fp(FP.ALL, FP.DIRTY | FP.LOCK),
  writepage: fp(FP.BUF | FP.DIRTY | FP.MAP, FP.DIRTY | FP.LOCK),
  setWb: fp(FP.MEM | FP.DISK, FP.WB | FP.LOCK),
  bounce: fp(FP.MEM, FP.WB),
  end: fp(FP.WB, FP.WB | FP.DISK),
};

/**
 * The flusher: `passes` runs of write_cache_pages over the page (WB_SYNC_NONE for kupdate
 * and background writeback, WB_SYNC_ALL for fsync and sync; each pass its own mode), each
 * cut where the kernel can be interrupted: lock_page, the checks,
 * clear_page_dirty_for_io (page_mkclean, then the policy's hook and TestClearPageDirty),
 * ->writepage, set_page_writeback, unlock_page, [the block layer's bounce], end_page_writeback.
 */
export class Flusher implements Actor {
  readonly size = 5;
  readonly name: string;
  readonly title: string;
  private static readonly fut = futures({
    [F.LOCK]: [fp(FP.MAP | FP.LOCK, FP.LOCK), [F.CHECK, F.LOCK, 0]],
    [F.CHECK]: [fp(FP.MAP | FP.DIRTY | FP.WB | FP.LOCK, FP.LOCK), [F.MKCLEAN, F.LOCK, 0]],
    [F.MKCLEAN]: [fp(FP.PTE | FP.BUF | FP.MAP | FP.DIRTY, FP.PTE | FP.DIRTY), [F.DECIDE]],
    [F.DECIDE]: [WRITEBACK_FP.decide, [F.WRITEPAGE, F.LOCK, 0]],
    [F.WRITEPAGE]: [WRITEBACK_FP.writepage, [F.SET_WB, F.LOCK, 0]],
    [F.SET_WB]: [fp(FP.MEM | FP.DISK, FP.WB), [F.UNLOCK]],
    [F.UNLOCK]: [fp(0, FP.LOCK | FP.IOQ), [F.BIO_BOUNCE, F.END, F.LOCK, 0]],
    [F.BIO_BOUNCE]: [WRITEBACK_FP.bounce | fp(0, FP.IOQ), [F.END, F.LOCK, 0]],
    [F.END]: [WRITEBACK_FP.end, [F.LOCK, 0]],
  }, 10);

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    const modes = (decl.options.get("sync") ?? ["none"]).map((m) => String(m).toUpperCase());
    this.title = `${decl.name} WB_SYNC_${modes.join("|")}`;
  }

  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as FlusherActor;
    // tmpfs, hugetlbfs: nothing to write back.
    r[o] = ctx.coverage && !BACKING_PROFILES[ctx.coverage.backing].writesBack ? DONE : F.LOCK;
    r[o + 1] = r[o + 4] = s.passes;
    r[o + 3] = s.syncAll.reduce((m, all, i) => m | (all ? 1 << i : 0), 0);
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    switch (r[o]) {
      case F.LOCK: return ctx.cache.resident[P] ? fp(FP.MAP | FP.LOCK, FP.LOCK) : fp(FP.MAP, 0);
      case F.CHECK: return fp(FP.MAP | FP.DIRTY | FP.WB | FP.LOCK, FP.LOCK);
      case F.MKCLEAN: return fp(FP.PTE | FP.BUF | FP.MAP | FP.DIRTY, FP.PTE | FP.DIRTY);
      case F.DECIDE: return WRITEBACK_FP.decide;
      case F.WRITEPAGE: return WRITEBACK_FP.writepage;
      case F.SET_WB: return fp(FP.MEM | FP.DISK, FP.WB);
      case F.UNLOCK: return fp(0, FP.LOCK | FP.IOQ);
      case F.BIO_BOUNCE: return WRITEBACK_FP.bounce | fp(0, FP.IOQ);
      case F.END: return WRITEBACK_FP.end;
    }
    return EVERYTHING;
  }

  future(r: Int32Array, o: number): number {
    return Flusher.fut[r[o]];
  }

  private endPass(r: Int32Array, o: number): void {
    r[o + 2] = 0;
    r[o + 1]--;
    r[o] = r[o + 1] > 0 ? F.LOCK : DONE;
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    const sync = ((r[o + 3] >> (r[o + 4] - r[o + 1])) & 1) === 1;
    switch (r[o]) {
      case F.LOCK:
        if (!c.resident[P]) {
          this.endPass(r, o);
          return LW.NO_PAGE;
        }
        if (!c.trylockPage(P)) return BLOCKED;
        r[o] = F.CHECK;
        return LW.LOCK;
      case F.CHECK:
        // write_cache_pages: skip if truncated or clean; under writeback skip
        // (WB_SYNC_NONE) or wait for it (WB_SYNC_ALL, with the page locked).
        if (!c.attached[P] || !c.dirty[P] || (c.writeback[P] && !sync)) {
          const why = !c.attached[P] ? LW.TRUNCATED : !c.dirty[P] ? LW.CLEAN : LW.UNDER_WB;
          c.unlockPage(P);
          this.endPass(r, o);
          return why;
        }
        if (c.writeback[P]) return BLOCKED; // folio_wait_writeback
        r[o] = F.MKCLEAN;
        return LW.WRITE;
      case F.MKCLEAN:
        c.pageMkclean(P);
        r[o] = F.DECIDE;
        return LW.MKCLEAN;
      case F.DECIDE: {
        const d = c.testClearPageDirtyForIo(P, sync);
        r[o + 2] = d;
        if (!(d & WB.WRITE)) {
          c.unlockPage(P);
          this.endPass(r, o);
          return LW.SKIP;
        }
        r[o] = F.WRITEPAGE;
        return d & WB.CLEAR ? LW.CLEARED : LW.KEPT;
      }
      case F.WRITEPAGE:
        if (!c.writepageHasBuffers(P)) {
          c.unlockPage(P);
          this.endPass(r, o);
          return LW.DROP;
        }
        r[o] = F.SET_WB;
        return c.buffers[P] ? LW.WRITEPAGE : LW.BUG;
      case F.SET_WB: {
        const bounce = (r[o + 2] & WB.BOUNCE) !== 0;
        c.setPageWriteback(P, bounce);
        r[o] = F.UNLOCK;
        return bounce ? LW.SET_WB_BOUNCE : LW.SET_WB;
      }
      case F.UNLOCK:
        c.unlockPage(P);
        if (r[o + 2] & WB.BOUNCE_AT_BIO) r[o] = F.BIO_BOUNCE;
        else if (!submit(ctx, r)) r[o] = F.END;
        else this.endPass(r, o);
        return LW.UNLOCK;
      case F.BIO_BOUNCE:
        c.bounceAtBio(P);
        if (submit(ctx, r)) this.endPass(r, o);
        else r[o] = F.END;
        return LW.BIO_BOUNCE;
      case F.END:
        c.endPageWriteback(P);
        this.endPass(r, o);
        return LW.END;
    }
    throw new Error(`flusher: bad pc ${r[o]}`);
  }
}

// ---- memory pressure ------------------------------------------------------------------

const R = {
  TRYLOCK: 1, UNMAP: 2, GUARD: 3, CONTINUE: 4, DECIDE: 5, WRITEPAGE: 6, SET_WB: 7, BIO_BOUNCE: 8, END: 9, REMOVE: 10,
} as const;
// Registers: 0 pc, 1 second pass (after pageout's I/O), 2 the policy's writeback decision.
const LR = {
  NOT_LRU: L("not on the LRU"),
  BUSY: L("trylock_page: busy"),
  UNDER_WB: L("PG_writeback: skip"),
  TRYLOCK: L("trylock_page"),
  TRYLOCK_AGAIN: L("trylock_page (again)"),
  UNMAP: L("try_to_unmap"),
  GUARD_KEEP: L("folio_maybe_dma_pinned: activate"),
  GUARD_NO: L("folio_maybe_dma_pinned: no"),
  REDIRTIED: L("redirtied: keep"),
  HELD: L("is_page_cache_freeable: no, keep"),
  MKCLEAN: L("pageout: page_mkclean"),
  RELEASE_BUSY: L("try_to_release_page: busy, activate"),
  RELEASE: L("try_to_release_page"),
  KEEP_LOCKED: L("pinned: keep_locked"),
  CLEARED: L("TestClearPageDirty"),
  KEPT: L("pinned: keep PG_dirty"),
  DROP: L("->writepage: no buffers, drop"),
  WRITEPAGE: L("->writepage"),
  BUG: L("->writepage: no buffers, BUG"),
  SET_WB: L("set_page_writeback, unlock"),
  BIO_BOUNCE: L("submit_bio: bounce"),
  END: L("end_page_writeback"),
  EVICTED: L("__remove_mapping: evicted"),
  HELD_REMOVE: L("__remove_mapping: held"),
};

/**
 * Memory pressure: shrink_folio_list over the page. trylock_page, try_to_unmap, the
 * reclaim guard (folio_maybe_dma_pinned → activate_locked), pageout if dirty and
 * freeable (is_page_cache_freeable; a held dirty page is kept), ->writepage unlocks, the
 * next pass continues after the I/O; try_to_release_page (frees the buffers of a clean
 * page), __remove_mapping (evicts only if nobody else holds the page).
 */
export class Reclaim implements Actor {
  readonly size = 3;
  readonly name: string;
  readonly title: string;
  private static readonly fut = futures({
    [R.TRYLOCK]: [fp(FP.MAP | FP.LOCK | FP.WB, FP.LOCK), [R.UNMAP, 0]],
    [R.UNMAP]: [fp(FP.PTE | FP.DIRTY | FP.REF | FP.MAP | FP.BUF, FP.PTE | FP.DIRTY | FP.REF), [R.GUARD, R.CONTINUE]],
    [R.GUARD]: [fp(FP.REF, FP.LOCK), [R.CONTINUE, 0]],
    [R.CONTINUE]: [fp(FP.ALL, FP.PTE | FP.DIRTY | FP.BUF | FP.REF | FP.LOCK), [R.DECIDE, R.REMOVE, 0]],
    [R.DECIDE]: [WRITEBACK_FP.decide, [R.WRITEPAGE, 0]],
    [R.WRITEPAGE]: [WRITEBACK_FP.writepage, [R.SET_WB, R.REMOVE]],
    [R.SET_WB]: [WRITEBACK_FP.setWb | fp(0, FP.IOQ), [R.BIO_BOUNCE, R.END, R.TRYLOCK]],
    [R.BIO_BOUNCE]: [WRITEBACK_FP.bounce | fp(0, FP.IOQ), [R.END, R.TRYLOCK]],
    [R.END]: [WRITEBACK_FP.end, [R.TRYLOCK]],
    [R.REMOVE]: [EVERYTHING, [0]],
  }, 11);

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} reclaim`;
  }

  init(r: Int32Array, o: number, ctx?: StepContext): void {
    // tmpfs, hugetlbfs: reclaim swaps and keeps the data; the model runs nothing.
    r[o] = ctx?.coverage && !BACKING_PROFILES[ctx.coverage.backing].writesBack ? DONE : R.TRYLOCK;
  }

  footprint(_ctx: StepContext, r: Int32Array, o: number): number {
    // Every step's own footprint is its program entry (the table lists each pc's own).
    return Reclaim.own[r[o]] ?? EVERYTHING;
  }

  private static readonly own: Record<number, number> = {
    [R.TRYLOCK]: fp(FP.MAP | FP.LOCK | FP.WB, FP.LOCK),
    [R.UNMAP]: fp(FP.PTE | FP.DIRTY | FP.REF | FP.MAP | FP.BUF, FP.PTE | FP.DIRTY | FP.REF),
    [R.GUARD]: fp(FP.REF, FP.LOCK),
    [R.CONTINUE]: fp(FP.ALL, FP.PTE | FP.DIRTY | FP.BUF | FP.REF | FP.LOCK),
    [R.DECIDE]: WRITEBACK_FP.decide,
    [R.WRITEPAGE]: WRITEBACK_FP.writepage,
    [R.SET_WB]: WRITEBACK_FP.setWb | fp(0, FP.IOQ),
    [R.BIO_BOUNCE]: WRITEBACK_FP.bounce | fp(0, FP.IOQ),
    [R.END]: WRITEBACK_FP.end,
  };

  future(r: Int32Array, o: number): number {
    return Reclaim.fut[r[o]];
  }

  private stop(c: PageCache, r: Int32Array, o: number, unlock: boolean): void {
    if (unlock) c.unlockPage(P);
    r[o] = DONE;
    r[o + 1] = r[o + 2] = 0;
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    const again = r[o + 1] === 1;
    switch (r[o]) {
      case R.TRYLOCK:
        if (!c.resident[P] || !c.attached[P]) {
          this.stop(c, r, o, false);
          return LR.NOT_LRU;
        }
        if (c.locked[P] || c.writeback[P]) {
          this.stop(c, r, o, false);
          return c.locked[P] ? LR.BUSY : LR.UNDER_WB;
        }
        c.trylockPage(P);
        r[o] = R.UNMAP;
        return again ? LR.TRYLOCK_AGAIN : LR.TRYLOCK;
      case R.UNMAP:
        c.tryToUnmap(P);
        r[o] = ctx.guard ? R.GUARD : R.CONTINUE;
        return LR.UNMAP;
      case R.GUARD:
        if (c.reclaimGuardKeeps(P)) {
          this.stop(c, r, o, true);
          return LR.GUARD_KEEP;
        }
        r[o] = R.CONTINUE;
        return LR.GUARD_NO;
      case R.CONTINUE:
        return this.continueAfterUnmap(c, r, o, again);
      case R.DECIDE: {
        const d = c.testClearPageDirtyForIo(P, false);
        r[o + 2] = d;
        if (!(d & WB.WRITE)) {
          this.stop(c, r, o, true);
          return LR.KEEP_LOCKED;
        }
        r[o] = R.WRITEPAGE;
        return d & WB.CLEAR ? LR.CLEARED : LR.KEPT;
      }
      case R.WRITEPAGE:
        if (!c.writepageHasBuffers(P)) {
          // ext4 dropped the page's dirty state: nothing stops the eviction now.
          r[o + 2] = 0;
          r[o] = R.REMOVE;
          return LR.DROP;
        }
        r[o] = R.SET_WB;
        return c.buffers[P] ? LR.WRITEPAGE : LR.BUG;
      case R.SET_WB: {
        const d = r[o + 2];
        c.setPageWriteback(P, (d & WB.BOUNCE) !== 0);
        c.unlockPage(P); // ->writepage unlocks the page
        if (d & WB.BOUNCE_AT_BIO) r[o] = R.BIO_BOUNCE;
        else if (!submit(ctx, r)) r[o] = R.END;
        else this.secondPass(r, o);
        return LR.SET_WB;
      }
      case R.BIO_BOUNCE:
        c.bounceAtBio(P);
        if (submit(ctx, r)) this.secondPass(r, o);
        else r[o] = R.END;
        return LR.BIO_BOUNCE;
      case R.END:
        c.endPageWriteback(P);
        this.secondPass(r, o);
        return LR.END;
      case R.REMOVE: {
        const evicted = c.removeMapping(P);
        this.stop(c, r, o, true);
        return evicted ? LR.EVICTED : LR.HELD_REMOVE;
      }
    }
    throw new Error(`reclaim: bad pc ${r[o]}`);
  }

  /** The next shrink pass over the page, after pageout (its I/O completed or, with an `io` actor, submitted). */
  private secondPass(r: Int32Array, o: number): void {
    r[o] = R.TRYLOCK;
    r[o + 1] = 1;
    r[o + 2] = 0;
  }

  /** After try_to_unmap (and the guard): pageout a dirty freeable page, or free a clean one's buffers. */
  private continueAfterUnmap(c: PageCache, r: Int32Array, o: number, again: boolean): number {
    if (c.dirty[P]) {
      if (again) {
        this.stop(c, r, o, true);
        return LR.REDIRTIED;
      }
      if (!c.isPageCacheFreeable(P)) {
        // pageout() never writes a page someone else holds: PAGE_KEEP.
        this.stop(c, r, o, true);
        return LR.HELD;
      }
      // pageout: clear_page_dirty_for_io starts with page_mkclean.
      c.pageMkclean(P);
      r[o] = R.DECIDE;
      return LR.MKCLEAN;
    }
    if (!c.tryToReleasePage(P)) {
      this.stop(c, r, o, true);
      return LR.RELEASE_BUSY;
    }
    r[o] = R.REMOVE;
    return LR.RELEASE;
  }
}

// ---- CPU writer -----------------------------------------------------------------------

const C = { STORE: 1 } as const;
// Registers: 0 pc, 1 stores left, 2 the pc a fault resumes.
const LC = { SIGBUS: L("write fault: SIGBUS"), STORE: L("store") };

/** A CPU writing through the shared mapping: a write fault (page_mkwrite) when the pte is not writable, then the store. */
export class CpuWriter implements Actor {
  readonly size = 3;
  readonly name: string;
  readonly title: string;
  private static readonly fut = futures({
    [C.STORE]: [EVERYTHING, [C.STORE, FAULT.MKWRITE, 0]],
    ...FAULT_STEPS([C.STORE]),
  }, 24);

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} CPU store`;
  }

  init(r: Int32Array, o: number, _ctx: StepContext, spec: ActorSpec): void {
    const stores = (spec as CpuActor).stores;
    r[o] = stores > 0 ? C.STORE : DONE;
    r[o + 1] = stores;
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    if (r[o] !== C.STORE) return CpuWriter.fut[r[o]] === 0 ? 0 : faultFootprint(r[o]);
    return pteWritable(ctx.cache) ? fp(FP.PTE | FP.MAP, FP.MEM) : faultLockFootprint(ctx.cache);
  }

  future(r: Int32Array, o: number): number {
    return CpuWriter.fut[r[o]];
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    if (r[o] !== C.STORE) return faultStep(ctx, r, o, 2);
    if (!pteWritable(c)) {
      const f = faultLock(c, r, o, 2, C.STORE);
      if (f !== SIGBUS) return f;
      r[o] = DONE;
      r[o + 1] = 0;
      return LC.SIGBUS;
    }
    c.cpuStore(P);
    r[o + 1]--;
    if (r[o + 1] === 0) r[o] = DONE;
    return LC.STORE;
  }
}

const FAULT_OWN = FAULT_STEPS([]);
/** The own footprint of a fault step (its program entry). */
function faultFootprint(pc: number): number {
  return FAULT_OWN[pc]?.[0] ?? EVERYTHING;
}

// ---- truncate -------------------------------------------------------------------------

const T = { LOCK: 1, TRUNCATE: 2, UNLOCK: 3 } as const;
const LT = {
  NO_PAGE: L("no page: i_size only"),
  LOCK: L("lock_page"),
  FREED: L("truncate_inode_folio: freed"),
  HELD: L("truncate_inode_folio: held"),
  UNLOCK: L("unlock_page"),
};

/** truncate_inode_pages over the file: lock_page, wait for writeback, truncate_inode_folio, unlock_page. */
export class Truncate implements Actor {
  readonly size = 1;
  readonly name: string;
  readonly title: string;
  private static readonly fut = futures({
    [T.LOCK]: [fp(FP.MAP | FP.LOCK, FP.LOCK | FP.DIRTY), [T.TRUNCATE, 0]],
    [T.TRUNCATE]: [EVERYTHING, [T.UNLOCK, 0]],
    [T.UNLOCK]: [fp(0, FP.LOCK), [0]],
  }, 4);

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} truncate`;
  }

  init(r: Int32Array, o: number): void {
    r[o] = T.LOCK;
  }

  footprint(_ctx: StepContext, r: Int32Array, o: number): number {
    return r[o] === T.LOCK ? fp(FP.MAP | FP.LOCK, FP.LOCK | FP.DIRTY) : r[o] === T.UNLOCK ? fp(0, FP.LOCK) : EVERYTHING;
  }

  future(r: Int32Array, o: number): number {
    return Truncate.fut[r[o]];
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    switch (r[o]) {
      case T.LOCK:
        if (!c.resident[P] || !c.attached[P]) {
          r[o] = DONE;
          c.inodeDirty[0] = 0;
          return LT.NO_PAGE;
        }
        if (!c.trylockPage(P)) return BLOCKED;
        r[o] = T.TRUNCATE;
        return LT.LOCK;
      case T.TRUNCATE: {
        if (c.writeback[P]) return BLOCKED; // folio_wait_writeback
        c.truncatePage(P);
        c.inodeDirty[0] = 0;
        if (!c.resident[P]) {
          // The page is freed; its lock goes with it.
          c.unlockPage(P);
          r[o] = DONE;
          return LT.FREED;
        }
        r[o] = T.UNLOCK;
        return LT.HELD;
      }
      case T.UNLOCK:
        c.unlockPage(P);
        r[o] = DONE;
        return LT.UNLOCK;
    }
    throw new Error(`truncate: bad pc ${r[o]}`);
  }
}

/**
 * submit_bio with an `io` actor: queue the bio for its completion and return true (the
 * submitter moves on); without one, false (the submitter completes the I/O itself).
 */
function submit(ctx: StepContext, r: Int32Array): boolean {
  if (ctx.ioQueue < 0) return false;
  r[ctx.ioQueue] = 1;
  return true;
}

// ---- I/O completion ---------------------------------------------------------------------

const IO = { IDLE: 1 } as const;
// Registers: 0 pc (always IDLE), 1 a submitted bio waits for completion.
const LI = { END: L("bio completion: end_page_writeback") };

/**
 * The block layer's completion of a submitted bio as its own actor (`io`):
 * end_page_writeback whenever a bio is queued. With it the flusher ends its pass, and
 * reclaim goes on to its next pass, right after submit_bio, as the kernel does; without
 * it each completes its own I/O as its next step.
 */
export class IoCompletion implements Actor {
  readonly size = 2;
  readonly daemon = true;
  readonly name: string;
  readonly title: string;
  private static readonly FP_END = fp(FP.IOQ | FP.WB, FP.IOQ | FP.WB | FP.DISK);

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} I/O completion`;
  }

  init(r: Int32Array, o: number): void {
    r[o] = IO.IDLE;
  }

  footprint(): number {
    return IoCompletion.FP_END;
  }

  future(): number {
    return IoCompletion.FP_END;
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    if (r[o + 1] === 0 || !ctx.cache.writeback[P]) return BLOCKED;
    ctx.cache.endPageWriteback(P);
    r[o + 1] = 0;
    return LI.END;
  }
}

/** The actor for a scenario's actor declaration (its alternatives are set per search root by init). */
export function makeActor(decl: ActorDecl, policy: Policy): Actor {
  switch (decl.kind) {
    case "gup":
      return new GupUser(decl, policy);
    case "flusher":
      return new Flusher(decl);
    case "reclaim":
      return new Reclaim(decl);
    case "cpu":
      return new CpuWriter(decl);
    case "truncate":
      return new Truncate(decl);
    case "io":
      return new IoCompletion(decl);
  }
}
