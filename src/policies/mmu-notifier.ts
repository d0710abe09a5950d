import { METRIC } from "../model/metrics.js";
import { definePolicy, FOLL_PIN_BASE, noRelease } from "./common.js";

/**
 * No pin at all (pin_user_pages.rst "Case 3"): the device mirrors the mapping and drops
 * it when an MMU notifier fires (page_mkclean, unmap, truncate); its next write refaults
 * through page_mkwrite like a CPU store. GUP takes no reference, so the release dirties
 * and puts nothing (mmu_interval_notifier_remove).
 */
export const mmuNotifier = definePolicy({
  ...FOLL_PIN_BASE,
  id: "mmu-notifier",
  era: "no pin at all",
  summary: "no reference; MMU-notifier invalidation, the device refaults through page_mkwrite",
  reference: "none",
  reclaimGuardDefault: false,
  ...noRelease,
  deviceMirror: {
    // hmm_range_fault between mmu_interval_read_begin and mmu_interval_read_retry.
    mirror: (pc, p) => pc.mmuIntervalReadBegin(p),
    invalidated: (pc, p, seq) => pc.mmuIntervalReadRetry(p, seq),
    refault: (pc, p) => {
      pc.count(METRIC.deviceRefaults);
      return pc.mmuIntervalReadBegin(p);
    },
  },
});
