/**
 * The GUP user (mm/gup.c): GUP for write on the page (slow, fast with the pte recheck, or
 * fast without it), `dma` device writes, then the release (gup-release.ts). The policy's
 * afterGrab runs under the pte lock, or (`hook=after`) as its own step after it. Under a
 * policy with a device mirror (Policy.deviceMirror, mmu-notifier) it takes no reference:
 * the device mirrors the pte and refaults after an invalidation. What GUP meets for each
 * root is decided once (gup-decision.ts). With `notifier=yes` its reference is registered
 * with an MMU notifier whose release an invalidating path may run (gup-notifier.ts).
 */
import { METRIC } from "../../model/metrics.js";
import type { PageCache } from "../../model/page-cache.js";
import { deviceMirrorOf, type Policy } from "../../model/policy.js";
import { EVERYTHING, HOOK, PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl, ActorSpec, GupActor } from "../scenario.js";
import { BLOCKED, DONE, PAGE, pteWritable, type StepContext } from "./actor.js";
import { FAULT_STEP, faultLockFootprint, faultSteps, writeFault, type FaultPc } from "./fault.js";
import { DECISION, GupDecisions, decisionOf, pins, type GupCore } from "./gup-decision.js";
import { REL_STEP, releaseSteps, type ReleasePc } from "./gup-release.js";
import { NOTIFIER, notifiable, notifierSteps, registerNotifier, registering, type NotifierPc } from "./gup-notifier.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";
import { WP, anonFault, anonWritable, mmSetHasPinned, swapInWaits } from "../../model/anon.js";
import { ANON_GO_ON, GUP_EXTRA_STEP, anonFollow, extraSteps, type ExtraPc } from "./gup-anon.js";

/** The GUP user's own steps before the release (REL_STEP) and the fault's (FAULT_STEP). */
const GUP_STEP = {
  REFUSE: 1,
  FOLLOW: 2,
  FAST_READ: 3,
  FAST_GRAB: 4,
  FAST_RECHECK: 5,
  AFTER_GRAB: 6,
  DMA: 7,
  ANON: 13,
} as const;
/** A pc of the GUP user's own steps. */
type GupPc = (typeof GUP_STEP)[keyof typeof GUP_STEP];
// Registers: 0 pc, 1 DMA writes left, 2 holds a reference, 3 notifier sequence the device
// mirrored, 4 path (0 slow, 1 fast, 2 fast-no-recheck), 5 the policy's afterGrab runs
// after the pte lock (1) or inside it (0), 6 the pc a fault resumes, 7 the index of the
// root's GUP decision (DECISION: caller, access, path, longterm, release), 8 the MMU-notifier
// release (NOTIFIER bits: the options, and registered while the reference is held).
const RET_REG = 6;
const GUP_PATH_CODE = { slow: 0, fast: 1, "fast-no-recheck": 2 } as const;
const GUP_LABEL = {
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
  DIRTY_COW: defineLabel("follow_page_pte (FOLL_WRITE dropped): the page-cache page"),
  HOOK_DIRTIED: defineLabel("set_page_dirty (after pte unlock)"),
  HOOK_NOTHING: defineLabel("afterGrab: nothing"),
  DEV_SIGBUS: defineLabel("device fault: SIGBUS"),
  DEV_REMIRROR: defineLabel("device refault: mirror"),
  DEV_MOVED: defineLabel("device refault: mirrors the owner's new page"),
  DEV_WP_COPY: defineLabel("device refault: do_wp_page, COW copy"),
  DEV_ANON_FAULT: defineLabel("device refault: the owner's fault, pte writable"),
  DMA: defineLabel("DMA write"),
};

/** Once the pin is taken: an O_DIRECT write's bio, the device writes, or the release. */
function afterGup(g: GupCore, r: Int32Array, o: number): number {
  if (decisionOf(g, r, o).extra.dioWrite) return GUP_EXTRA_STEP.DIO_SUBMIT;
  return r[o + 1] > 0 ? GUP_STEP.DMA : REL_STEP.CHECK;
}

/** One device write done (or lost to SIGBUS): the release once none is left. */
function oneWriteDone(r: Int32Array, o: number): void {
  r[o + 1]--;
  if (r[o + 1] === 0) r[o] = REL_STEP.CHECK;
}

