/**
 * A cpio archive in the "newc" format, the one the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst; init/initramfs.c): each
 * entry a 110-byte ASCII header ("070701" and 13 eight-digit hex fields), its NUL-ended
 * name and its data, each padded to 4 bytes; "TRAILER!!!" last. Written here rather than
 * by the `cpio` command so a lab run needs one package less and the bytes are the same on
 * every machine (mtime 0, uid and gid 0, inodes numbered in order).
 */

/** One entry of the archive: a folder, a regular file, a symbolic link or a character device. */
export type CpioEntry =
  | { type: "dir"; path: string; mode?: number }
  | { type: "file"; path: string; data: Buffer; mode?: number }
  | { type: "symlink"; path: string; target: string }
  | { type: "chardev"; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const pad4 = (n: number) => (4 - (n % 4)) % 4;
const hex8 = (n: number) => n.toString(16).padStart(8, "0");

function header(ino: number, mode: number, size: number, nameSize: number, rdev: [number, number]): string {
  // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
  const nlink = (mode & 0o170000) === S_IFDIR ? 2 : 1;
  return ["070701", hex8(ino), hex8(mode), hex8(0), hex8(0), hex8(nlink), hex8(0), hex8(size)]
    .concat([hex8(0), hex8(0), hex8(rdev[0]), hex8(rdev[1]), hex8(nameSize), hex8(0)])
    .join("");
}

function record(ino: number, name: string, mode: number, data: Buffer, rdev: [number, number] = [0, 0]): Buffer {
  const nameBuf = Buffer.from(`${name}\0`, "utf8");
  const head = Buffer.from(header(ino, mode, data.length, nameBuf.length, rdev), "latin1");
  return Buffer.concat([
    head,
    nameBuf,
    Buffer.alloc(pad4(head.length + nameBuf.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ]);
}

/** The mode word of an entry (type bits and permissions). */
export function entryMode(e: CpioEntry): number {
  if (e.type === "dir") return S_IFDIR | (e.mode ?? 0o755);
  if (e.type === "file") return S_IFREG | (e.mode ?? 0o644);
  if (e.type === "symlink") return S_IFLNK | 0o777;
  return S_IFCHR | (e.mode ?? 0o600);
}

/**
 * The newc archive of `entries`, in the order given (a folder must come before what it
 * holds), paths without a leading slash. Same entries, same bytes.
 */
export function cpioNewc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  entries.forEach((e, i) => {
    const name = e.path.replace(/^\/+/, "");
    const ino = i + 1;
    if (e.type === "file") parts.push(record(ino, name, entryMode(e), e.data));
    else if (e.type === "symlink") parts.push(record(ino, name, entryMode(e), Buffer.from(e.target, "utf8")));
    else if (e.type === "chardev") parts.push(record(ino, name, entryMode(e), Buffer.alloc(0), [e.major, e.minor]));
    else parts.push(record(ino, name, entryMode(e), Buffer.alloc(0)));
  });
  parts.push(record(0, "TRAILER!!!", 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** One entry of a newc archive as read back (parseCpioNewc), for tests and checks. */
export interface CpioRead {
  /** Name as stored (no leading slash). */
  path: string;
  /** Mode word. */
  mode: number;
  /** Data bytes (a link's target for a symlink). */
  data: Buffer;
}

/** Read a newc archive back, up to its trailer. Throws Error on a bad magic. */
export function parseCpioNewc(buf: Buffer): CpioRead[] {
  const out: CpioRead[] = [];
  let off = 0;
  for (;;) {
    const magic = buf.toString("latin1", off, off + 6);
    if (magic !== "070701") throw new Error(`bad cpio magic at ${off}: ${JSON.stringify(magic)}`);
    const field = (k: number) => Number.parseInt(buf.toString("latin1", off + 6 + 8 * k, off + 14 + 8 * k), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const nameEnd = off + 110 + nameSize;
    const path = buf.toString("utf8", off + 110, nameEnd - 1);
    const dataStart = nameEnd + pad4(110 + nameSize);
    if (path === "TRAILER!!!") return out;
    out.push({ path, mode, data: buf.subarray(dataStart, dataStart + size) });
    off = dataStart + size + pad4(size);
  }
}
