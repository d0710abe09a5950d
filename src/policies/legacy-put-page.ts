import { SET_PAGE_DIRTY_LOCK } from "../model/release.js";
import { definePolicy, FOLL_PIN_BASE } from "./common.js";

/**
 * Up to 5.5: get_user_pages takes a plain reference (FOLL_GET, +1); the caller calls
 * set_page_dirty_lock on every page it may have written, then put_page. No detector.
 */
export const legacyPutPage = definePolicy({
  ...FOLL_PIN_BASE,
  id: "legacy-put-page",
  era: "up to 5.5",
  summary: "FOLL_GET +1; release: set_page_dirty_lock always, put_page",
  reference: "FOLL_GET",
  reclaimGuardDefault: false,
  release: SET_PAGE_DIRTY_LOCK,
});
