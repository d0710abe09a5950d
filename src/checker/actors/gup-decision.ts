/**
 * What GUP meets for one search root of a GUP actor, decided once per combination of its
 * options: the caller's policy laid over the policy checked, and GUP's answer (refused
 * with its errno, pinned on the page cache, or on an anonymous copy for a private
 * mapping), from the run's environment (src/model/env.ts pinDecision, the engine's too).
 */
import { pinDecision, type PinnerShape } from "../../model/env.js";
import type { DeviceMirror, Policy } from "../../model/policy.js";
import type { GroupGup } from "../../policies/caller.js";
import type { GupActor } from "../scenario.js";
import type { StepContext } from "./actor.js";
import { defineLabel, labelOf } from "./labels.js";
import { extraDecision, type ExtraDecision } from "./gup-anon.js";

/** Register of a GUP actor holding the index of its root's decision (GupDecisions.list). */
export const DECISION = 7;

/** check_vma_flags' refusal of a writable FOLL_LONGTERM pin on a dirty-tracked file mapping. */
const EFAULT_LABEL = defineLabel("check_vma_flags: -EFAULT");

/** One root's GUP decision: the caller's policy over the base one and what GUP meets. */
export interface Decision {
  /** The caller's policy over the policy checked (its hooks and reference, grab to release). */
  policy: Policy;
  /** GUP's answer for the caller, access, path and FOLL_LONGTERM. */
  gup: GroupGup;
  /** FOLL_WRITE. */
  write: boolean;
  /** The caller's device writes to the page (a write pin of a caller that writes). */
  dma: boolean;
  /** The refusal's label, or -1. */
  refuse: number;
  /** The O_DIRECT-write and FOLL_FORCE paths (gup-anon.ts). */
  extra: ExtraDecision;
}

/** The GUP decisions of one actor's search roots, each decided once; register DECISION indexes them. */
export class GupDecisions {
  /** The decisions, by index. */
  readonly list: Decision[] = [];
  private readonly index = new Map<string, number>();

  /**
   * The caller's policy over the base policy and the GUP outcome for one root's options
   * (pinDecision over the search's environment), decided once per combination. Returns
   * its index.
   */
  decide(ctx: StepContext, s: GupActor): number {
    const shape = gupShape(s);
    const key = [
      shape.caller,
      shape.access,
      shape.path,
      shape.longTerm,
      shape.release ?? "",
      shape.force,
      s.dest ?? "ext4",
    ].join("|");
    let k = this.index.get(key);
    if (k === undefined) {
      const d = pinDecision(ctx.env, shape);
      const gup = d.gup;
      const refuse =
        gup.refused === null
          ? -1
          : gup.refused === "EFAULT"
            ? EFAULT_LABEL
            : labelOf(`${gup.answer.refusedBy}: -${gup.refused}`);
      const extra = extraDecision(ctx, shape, s, d.write, gup.anonymous);
      k = this.list.push({ policy: d.policy, gup, write: d.write, dma: d.deviceWrites, refuse, extra }) - 1;
      this.index.set(key, k);
    }
    return k;
  }
}

/** A GUP actor's caller, access, path, FOLL_LONGTERM, FOLL_FORCE and `release=` override, as pinDecision takes them. */
export function gupShape(a: GupActor): PinnerShape {
  const shape: PinnerShape = {
    caller: a.caller ?? "generic",
    access: a.access ?? "write",
    path: a.path,
    longTerm: a.longterm,
    force: a.force ?? false,
  };
  if (a.release !== undefined && a.release !== "default") shape.release = a.release;
  return shape;
}

/** What every step of one GUP actor reads besides the registers: the device mirror and the roots' decisions. */
export interface GupCore {
  /**
   * The policy's device mirror (mmu-notifier), or null when GUP takes a reference.
   * NOTE: for performance, read once per actor rather than through the policy per step.
   */
  readonly mirror: DeviceMirror | null;
  /** The decisions of the actor's roots. */
  readonly decisions: GupDecisions;
}

/** The decision of the root the registers at `r[o..]` come from. */
export const decisionOf = (g: GupCore, r: Int32Array, o: number): Decision => g.decisions.list[r[o + DECISION]];

/** The decision's reference is FOLL_PIN (else FOLL_GET). */
export const pins = (d: Decision): boolean => d.policy.reference === "FOLL_PIN";
