/** Policy ids of MODEL.md §4, in the order of the table (roughly, kernel eras). */
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

export type PolicyId = (typeof POLICY_IDS)[number];
