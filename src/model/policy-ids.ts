/** Ids of the built-in policies, in the order of docs/model.md "Policies" (roughly, kernel eras). */
export const POLICY_IDS = [
  "legacy-put-page",
  "put-user-pages-dirty",
  "dirty-at-gup",
  "foll-pin",
  "longterm-refused",
  "keep-dirty",
  "keep-dirty-bounce",
  "block-bounce",
  "mmu-notifier",
] as const;

/** The id of a built-in policy, one of POLICY_IDS. */
export type PolicyId = (typeof POLICY_IDS)[number];