/** faultin_page's SIGBUS on a truncated page: GUP fails. */
const gupSigbus = (r: Int32Array, o: number): number => ((r[o] = DONE), GUP_LABEL.SIGBUS);
/** The device's refault meets SIGBUS: that write is lost. */
const deviceSigbus = (r: Int32Array, o: number): number => (oneWriteDone(r, o), GUP_LABEL.DEV_SIGBUS);

/** try_grab_folio refused the reference (the refcount would overflow): GUP fails. */
function refused(c: PageCache, r: Int32Array, o: number, label: number): number {
  c.count(METRIC.refusedPins);
  r[o] = DONE;
  return label;
}

/** The reference is held: the policy's hook now (inside the pte lock) or as the next step. */
function grabbed(g: GupCore, ctx: StepContext, r: Int32Array, o: number, label: number): number {
  registerNotifier(ctx.cache, r, o);
  if (r[o + 5] === 1) {
    r[o] = GUP_STEP.AFTER_GRAB;
    return label === GUP_LABEL.GRAB ? GUP_LABEL.GRAB_ONLY : label;
  }
  decisionOf(g, r, o).policy.afterGrab(ctx.cache, PAGE);
  ctx.cache.count(METRIC.pinsTaken);
  r[o] = afterGup(g, r, o);
  return label;
}

/** A read pin needs a present pte, not a writable one: no write fault, no FOLL_TOUCH dirtying. */
function followRead(g: GupCore, c: PageCache, r: Int32Array, o: number, pin: boolean): number {
  if (!c.resident(PAGE)) c.readPage(PAGE);
  if (!c.attached(PAGE)) {
    r[o] = DONE;
    return GUP_LABEL.SIGBUS;
  }
  c.mapPage(PAGE);
  if (!c.tryGrabFolio(PAGE, pin)) return refused(c, r, o, GUP_LABEL.REFUSED);
  c.count(METRIC.pinsTaken);
  r[o + 2] = 1;
  r[o] = afterGup(g, r, o);
  return GUP_LABEL.READ_GRAB;
}

/**
 * follow_page_pte (mm/gup.c) on the slow path: a read pin grabs a present page; a write
 * needs a writable pte, faulting it in first (faultin_page, then retry); then, under the
 * pte lock, try_grab_folio and FOLL_TOUCH, or the device's mirror of the pte.
 */
function follow(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache,
    d = decisionOf(g, r, o),
    pin = pins(d);
  if (ctx.env.anonymous) {
    // Anonymous memory: MMF_HAS_PINNED, the owner's fault, or the owner's new page (gup-anon.ts);
    // hmm_range_fault faults through handle_mm_fault the same way (do_swap_page, do_wp_page).
    const f = anonFollow(ctx, r, o, d.write, pin);
    if (f !== ANON_GO_ON) return f;
  }
  if (!d.write && g.mirror === null) return followRead(g, c, r, o, pin);
  if (!pteWritable(c) && !ctx.env.anonymous) return writeFault(c, r, o, RET_REG, GUP_STEP.FOLLOW, gupSigbus);
  if (g.mirror !== null) {
    // hmm_range_fault: the device mirrors the pte, remembering the notifier sequence.
    r[o + 3] = g.mirror.mirror(c, PAGE);
    c.count(METRIC.pinsTaken);
    r[o] = afterGup(g, r, o);
    return GUP_LABEL.MIRROR;
  }
  if (!c.tryGrabFolio(PAGE, pin)) return refused(c, r, o, GUP_LABEL.REFUSED);
  if (!c.pteWritable(PAGE) && !c.dirty(PAGE)) c.setPageDirty(PAGE);
  r[o + 2] = 1;
  return grabbed(g, ctx, r, o, GUP_LABEL.GRAB);
}

/** Footprint of follow in the current state. */
function followFootprint(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (ctx.env.anonymous || (!decisionOf(g, r, o).write && g.mirror === null)) return EVERYTHING;
  return !pteWritable(c)
    ? faultLockFootprint(c)
    : g.mirror !== null
      ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0)
      : packFootprint(PAGE_VAR.ALL, PAGE_VAR.REF | PAGE_VAR.DIRTY);
}

/**
 * try_grab_folio_fast (mm/gup.c): the reference is taken before the pte is checked
 * again; folio_ref_try_add fails on a freed page (refcount 0) and GUP goes slow.
 */
