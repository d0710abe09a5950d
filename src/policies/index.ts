/**
 * The built-in policies (docs/model.md, "Policies"), one module each, and the registry:
 * POLICIES is the one list, and POLICY_IDS and the PolicyId type are derived from it, so a
 * new policy is its module plus one line here (src/model/policy-ids.ts re-exports the ids
 * for the model's parameter checks).
 */
import type { Policy } from "../model/policy.js";
import { legacyPutPage } from "./legacy-put-page.js";
import { putUserPagesDirty } from "./put-user-pages-dirty.js";
import { dirtyAtGup } from "./dirty-at-gup.js";
import { follPin } from "./foll-pin.js";
import { longtermRefused } from "./longterm-refused.js";
import { keepDirty } from "./keep-dirty.js";
import { keepDirtyBounce } from "./keep-dirty-bounce.js";
import { blockBounce } from "./block-bounce.js";
import { mmuNotifier } from "./mmu-notifier.js";

export { definePolicy, FOLL_PIN_BASE, keepDirtyPolicy, noRelease, type PolicyWithId } from "./common.js";

/** Every built-in policy, in the order of docs/model.md "Policies" (roughly, kernel eras). */
export const POLICIES = [
  legacyPutPage,
  putUserPagesDirty,
  dirtyAtGup,
  follPin,
  longtermRefused,
  keepDirty,
  keepDirtyBounce,
  blockBounce,
  mmuNotifier,
] as const satisfies readonly Policy[];

/** The id of a built-in policy, one of POLICY_IDS. */
export type PolicyId = (typeof POLICIES)[number]["id"];

/** Ids of the built-in policies, in the order of POLICIES. */
export const POLICY_IDS = POLICIES.map((p) => p.id) as unknown as readonly [PolicyId, ...PolicyId[]];

const BY_ID = new Map<string, Policy>(POLICIES.map((p) => [p.id, p]));
if (BY_ID.size !== POLICIES.length) throw new Error("two built-in policies share an id");

/** The built-in policy with this id; throws listing the known ids. */
export function getPolicy(id: string): Policy {
  const p = BY_ID.get(id);
  if (!p) throw new Error(`unknown policy '${id}' (allowed: ${POLICY_IDS.join(", ")})`);
  return p;
}
