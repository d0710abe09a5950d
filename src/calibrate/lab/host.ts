/**
 * What a lab run builds on the host: the probes linked with `cc -static` (the guest has no
 * libc), busybox-static, and one raw disk image per filesystem made with the filesystem's
 * own mkfs on an image file (no loop device, no mount on the host).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheRoot, compilerVersion, ensureCacheDir, firstCompilerError, probeSources } from "../build.js";
import { CalibrateUnavailableError, ProbeError } from "../errors.js";

/** The probes a guest runs (calibrate/<name>.c), the host's three and the lab's own. */
export const LAB_PROBES = ["clean-delay", "detector", "longterm", "reclaim", "pinned"] as const;
/** One of LAB_PROBES. */
export type LabProbe = (typeof LAB_PROBES)[number];

/** Static probes as built: their folder, the sources' hash and the compiler. */
export interface StaticProbes {
  /** Folder holding one binary per LAB_PROBES name. */
  binDir: string;
  /** SHA-256 over calibrate/*.c and *.h (build.ts probeSources). */
  sourceHash: string;
  /** Each source's SHA-256. */
  sourceFiles: Record<string, string>;
  /** `cc --version`'s first line. */
  compiler: string;
}

/**
 * Link every lab probe with `cc -O2 -Wall -static` into `<cache>/lab/probes/<key>/`, once per
 * source hash and compiler. Throws CalibrateUnavailableError without a compiler or a static
 * libc (libc6-dev), ProbeError on a compile error.
 */
export function buildStaticProbes(cacheDir = cacheRoot(), cc = process.env.CC || "cc"): StaticProbes {
  const src = probeSources();
  const compiler = compilerVersion(cc);
  if (!compiler) throw new CalibrateUnavailableError(`no C compiler: '${cc}' not found (install gcc libc6-dev)`);
  const key = createHash("sha256").update(src.hash).update(compiler).update("static").digest("hex").slice(0, 16);
  const binDir = join(cacheDir, "lab", "probes", key);
  ensureCacheDir(cacheDir, "lab", "probes", key);
  for (const p of LAB_PROBES) {
    const out = join(binDir, p);
    if (existsSync(out)) continue;
    const tmp = `${out}.tmp-${process.pid}`;
    const r = spawnSync(cc, ["-O2", "-Wall", "-std=gnu11", "-static", "-pthread", "-o", tmp, join(src.dir, `${p}.c`)], {
      encoding: "utf8",
      timeout: 120000,
    });
    if (r.error || r.status !== 0) {
      rmSync(tmp, { force: true });
      const why = r.error ? r.error.message : firstCompilerError(r.stderr ?? "", src.dir);
      if (/cannot find -lc\b/.test(why))
        throw new CalibrateUnavailableError(`cannot link the probes statically: no static libc (install libc6-dev)`);
      throw new ProbeError(`probe ${p} did not compile: ${why}`);
    }
    renameSync(tmp, out);
  }
  return { binDir, sourceHash: src.hash, sourceFiles: src.files, compiler };
}

/** Whether an ELF file has no PT_INTERP program header (it needs no dynamic loader). */
export function isStaticElf(buf: Buffer): boolean {
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) return false;
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) return false;
    if (buf.readUInt32LE(off) === 3) return false; // PT_INTERP
  }
  return true;
}

/** busybox-static's binary (Debian puts it at /bin/busybox), checked static; else CalibrateUnavailableError naming the package. */
export function findBusybox(candidates = ["/bin/busybox", "/usr/bin/busybox"]): Buffer {
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const b = readFileSync(c);
    if (isStaticElf(b)) return b;
  }
  throw new CalibrateUnavailableError(
    "cannot build the guest: no static busybox (install busybox-static: apt-get install --no-install-recommends busybox-static)",
  );
}

/** mkfs command and package per filesystem the lab formats. */
export const MKFS: Record<string, { cmd: string; args: string[]; pkg: string }> = {
  ext4: {
    cmd: "mke2fs",
    args: ["-q", "-F", "-t", "ext4", "-E", "lazy_itable_init=0,lazy_journal_init=0"],
    pkg: "e2fsprogs",
  },
  xfs: { cmd: "mkfs.xfs", args: ["-q", "-f"], pkg: "xfsprogs" },
  btrfs: { cmd: "mkfs.btrfs", args: ["-q", "-f"], pkg: "btrfs-progs" },
};

/** The byte a raw disk (the dm-delay device's backing) is filled with: what the O_DIRECT read brings (calibrate/pinned.c). */
export const RAW_DISK_BYTE = 0xa5;

/**
 * An image of `mib` MiB at `path`, formatted as `fs` ("raw": every byte RAW_DISK_BYTE, so
 * a read from it is told apart from the files' own bytes). Returns
 * null on success, else why not ("mkfs.xfs not found (install xfsprogs)").
 */
export function makeDisk(path: string, fs: string, mib: number): string | null {
  if (fs === "raw") {
    writeFileSync(path, Buffer.alloc(mib * 1024 * 1024, RAW_DISK_BYTE));
    return null;
  }
  writeFileSync(path, "");
  truncateSync(path, mib * 1024 * 1024);
  const m = MKFS[fs];
  if (!m) return `no mkfs known for ${fs}`;
  const r = spawnSync(m.cmd, [...m.args, path], { encoding: "utf8", timeout: 120000 });
  if (r.error) return `${m.cmd} not found (install ${m.pkg})`;
  if (r.status !== 0) return `${m.cmd} failed: ${(r.stderr || r.stdout).trim().split("\n")[0]}`;
  return null;
}
