/**
 * Reading a JSON file a user names (a config, a sweep config): a regular file of at most
 * HARD.configBytes, valid JSON, nested at most HARD.depth levels. `--config /dev/zero` or a
 * FIFO is refused before a byte is read (it would grow without end); a directory, a
 * missing or unreadable file is one line. Every refusal is an InputError (exit 2).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { InputError, oneLine } from "./errors.js";
import { checkInputShape, HARD } from "./model/budget.js";

/** The text of a regular file of at most `maxBytes`. @throws InputError. */
export function readRegularFile(path: string, what: string, maxBytes: number = HARD.configBytes): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever
    // (fifo(7)); this way the open returns at once and fstat refuses it below. It changes
    // nothing for a regular file.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new InputError(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputError(what, path, "a regular file (not a directory, device, FIFO or socket)");
    if (st.size > maxBytes) throw new InputError(what, path, `a file of at most ${maxBytes} bytes (it has ${st.size})`);
    // Read at most maxBytes + 1 even if the file grows meanwhile.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let n = 0;
    for (let r: number; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += r;
    if (n > maxBytes) throw new InputError(what, path, `a file of at most ${maxBytes} bytes (it grew while read)`);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** A JSON file's value, its nesting and sizes checked. @throws InputError (one line). */
export function readJsonFile(path: string, what: string): unknown {
  const text = readRegularFile(path, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} ${path}: not valid JSON (${oneLine((e as Error).message)})`);
  }
  checkInputShape(value, `${what} ${path}`);
  return value;
}
