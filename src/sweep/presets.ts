/**
 * Presets: the sweeps in data/sweeps/, one per question, found by name.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ResultsError } from "./errors.js";

/** data/sweeps/ of the package (one level above both src/ and dist/). */
export const PRESETS_DIR = fileURLToPath(new URL("../../data/sweeps/", import.meta.url));

/** The preset names (file names without .json). */
export function presetNames(): string[] {
  try {
    return readdirSync(PRESETS_DIR).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/**
 * A sweep config from a preset name (`lost-data`) or a JSON file path (anything with a
 * `/` or ending in `.json`), parsed but not yet validated (see makePlan).
 */
export function readSweepConfig(nameOrPath: string): Record<string, unknown> {
  const isPath = nameOrPath.includes("/") || nameOrPath.endsWith(".json");
  if (!isPath && !presetNames().includes(nameOrPath))
    throw new ResultsError(`invalid sweep: ${JSON.stringify(nameOrPath)} (allowed: a config file path or a preset: ${presetNames().join(", ")})`);
  const path = isPath ? nameOrPath : `${PRESETS_DIR}${nameOrPath}.json`;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ResultsError(`sweep config ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ResultsError(`sweep config ${path}: not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new ResultsError(`sweep config ${path}: expected a JSON object`);
  return v as Record<string, unknown>;
}
