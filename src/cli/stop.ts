/**
 * Stopping on SIGINT and SIGTERM (issue 24). A JavaScript signal handler runs only when
 * the main thread's event loop is free, so the commands keep it free: a simulation (`run`)
 * and the checker's search (`check`) run in a worker thread (src/cli/task.ts), a sweep on
 * its piscina pool, calibrate and the notebooks in child processes. The handler here
 * aborts the command's AbortSignal; the command then terminates its worker or child,
 * writes what it finished (a sweep's snapshot), releases its lock, and the CLI exits
 * 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM (the shell's convention).
 *
 * If a command has not stopped GRACE_MS after the signal (or on a second signal) the
 * process exits at once with the same code. Either way the `exit` handlers of the lock
 * and atomic-write libraries (proper-lockfile, write-file-atomic via signal-exit) run:
 * the lock is released and no temp file is left; and since every write of ours is one
 * synchronous call on the main thread, a signal handler never runs in the middle of one.
 */
import { InterruptedError } from "../errors.js";

/** Exit code after each signal: 128 + its number (signal(7): SIGINT 2, SIGTERM 15). */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
/** The signals a command stops on. */
export type StopSignal = keyof typeof SIGNAL_EXIT;
/** How long a command may take to stop cleanly after a signal before the process exits anyway, ms. */
export const GRACE_MS = 800;

const controller = new AbortController();
let received: StopSignal | null = null;
let installed = false;

/** The signal received so far, or null. */
export function stopRequested(): StopSignal | null {
  return received;
}

/** The exit code of an interrupted command: 130, 143, or 130 for an abort without a signal. */
export function interruptedExit(signal: string): number {
  return SIGNAL_EXIT[signal as StopSignal] ?? SIGNAL_EXIT.SIGINT;
}

let leftToCommand = false;

/**
 * Leave SIGINT and SIGTERM to the running command (`notebook open`: Jupyter answers Ctrl-C
 * with its own question, and pinsim waits for it): no abort, no forced exit.
 */
export function leaveSignalsToCommand(): void {
  leftToCommand = true;
}

function onSignal(signal: StopSignal): void {
  if (leftToCommand) return;
  if (received !== null) process.exit(SIGNAL_EXIT[received]); // a second Ctrl-C: at once
  received = signal;
  controller.abort(new InterruptedError(signal));
  setTimeout(() => {
    reportInterrupt(`interrupted by ${signal}`);
    process.exit(SIGNAL_EXIT[signal]);
  }, GRACE_MS).unref();
}

let reported = false;

/**
 * Print the interruption's line (`pinsim: MESSAGE`) on stderr, once per process: the CLI's
 * catch and the grace timer above may both come to it (a command that answered the abort
 * but whose threads take longer than GRACE_MS to end).
 */
export function reportInterrupt(message: string): void {
  if (reported) return;
  reported = true;
  process.stderr.write(`pinsim: ${message}\n`);
}

/**
 * Make SIGINT and SIGTERM stop the running command: returns the AbortSignal the command
 * passes to its work (aborted with an InterruptedError naming the signal). Idempotent.
 */
export function stopOnSignals(): AbortSignal {
  if (!installed) {
    installed = true;
    for (const s of Object.keys(SIGNAL_EXIT) as StopSignal[]) process.on(s, () => onSignal(s));
  }
  return controller.signal;
}
