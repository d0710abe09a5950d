/**
 * The one error type for bad input, and the one classification the CLI's single catch
 * uses (src/cli/index.ts): bad input, an environment that refuses a write (ENOSPC, EACCES,
 * EPERM, EMFILE, ...) or a dead worker end the command with ONE line on stderr and exit 2;
 * anything else is a bug and keeps its stack trace.
 *
 * Throw `new InputError(field, value, allowed)` (message `invalid FIELD: VALUE (allowed:
 * ALLOWED)`) or `new InputError(message)` for a sentence of your own. The message is always
 * one line: newlines (a parser's multi-line message) collapse to spaces and a long value is
 * cut, so a 4 MB hostile value cannot make a 4 MB error line.
 */

/** Longest rendering of a bad value in a message, characters. */
export const MAX_VALUE_TEXT = 200;

/** Collapse a message to one line (runs of whitespace with a newline become one space). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

/** A value as an error message shows it: JSON where possible, cut to MAX_VALUE_TEXT. */
export function showValue(v: unknown): string {
  let s: string;
  if (typeof v === "string") s = JSON.stringify(v);
  else if (typeof v === "number" && !Number.isFinite(v)) s = String(v);
  else if (typeof v === "bigint" || typeof v === "symbol" || typeof v === "function") s = String(v);
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = Object.prototype.toString.call(v);
    }
  }
  return s.length > MAX_VALUE_TEXT ? `${s.slice(0, MAX_VALUE_TEXT)}… (${s.length} characters)` : s;
}

/**
 * Bad input (a config, a flag, a results directory, a scenario, a notebook parameter):
 * the message is one line naming the field, the value and what is allowed.
 */
export class InputError extends Error {
  /** The field named (undefined for a free-form message). */
  readonly field?: string;
  /** The bad value as given (undefined for a free-form message). */
  readonly value?: unknown;
  /** What is allowed instead, in words (undefined for a free-form message). */
  readonly allowed?: string;
  constructor(message: string);
  constructor(field: string, value: unknown, allowed: string);
  constructor(...args: [string] | [string, unknown, string]) {
    super(oneLine(args.length === 3 ? `invalid ${args[0]}: ${showValue(args[1])} (allowed: ${args[2]})` : args[0]));
    this.name = "InputError";
    if (args.length === 3) {
      this.field = args[0];
      this.value = args[1];
      this.allowed = args[2];
    }
  }
}

/** A bad parameter: names the field, the value and what is allowed (an InputError; re-exported by src/model/params.ts). */
export class ParamError extends InputError {
  /** The parameter, or a path into one (`pinnerGroups[0].pinners`). */
  declare readonly field: string;
  /** The value given, as given. */
  declare readonly value: unknown;
  /** What is allowed, in words (the text after `allowed:` in the message). */
  declare readonly allowed: string;
  /** The message is `invalid FIELD: VALUE (allowed: ALLOWED)`, VALUE shown as JSON (InputError). */
  constructor(field: string, value: unknown, allowed: string) {
    super(field, value, allowed);
    this.name = "ParamError";
  }
}

/** A worker thread of a sweep died (killed, out of memory, crashed): one line, exit 2. */
export class WorkerDiedError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = "WorkerDiedError";
  }
}

/**
 * A long operation stopped on request (SIGINT, SIGTERM, an AbortSignal): what it finished
 * is kept (a sweep's finished points), nothing is half-written. The CLI prints the one
 * line and exits 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
 */
export class InterruptedError extends Error {
  constructor(
    /** The signal that asked for the stop (`SIGINT`, `SIGTERM`), or `abort` for a bare AbortSignal. */
    readonly signal: string,
    message = `interrupted by ${signal}`,
  ) {
    super(oneLine(message));
    this.name = "InterruptedError";
  }
}

/** The signal an AbortSignal's reason names (an InterruptedError's), else `abort`. */
export function abortSignalName(signal: AbortSignal): string {
  return signal.reason instanceof InterruptedError ? signal.reason.signal : "abort";
}

/** errno codes meaning "the machine refused" rather than "pinsim is wrong": one line, exit 2. */
export const ENVIRONMENT_CODES = [
  "ENOSPC",
  "EDQUOT",
  "EACCES",
  "EPERM",
  "EROFS",
  "EMFILE",
  "ENFILE",
  "EIO",
  "ENOMEM",
] as const;

/** The words for an errno code of ENVIRONMENT_CODES, as the one-line messages say them. */
export const ERRNO_TEXT: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EMFILE: "too many open files",
  ENFILE: "too many open files in the system",
  EIO: "I/O error",
  ENOMEM: "out of memory",
};

/**
 * The one line the CLI prints for an error that is bad input or a refusing environment,
 * or null for a bug (which keeps its stack trace).
 */
export function describeFatal(e: unknown): string | null {
  if (e instanceof InputError || e instanceof WorkerDiedError) return oneLine(e.message);
  if (e instanceof SyntaxError && /JSON/.test(e.message)) return oneLine(e.message);
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string" && (ENVIRONMENT_CODES as readonly string[]).includes(code)) {
    const err = e as NodeJS.ErrnoException;
    const what = err.path ? `${err.syscall ?? "access"} ${err.path}` : (err.syscall ?? "I/O");
    return oneLine(
      `${what}: ${code} (${ERRNO_TEXT[code] ?? code}); files already written are intact: fix it and rerun the same command`,
    );
  }
  return null;
}
