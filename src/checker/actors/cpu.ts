/**
 * A CPU writing through the shared mapping: a write fault (fault.ts: filemap_fault,
 * ->page_mkwrite) when the pte is not writable, then the store. On anonymous memory the
 * writer is the page's owner: do_swap_page or do_wp_page (src/model/anon.ts) first, and
 * after a COW copy its stores go to its new page.
 */
import { EVERYTHING, PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl, ActorSpec, CpuActor } from "../scenario.js";
import { BLOCKED, DONE, PAGE, pteWritable, type StepContext } from "./actor.js";
import { FAULT_STEP, faultLockFootprint, faultSteps, writeFault, type FaultPc } from "./fault.js";
import { defineLabel } from "./labels.js";
import { WP, anonFault, anonWritable, swapInWaits } from "../../model/anon.js";
import { Program, TableActor, type StepTable } from "./program.js";

const CPU_STEP = { STORE: 1 } as const;
type CpuPc = (typeof CPU_STEP)[keyof typeof CPU_STEP];
// Registers: 0 pc, 1 stores left, 2 the pc a fault resumes.
const RET_REG = 2;
const CPU_LABEL = {
  SIGBUS: defineLabel("write fault: SIGBUS"),
  STORE: defineLabel("store"),
  MOVED: defineLabel("store (into the owner's new page)"),
  SWAP_REUSE: defineLabel("do_swap_page: swap in, pte writable"),
  WP_REUSE: defineLabel("do_wp_page: reuse, pte writable"),
  WP_COPY: defineLabel("do_wp_page: COW copy, the owner moves"),
};

/** One store of the owner into its anonymous page: into the page it moved to, through a writable pte, or the fault first. */
function anonStore(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (!c.ownerMoved[PAGE] && !anonWritable(c, PAGE)) {
    if (swapInWaits(c, PAGE, true)) return BLOCKED;
    const swapIn = !c.resident(PAGE) || !c.mapped(PAGE);
    return anonFault(c, PAGE, true) === WP.COPIED
      ? CPU_LABEL.WP_COPY
      : swapIn
        ? CPU_LABEL.SWAP_REUSE
        : CPU_LABEL.WP_REUSE;
  }
  const moved = c.ownerMoved[PAGE] === 1;
  if (!moved) c.cpuStore(PAGE);
  r[o + 1]--;
  if (r[o + 1] === 0) r[o] = DONE;
  return moved ? CPU_LABEL.MOVED : CPU_LABEL.STORE;
}

/** The footprint of an anonymous store: the owner's page moved, a store, or a fault (everything). */
function anonStoreFootprint(ctx: StepContext): number {
  const c = ctx.cache;
  if (c.ownerMoved[PAGE]) return packFootprint(PAGE_VAR.ANON, 0);
  return anonWritable(c, PAGE)
    ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.ANON | PAGE_VAR.DIO, PAGE_VAR.MEM)
    : EVERYTHING;
}

/** SIGBUS on a truncated page ends the writer. */
const sigbus = (r: Int32Array, o: number): number => ((r[o] = DONE), (r[o + 1] = 0), CPU_LABEL.SIGBUS);

/** One store: through a writable pte, or the write fault first. */
function store(ctx: StepContext, r: Int32Array, o: number): number {
  if (ctx.env.anonymous) return anonStore(ctx, r, o);
  const c = ctx.cache;
  if (!pteWritable(c)) return writeFault(c, r, o, RET_REG, CPU_STEP.STORE, sigbus);
  c.cpuStore(PAGE);
  r[o + 1]--;
  if (r[o + 1] === 0) r[o] = DONE;
  return CPU_LABEL.STORE;
}

const STEPS: StepTable<CpuPc | FaultPc> = {
  [CPU_STEP.STORE]: {
    footprint: EVERYTHING,
    now: (ctx) =>
      ctx.env.anonymous
        ? anonStoreFootprint(ctx)
        : pteWritable(ctx.cache)
          ? packFootprint(PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIO, PAGE_VAR.MEM)
          : faultLockFootprint(ctx.cache),
    next: [CPU_STEP.STORE, FAULT_STEP.MKWRITE, DONE],
    run: store,
  },
  ...faultSteps(RET_REG, [CPU_STEP.STORE]),
};

const PROGRAM = new Program("cpu", STEPS);

/** A CPU writer: `stores` stores through the shared mapping, faulting as needed. */
export class CpuWriter extends TableActor {
  /** Registers: pc, stores left, the pc a fault resumes. */
  readonly size = 3;

  /** @param decl the `Actor` line (the lane: `P3 CPU store`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} CPU store`);
  }

  /** `stores` stores (none: done at once). */
  init(r: Int32Array, o: number, _ctx: StepContext, spec: ActorSpec): void {
    const stores = (spec as CpuActor).stores;
    r[o] = stores > 0 ? CPU_STEP.STORE : DONE;
    r[o + 1] = stores;
  }
}