function fastGrab(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.resident(PAGE)) {
    r[o] = GUP_STEP.FOLLOW;
    return GUP_LABEL.FAST_FREED;
  }
  if (!c.tryGrabFolio(PAGE, pins(decisionOf(g, r, o)))) return refused(c, r, o, GUP_LABEL.FAST_REFUSED);
  r[o + 2] = 1;
  if (r[o + 4] === GUP_PATH_CODE["fast-no-recheck"]) return grabbed(g, ctx, r, o, GUP_LABEL.FAST_NO_RECHECK);
  r[o] = GUP_STEP.FAST_RECHECK;
  return GUP_LABEL.FAST_GRAB;
}

/** gup_fast_pte_range's lockless read: a writable pte goes on to the grab, else the slow path (so does an owner that moved). */
function fastRead(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (ctx.env.anonymous && pins(decisionOf(g, r, o))) mmSetHasPinned(c, PAGE);
  if (pteWritable(c) && !(ctx.env.anonymous && c.ownerMoved[PAGE])) {
    r[o] = GUP_STEP.FAST_GRAB;
    return GUP_LABEL.FAST_W;
  }
  r[o] = GUP_STEP.FOLLOW;
  return GUP_LABEL.FAST_RO;
}

/** Dirty COW: FOLL_WRITE was dropped, the read lookup returns the page-cache page, which GUP grabs for the write. */
function dirtyCowGrab(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  if (!ctx.cache.tryGrabFolio(PAGE, pins(decisionOf(g, r, o)))) return refused(ctx.cache, r, o, GUP_LABEL.REFUSED);
  r[o + 2] = 1;
  return grabbed(g, ctx, r, o, GUP_LABEL.DIRTY_COW);
}

/** One device write; under mmu-notifier an invalidated mirror refaults first. */
function dma(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (g.mirror?.invalidated(c, PAGE, r[o + 3])) {
    if (ctx.env.anonymous) return anonRefault(g, c, r, o);
    if (pteWritable(c)) {
      r[o + 3] = g.mirror.refault(c, PAGE);
      return GUP_LABEL.DEV_REMIRROR;
    }
    return writeFault(c, r, o, RET_REG, GUP_STEP.DMA, deviceSigbus);
  }
  c.dmaWrite(PAGE);
  oneWriteDone(r, o);
  return GUP_LABEL.DMA;
}

/**
 * A mirror of anonymous memory refaults after an invalidation (hmm_range_fault →
 * handle_mm_fault, mm/hmm.c): the owner's fault first where its pte does not allow the
 * write (do_swap_page, do_wp_page: a COW copy moves the owner), then the new mirror. Once
 * the owner maps another page the device mirrors that one, which the model does not follow:
 * its remaining writes land in the owner's page, and the actor is done.
 */
function anonRefault(g: GupCore, c: PageCache, r: Int32Array, o: number): number {
  if (c.ownerMoved[PAGE]) {
    c.count(METRIC.deviceRefaults);
    r[o] = DONE;
    return GUP_LABEL.DEV_MOVED;
  }
  if (!anonWritable(c, PAGE)) {
    if (swapInWaits(c, PAGE, true)) return BLOCKED;
    return anonFault(c, PAGE, true) === WP.COPIED ? GUP_LABEL.DEV_WP_COPY : GUP_LABEL.DEV_ANON_FAULT;
  }
  r[o + 3] = g.mirror!.refault(c, PAGE);
  return GUP_LABEL.DEV_REMIRROR;
}

/** Footprint of a device write under a mirror, in the current state: a refault may fault the page in. */
function mirrorDmaFootprint(g: GupCore, ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!g.mirror!.invalidated(c, PAGE, r[o + 3]))
    return packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.PTE | PAGE_VAR.ANON, PAGE_VAR.MEM);
  if (ctx.env.anonymous) return EVERYTHING;
  return pteWritable(c) ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0) : faultLockFootprint(c);
}

