/**
 * One kebab-case flag per parameter of docs/model.md#parameters, and config files. Flags override the
 * config file; the values are validated once, by resolveParams.
 */
import { readJsonFile, refusedKey } from "../input-file.js";
import { parseDecimal } from "../numbers.js";
import type { Command } from "commander";
import {
  DEFAULT_PARAMS,
  DISTRIBUTION_PARAMS,
  PARAM_NAMES,
  allowedValues,
  flagName,
  type ParamName,
} from "../model/params.js";
import { UsageError } from "./errors.js";
import { InputError } from "../errors.js";

/**
 * Convert a flag's text to the value the schema expects; leave anything odd (`0x10`, `abc`,
 * an empty text) as the text itself, so the schema's refusal echoes what the user typed.
 * Numbers are decimal only (src/numbers.ts).
 */
export function flagValue(name: ParamName, text: string): unknown {
  if ((DISTRIBUTION_PARAMS as readonly string[]).includes(name)) return parseDecimal(text) ?? text;
  if (name === "pinnerGroups") {
    // A JSON list of group objects: --pinner-groups '[{"caller":"odirect","pinners":4}]'.
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return text;
    }
    // `[{"pinners": 1, "pinners": 4}]`: refused, not the last one taken; `[{"__proto__": …}]`:
    // refused, not dropped (src/input-file.ts).
    const dup = refusedKey(text, "pinnerGroups");
    if (dup) throw new UsageError(`--pinner-groups: ${dup.message}`);
    return value;
  }
  if (name === "kernel" && text === "null") return null;
  if (name === "reclaimGuard") {
    if (text === "default" || text === "null") return null;
  }
  const d = DEFAULT_PARAMS[name];
  if (typeof d === "boolean" || name === "reclaimGuard") {
    if (text === "true" || text === "on" || text === "1") return true;
    if (text === "false" || text === "off" || text === "0") return false;
    return text;
  }
  if (typeof d === "number") return parseDecimal(text) ?? text;
  return text;
}

/** Add `--pin-duration` and friends to a command. */
export function addParamFlags(cmd: Command, skip: ParamName[] = []): Command {
  for (const name of PARAM_NAMES) {
    if (skip.includes(name)) continue;
    const d = DEFAULT_PARAMS[name];
    cmd.option(`--${flagName(name)} <value>`, `${allowedValues(name)} (default ${JSON.stringify(d)})`);
  }
  return cmd;
}

/** Read a config file: a JSON object whose keys are parameter names (a regular file of at most 4 MiB). */
export function readJsonObject(path: string, what: string): Record<string, unknown> {
  const value = readJsonFile(path, what);
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new UsageError(`${what} ${path}: expected a JSON object whose keys are parameter names`);
  return value as Record<string, unknown>;
}

/** Parameters from --config (if any) overridden by the flags given. */
export function paramsFromOptions(opts: Record<string, unknown>): Record<string, unknown> {
  // `--config ''` names no file (it ran with the defaults): refused as `--out ''` is
  if (opts.config !== undefined && String(opts.config).trim() === "")
    throw new InputError("--config", String(opts.config), "the path of a JSON file of parameters");
  const out: Record<string, unknown> = opts.config !== undefined ? readJsonObject(String(opts.config), "config") : {};
  for (const name of PARAM_NAMES) {
    const v = opts[name];
    if (v !== undefined) out[name] = flagValue(name, String(v));
  }
  return out;
}
