import { definePolicy, FOLL_PIN_BASE } from "./common.js";

/**
 * 6.5 on (8ac268436e6d, a6e79df92e4a): a writable FOLL_LONGTERM pin of a shared
 * mapping on a dirty-tracked filesystem fails with -EFAULT in check_vma_flags
 * (writable_file_mapping_allowed). Short pins (O_DIRECT) behave as foll-pin.
 */
export const longtermRefused = definePolicy({
  ...FOLL_PIN_BASE,
  id: "longterm-refused",
  era: "6.5 on",
  summary: "as foll-pin, but a writable FOLL_LONGTERM pin of a shared file mapping fails (EFAULT)",
  refuseGup: (longTerm) => longTerm,
});
