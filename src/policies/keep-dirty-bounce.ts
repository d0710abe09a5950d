import { M } from "../model/metrics.js";
import { WB, type Policy } from "../model/policy.js";
import { FOLL_PIN_BASE } from "./common.js";

/**
 * Jan Kara's 2023 RFC "Writeback handling of pinned pages": as keep-dirty, but
 * data-integrity writeback (WB_SYNC_ALL) writes a bounce copy taken under the page lock.
 */
export const keepDirtyBounce: Policy = {
  ...FOLL_PIN_BASE,
  id: "keep-dirty-bounce",
  era: "Jan Kara's 2023 RFC",
  summary: "as keep-dirty, but WB_SYNC_ALL writes a bounce copy of a pinned page",
  writebackConsultsDetector: true,
  keepsDirty: true,
  bounces: true,
  writebackDecision: (pc, p, sync) => {
    if (!pc.maybeDmaPinned(p)) return WB.CLEAR | WB.WRITE;
    pc.count(M.keptDirty);
    return sync ? WB.WRITE | WB.BOUNCE : 0;
  },
};
