/**
 * The GUP user (mm/gup.c), moved as it was from src/checker/actors.ts: its step(),
 * footprint() and successor table are still written separately (a step table like the
 * other actors' follows once the run environment and the release as data have landed).
 */
import { METRIC } from "../../model/metrics.js";
import type { PageCache } from "../../model/page-cache.js";
import { deviceMirrorOf, type DeviceMirror, type Policy } from "../../model/policy.js";
import { EVERYTHING, PAGE_VAR, HOOK, packFootprint, futures } from "../footprint.js";
import type { ActorDecl, ActorSpec, GupActor } from "../scenario.js";
import { pinDecision, type PinnerShape } from "../../model/env.js";
import { releaseAtOnce, releaseDirtyLocked, releaseWaitsForLock, RELEASE_DID } from "../../model/release.js";
import type { GroupGup } from "../../policies/caller.js";
import { BLOCKED, DONE, PAGE, pteWritable, type Actor, type StepContext } from "./actor.js";
import { defineLabel, labelOf } from "./labels.js";
import { FAULT_STEP, SIGBUS, faultLock, faultLockFootprint, faultSteps, type FaultPc } from "./fault.js";

/** GUP's fault steps (the pc a fault resumes is register 6). */
const GUP_FAULT = faultSteps(6, [2, 7]);
/** The fault steps as futures() entries. */
const FAULT_STEPS = (): Record<number, readonly [number, readonly number[]]> =>
  Object.fromEntries(Object.entries(GUP_FAULT).map(([pc, s]) => [pc, [s.footprint, s.next]]));
/** The own footprint of a fault step. */
function faultFootprint(pc: number): number {
  return GUP_FAULT[pc as FaultPc]?.footprint ?? EVERYTHING;
}
/** A fault step of the GUP user. */
function faultStep(ctx: StepContext, r: Int32Array, o: number): number {
  const s = GUP_FAULT[r[o] as FaultPc];
  if (!s) throw new Error(`fault: bad pc ${r[o]}`);
  return s.run(ctx, r, o);
}

// ---- GUP user -------------------------------------------------------------------------

/** A GUP actor's caller, access, path and FOLL_LONGTERM, as pinDecision takes them. */
export function gupShape(a: GupActor): PinnerShape {
  return { caller: a.caller ?? "generic", access: a.access ?? "write", path: a.path, longTerm: a.longterm };
}

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

