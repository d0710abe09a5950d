// The package version, read from package.json (one level above both src/ and dist/).
import { readFileSync } from "node:fs";

/**
 * pinsim's version (package.json `version`, e.g. `0.1.0`). Every artifact records it: a
 * run result's `pinsim`, a results directory's manifest (a sweep resumes only with the same
 * version), a figure's provenance line.
 */
export const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
