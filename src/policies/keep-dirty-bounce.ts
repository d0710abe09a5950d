import { keepDirtyPolicy } from "./common.js";

/**
 * Jan Kara's 2023 RFC "Writeback handling of pinned pages" (<20230209121046.25360-1-jack@suse.cz>):
 * as keep-dirty, but data-integrity writeback (WB_SYNC_ALL) writes a bounce copy taken
 * under the page lock.
 */
export const keepDirtyBounce = keepDirtyPolicy({
  id: "keep-dirty-bounce",
  era: "Jan Kara's 2023 RFC",
  summary: "as keep-dirty, but WB_SYNC_ALL writes a bounce copy of a pinned page",
  bounce: true,
});
