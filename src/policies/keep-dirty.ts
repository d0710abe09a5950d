import { M } from "../model/metrics.js";
import { WB, type Policy } from "../model/policy.js";
import { FOLL_PIN_BASE } from "./common.js";

/**
 * Jérôme Glisse's steps [3..N], Jan Kara 2018: a page the detector calls pinned is never
 * cleaned. WB_SYNC_NONE skips it; WB_SYNC_ALL writes it and leaves it dirty.
 */
export const keepDirty: Policy = {
  ...FOLL_PIN_BASE,
  id: "keep-dirty",
  era: "Jérôme's step [3..N], Jan Kara 2018",
  summary: "FOLL_PIN +bias; pinned pages never cleaned: WB_SYNC_NONE skips, WB_SYNC_ALL writes and keeps dirty",
  writebackConsultsDetector: true,
  keepsDirty: true,
  writebackDecision: (pc, p, sync) => {
    if (!pc.maybeDmaPinned(p)) return WB.CLEAR | WB.WRITE;
    pc.count(M.keptDirty);
    return sync ? WB.WRITE : 0;
  },
};
