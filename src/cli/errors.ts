/**
 * Bad input ends the command with one line on stderr and exit code 2 (the one catch is in
 * src/cli/index.ts). UsageError is the CLI's spelling of InputError (src/errors.ts).
 */
import { InputError } from "../errors.js";

/** A bad flag or argument: the message is the one line the CLI prints (exit 2). */
export class UsageError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Exit codes: 0 ok, 1 a check failed (mismatch, failing notebook), 2 bad input, 3 a sweep
 * incomplete (points failed: listed in its manifest.json, retried by a rerun); after
 * SIGINT 130 and after SIGTERM 143 (src/cli/stop.ts).
 */
export const EXIT = { OK: 0, FAILED: 1, BAD_INPUT: 2, INCOMPLETE: 3 } as const;
