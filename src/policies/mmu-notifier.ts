import type { Policy } from "../model/policy.js";
import { FOLL_PIN_BASE, noRelease } from "./common.js";

/**
 * No pin at all (pin_user_pages.rst "Case 3"): the device mirrors the mapping and drops
 * it when an MMU notifier fires (page_mkclean, unmap, truncate); its next write refaults
 * through page_mkwrite like a CPU store. The engine handles the device mapping.
 */
export const mmuNotifier: Policy = {
  ...FOLL_PIN_BASE,
  id: "mmu-notifier",
  era: "no pin at all",
  summary: "no reference; MMU-notifier invalidation, the device refaults through page_mkwrite",
  reference: "none",
  reclaimGuardDefault: false,
  ...noRelease,
};
