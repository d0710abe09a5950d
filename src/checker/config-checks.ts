/**
 * checkConfig's own checks of what the library is given, before any search (the CLI's
 * flag and scenario parsers are bypassed by a library caller): the search options, and a
 * gup actor's `dest` that acts on nothing, by the same check a scenario's variants get
 * (idleDest, src/checker/scenario-checks.ts).
 */
import { InputError } from "../errors.js";
import { MAX_WORKERS } from "./parallel.js";
import { DEST_ALLOWED, idleDest } from "./scenario-checks.js";
import type { ActorDecl } from "./spec.js";
import type { CheckOptions } from "./explore.js";

/**
 * The search options' numbers checked before any search (the library's callers bypass the
 * CLI's flag parsers); returns the worker count.
 * @throws InputError naming `workers`, `maxStates` or `bitstate`, its value and what is allowed
 */
export function checkSearchOptions(options: CheckOptions, maxStates: number): number {
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS)
    throw new InputError("workers", workers, `an integer in 1..${MAX_WORKERS}`);
  if (workers > 1 && options.bitstate !== undefined)
    throw new InputError("workers", workers, "1 with bitstate (a bitstate search runs in one thread)");
  if (!Number.isSafeInteger(maxStates) || maxStates < 1)
    throw new InputError("maxStates", maxStates, `an integer in 1..${Number.MAX_SAFE_INTEGER}`);
  const b = options.bitstate;
  if (b !== undefined && (!Number.isInteger(b) || b < 10 || b > 34))
    throw new InputError("bitstate", b, "an integer in 10..34");
  return workers;
}

/**
 * A gup actor's `dest` other than ext4 on an actor that makes no O_DIRECT write (idleDest,
 * the check parseScenario runs over a scenario's variants).
 * @throws InputError `invalid P0.dest: "btrfs" (allowed: only on an O_DIRECT write (…); P0 has …)`
 */
export function refuseIdleDest(decls: readonly ActorDecl[]): void {
  const idle = idleDest([decls]);
  if (idle) throw new InputError(`${idle.name}.dest`, idle.dest, `${DEST_ALLOWED}; ${idle.name} has ${idle.pin}`);
}
