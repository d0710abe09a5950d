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
import { METRIC } from "../model/metrics.js";
import type { PageCache } from "../model/page-cache.js";
import { deviceMirrorOf, WritebackDecision, type DeviceMirror, type Policy } from "../model/policy.js";
import { EVERYTHING, PAGE_VAR, HOOK, packFootprint, futures } from "./footprint.js";
import type { ActorDecl, ActorSpec, Coverage, CpuActor, FlusherActor, GupActor } from "./scenario.js";
import { BACKING_PROFILES } from "../model/backings.js";
import { callerProfile } from "../model/callers.js";
import { callerPolicy, groupGup, type GroupGup } from "../policies/caller.js";

/** The one page every actor works on. */
export const PAGE = 0;
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
  /**
   * Reclaim's pageout() writes a dirty file page (reclaimWritesFile, src/model/backings.ts):
   * false for ext4 from v6.2 and every filesystem from v6.16, where it returns PAGE_ACTIVATE.
   */
  reclaimWrites: boolean;
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
  /** What the next step reads and writes (PAGE_VAR bits, `reads | writes << 16`), in the current state. */
  footprint(ctx: StepContext, r: Int32Array, o: number): number;
  /** What every step the actor may still take reads and writes. */
  future(r: Int32Array, o: number): number;
  /** Never finishes (the I/O completion): a state where only it is left and it cannot move is an end state. */
  readonly daemon?: boolean;
}

/** Every step label; a step returns an index into it. */
export const LABELS: string[] = [];
/** Add a step label to LABELS; returns its index. */
const defineLabel = (text: string): number => LABELS.push(text) - 1;
const LABEL_INDEX = new Map<string, number>();
/** The index of a label built from data (a caller's refusal), added on first use. */
function labelOf(text: string): number {
  let k = LABEL_INDEX.get(text) ?? LABELS.indexOf(text);
  if (k < 0) k = defineLabel(text);
  LABEL_INDEX.set(text, k);
  return k;
}

/** The pte GUP-fast and the CPU see: present and writable. */
function pteWritable(c: PageCache): boolean {
  return c.resident[PAGE] === 1 && c.mapped[PAGE] === 1 && c.pteWritable[PAGE] === 1;
}

// ---- the write fault, shared by GUP's faultin_page, the CPU and a refaulting device ---

/** Program counters of the fault's steps in every actor that faults (after its own). */
const FAULT_STEP = { MKWRITE: 20, WAIT: 21, UNLOCK: 22 } as const;
const SIGBUS = -2;
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
function faultLock(c: PageCache, r: Int32Array, o: number, retReg: number, ret: number): number {
  if (c.resident[PAGE] && c.locked[PAGE]) return BLOCKED;
  const read = !c.resident[PAGE];
  if (read) c.readPage(PAGE);
  if (!c.attached[PAGE]) return SIGBUS;
  c.trylockPage(PAGE);
  r[o + retReg] = ret;
  r[o] = FAULT_STEP.MKWRITE;
  return read ? FAULT_LABEL.READ : FAULT_LABEL.LOCK;
}

/** Footprint of faultLock in the current state. */
function faultLockFootprint(c: PageCache): number {
  return c.resident[PAGE] ? packFootprint(PAGE_VAR.LOCK | PAGE_VAR.MAP, PAGE_VAR.LOCK) : EVERYTHING;
}

/**
 * The fault's later steps, with the page locked: ->page_mkwrite (buffers, set_page_dirty;
 * block_page_mkwrite then folio_wait_stable, still locked, under stable writes),
 * finish_mkwrite_fault (pte writable), fault_dirty_shared_page (unlock_page).
 */
function faultStep(ctx: StepContext, r: Int32Array, o: number, retReg: number): number {
  const c = ctx.cache;
  switch (r[o]) {
    case FAULT_STEP.MKWRITE:
      c.mapPage(PAGE);
      if (c.pteWritable[PAGE]) {
        r[o] = FAULT_STEP.UNLOCK;
        return FAULT_LABEL.HAD_PTE;
      }
      if (!ctx.stable) {
        c.pageMkwrite(PAGE);
        r[o] = FAULT_STEP.UNLOCK;
        return FAULT_LABEL.MKWRITE;
      }
      c.attachBuffers(PAGE);
      c.setPageDirty(PAGE);
      r[o] = FAULT_STEP.WAIT;
      return FAULT_LABEL.MKWRITE_STABLE;
    case FAULT_STEP.WAIT:
      if (c.writeback[PAGE]) return BLOCKED;
      c.pageMkwrite(PAGE);
      r[o] = FAULT_STEP.UNLOCK;
      return FAULT_LABEL.WAIT;
    case FAULT_STEP.UNLOCK:
      c.unlockPage(PAGE);
      r[o] = r[o + retReg];
      return FAULT_LABEL.UNLOCK;
  }
  throw new Error(`fault: bad pc ${r[o]}`);
}