/** The steps that end GUP at once: a refusal (check_vma_flags or the caller's own), or COW of a private mapping. */
function endingSteps(g: GupCore): StepTable<typeof GUP_STEP.REFUSE | typeof GUP_STEP.ANON> {
  return {
    [GUP_STEP.REFUSE]: {
      // check_vma_flags: writable FOLL_LONGTERM on a dirty-tracked file mapping (-EFAULT),
      // or the caller's own check (io_uring before 6.5: -EOPNOTSUPP).
      footprint: 0,
      next: [DONE],
      run: (ctx, r, o) => (ctx.cache.count(METRIC.refusedPins), (r[o] = DONE), decisionOf(g, r, o).refuse),
    },
    [GUP_STEP.ANON]: {
      // A private mapping: COW (or unshare) pins an anonymous copy; the file page is untouched.
      footprint: 0,
      next: [DONE],
      run: (ctx, r, o) => (ctx.cache.count(METRIC.pinsTaken), (r[o] = DONE), GUP_LABEL.ANON),
    },
  };
}

/**
 * The GUP user's step table: GUP's paths, the device writes, the release, the fault, the
 * notifier side; with `notifies`, the steps that may hold a registered reference give way
 * to the notifier's release (notifiable).
 */
function gupSteps(g: GupCore, notifies: boolean): StepTable<GupPc | ReleasePc | FaultPc | NotifierPc | ExtraPc> {
  const table = ownSteps(g);
  if (!notifies) return table;
  const policyOf = (r: Int32Array, o: number) => decisionOf(g, r, o).policy;
  return {
    ...table,
    [GUP_STEP.FOLLOW]: registering(table[GUP_STEP.FOLLOW]),
    [GUP_STEP.FAST_GRAB]: registering(table[GUP_STEP.FAST_GRAB]),
    [GUP_STEP.FAST_RECHECK]: registering(table[GUP_STEP.FAST_RECHECK]),
    [GUP_STEP.AFTER_GRAB]: notifiable(GUP_STEP.AFTER_GRAB, table[GUP_STEP.AFTER_GRAB], policyOf),
    [GUP_STEP.DMA]: notifiable(GUP_STEP.DMA, table[GUP_STEP.DMA], policyOf),
    [REL_STEP.CHECK]: notifiable(REL_STEP.CHECK, table[REL_STEP.CHECK], policyOf),
  };
}

/** The GUP user's own step table (gupSteps). */
function ownSteps(g: GupCore): StepTable<GupPc | ReleasePc | FaultPc | NotifierPc | ExtraPc> {
  const after = [GUP_STEP.DMA, REL_STEP.CHECK, GUP_STEP.AFTER_GRAB, GUP_EXTRA_STEP.DIO_SUBMIT, DONE] as const;
  const grab = packFootprint(PAGE_VAR.ALL, PAGE_VAR.REF | PAGE_VAR.DIRTY);
  return {
    ...endingSteps(g),
    [GUP_STEP.FOLLOW]: {
      footprint: EVERYTHING,
      now: (ctx, r, o) => followFootprint(g, ctx, r, o),
      next: [GUP_STEP.FOLLOW, FAULT_STEP.MKWRITE, ...after],
      run: (ctx, r, o) => follow(g, ctx, r, o),
    },
    [GUP_STEP.FAST_READ]: {
      // Anonymous memory: MMF_HAS_PINNED is set first (mm_set_has_pinned_flag).
      footprint: packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.ANON, PAGE_VAR.ANON),
      now: (ctx) =>
        ctx.env.anonymous
          ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.ANON, PAGE_VAR.ANON)
          : packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP, 0),
      next: [GUP_STEP.FOLLOW, GUP_STEP.FAST_GRAB],
      // gup_fast_pte_range: ptep_get_lockless; a read-only pte falls back to the slow path.
      run: (ctx, r, o) => fastRead(g, ctx, r, o),
    },
    [GUP_STEP.FAST_GRAB]: {
      footprint: grab,
      next: [GUP_STEP.FOLLOW, GUP_STEP.FAST_RECHECK, ...after],
      run: (ctx, r, o) => fastGrab(g, ctx, r, o),
    },
    [GUP_STEP.FAST_RECHECK]: {
      footprint: EVERYTHING,
      next: [GUP_STEP.FOLLOW, ...after],
      run: (ctx, r, o) => {
        // "pin the page, then check pte not changed"; if changed, undo and go slow.
        if (pteWritable(ctx.cache)) return grabbed(g, ctx, r, o, GUP_LABEL.RECHECK_SAME);
        ctx.cache.gupPutFolio(PAGE, pins(decisionOf(g, r, o)));
        r[o + 2] = 0;
        r[o] = GUP_STEP.FOLLOW;
        return GUP_LABEL.RECHECK_UNDO;
      },
    },
    [GUP_STEP.AFTER_GRAB]: {
      footprint: HOOK,
      next: [GUP_STEP.DMA, REL_STEP.CHECK],
      run: (ctx, r, o) => {
        // The policy's afterGrab once the pte lock is dropped (dirty-at-gup's variant).
        const c = ctx.cache,
          was = c.dirty(PAGE);
        decisionOf(g, r, o).policy.afterGrab(c, PAGE);
        c.count(METRIC.pinsTaken);
        r[o] = afterGup(g, r, o);
        return !was && c.dirty(PAGE) ? GUP_LABEL.HOOK_DIRTIED : GUP_LABEL.HOOK_NOTHING;
      },
    },
    [GUP_STEP.DMA]: {
      // The write's incidents read the owner's move and the O_DIRECT sources (ANON, DIO).
      footprint:
        g.mirror !== null
          ? EVERYTHING
          : packFootprint(PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.WB | PAGE_VAR.ANON | PAGE_VAR.DIO, PAGE_VAR.MEM),
      ...(g.mirror !== null && { now: (ctx, r, o) => mirrorDmaFootprint(g, ctx, r, o) }),
      next: [GUP_STEP.DMA, REL_STEP.CHECK, FAULT_STEP.MKWRITE, DONE],
      run: (ctx, r, o) => dma(g, ctx, r, o),
    },
    ...releaseSteps(g),
    ...notifierSteps(),
    ...extraSteps(after, REL_STEP.CHECK, (ctx, r, o) => dirtyCowGrab(g, ctx, r, o)),
    ...faultSteps(RET_REG, [GUP_STEP.FOLLOW, GUP_STEP.DMA]),
  };
}

