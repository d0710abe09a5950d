import { definePolicy, FOLL_PIN_BASE, noRelease } from "./common.js";

/**
 * Andrea Arcangeli's proposal in the seed thread: dirty the page when GUP takes it
 * (set_page_dirty under the pte lock, no page lock needed) and only put_page at release.
 * Correct only while the page stays dirty for the whole pin.
 */
export const dirtyAtGup = definePolicy({
  ...FOLL_PIN_BASE,
  id: "dirty-at-gup",
  era: "Andrea's proposal (2019)",
  summary: "FOLL_GET +1, page dirtied at GUP; release: put_page only",
  reference: "FOLL_GET",
  reclaimGuardDefault: false,
  afterGrab: (pc, p) => {
    pc.setPageDirty(p);
  },
  ...noRelease,
});