const FAULT_STEPS = (resume: readonly number[]): Record<number, readonly [number, readonly number[]]> => ({
  [FAULT_STEP.MKWRITE]: [
    packFootprint(
      PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
      PAGE_VAR.PTE | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
    ),
    [FAULT_STEP.WAIT, FAULT_STEP.UNLOCK],
  ],
  [FAULT_STEP.WAIT]: [
    packFootprint(
      PAGE_VAR.WB | PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
      PAGE_VAR.PTE | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.DIRTY,
    ),
    [FAULT_STEP.UNLOCK],
  ],
  [FAULT_STEP.UNLOCK]: [packFootprint(0, PAGE_VAR.LOCK), resume],
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
        ...FAULT_STEPS([GUP_STEP.FOLLOW, GUP_STEP.DMA]),
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
    const cov = ctx.coverage;
    const caller = s.caller ?? "generic",
      access = s.access ?? "write";
    const key = [ctx.policy.id, caller, access, s.path, s.longterm, cov?.kernel, cov?.mapping, cov?.backing].join("|");
    let k = this.decisionIndex.get(key);
    if (k === undefined) {
      const profile = callerProfile(caller, cov?.kernel ?? "6.18");
      const policy = callerPolicy(ctx.policy, profile, access);
      const gup = groupGup({
        kernel: cov?.kernel ?? null,
        mapping: cov?.mapping ?? "shared",
        backing: cov?.backing ?? "ext4",
        access,
        path: s.path,
        longTerm: s.longterm,
        caller: profile,
        policy,
      });
      const refuse =
        gup.refused === null
          ? -1
          : gup.refused === "EFAULT"
            ? GUP_LABEL.REFUSE
            : labelOf(`${gup.answer.refusedBy}: -${gup.refused}`);
      k =
        this.decisions.push({
          policy,
          gup,
          write: gup.flags.write,
          dma: gup.flags.write && profile.deviceWrites,
          refuse,
        }) - 1;
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
        policy.beforeRelease(c, PAGE);
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
        return faultStep(ctx, r, o, 6);
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
    const policy = this.decisions[r[o + 7]].policy;
    if (policy.releaseTakesPageLock(c, PAGE)) {
      r[o] = GUP_STEP.REL_LOCK;
      return c.dirty[PAGE] ? GUP_LABEL.REL_LOCK_ALWAYS : GUP_LABEL.REL_LOCK_NEXT;
    }
    const dirty = c.dirty[PAGE];
    const busy = policy.releaseTrylocks === true && c.locked[PAGE] !== 0;
    policy.beforeRelease(c, PAGE);
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

// ---- flusher --------------------------------------------------------------------------

const FLUSH_STEP = {
  LOCK: 1,
  CHECK: 2,
  MKCLEAN: 3,
  DECIDE: 4,
  WRITEPAGE: 5,
  SET_WB: 6,
  UNLOCK: 7,
  BIO_BOUNCE: 8,
  END: 9,
} as const;
// Registers: 0 pc, 1 passes left, 2 the policy's writeback decision (WritebackDecision bits), 3 which
// passes are WB_SYNC_ALL (bit i: pass i), 4 passes in all.
const FLUSH_LABEL = {
  NO_PAGE: defineLabel("no page: pass ends"),
  LOCK: defineLabel("lock_page"),
  TRUNCATED: defineLabel("truncated: unlock_page"),
  CLEAN: defineLabel("clean: unlock_page"),
  UNDER_WB: defineLabel("PG_writeback: unlock_page"),
  WRITE: defineLabel("PageDirty: write"),
  MKCLEAN: defineLabel("page_mkclean"),
  SKIP: defineLabel("pinned: skip, unlock_page"),
  CLEARED: defineLabel("TestClearPageDirty"),
  KEPT: defineLabel("pinned: keep PG_dirty"),
  DROP: defineLabel("->writepage: no buffers, drop"),
  WRITEPAGE: defineLabel("->writepage"),
  BUG: defineLabel("->writepage: no buffers, BUG"),
  SET_WB: defineLabel("set_page_writeback"),
  SET_WB_BOUNCE: defineLabel("bounce, set_page_writeback"),
  UNLOCK: defineLabel("unlock_page"),
  BIO_BOUNCE: defineLabel("submit_bio: bounce"),
  END: defineLabel("end_page_writeback"),
};

/** The steps of one page's writeback shared by the flusher and reclaim's pageout. */
const WRITEBACK_FP = {
  decide: packFootprint(PAGE_VAR.ALL, PAGE_VAR.DIRTY | PAGE_VAR.LOCK),
  writepage: packFootprint(PAGE_VAR.BUF | PAGE_VAR.DIRTY | PAGE_VAR.MAP, PAGE_VAR.DIRTY | PAGE_VAR.LOCK),
  setWb: packFootprint(PAGE_VAR.MEM | PAGE_VAR.DISK, PAGE_VAR.WB | PAGE_VAR.LOCK),
  bounce: packFootprint(PAGE_VAR.MEM, PAGE_VAR.WB),
  end: packFootprint(PAGE_VAR.WB, PAGE_VAR.WB | PAGE_VAR.DISK),
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
  private static readonly fut = futures(
    {
      [FLUSH_STEP.LOCK]: [
        packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK),
        [FLUSH_STEP.CHECK, FLUSH_STEP.LOCK, 0],
      ],
      [FLUSH_STEP.CHECK]: [
        packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.LOCK, PAGE_VAR.LOCK),
        [FLUSH_STEP.MKCLEAN, FLUSH_STEP.LOCK, 0],
      ],
      [FLUSH_STEP.MKCLEAN]: [
        packFootprint(PAGE_VAR.PTE | PAGE_VAR.BUF | PAGE_VAR.MAP | PAGE_VAR.DIRTY, PAGE_VAR.PTE | PAGE_VAR.DIRTY),
        [FLUSH_STEP.DECIDE],
      ],
      [FLUSH_STEP.DECIDE]: [WRITEBACK_FP.decide, [FLUSH_STEP.WRITEPAGE, FLUSH_STEP.LOCK, 0]],
      [FLUSH_STEP.WRITEPAGE]: [WRITEBACK_FP.writepage, [FLUSH_STEP.SET_WB, FLUSH_STEP.LOCK, 0]],
      [FLUSH_STEP.SET_WB]: [packFootprint(PAGE_VAR.MEM | PAGE_VAR.DISK, PAGE_VAR.WB), [FLUSH_STEP.UNLOCK]],
      [FLUSH_STEP.UNLOCK]: [
        packFootprint(0, PAGE_VAR.LOCK | PAGE_VAR.IOQ),
        [FLUSH_STEP.BIO_BOUNCE, FLUSH_STEP.END, FLUSH_STEP.LOCK, 0],
      ],
      [FLUSH_STEP.BIO_BOUNCE]: [
        WRITEBACK_FP.bounce | packFootprint(0, PAGE_VAR.IOQ),
        [FLUSH_STEP.END, FLUSH_STEP.LOCK, 0],
      ],
      [FLUSH_STEP.END]: [WRITEBACK_FP.end, [FLUSH_STEP.LOCK, 0]],
    },
    10,
  );

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    const modes = (decl.options.get("sync") ?? ["none"]).map((m) => String(m).toUpperCase());
    this.title = `${decl.name} WB_SYNC_${modes.join("|")}`;
  }

  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as FlusherActor;
    // tmpfs, hugetlbfs: nothing to write back.
    r[o] = ctx.coverage && !BACKING_PROFILES[ctx.coverage.backing].writesBack ? DONE : FLUSH_STEP.LOCK;
    r[o + 1] = r[o + 4] = s.passes;
    r[o + 3] = s.syncAll.reduce((m, all, i) => m | (all ? 1 << i : 0), 0);
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    switch (r[o]) {
      case FLUSH_STEP.LOCK:
        return ctx.cache.resident[PAGE]
          ? packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK)
          : packFootprint(PAGE_VAR.MAP, 0);
      case FLUSH_STEP.CHECK:
        return packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.LOCK, PAGE_VAR.LOCK);
      case FLUSH_STEP.MKCLEAN:
        return packFootprint(
          PAGE_VAR.PTE | PAGE_VAR.BUF | PAGE_VAR.MAP | PAGE_VAR.DIRTY,
          PAGE_VAR.PTE | PAGE_VAR.DIRTY,
        );
      case FLUSH_STEP.DECIDE:
        return WRITEBACK_FP.decide;
      case FLUSH_STEP.WRITEPAGE:
        return WRITEBACK_FP.writepage;
      case FLUSH_STEP.SET_WB:
        return packFootprint(PAGE_VAR.MEM | PAGE_VAR.DISK, PAGE_VAR.WB);
      case FLUSH_STEP.UNLOCK:
        return packFootprint(0, PAGE_VAR.LOCK | PAGE_VAR.IOQ);
      case FLUSH_STEP.BIO_BOUNCE:
        return WRITEBACK_FP.bounce | packFootprint(0, PAGE_VAR.IOQ);
      case FLUSH_STEP.END:
        return WRITEBACK_FP.end;
    }
    return EVERYTHING;
  }

  future(r: Int32Array, o: number): number {
    return Flusher.fut[r[o]];
  }

  private endPass(r: Int32Array, o: number): void {
    r[o + 2] = 0;
    r[o + 1]--;
    r[o] = r[o + 1] > 0 ? FLUSH_STEP.LOCK : DONE;
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    const sync = ((r[o + 3] >> (r[o + 4] - r[o + 1])) & 1) === 1;
    switch (r[o]) {
      case FLUSH_STEP.LOCK:
        if (!c.resident[PAGE]) {
          this.endPass(r, o);
          return FLUSH_LABEL.NO_PAGE;
        }
        if (!c.trylockPage(PAGE)) return BLOCKED;
        r[o] = FLUSH_STEP.CHECK;
        return FLUSH_LABEL.LOCK;
      case FLUSH_STEP.CHECK:
        // write_cache_pages: skip if truncated or clean; under writeback skip
        // (WB_SYNC_NONE) or wait for it (WB_SYNC_ALL, with the page locked).
        if (!c.attached[PAGE] || !c.dirty[PAGE] || (c.writeback[PAGE] && !sync)) {
          const why = !c.attached[PAGE]
            ? FLUSH_LABEL.TRUNCATED
            : !c.dirty[PAGE]
              ? FLUSH_LABEL.CLEAN
              : FLUSH_LABEL.UNDER_WB;
          c.unlockPage(PAGE);
          this.endPass(r, o);
          return why;
        }
        if (c.writeback[PAGE]) return BLOCKED; // folio_wait_writeback
        r[o] = FLUSH_STEP.MKCLEAN;
        return FLUSH_LABEL.WRITE;
      case FLUSH_STEP.MKCLEAN:
        c.pageMkclean(PAGE);
        r[o] = FLUSH_STEP.DECIDE;
        return FLUSH_LABEL.MKCLEAN;
      case FLUSH_STEP.DECIDE: {
        const d = c.testClearPageDirtyForIo(PAGE, sync);
        r[o + 2] = d;
        if (!(d & WritebackDecision.WRITE)) {
          c.unlockPage(PAGE);
          this.endPass(r, o);
          return FLUSH_LABEL.SKIP;
        }
        r[o] = FLUSH_STEP.WRITEPAGE;
        return d & WritebackDecision.CLEAR ? FLUSH_LABEL.CLEARED : FLUSH_LABEL.KEPT;
      }
      case FLUSH_STEP.WRITEPAGE:
        if (!c.writepageHasBuffers(PAGE)) {
          c.unlockPage(PAGE);
          this.endPass(r, o);
          return FLUSH_LABEL.DROP;
        }
        r[o] = FLUSH_STEP.SET_WB;
        return c.buffers[PAGE] || c.privateData === "none" ? FLUSH_LABEL.WRITEPAGE : FLUSH_LABEL.BUG; // xfs, tmpfs: no private data needed
      case FLUSH_STEP.SET_WB: {
        const bounce = (r[o + 2] & WritebackDecision.BOUNCE) !== 0;
        c.setPageWriteback(PAGE, bounce);
        r[o] = FLUSH_STEP.UNLOCK;
        return bounce ? FLUSH_LABEL.SET_WB_BOUNCE : FLUSH_LABEL.SET_WB;
      }
      case FLUSH_STEP.UNLOCK:
        c.unlockPage(PAGE);
        if (r[o + 2] & WritebackDecision.BOUNCE_AT_BIO) r[o] = FLUSH_STEP.BIO_BOUNCE;
        else if (!submit(ctx, r)) r[o] = FLUSH_STEP.END;
        else this.endPass(r, o);
        return FLUSH_LABEL.UNLOCK;
      case FLUSH_STEP.BIO_BOUNCE:
        c.bounceAtBio(PAGE);
        if (submit(ctx, r)) this.endPass(r, o);
        else r[o] = FLUSH_STEP.END;
        return FLUSH_LABEL.BIO_BOUNCE;
      case FLUSH_STEP.END:
        c.endPageWriteback(PAGE);
        this.endPass(r, o);
        return FLUSH_LABEL.END;
    }
    throw new Error(`flusher: bad pc ${r[o]}`);
  }
}

