/**
 * A results directory that cannot be used as asked: a different sweep, a corrupted file,
 * an unwritable path, a lock held by another sweep. One line; the CLI exits 2 on it.
 * Nothing on disk is changed.
 */
import { InputError } from "../errors.js";

/** A results directory that cannot be used as asked (see the module's header): one line, exit 2, nothing changed. */
export class ResultsError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "ResultsError";
  }
}
