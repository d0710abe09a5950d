/**
 * Errors of `pinsim calibrate`. Each is one line; the CLI exits 2 on them.
 */

/** Bad input: a flag, a results folder, a calibration.json that is not ours. */
export class CalibrateInputError extends Error {
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
export class CalibrateUnavailableError extends Error {
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