// ---- memory pressure ------------------------------------------------------------------

const RECLAIM_STEP = {
  TRYLOCK: 1,
  UNMAP: 2,
  GUARD: 3,
  CONTINUE: 4,
  DECIDE: 5,
  WRITEPAGE: 6,
  SET_WB: 7,
  BIO_BOUNCE: 8,
  END: 9,
  REMOVE: 10,
} as const;
// Registers: 0 pc, 1 second pass (after pageout's I/O), 2 the policy's writeback decision.
const RECLAIM_LABEL = {
  NOT_LRU: defineLabel("not on the LRU"),
  BUSY: defineLabel("trylock_page: busy"),
  UNDER_WB: defineLabel("PG_writeback: skip"),
  TRYLOCK: defineLabel("trylock_page"),
  TRYLOCK_AGAIN: defineLabel("trylock_page (again)"),
  UNMAP: defineLabel("try_to_unmap"),
  GUARD_KEEP: defineLabel("folio_maybe_dma_pinned: activate"),
  GUARD_NO: defineLabel("folio_maybe_dma_pinned: no"),
  REDIRTIED: defineLabel("redirtied: keep"),
  HELD: defineLabel("is_page_cache_freeable: no, keep"),
  NO_WRITEPAGE: defineLabel("pageout: no ->writepage, activate"),
  MKCLEAN: defineLabel("pageout: page_mkclean"),
  RELEASE_BUSY: defineLabel("try_to_release_page: busy, activate"),
  RELEASE: defineLabel("try_to_release_page"),
  KEEP_LOCKED: defineLabel("pinned: keep_locked"),
  CLEARED: defineLabel("TestClearPageDirty"),
  KEPT: defineLabel("pinned: keep PG_dirty"),
  DROP: defineLabel("->writepage: no buffers, drop"),
  WRITEPAGE: defineLabel("->writepage"),
  BUG: defineLabel("->writepage: no buffers, BUG"),
  SET_WB: defineLabel("set_page_writeback, unlock"),
  BIO_BOUNCE: defineLabel("submit_bio: bounce"),
  END: defineLabel("end_page_writeback"),
  EVICTED: defineLabel("__remove_mapping: evicted"),
  HELD_REMOVE: defineLabel("__remove_mapping: held"),
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
  private static readonly fut = futures(
    {
      [RECLAIM_STEP.TRYLOCK]: [
        packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK | PAGE_VAR.WB, PAGE_VAR.LOCK),
        [RECLAIM_STEP.UNMAP, 0],
      ],
      [RECLAIM_STEP.UNMAP]: [
        packFootprint(
          PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.REF | PAGE_VAR.MAP | PAGE_VAR.BUF,
          PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.REF,
        ),
        [RECLAIM_STEP.GUARD, RECLAIM_STEP.CONTINUE],
      ],
      [RECLAIM_STEP.GUARD]: [packFootprint(PAGE_VAR.REF, PAGE_VAR.LOCK), [RECLAIM_STEP.CONTINUE, 0]],
      [RECLAIM_STEP.CONTINUE]: [
        packFootprint(PAGE_VAR.ALL, PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.BUF | PAGE_VAR.REF | PAGE_VAR.LOCK),
        [RECLAIM_STEP.DECIDE, RECLAIM_STEP.REMOVE, 0],
      ],
      [RECLAIM_STEP.DECIDE]: [WRITEBACK_FP.decide, [RECLAIM_STEP.WRITEPAGE, 0]],
      [RECLAIM_STEP.WRITEPAGE]: [WRITEBACK_FP.writepage, [RECLAIM_STEP.SET_WB, RECLAIM_STEP.REMOVE]],
      [RECLAIM_STEP.SET_WB]: [
        WRITEBACK_FP.setWb | packFootprint(0, PAGE_VAR.IOQ),
        [RECLAIM_STEP.BIO_BOUNCE, RECLAIM_STEP.END, RECLAIM_STEP.TRYLOCK],
      ],
      [RECLAIM_STEP.BIO_BOUNCE]: [
        WRITEBACK_FP.bounce | packFootprint(0, PAGE_VAR.IOQ),
        [RECLAIM_STEP.END, RECLAIM_STEP.TRYLOCK],
      ],
      [RECLAIM_STEP.END]: [WRITEBACK_FP.end, [RECLAIM_STEP.TRYLOCK]],
      [RECLAIM_STEP.REMOVE]: [EVERYTHING, [0]],
    },
    11,
  );

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} reclaim`;
  }

  init(r: Int32Array, o: number, ctx?: StepContext): void {
    // tmpfs, hugetlbfs: reclaim swaps and keeps the data; the model runs nothing.
    r[o] = ctx?.coverage && !BACKING_PROFILES[ctx.coverage.backing].writesBack ? DONE : RECLAIM_STEP.TRYLOCK;
  }

  footprint(_ctx: StepContext, r: Int32Array, o: number): number {
    // Every step's own footprint is its program entry (the table lists each pc's own).
    return Reclaim.own[r[o]] ?? EVERYTHING;
  }

  private static readonly own: Record<number, number> = {
    [RECLAIM_STEP.TRYLOCK]: packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK | PAGE_VAR.WB, PAGE_VAR.LOCK),
    [RECLAIM_STEP.UNMAP]: packFootprint(
      PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.REF | PAGE_VAR.MAP | PAGE_VAR.BUF,
      PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.REF,
    ),
    [RECLAIM_STEP.GUARD]: packFootprint(PAGE_VAR.REF, PAGE_VAR.LOCK),
    [RECLAIM_STEP.CONTINUE]: packFootprint(
      PAGE_VAR.ALL,
      PAGE_VAR.PTE | PAGE_VAR.DIRTY | PAGE_VAR.BUF | PAGE_VAR.REF | PAGE_VAR.LOCK,
    ),
    [RECLAIM_STEP.DECIDE]: WRITEBACK_FP.decide,
    [RECLAIM_STEP.WRITEPAGE]: WRITEBACK_FP.writepage,
    [RECLAIM_STEP.SET_WB]: WRITEBACK_FP.setWb | packFootprint(0, PAGE_VAR.IOQ),
    [RECLAIM_STEP.BIO_BOUNCE]: WRITEBACK_FP.bounce | packFootprint(0, PAGE_VAR.IOQ),
    [RECLAIM_STEP.END]: WRITEBACK_FP.end,
  };

  future(r: Int32Array, o: number): number {
    return Reclaim.fut[r[o]];
  }

  private stop(c: PageCache, r: Int32Array, o: number, unlock: boolean): void {
    if (unlock) c.unlockPage(PAGE);
    r[o] = DONE;
    r[o + 1] = r[o + 2] = 0;
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    const again = r[o + 1] === 1;
    switch (r[o]) {
      case RECLAIM_STEP.TRYLOCK:
        return this.trylock(c, r, o, again);
      case RECLAIM_STEP.UNMAP:
        c.tryToUnmap(PAGE);
        r[o] = ctx.guard ? RECLAIM_STEP.GUARD : RECLAIM_STEP.CONTINUE;
        return RECLAIM_LABEL.UNMAP;
      case RECLAIM_STEP.GUARD:
        if (c.reclaimGuardKeeps(PAGE)) {
          this.stop(c, r, o, true);
          return RECLAIM_LABEL.GUARD_KEEP;
        }
        r[o] = RECLAIM_STEP.CONTINUE;
        return RECLAIM_LABEL.GUARD_NO;
      case RECLAIM_STEP.CONTINUE:
        return this.continueAfterUnmap(c, r, o, again, ctx.reclaimWrites);
      case RECLAIM_STEP.DECIDE: {
        const d = c.testClearPageDirtyForIo(PAGE, false);
        r[o + 2] = d;
        if (!(d & WritebackDecision.WRITE)) {
          this.stop(c, r, o, true);
          return RECLAIM_LABEL.KEEP_LOCKED;
        }
        r[o] = RECLAIM_STEP.WRITEPAGE;
        return d & WritebackDecision.CLEAR ? RECLAIM_LABEL.CLEARED : RECLAIM_LABEL.KEPT;
      }
      case RECLAIM_STEP.WRITEPAGE:
        if (!c.writepageHasBuffers(PAGE)) {
          // ext4 dropped the page's dirty state: nothing stops the eviction now.
          r[o + 2] = 0;
          r[o] = RECLAIM_STEP.REMOVE;
          return RECLAIM_LABEL.DROP;
        }
        r[o] = RECLAIM_STEP.SET_WB;
        return c.buffers[PAGE] || c.privateData === "none" ? RECLAIM_LABEL.WRITEPAGE : RECLAIM_LABEL.BUG;
      case RECLAIM_STEP.SET_WB:
        return this.setWriteback(ctx, r, o);
      case RECLAIM_STEP.BIO_BOUNCE:
        c.bounceAtBio(PAGE);
        if (submit(ctx, r)) this.secondPass(r, o);
        else r[o] = RECLAIM_STEP.END;
        return RECLAIM_LABEL.BIO_BOUNCE;
      case RECLAIM_STEP.END:
        c.endPageWriteback(PAGE);
        this.secondPass(r, o);
        return RECLAIM_LABEL.END;
      case RECLAIM_STEP.REMOVE: {
        const evicted = c.removeMapping(PAGE);
        this.stop(c, r, o, true);
        return evicted ? RECLAIM_LABEL.EVICTED : RECLAIM_LABEL.HELD_REMOVE;
      }
    }
    throw new Error(`reclaim: bad pc ${r[o]}`);
  }

  /** shrink_folio_list takes the page: off the LRU, busy or under writeback it stops; else trylock_page. */
  private trylock(c: PageCache, r: Int32Array, o: number, again: boolean): number {
    if (!c.resident[PAGE] || !c.attached[PAGE]) {
      this.stop(c, r, o, false);
      return RECLAIM_LABEL.NOT_LRU;
    }
    if (c.locked[PAGE] || c.writeback[PAGE]) {
      this.stop(c, r, o, false);
      return c.locked[PAGE] ? RECLAIM_LABEL.BUSY : RECLAIM_LABEL.UNDER_WB;
    }
    c.trylockPage(PAGE);
    r[o] = RECLAIM_STEP.UNMAP;
    return again ? RECLAIM_LABEL.TRYLOCK_AGAIN : RECLAIM_LABEL.TRYLOCK;
  }

  /** ->writepage's set_page_writeback and unlock_page, then the bio: bounced first, queued, or completed next. */
  private setWriteback(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache,
      d = r[o + 2];
    c.setPageWriteback(PAGE, (d & WritebackDecision.BOUNCE) !== 0);
    c.unlockPage(PAGE); // ->writepage unlocks the page
    if (d & WritebackDecision.BOUNCE_AT_BIO) r[o] = RECLAIM_STEP.BIO_BOUNCE;
    else if (!submit(ctx, r)) r[o] = RECLAIM_STEP.END;
    else this.secondPass(r, o);
    return RECLAIM_LABEL.SET_WB;
  }

  /** The next shrink pass over the page, after pageout (its I/O completed or, with an `io` actor, submitted). */
  private secondPass(r: Int32Array, o: number): void {
    r[o] = RECLAIM_STEP.TRYLOCK;
    r[o + 1] = 1;
    r[o + 2] = 0;
  }

  /** After try_to_unmap (and the guard): pageout a dirty freeable page, or free a clean one's buffers. */
  private continueAfterUnmap(c: PageCache, r: Int32Array, o: number, again: boolean, reclaimWrites: boolean): number {
    if (c.dirty[PAGE]) {
      if (again) {
        this.stop(c, r, o, true);
        return RECLAIM_LABEL.REDIRTIED;
      }
      if (!c.isPageCacheFreeable(PAGE)) {
        // pageout() never writes a page someone else holds: PAGE_KEEP.
        this.stop(c, r, o, true);
        return RECLAIM_LABEL.HELD;
      }
      if (!reclaimWrites) {
        // No ->writepage (ext4 from v6.2, every filesystem from v6.16): PAGE_ACTIVATE, the page stays dirty.
        this.stop(c, r, o, true);
        return RECLAIM_LABEL.NO_WRITEPAGE;
      }
      // pageout: clear_page_dirty_for_io starts with page_mkclean.
      c.pageMkclean(PAGE);
      r[o] = RECLAIM_STEP.DECIDE;
      return RECLAIM_LABEL.MKCLEAN;
    }
    if (!c.tryToReleasePage(PAGE)) {
      this.stop(c, r, o, true);
      return RECLAIM_LABEL.RELEASE_BUSY;
    }
    r[o] = RECLAIM_STEP.REMOVE;
    return RECLAIM_LABEL.RELEASE;
  }
}

// ---- CPU writer -----------------------------------------------------------------------

const CPU_STEP = { STORE: 1 } as const;
// Registers: 0 pc, 1 stores left, 2 the pc a fault resumes.
const CPU_LABEL = { SIGBUS: defineLabel("write fault: SIGBUS"), STORE: defineLabel("store") };

/** A CPU writing through the shared mapping: a write fault (page_mkwrite) when the pte is not writable, then the store. */
export class CpuWriter implements Actor {
  readonly size = 3;
  readonly name: string;
  readonly title: string;
  private static readonly fut = futures(
    {
      [CPU_STEP.STORE]: [EVERYTHING, [CPU_STEP.STORE, FAULT_STEP.MKWRITE, 0]],
      ...FAULT_STEPS([CPU_STEP.STORE]),
    },
    24,
  );

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} CPU store`;
  }

  init(r: Int32Array, o: number, _ctx: StepContext, spec: ActorSpec): void {
    const stores = (spec as CpuActor).stores;
    r[o] = stores > 0 ? CPU_STEP.STORE : DONE;
    r[o + 1] = stores;
  }

  footprint(ctx: StepContext, r: Int32Array, o: number): number {
    if (r[o] !== CPU_STEP.STORE) return CpuWriter.fut[r[o]] === 0 ? 0 : faultFootprint(r[o]);
    return pteWritable(ctx.cache)
      ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, PAGE_VAR.MEM)
      : faultLockFootprint(ctx.cache);
  }

  future(r: Int32Array, o: number): number {
    return CpuWriter.fut[r[o]];
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    if (r[o] !== CPU_STEP.STORE) return faultStep(ctx, r, o, 2);
    if (!pteWritable(c)) {
      const f = faultLock(c, r, o, 2, CPU_STEP.STORE);
      if (f !== SIGBUS) return f;
      r[o] = DONE;
      r[o + 1] = 0;
      return CPU_LABEL.SIGBUS;
    }
    c.cpuStore(PAGE);
    r[o + 1]--;
    if (r[o + 1] === 0) r[o] = DONE;
    return CPU_LABEL.STORE;
  }
}

