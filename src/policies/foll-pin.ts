import { definePolicy, FOLL_PIN_BASE } from "./common.js";

/**
 * 5.7 on: pin_user_pages adds GUP_PIN_COUNTING_BIAS (mm/gup.c try_grab_folio);
 * unpin_user_pages_dirty_lock keeps the seed's `!PageDirty` check. Writeback does not
 * look at pins. The reclaim guard is on by default (mm/vmscan.c, since 6.4).
 */
export const follPin = definePolicy({
  ...FOLL_PIN_BASE,
  id: "foll-pin",
  era: "5.7 on",
  summary: "FOLL_PIN +bias; release: unpin_user_pages_dirty_lock; writeback unchanged",
});
