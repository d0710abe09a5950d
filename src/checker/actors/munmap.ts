/**
 * munmap of the range that maps the page (mm/mmap.c __do_munmap → unmap_region →
 * unmap_vmas): mmu_notifier_invalidate_range_start for the range first, holding no page
 * lock (a GUP user releasing from its notifier releases there: the call trace of bugzilla
 * 203317's first report), then zap_pte_range (a dirty pte moves into PG_dirty, the mapping
 * goes).
 */
import { PAGE_VAR, packFootprint } from "../footprint.js";
import type { ActorDecl } from "../scenario.js";
import { DONE, PAGE } from "./actor.js";
import { defineLabel } from "./labels.js";
import { withNotifier } from "./notifier.js";
import { Program, TableActor, type StepTable } from "./program.js";
import { zapPteRange } from "../../model/page-paths.js";

const MUNMAP_STEP = { ZAP: 1, ZAP_NOTIFIED: 2 } as const;
type MunmapPc = (typeof MUNMAP_STEP)[keyof typeof MUNMAP_STEP];
// Registers: 0 pc.
const MUNMAP_LABEL = {
  ZAP: defineLabel("unmap_vmas: zap_pte_range"),
  GONE: defineLabel("unmap_vmas: no page"),
};

/** invalidate_range_start over the range (no page lock, not through the rmap), then zap_pte_range. */
const ZAP = withNotifier<MunmapPc | typeof DONE>(
  {
    footprint: packFootprint(
      PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.REF | PAGE_VAR.BUF | PAGE_VAR.LOCK,
      PAGE_VAR.PTE | PAGE_VAR.MAP | PAGE_VAR.DIRTY | PAGE_VAR.REF,
    ),
    next: [DONE],
    run: (ctx, r, o) => {
      const c = ctx.cache;
      r[o] = DONE;
      if (!c.resident(PAGE)) return MUNMAP_LABEL.GONE;
      zapPteRange(c, PAGE);
      return MUNMAP_LABEL.ZAP;
    },
  },
  MUNMAP_STEP.ZAP_NOTIFIED,
  false,
  false,
);

const STEPS: StepTable<MunmapPc> = {
  [MUNMAP_STEP.ZAP]: ZAP.fire,
  [MUNMAP_STEP.ZAP_NOTIFIED]: ZAP.wait,
};

const PROGRAM = new Program("munmap", STEPS);

/** munmap of the mapping: the MMU notifiers, then the ptes. */
export class Munmap extends TableActor {
  /** Registers: pc. */
  readonly size = 1;

  /** @param decl the `Actor` line (the lane: `P3 munmap`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} munmap`);
  }

  /** Starts at the unmap. */
  init(r: Int32Array, o: number): void {
    r[o] = MUNMAP_STEP.ZAP;
  }
}
