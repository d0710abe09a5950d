/**
 * A results directory that cannot be used as asked: a different sweep, a corrupted file,
 * an unwritable path. One line; the CLI exits 2 on it. Nothing on disk is changed.
 */
export class ResultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResultsError";
  }
}
