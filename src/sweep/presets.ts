/**
 * Presets: the sweeps in data/sweeps/, one per question, found by name.
 */
import { readdirSync, realpathSync } from "node:fs";
import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readJsonFile } from "../input-file.js";
import { ResultsError } from "./errors.js";

/** data/sweeps/ of the package (one level above both src/ and dist/). */
export const PRESETS_DIR = fileURLToPath(new URL("../../data/sweeps/", import.meta.url));

/** The preset names (file names without .json). */
export function presetNames(): string[] {
  try {
    return readdirSync(PRESETS_DIR)
      .filter((n) => n.endsWith(".json"))
      .map((n) => n.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/**
 * A sweep config from a preset name (`lost-data`) or a JSON file path (anything with a
 * `/` or ending in `.json`), parsed but not yet validated (see makePlan). A preset must
 * stay in data/sweeps/: its real path (symlinks resolved) is checked to lie inside the
 * real data/sweeps/, so a link out of it is refused. Files: regular, at most 4 MiB.
 */
export function readSweepConfig(nameOrPath: string): Record<string, unknown> {
  const isPath = nameOrPath.includes("/") || nameOrPath.endsWith(".json");
  if (!isPath && !presetNames().includes(nameOrPath))
    throw new ResultsError(
      `invalid sweep: ${JSON.stringify(nameOrPath)} (allowed: a config file path or a preset: ${presetNames().join(", ")})`,
    );
  let path = isPath ? nameOrPath : `${PRESETS_DIR}${nameOrPath}.json`;
  if (!isPath) {
    let real: string, root: string;
    try {
      real = realpathSync(path);
      root = realpathSync(PRESETS_DIR);
    } catch (e) {
      throw new ResultsError(
        `preset ${nameOrPath}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
    const rel = relative(root, real);
    if (rel === "" || rel.startsWith("..") || isAbsolute(rel))
      throw new ResultsError(
        `invalid preset: ${JSON.stringify(nameOrPath)} (allowed: a file inside ${root}; it resolves to ${real})`,
      );
    path = real;
  }
  const v = readJsonFile(path, "sweep config");
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new ResultsError(`sweep config ${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}
