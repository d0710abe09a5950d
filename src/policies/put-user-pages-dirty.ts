import { DIRTY_IF_CLEAN } from "../model/release.js";
import { definePolicy, FOLL_PIN_BASE } from "./common.js";

/**
 * The seed patch (put_user_pages_dirty_lock, 5.2–5.5): still FOLL_GET, but release
 * dirties only a page that is not already dirty, then put_user_page (= put_page).
 */
export const putUserPagesDirty = definePolicy({
  ...FOLL_PIN_BASE,
  id: "put-user-pages-dirty",
  era: "the seed patch, 5.2–5.5",
  summary: "FOLL_GET +1; release: if (!PageDirty) set_page_dirty_lock, put_user_page",
  reference: "FOLL_GET",
  reclaimGuardDefault: false,
  release: DIRTY_IF_CLEAN,
});