const FAULT_OWN = FAULT_STEPS([]);
/** The own footprint of a fault step (its program entry). */
function faultFootprint(pc: number): number {
  return FAULT_OWN[pc]?.[0] ?? EVERYTHING;
}

// ---- truncate -------------------------------------------------------------------------

const TRUNCATE_STEP = { LOCK: 1, TRUNCATE: 2, UNLOCK: 3 } as const;
const TRUNCATE_LABEL = {
  NO_PAGE: defineLabel("no page: i_size only"),
  LOCK: defineLabel("lock_page"),
  FREED: defineLabel("truncate_inode_folio: freed"),
  HELD: defineLabel("truncate_inode_folio: held"),
  UNLOCK: defineLabel("unlock_page"),
};

/** truncate_inode_pages over the file: lock_page, wait for writeback, truncate_inode_folio, unlock_page. */
export class Truncate implements Actor {
  readonly size = 1;
  readonly name: string;
  readonly title: string;
  private static readonly fut = futures(
    {
      [TRUNCATE_STEP.LOCK]: [
        packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK | PAGE_VAR.DIRTY),
        [TRUNCATE_STEP.TRUNCATE, 0],
      ],
      [TRUNCATE_STEP.TRUNCATE]: [EVERYTHING, [TRUNCATE_STEP.UNLOCK, 0]],
      [TRUNCATE_STEP.UNLOCK]: [packFootprint(0, PAGE_VAR.LOCK), [0]],
    },
    4,
  );

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} truncate`;
  }

  init(r: Int32Array, o: number): void {
    r[o] = TRUNCATE_STEP.LOCK;
  }

  footprint(_ctx: StepContext, r: Int32Array, o: number): number {
    return r[o] === TRUNCATE_STEP.LOCK
      ? packFootprint(PAGE_VAR.MAP | PAGE_VAR.LOCK, PAGE_VAR.LOCK | PAGE_VAR.DIRTY)
      : r[o] === TRUNCATE_STEP.UNLOCK
        ? packFootprint(0, PAGE_VAR.LOCK)
        : EVERYTHING;
  }

  future(r: Int32Array, o: number): number {
    return Truncate.fut[r[o]];
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    const c = ctx.cache;
    switch (r[o]) {
      case TRUNCATE_STEP.LOCK:
        if (!c.resident[PAGE] || !c.attached[PAGE]) {
          r[o] = DONE;
          c.inodeDirty[0] = 0;
          return TRUNCATE_LABEL.NO_PAGE;
        }
        if (!c.trylockPage(PAGE)) return BLOCKED;
        r[o] = TRUNCATE_STEP.TRUNCATE;
        return TRUNCATE_LABEL.LOCK;
      case TRUNCATE_STEP.TRUNCATE: {
        if (c.writeback[PAGE]) return BLOCKED; // folio_wait_writeback
        c.truncatePage(PAGE);
        c.inodeDirty[0] = 0;
        if (!c.resident[PAGE]) {
          // The page is freed; its lock goes with it.
          c.unlockPage(PAGE);
          r[o] = DONE;
          return TRUNCATE_LABEL.FREED;
        }
        r[o] = TRUNCATE_STEP.UNLOCK;
        return TRUNCATE_LABEL.HELD;
      }
      case TRUNCATE_STEP.UNLOCK:
        c.unlockPage(PAGE);
        r[o] = DONE;
        return TRUNCATE_LABEL.UNLOCK;
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

const IO_STEP = { IDLE: 1 } as const;
// Registers: 0 pc (always IDLE), 1 a submitted bio waits for completion.
const IO_LABEL = { END: defineLabel("bio completion: end_page_writeback") };

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
  private static readonly FP_END = packFootprint(
    PAGE_VAR.IOQ | PAGE_VAR.WB,
    PAGE_VAR.IOQ | PAGE_VAR.WB | PAGE_VAR.DISK,
  );

  constructor(decl: ActorDecl) {
    this.name = decl.name;
    this.title = `${decl.name} I/O completion`;
  }

  init(r: Int32Array, o: number): void {
    r[o] = IO_STEP.IDLE;
  }

  footprint(): number {
    return IoCompletion.FP_END;
  }

  future(): number {
    return IoCompletion.FP_END;
  }

  step(ctx: StepContext, r: Int32Array, o: number): number {
    if (r[o + 1] === 0 || !ctx.cache.writeback[PAGE]) return BLOCKED;
    ctx.cache.endPageWriteback(PAGE);
    r[o + 1] = 0;
    return IO_LABEL.END;
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
