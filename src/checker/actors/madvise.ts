/**
 * madvise(MADV_DONTNEED) over the page (mm/madvise.c madvise_dontneed_single_vma ->
 * zap_page_range_single): a private file mapping loses its anonymous COW copy (the next
 * access faults the file page in again); an anonymous page loses the owner's pte or swap entry
 * (the next access gets a new zero page, so whatever still writes into this one writes for
 * nobody, and reclaim freeing it loses nothing: zapAnonPte).
 * Dirty COW's second thread (CVE-2016-5195).
 */
import { EVERYTHING } from "../footprint.js";
import { zapAnonPte } from "../../model/anon.js";
import type { ActorDecl, ActorSpec, MadviseActor } from "../scenario.js";
import { DONE, PAGE, type StepContext } from "./actor.js";
import { defineLabel } from "./labels.js";
import { Program, TableActor, type StepTable } from "./program.js";

const MADVISE_STEP = { ZAP: 1 } as const;
type MadvisePc = (typeof MADVISE_STEP)[keyof typeof MADVISE_STEP];
// Registers: 0 pc, 1 zaps left.

const MADVISE_LABEL = {
  ZAP_COPY: defineLabel("MADV_DONTNEED: zap the COW copy"),
  ZAP_ANON: defineLabel("MADV_DONTNEED: zap the owner's pte"),
  ZAP_SWAP: defineLabel("MADV_DONTNEED: free the owner's swap entry"),
  NOTHING: defineLabel("MADV_DONTNEED: nothing mapped"),
};

/** One MADV_DONTNEED: zap the private COW copy, or the owner's pte (or swap entry) of the anonymous page. */
function zap(ctx: StepContext, r: Int32Array, o: number): number {
  const c = ctx.cache;
  if (--r[o + 1] === 0) r[o] = DONE;
  if (c.cowCopy[PAGE]) {
    c.cowCopy[PAGE] = 0;
    return MADVISE_LABEL.ZAP_COPY;
  }
  // zap_page_range_single (src/model/anon.ts zapAnonPte): a present pte or a swap entry.
  const present = c.resident(PAGE) === 1 && c.mapped(PAGE) === 1;
  if (ctx.env.anonymous && zapAnonPte(c, PAGE)) return present ? MADVISE_LABEL.ZAP_ANON : MADVISE_LABEL.ZAP_SWAP;
  return MADVISE_LABEL.NOTHING;
}

const STEPS: StepTable<MadvisePc> = {
  [MADVISE_STEP.ZAP]: { footprint: EVERYTHING, next: [MADVISE_STEP.ZAP, DONE], run: zap },
};

const PROGRAM = new Program("madvise", STEPS);

/** `times` MADV_DONTNEED calls over the page. */
export class Madvise extends TableActor {
  /** Registers: pc, zaps left. */
  readonly size = 2;

  /** @param decl the `Actor` line (the lane: `P2 MADV_DONTNEED`) */
  constructor(decl: ActorDecl) {
    super(PROGRAM, decl.name, `${decl.name} MADV_DONTNEED`);
  }

  /** `times` zaps. */
  init(r: Int32Array, o: number, _ctx: StepContext, spec: ActorSpec): void {
    r[o] = MADVISE_STEP.ZAP;
    r[o + 1] = (spec as MadviseActor).times;
  }
}
