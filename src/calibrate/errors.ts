/**
 * Errors of `pinsim calibrate`. Each is one line. Bad input and a machine that cannot
 * run the asked parts are InputErrors (the CLI's one catch: exit 2); a probe that fails
 * to build or run is a ProbeError (the command prints it, exit 1).
 */
import { InputError } from "../errors.js";

/** Bad input: a flag, a results folder, a calibration.json that is not ours. */
export class CalibrateInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "CalibrateInputError";
  }
}

/**
 * The machine cannot run what was asked: not Linux, not root, no /proc/kpageflags,
 * io_uring disabled, no C compiler. The message names what is missing and which parts
 * can still run (`--only`).
 */
export class CalibrateUnavailableError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "CalibrateUnavailableError";
  }
}

/** A probe failed to build or to run: the compiler's first error, or the probe's error line. */
export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProbeError";
  }
}
