/**
 * `--kernel SPEC` of `pinsim calibrate`: which kernel the lab boots. `host` (the running
 * kernel, no guest), `debian:6.1` / `debian:6.12` (Debian's signed amd64 image, fetched once
 * with `apt-get download` into the cache folder and unpacked with `dpkg-deb -x`, never
 * installed), or a path to a bzImage/vmlinuz (with `--modules DIR` when its drivers are
 * modules). Also reads a bzImage's release string from its setup header.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureCacheDir } from "../build.js";
import { CalibrateInputError, CalibrateUnavailableError } from "../errors.js";

/** The Debian series `--kernel debian:X` accepts, with the package names they match. */
export const DEBIAN_SERIES = {
  /** Debian 12's own kernel: linux-image-6.1.0-ABI-amd64. */
  "6.1": /^linux-image-6\.1\.0-(\d+)-amd64$/,
  /** Debian 12's 6.12 backport: linux-image-6.12.PATCH+deb12-amd64. */
  "6.12": /^linux-image-6\.12\.(\d+)\+deb12-amd64$/,
} as const;
/** A key of DEBIAN_SERIES. */
export type DebianSeries = keyof typeof DEBIAN_SERIES;

/** A parsed `--kernel` value. */
export type KernelSpec =
  | {
      /** The running kernel: no guest. */
      kind: "host";
    }
  | {
      /** A Debian image fetched with apt. */
      kind: "debian";
      /** Which series (DEBIAN_SERIES). */
      series: DebianSeries;
    }
  | {
      /** A bzImage on disk. */
      kind: "path";
      /** Absolute path of the image. */
      path: string;
      /** Absolute path of its lib/modules/RELEASE tree, or null (drivers built in). */
      modules: string | null;
    };

/** What the lab boots: the image, its modules tree and its release. */
export interface KernelImage {
  /** The SPEC as given (`debian:6.1`, a path). */
  spec: string;
  /** Absolute path of the bzImage. */
  vmlinuz: string;
  /** The release string in the image's header, e.g. "6.1.0-57-amd64" (what `uname -r` says in the guest). */
  release: string;
  /** A `lib/modules/RELEASE` folder, or null (every driver built in). */
  modulesDir: string | null;
  /** The kernel's config text (`boot/config-RELEASE` beside it), or null. */
  config: string | null;
  /** Where it came from: the Debian package and version, or "path". */
  source: string;
}

/**
 * Parse `--kernel SPEC` (and `--modules DIR`, only with a path). Throws CalibrateInputError,
 * one line naming the value and what is allowed, for an unknown `debian:` series, a path
 * that does not exist, or `--modules` with host/debian.
 */
export function parseKernelSpec(spec: string, modules: string | null = null): KernelSpec {
  const allowed = `host, ${Object.keys(DEBIAN_SERIES)
    .map((s) => `debian:${s}`)
    .join(", ")}, or a path to a bzImage`;
  if (spec === "host" || spec.startsWith("debian:")) {
    if (modules !== null)
      throw new CalibrateInputError(`invalid --modules: only with --kernel PATH (got --kernel ${spec})`);
    if (spec === "host") return { kind: "host" };
    const series = spec.slice("debian:".length);
    if (!(series in DEBIAN_SERIES)) throw new CalibrateInputError(`invalid --kernel: ${spec} (allowed: ${allowed})`);
    return { kind: "debian", series: series as DebianSeries };
  }
  const st = statSync(spec, { throwIfNoEntry: false });
  if (!st?.isFile()) {
    const why = !st ? "names no known package or file" : st.isDirectory() ? "is a directory" : "is not a regular file";
    throw new CalibrateInputError(`invalid --kernel: ${JSON.stringify(spec)} ${why} (allowed: ${allowed})`);
  }
  if (modules !== null && (!existsSync(modules) || !statSync(modules).isDirectory()))
    throw new CalibrateInputError(
      `invalid --modules: ${modules} is not a folder (allowed: a lib/modules/RELEASE tree)`,
    );
  return { kind: "path", path: resolve(spec), modules: modules === null ? null : resolve(modules) };
}

/**
 * The release string of an x86 bzImage (Documentation/arch/x86/boot.rst): "HdrS" at 0x202,
 * the kernel_version pointer at 0x20E (offset from 0x200 into the setup code), a NUL-ended
 * string whose first word is the release. Null if `buf` is not a bzImage.
 */
export function bzImageRelease(buf: Buffer): string | null {
  if (buf.length < 0x210 || buf.toString("latin1", 0x202, 0x206) !== "HdrS") return null;
  const ptr = buf.readUInt16LE(0x20e);
  if (ptr === 0 || ptr + 0x200 >= buf.length) return null;
  const start = ptr + 0x200;
  const end = buf.indexOf(0, start);
  const text = buf.toString("latin1", start, end < 0 ? Math.min(buf.length, start + 256) : end);
  const release = text.split(" ")[0];
  return /^\d+\.\d+/.test(release) ? release : null;
}