/** The GUP user: GUP on the page, `dma` device writes, the release per policy (one step table). */
export class GupUser extends TableActor {
  /** Registers: pc, DMA writes left, holds a reference, the mirror's notifier sequence, path, hook after, fault's pc, decision, NOTIFIER bits. */
  readonly size = 9;
  private readonly core: GupCore;

  /**
   * @param decl the `Actor` line (its paths name the lane: `P0 gup slow|fast`)
   * @param policy the policy checked: a device mirror (mmu-notifier) takes no reference
   */
  constructor(decl: ActorDecl, policy: Policy) {
    const core: GupCore = { mirror: deviceMirrorOf(policy), decisions: new GupDecisions() };
    // A device mirror takes no reference: nothing for a notifier to release.
    const notifies = core.mirror === null && (decl.options.get("notifier") ?? []).includes(true);
    super(
      new Program("gup", gupSteps(core, notifies)),
      decl.name,
      `${decl.name} gup ${(decl.options.get("path") ?? ["slow"]).join("|")}`,
    );
    this.core = core;
  }

  /** What GUP meets for this root, where it starts, its device writes, path and hook. */
  init(r: Int32Array, o: number, ctx: StepContext, spec: ActorSpec): void {
    const s = spec as GupActor;
    const k = this.core.decisions.decide(ctx, s),
      d = this.core.decisions.list[k];
    // hmm_range_fault has no fast path: a mirroring device always follows the pte.
    r[o] =
      d.gup.refused !== null
        ? GUP_STEP.REFUSE
        : d.extra.first >= 0
          ? d.extra.first
          : d.gup.anonymous
            ? GUP_STEP.ANON
            : this.core.mirror !== null || !d.write || s.path === "slow"
              ? GUP_STEP.FOLLOW
              : GUP_STEP.FAST_READ;
    r[o + 1] = d.dma ? s.dma : 0;
    r[o + 4] = GUP_PATH_CODE[s.path];
    r[o + 5] = s.hook === "after" ? 1 : 0;
    r[o + DECISION] = k;
    const m = this.core.mirror === null;
    r[o + 8] =
      (m && s.notifier === true ? NOTIFIER.OPTION : 0) |
      (m && s.end === "munmap" ? NOTIFIER.MUNMAP : 0) |
      (m && s.busy === true ? NOTIFIER.BUSY : 0);
  }
}
