/** The failed points of a sweep (manifest.json `failed`, issue 24) in words, for plot, report and errors. */
import type { FailedPoint } from "./types.js";

/** `1 point failed: {"pinDuration":50} (injected fault)`, the first three listed. */
export function failedText(failed: readonly FailedPoint[]): string {
  const shown = failed
    .slice(0, 3)
    .map((f) => `${f.key} (${f.error})`)
    .join("; ");
  const more = failed.length > 3 ? `; … (${failed.length} in all)` : "";
  return `${failed.length} point${failed.length === 1 ? "" : "s"} failed: ${shown}${more}`;
}
