import { WritebackDecision } from "../model/policy.js";
import { definePolicy, FOLL_PIN_BASE } from "./common.js";

/**
 * The 2018 idea: clean pinned pages as usual but bounce them in the block layer at bio
 * submission, after unlock_page. Dave Chinner: DMA can still land while the page is
 * being bounced, so the window shrinks but does not close.
 */
export const blockBounce = definePolicy({
  ...FOLL_PIN_BASE,
  id: "block-bounce",
  era: "2018 idea",
  summary: "FOLL_PIN +bias; pinned pages cleaned as usual, bounced at bio submission (after unlock)",
  writebackConsultsDetector: true,
  bounces: true,
  writebackDecision: (pc, p) =>
    pc.folioMaybeDmaPinned(p)
      ? WritebackDecision.CLEAR | WritebackDecision.WRITE | WritebackDecision.BOUNCE_AT_BIO
      : WritebackDecision.CLEAR | WritebackDecision.WRITE,
});