/** Read a path's release; throws CalibrateInputError for a file that is not an x86 bzImage. */
export function imageRelease(path: string): string {
  const head = readFileSync(path).subarray(0, 64 * 1024);
  const r = bzImageRelease(head);
  if (!r)
    throw new CalibrateInputError(
      `invalid --kernel: ${path} is not a kernel image (no bzImage setup header "HdrS" at 0x202; allowed: an x86 bzImage/vmlinuz)`,
    );
  return r;
}

/** The newest package name of `series` among `names` (apt-cache's list), by its ABI/patch number; null if none. */
export function newestPackage(names: string[], series: DebianSeries): string | null {
  const re = DEBIAN_SERIES[series];
  const hits = names.flatMap((n) => {
    const m = re.exec(n.trim());
    return m ? [{ n: n.trim(), v: Number(m[1]) }] : [];
  });
  hits.sort((a, b) => b.v - a.v);
  return hits[0]?.n ?? null;
}

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 600_000 });
  if (r.error)
    throw new CalibrateUnavailableError(
      `cannot fetch the kernel: ${cmd} did not run (${r.error.message}); install apt and dpkg`,
    );
  if (r.status !== 0)
    throw new CalibrateUnavailableError(
      `cannot fetch the kernel: ${cmd} ${args.join(" ")} failed: ${(r.stderr || r.stdout).trim().split("\n").pop()}`,
    );
  return r.stdout;
}

/** The image already unpacked under `dir` (boot/vmlinuz-*), or null. */
function unpacked(dir: string, spec: string, source: string): KernelImage | null {
  const boot = join(dir, "boot");
  if (!existsSync(boot)) return null;
  const vm = readdirSync(boot).find((n) => n.startsWith("vmlinuz-"));
  if (!vm) return null;
  const release = vm.slice("vmlinuz-".length);
  const mods = join(dir, "lib", "modules", release);
  const cfg = join(boot, `config-${release}`);
  return {
    spec,
    vmlinuz: join(boot, vm),
    release,
    modulesDir: existsSync(mods) ? mods : null,
    config: existsSync(cfg) ? readFileSync(cfg, "utf8") : null,
    source,
  };
}

/**
 * Debian's image of `series`: the newest package apt-cache knows, downloaded once into
 * `<cacheDir>/lab/debian/<package>/` and unpacked there (write to a temporary folder, then
 * rename). Throws CalibrateUnavailableError when apt cannot find or fetch it.
 */
export function fetchDebianKernel(series: DebianSeries, cacheDir: string): KernelImage {
  const spec = `debian:${series}`;
  const base = ensureCacheDir(cacheDir, "lab", "debian");
  const names = run("apt-cache", ["search", "--names-only", `^linux-image-${series.replace(".", "\\.")}`])
    .split("\n")
    .map((l) => l.split(" - ")[0]);
  const pkg = newestPackage(names, series);
  if (!pkg)
    throw new CalibrateUnavailableError(
      `cannot fetch ${spec}: apt-cache knows no package like ${DEBIAN_SERIES[series].source} (run apt-get update; Debian 12 has both)`,
    );
  const dir = join(base, pkg);
  const have = unpacked(dir, spec, pkg);
  if (have) return have;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    run("apt-get", ["download", "-q", pkg], tmp);
    const deb = readdirSync(tmp).find((n) => n.endsWith(".deb"));
    if (!deb) throw new CalibrateUnavailableError(`cannot fetch ${spec}: apt-get download ${pkg} left no .deb`);
    run("dpkg-deb", ["-x", deb, "."], tmp);
    rmSync(join(tmp, deb));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const img = unpacked(dir, spec, `${pkg}`);
  if (!img) throw new CalibrateUnavailableError(`cannot use ${spec}: ${pkg} holds no boot/vmlinuz-*`);
  return img;
}

/** A path SPEC as a KernelImage: its release from the header; the config from `--modules`'s tree or beside the image. */
export function pathKernel(spec: { path: string; modules: string | null }): KernelImage {
  const release = imageRelease(spec.path);
  const cands = [join(spec.path, "..", `config-${release}`), join(spec.path, "..", ".config")];
  const cfg = cands.find((c) => existsSync(c));
  return {
    spec: spec.path,
    vmlinuz: spec.path,
    release,
    modulesDir: spec.modules,
    config: cfg ? readFileSync(cfg, "utf8") : null,
    source: "path",
  };
}

/** CONFIG_HZ from a config text, or null. */
export function configHz(config: string | null): number | null {
  const m = config ? /^CONFIG_HZ=(\d+)$/m.exec(config) : null;
  return m ? Number(m[1]) : null;
}
