import { keepDirtyPolicy } from "./common.js";

/**
 * Jérôme Glisse's steps [3..N], Jan Kara 2018: a page the detector calls pinned is never
 * cleaned. WB_SYNC_NONE skips it; WB_SYNC_ALL writes it and leaves it dirty.
 */
export const keepDirty = keepDirtyPolicy({
  id: "keep-dirty",
  era: "Jérôme's step [3..N], Jan Kara 2018",
  summary: "FOLL_PIN +bias; pinned pages never cleaned: WB_SYNC_NONE skips, WB_SYNC_ALL writes and keeps dirty",
  bounce: false,
});
