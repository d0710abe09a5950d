/**
 * The built-in policies (docs/model.md, "Policies"), one module each, and a registry by
 * id. Their ids are POLICY_IDS in src/model/policy-ids.ts, so the model validates
 * parameters without importing this folder; the check below keeps the two in step.
 */
import type { Policy } from "../model/policy.js";
import { POLICY_IDS, type PolicyId } from "../model/policy-ids.js";
import { legacyPutPage } from "./legacy-put-page.js";
import { putUserPagesDirty } from "./put-user-pages-dirty.js";
import { dirtyAtGup } from "./dirty-at-gup.js";
import { follPin } from "./foll-pin.js";
import { longtermRefused } from "./longterm-refused.js";
import { keepDirty } from "./keep-dirty.js";
import { keepDirtyBounce } from "./keep-dirty-bounce.js";
import { blockBounce } from "./block-bounce.js";
import { mmuNotifier } from "./mmu-notifier.js";

export { POLICY_IDS, type PolicyId } from "../model/policy-ids.js";
export { FOLL_PIN_BASE, dirtyIfClean, keepDirtyPolicy, noRelease, setPageDirtyLock } from "./common.js";

/** Every built-in policy, in the order of POLICY_IDS. */
export const POLICIES: readonly Policy[] = [
  legacyPutPage,
  putUserPagesDirty,
  dirtyAtGup,
  follPin,
  longtermRefused,
  keepDirty,
  keepDirtyBounce,
  blockBounce,
  mmuNotifier,
];

const BY_ID = new Map(POLICIES.map((p) => [p.id, p]));
if (BY_ID.size !== POLICY_IDS.length || POLICY_IDS.some((id) => !BY_ID.has(id))) {
  throw new Error("policy registry and POLICY_IDS disagree");
}

/** The built-in policy with this id; throws listing the known ids. */
export function getPolicy(id: string): Policy {
  const p = BY_ID.get(id as PolicyId);
  if (!p) throw new Error(`unknown policy '${id}' (allowed: ${POLICY_IDS.join(", ")})`);
  return p;
}