const GUP_STEP = {
  REFUSE: 1,
  FOLLOW: 2,
  FAST_READ: 3,
  FAST_GRAB: 4,
  FAST_RECHECK: 5,
  AFTER_GRAB: 6,
  DMA: 7,
  REL_CHECK: 8,
  REL_LOCK: 9,
  REL_DIRTY: 10,
  REL_UNLOCK: 11,
  REL_PUT: 12,
  ANON: 13,
} as const;
// Registers: 0 pc, 1 DMA writes left, 2 holds a reference, 3 notifier sequence the device
// mirrored, 4 path (0 slow, 1 fast, 2 fast-no-recheck), 5 the policy's afterGrab runs
// after the pte lock (1) or inside it (0), 6 the pc a fault resumes, 7 the index of the
// root's GUP decision (caller, access, path, longterm: GupUser.decisions).
const GUP_PATH_CODE = { slow: 0, fast: 1, "fast-no-recheck": 2 } as const;
const GUP_LABEL = {
  REFUSE: defineLabel("check_vma_flags: -EFAULT"),
  ANON: defineLabel("faultin_page: COW, pin the anonymous copy"),
  READ_GRAB: defineLabel("follow_page_pte: grab (read)"),
  SIGBUS: defineLabel("faultin_page: SIGBUS"),
  MIRROR: defineLabel("hmm_range_fault: mirror"),
  REFUSED: defineLabel("try_grab_folio: refused"),
  GRAB: defineLabel("follow_page_pte: grab"),
  GRAB_ONLY: defineLabel("follow_page_pte: grab (hook after pte unlock)"),
  FAST_RO: defineLabel("gup_fast: pte RO, slow"),
  FAST_W: defineLabel("gup_fast: pte W"),
  FAST_FREED: defineLabel("try_grab_folio_fast: freed, slow"),
  FAST_REFUSED: defineLabel("try_grab_folio_fast: refused"),
  FAST_NO_RECHECK: defineLabel("try_grab_folio_fast (no recheck)"),
  FAST_GRAB: defineLabel("try_grab_folio_fast"),
  RECHECK_UNDO: defineLabel("recheck pte: changed, undo"),
  RECHECK_SAME: defineLabel("recheck pte: same"),
  HOOK_DIRTIED: defineLabel("set_page_dirty (after pte unlock)"),
  HOOK_NOTHING: defineLabel("afterGrab: nothing"),
  DEV_SIGBUS: defineLabel("device fault: SIGBUS"),
  DEV_REMIRROR: defineLabel("device refault: mirror"),
  DMA: defineLabel("DMA write"),
  NOTIFIER_REMOVE: defineLabel("mmu_interval_notifier_remove"),
  REL_LOCK_NEXT: defineLabel("set_page_dirty_lock"),
  REL_LOCK_ALWAYS: defineLabel("set_page_dirty_lock (already dirty)"),
  LOCK: defineLabel("lock_page"),
  SET_DIRTY: defineLabel("set_page_dirty"),
  ALREADY_DIRTY: defineLabel("set_page_dirty: already dirty"),
  UNLOCK: defineLabel("unlock_page"),
  PUT: defineLabel("put_page"),
  UNPIN: defineLabel("unpin_user_page"),
  PUT_DIRTY: defineLabel("PageDirty: put_page"),
  UNPIN_DIRTY: defineLabel("PageDirty: unpin_user_page"),
  DIRTIED_PUT: defineLabel("set_page_dirty (no page lock); put_page"),
  DIRTIED_UNPIN: defineLabel("set_page_dirty (no page lock); unpin_user_page"),
  TRYLOCK_BUSY_PUT: defineLabel("trylock_page: busy, not dirtied; put_page"),
  TRYLOCK_BUSY_UNPIN: defineLabel("trylock_page: busy, not dirtied; unpin_user_page"),
};

/**
 * The GUP user (mm/gup.c): GUP for write on the page (slow, fast with the pte recheck, or
 * fast without it), `dma` device writes, then the release as the kernel runs it: check
 * PG_dirty, lock_page, set_page_dirty, unlock_page, put/unpin (a policy whose release
 * takes no page lock puts at once). The policy's afterGrab runs under the pte lock, or
 * (`hook=after`) as its own step after it. Under a policy with a device mirror
 * (Policy.deviceMirror, mmu-notifier) it takes no reference: the device mirrors the pte
 * and refaults after an invalidation.
 */
export class GupUser implements Actor {
  readonly size = 8;
  readonly name: string;
  readonly title: string;
  private readonly fut: Int32Array;
  private readonly dmaFootprint: number;
  /**
   * The policy's device mirror (mmu-notifier), or null when GUP takes a reference.
   * NOTE: for performance, read once here rather than through the policy per step.
   */
  private readonly mirror: DeviceMirror | null;

