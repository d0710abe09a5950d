/**
 * Reading a JSON file a user names (a config, a sweep config): a regular file of at most
 * HARD.configBytes, valid JSON, nested at most HARD.depth levels, each key once and no key
 * `__proto__` at any depth. `--config /dev/zero` or a FIFO is refused before a byte is read
 * (it would grow without end); a directory, a missing or unreadable file is one line. Every refusal is an InputError (exit 2).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, type Stats } from "node:fs";
import { visit, type JSONPath } from "jsonc-parser";
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

/**
 * A JSON file's value, its nesting and sizes checked, no key given twice and no key
 * `__proto__` at any depth. @throws InputError (one line).
 */
export function readJsonFile(path: string, what: string): unknown {
  const text = readRegularFile(path, what);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} ${path}: not valid JSON (${oneLine((e as Error).message)})`);
  }
  checkInputShape(value, `${what} ${path}`);
  const bad = refusedKey(text);
  if (bad) throw new InputError(`${what} ${path}:${bad.line}:${bad.column}: ${bad.message}`);
  return value;
}

/** A key refused in a JSON text (given twice in one object, or `__proto__`): where, and the line to print. */
export interface RefusedKey {
  /** The key. */
  key: string;
  /** The path of the object holding it (`axes`, `pinnerGroups[1]`), "" at the top. */
  path: string;
  /** 1-based line and column of the key (of its second occurrence, for a key given twice). */
  line: number;
  column: number;
  /** `key "pinDuration" given twice in axes (JSON.parse would keep the last)`. */
  message: string;
}

function pathText(path: JSONPath): string {
  return path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("");
}

function where(path: string): string {
  return path === "" ? "the top-level object" : path;
}

/**
 * The first refused key of a JSON text, or null: a key given twice in one object, or a key
 * `__proto__` in any object. JSON.parse keeps the last of a key given twice silently
 * (`{"seeds": 3, "seeds": 30}` is 30 seeds); RFC 8259 §4 says names SHOULD be unique.
 * JSON.parse keeps `__proto__` as an own key, but a spread or a schema's copy (zod's
 * z.record) drops it silently, so a nested one would vanish before any check named it.
 * Found with jsonc-parser's visitor (Microsoft's JSON scanner), comments off; the text is
 * assumed valid JSON (JSON.parse has said so). `root` names the text's value in the
 * message (`pinnerGroups` for a flag's list).
 */
export function refusedKey(text: string, root = ""): RefusedKey | null {
  const open: Set<string>[] = [];
  let found: RefusedKey | null = null;
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (key, _offset, _length, line, character, pathSupplier) => {
        const keys = open[open.length - 1]!;
        if (found === null && (keys.has(key) || key === "__proto__")) {
          const path = root + pathText(pathSupplier());
          const message =
            key === "__proto__"
              ? `invalid key "__proto__" in ${where(path)} (allowed: any key but __proto__, which a copy of the object would silently drop)`
              : `key ${JSON.stringify(key)} given twice in ${where(path)} (allowed: each key once; JSON.parse would silently keep the last)`;
          found = { key, path, line: line + 1, column: character + 1, message };
        }
        keys.add(key);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}

/** What a non-regular file is, for messages: `a FIFO`, `a character device`, … */
export function fileKind(st: Stats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/** A path that should be a regular file is something else (a FIFO, a device, a directory). */
export class NotRegularFileError extends InputError {
  constructor(
    /** The path as given. */
    readonly path: string,
    /** What it is instead: `a FIFO`, `a character device`, `a directory`, … */
    readonly kind: string,
  ) {
    super(`${path}: ${kind}, not a regular file`);
    this.name = "NotRegularFileError";
  }
}

/**
 * The whole text of a regular file, or null when it does not exist (ENOENT, or ENOTDIR for
 * a path through a file). Results files, journal records, notebooks: no size cap, but a
 * FIFO, a device (a link to /dev/zero) or a directory is refused at once, before a byte is
 * read; readFileSync would block on the FIFO, or read /dev/zero until memory ran out.
 * @throws NotRegularFileError; other errno errors as thrown by open(2) and read(2).
 */
export function readRegularText(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK); // a FIFO's open returns at once
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotRegularFileError(path, fileKind(st));
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}