  constructor(decl: ActorDecl, policy: Policy) {
    this.name = decl.name;
    this.title = `${decl.name} gup ${(decl.options.get("path") ?? ["slow"]).join("|")}`;
    this.mirror = deviceMirrorOf(policy);
    const mirrors = this.mirror !== null;
    this.dmaFootprint = mirrors ? EVERYTHING : packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB, PAGE_VAR.MEM);
    const after = [GUP_STEP.DMA, GUP_STEP.REL_CHECK, GUP_STEP.AFTER_GRAB, 0];
    this.fut = futures(
      {
        [GUP_STEP.REFUSE]: [0, [0]],
        [GUP_STEP.FOLLOW]: [EVERYTHING, [GUP_STEP.FOLLOW, FAULT_STEP.MKWRITE, ...after]],
        [GUP_STEP.FAST_READ]: [packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0), [GUP_STEP.FOLLOW, GUP_STEP.FAST_GRAB]],
        [GUP_STEP.FAST_GRAB]: [
          packFootprint(PAGE_VAR.ALL, PAGE_VAR.REF | PAGE_VAR.DIRTY),
          [GUP_STEP.FOLLOW, GUP_STEP.FAST_RECHECK, ...after],
        ],
        [GUP_STEP.FAST_RECHECK]: [EVERYTHING, [GUP_STEP.FOLLOW, ...after]],
        [GUP_STEP.AFTER_GRAB]: [HOOK, [GUP_STEP.DMA, GUP_STEP.REL_CHECK]],
        [GUP_STEP.DMA]: [this.dmaFootprint, [GUP_STEP.DMA, GUP_STEP.REL_CHECK, FAULT_STEP.MKWRITE]],
        [GUP_STEP.REL_CHECK]: [mirrors ? 0 : EVERYTHING, [GUP_STEP.REL_LOCK, 0]],
        [GUP_STEP.REL_LOCK]: [packFootprint(PAGE_VAR.LOCK, PAGE_VAR.LOCK), [GUP_STEP.REL_DIRTY]],
        [GUP_STEP.REL_DIRTY]: [HOOK, [GUP_STEP.REL_UNLOCK]],
        [GUP_STEP.REL_UNLOCK]: [packFootprint(0, PAGE_VAR.LOCK), [GUP_STEP.REL_PUT]],
        [GUP_STEP.REL_PUT]: [EVERYTHING, [0]],
        ...FAULT_STEPS(),
      },
      24,
    );
  }

  /** The GUP decisions of this search's roots; register 7 indexes them. */
  private readonly decisions: Decision[] = [];
  private readonly decisionIndex = new Map<string, number>();

  /**
   * The caller's policy over the base policy and the GUP outcome for one root's options
   * (src/policies/caller.ts: callerPolicy, groupGup), decided once per combination.
   */
  private decide(ctx: StepContext, s: GupActor): number {
    const shape = gupShape(s);
    const key = [shape.caller, shape.access, shape.path, shape.longTerm].join("|");
    let k = this.decisionIndex.get(key);
    if (k === undefined) {
      const d = pinDecision(ctx.env, shape);
      const gup = d.gup;
      const refuse =
        gup.refused === null
          ? -1
          : gup.refused === "EFAULT"
            ? GUP_LABEL.REFUSE
            : labelOf(`${gup.answer.refusedBy}: -${gup.refused}`);
      k = this.decisions.push({ policy: d.policy, gup, write: d.write, dma: d.deviceWrites, refuse }) - 1;
      this.decisionIndex.set(key, k);
    }
    return k;
  }

  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as GupActor;
    const k = this.decide(ctx, s),
      d = this.decisions[k];
    // hmm_range_fault has no fast path: a mirroring device always follows the pte.
    r[o] =
      d.gup.refused !== null
        ? GUP_STEP.REFUSE
        : d.gup.anonymous
          ? GUP_STEP.ANON
          : this.mirror !== null || !d.write || s.path === "slow"
            ? GUP_STEP.FOLLOW
            : GUP_STEP.FAST_READ;
    r[o + 1] = d.dma ? s.dma : 0;
    r[o + 4] = GUP_PATH_CODE[s.path];
    r[o + 5] = s.hook === "after" ? 1 : 0;
    r[o + 7] = k;
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    switch (r[o]) {
      case GUP_STEP.REFUSE:
      case GUP_STEP.ANON:
        return 0;
      case GUP_STEP.FOLLOW:
        if (!this.decisions[r[o + 7]].write && this.mirror === null) return EVERYTHING;
        return !pteWritable(c)
          ? faultLockFootprint(c)
          : this.mirror !== null
            ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0)
            : packFootprint(PAGE_VAR.ALL, PAGE_VAR.REF | PAGE_VAR.DIRTY);
      case GUP_STEP.FAST_READ:
        return packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0);
      case GUP_STEP.FAST_GRAB:
        return packFootprint(PAGE_VAR.ALL, PAGE_VAR.REF | PAGE_VAR.DIRTY);
      case GUP_STEP.DMA:
        if (this.mirror === null) return this.dmaFootprint;
        if (!this.mirror.invalidated(c, PAGE, r[o + 3]))
          return packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.PTE, PAGE_VAR.MEM);
        return pteWritable(c) ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0) : faultLockFootprint(c);
      case GUP_STEP.AFTER_GRAB:
      case GUP_STEP.REL_DIRTY:
        return HOOK;
      case GUP_STEP.REL_LOCK:
        return packFootprint(PAGE_VAR.LOCK, PAGE_VAR.LOCK);
      case GUP_STEP.REL_UNLOCK:
        return packFootprint(0, PAGE_VAR.LOCK);
      case GUP_STEP.REL_CHECK:
        return this.mirror !== null ? 0 : EVERYTHING;
      case GUP_STEP.FAST_RECHECK:
      case GUP_STEP.REL_PUT:
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
    const c = ctx.cache,
      d = this.decisions[r[o + 7]],
      policy = d.policy;
    const pin = policy.reference === "FOLL_PIN";
    switch (r[o]) {
      case GUP_STEP.REFUSE:
        // check_vma_flags: writable FOLL_LONGTERM on a dirty-tracked file mapping (-EFAULT),
        // or the caller's own check (io_uring before 6.5: -EOPNOTSUPP).
        c.count(METRIC.refusedPins);
        r[o] = DONE;
        return d.refuse;
      case GUP_STEP.ANON:
        // A private mapping: COW (or unshare) pins an anonymous copy; the file page is untouched.
        c.count(METRIC.pinsTaken);
        r[o] = DONE;
        return GUP_LABEL.ANON;
      case GUP_STEP.FOLLOW:
        return this.follow(ctx, r, o, d.write, pin);
      case GUP_STEP.FAST_READ:
        // gup_fast_pte_range: ptep_get_lockless; a read-only pte falls back to the slow path.
        if (!pteWritable(c)) {
          r[o] = GUP_STEP.FOLLOW;
          return GUP_LABEL.FAST_RO;
        }
        r[o] = GUP_STEP.FAST_GRAB;
        return GUP_LABEL.FAST_W;
      case GUP_STEP.FAST_GRAB:
        return this.fastGrab(ctx, r, o, pin);
      case GUP_STEP.FAST_RECHECK:
        // "pin the page, then check pte not changed"; if changed, undo and go slow.
        if (!pteWritable(c)) {
          c.gupPutFolio(PAGE, pin);
          r[o + 2] = 0;
          r[o] = GUP_STEP.FOLLOW;
          return GUP_LABEL.RECHECK_UNDO;
        }
        return this.grabbed(ctx, r, o, GUP_LABEL.RECHECK_SAME);
      case GUP_STEP.AFTER_GRAB: {
        // The policy's afterGrab once the pte lock is dropped (dirty-at-gup's variant).
        const was = c.dirty[PAGE];
        policy.afterGrab(c, PAGE);
        c.count(METRIC.pinsTaken);
        r[o] = this.afterGup(r, o);
        return !was && c.dirty[PAGE] ? GUP_LABEL.HOOK_DIRTIED : GUP_LABEL.HOOK_NOTHING;
      }
      case GUP_STEP.DMA:
        return this.dma(ctx, r, o);
      case GUP_STEP.REL_CHECK:
        return this.releaseCheck(ctx, r, o, pin);
      case GUP_STEP.REL_LOCK:
        if (!c.trylockPage(PAGE)) return BLOCKED;
        r[o] = GUP_STEP.REL_DIRTY;
        return GUP_LABEL.LOCK;
      case GUP_STEP.REL_DIRTY: {
        const was = c.dirty[PAGE];
        releaseDirtyLocked(policy.release, c, PAGE);
        r[o] = GUP_STEP.REL_UNLOCK;
        return !was && c.dirty[PAGE] ? GUP_LABEL.SET_DIRTY : GUP_LABEL.ALREADY_DIRTY;
      }
      case GUP_STEP.REL_UNLOCK:
        c.unlockPage(PAGE);
        r[o] = GUP_STEP.REL_PUT;
        return GUP_LABEL.UNLOCK;
      case GUP_STEP.REL_PUT:
        this.put(c, r, o, pin);
        return pin ? GUP_LABEL.UNPIN : GUP_LABEL.PUT;
      default:
        return faultStep(ctx, r, o);
    }
  }

  /**
   * follow_page_pte (mm/gup.c) on the slow path: a read pin grabs a present page; a write
   * needs a writable pte, faulting it in first (faultin_page, then retry); then, under the
   * pte lock, try_grab_folio and FOLL_TOUCH, or the device's mirror of the pte.
   */
  private follow(ctx: StepContext, r: Int32Array, o: number, write: boolean, pin: boolean): number {
    const c = ctx.cache;
    if (!write && this.mirror === null) return this.followRead(c, r, o, pin);
    if (!pteWritable(c)) {
      const f = faultLock(c, r, o, 6, GUP_STEP.FOLLOW);
      if (f !== SIGBUS) return f;
      r[o] = DONE;
      return GUP_LABEL.SIGBUS;
    }
    if (this.mirror !== null) {
      // hmm_range_fault: the device mirrors the pte, remembering the notifier sequence.
      r[o + 3] = this.mirror.mirror(c, PAGE);
      c.count(METRIC.pinsTaken);
      r[o] = this.afterGup(r, o);
      return GUP_LABEL.MIRROR;
    }
    if (!c.tryGrabFolio(PAGE, pin)) return this.refused(c, r, o, GUP_LABEL.REFUSED);
    if (!c.pteWritable[PAGE] && !c.dirty[PAGE]) c.setPageDirty(PAGE);
    r[o + 2] = 1;
    return this.grabbed(ctx, r, o, GUP_LABEL.GRAB);
  }

  /** A read pin needs a present pte, not a writable one: no write fault, no FOLL_TOUCH dirtying. */
  private followRead(c: PageCache, r: Int32Array, o: number, pin: boolean): number {
    if (!c.resident[PAGE]) c.readPage(PAGE);
    if (!c.attached[PAGE]) {
      r[o] = DONE;
      return GUP_LABEL.SIGBUS;
    }
    c.mapPage(PAGE);
    if (!c.tryGrabFolio(PAGE, pin)) return this.refused(c, r, o, GUP_LABEL.REFUSED);
    c.count(METRIC.pinsTaken);
    r[o + 2] = 1;
    r[o] = this.afterGup(r, o);
    return GUP_LABEL.READ_GRAB;
  }

  /**
   * try_grab_folio_fast (mm/gup.c): the reference is taken before the pte is checked
   * again; folio_ref_try_add fails on a freed page (refcount 0) and GUP goes slow.
   */
  private fastGrab(ctx: StepContext, r: Int32Array, o: number, pin: boolean): number {
    const c = ctx.cache;
    if (!c.resident[PAGE]) {
      r[o] = GUP_STEP.FOLLOW;
      return GUP_LABEL.FAST_FREED;
    }
    if (!c.tryGrabFolio(PAGE, pin)) return this.refused(c, r, o, GUP_LABEL.FAST_REFUSED);
    r[o + 2] = 1;
    if (r[o + 4] === GUP_PATH_CODE["fast-no-recheck"]) return this.grabbed(ctx, r, o, GUP_LABEL.FAST_NO_RECHECK);
    r[o] = GUP_STEP.FAST_RECHECK;
    return GUP_LABEL.FAST_GRAB;
  }

  /** try_grab_folio refused the reference (the refcount would overflow): GUP fails. */
  private refused(c: PageCache, r: Int32Array, o: number, label: number): number {
    c.count(METRIC.refusedPins);
    r[o] = DONE;
    return label;
  }

  /** The reference is held: the policy's hook now (inside the pte lock) or as the next step. */
  private grabbed(ctx: StepContext, r: Int32Array, o: number, label: number): number {
    if (r[o + 5] === 1) {
      r[o] = GUP_STEP.AFTER_GRAB;
      return label === GUP_LABEL.GRAB ? GUP_LABEL.GRAB_ONLY : label;
    }
    this.decisions[r[o + 7]].policy.afterGrab(ctx.cache, PAGE);
    ctx.cache.count(METRIC.pinsTaken);
    r[o] = this.afterGup(r, o);
    return label;
  }

  /** One device write; under mmu-notifier an invalidated mirror refaults first. */
  private dma(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    if (this.mirror?.invalidated(c, PAGE, r[o + 3])) {
      if (pteWritable(c)) {
        r[o + 3] = this.mirror.refault(c, PAGE);
        return GUP_LABEL.DEV_REMIRROR;
      }
      const f = faultLock(c, r, o, 6, GUP_STEP.DMA);
      if (f !== SIGBUS) return f;
      r[o + 1]--;
      if (r[o + 1] === 0) r[o] = GUP_STEP.REL_CHECK;
      return GUP_LABEL.DEV_SIGBUS;
    }
    c.dmaWrite(PAGE);
    r[o + 1]--;
    if (r[o + 1] === 0) r[o] = GUP_STEP.REL_CHECK;
    return GUP_LABEL.DMA;
  }

  /**
   * The release's first step: unpin_user_pages_dirty_lock's `if (!PageDirty)` (or the
   * legacy set_page_dirty_lock, which always locks). A release that takes no page lock
   * runs the policy's hook and puts the reference at once.
   */
  private releaseCheck(ctx: StepContext, r: Int32Array, o: number, pin: boolean): number {
    const c = ctx.cache;
    if (this.mirror !== null) {
      // mmu_interval_notifier_remove: the device stops mirroring; there is nothing to put.
      r[o] = DONE;
      r[o + 3] = 0;
      return GUP_LABEL.NOTIFIER_REMOVE;
    }
    const release = this.decisions[r[o + 7]].policy.release;
    if (releaseWaitsForLock(release, c, PAGE)) {
      r[o] = GUP_STEP.REL_LOCK;
      return c.dirty[PAGE] ? GUP_LABEL.REL_LOCK_ALWAYS : GUP_LABEL.REL_LOCK_NEXT;
    }
    const dirty = c.dirty[PAGE];
    const busy = releaseAtOnce(release, c, PAGE) === RELEASE_DID.BUSY;
    this.put(c, r, o, pin);
    if (busy) return pin ? GUP_LABEL.TRYLOCK_BUSY_UNPIN : GUP_LABEL.TRYLOCK_BUSY_PUT;
    if (!dirty && c.dirty[PAGE]) return pin ? GUP_LABEL.DIRTIED_UNPIN : GUP_LABEL.DIRTIED_PUT;
    return dirty ? (pin ? GUP_LABEL.UNPIN_DIRTY : GUP_LABEL.PUT_DIRTY) : pin ? GUP_LABEL.UNPIN : GUP_LABEL.PUT;
  }

  /** gup_put_folio, with the release's counts (pinsCompleted, releasesUnsaved). */
  private put(c: PageCache, r: Int32Array, o: number, pin: boolean): void {
    c.count(METRIC.pinsCompleted);
    if (c.unsaved(PAGE)) c.count(METRIC.releasesUnsaved);
    c.gupPutFolio(PAGE, pin);
    r[o + 2] = 0;
    r[o] = DONE;
  }

  private afterGup(r: Int32Array, o: number): number {
    return r[o + 1] > 0 ? GUP_STEP.DMA : GUP_STEP.REL_CHECK;
  }
}
