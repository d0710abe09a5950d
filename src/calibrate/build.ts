/**
 * Builds the C probes of calibrate/ with the system's `cc` into a cache folder, once per
 * source hash. A compile error becomes one line: the compiler's first error.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureOutputDir } from "../out-dir.js";
import { CalibrateUnavailableError, ProbeError } from "./errors.js";

/** The probes, one per question (calibrate/<name>.c). */
export const PROBES = ["clean-delay", "detector", "longterm"] as const;
/** One of PROBES: a probe's name, its source calibrate/NAME.c and its binary NAME. */
export type ProbeName = (typeof PROBES)[number];

/** calibrate/ at the package root (two levels above src/calibrate or dist/calibrate). */
export function probeSourceDir(): string {
  return fileURLToPath(new URL("../../calibrate/", import.meta.url));
}

/** The probes' sources as found (probeSources): their folder, one hash over all, one per file. */
export interface ProbeSources {
  /** The folder read (calibrate/ by default). */
  dir: string;
  /** sha256 of every calibrate/*.c and *.h, name and content, in name order. */
  hash: string;
  /** sha256 hex of each file's content, by file name. */
  files: Record<string, string>;
}

/**
 * Hash the probes' sources: every *.c and *.h in `dir` (default probeSourceDir()), in name
 * order. Throws the fs error (ENOENT) when `dir` is missing.
 */
export function probeSources(dir = probeSourceDir()): ProbeSources {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(".c") || n.endsWith(".h"))
    .sort();
  const all = createHash("sha256");
  const files: Record<string, string> = {};
  for (const n of names) {
    const text = readFileSync(join(dir, n));
    files[n] = createHash("sha256").update(text).digest("hex");
    all.update(`${n}\0${text.length}\0`).update(text);
  }
  return { dir, hash: all.digest("hex"), files };
}

/** The cache folder: $PINSIM_CACHE_DIR, else $XDG_CACHE_HOME/pinsim, else ~/.cache/pinsim. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PINSIM_CACHE_DIR) return env.PINSIM_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "pinsim");
}

/**
 * Create `<root>/<sub...>` in the cache folder `root` (cacheRoot()) and return it. Never a
 * recursive mkdir (it loops forever on /proc in Node 20): ensureOutputDir, level by level.
 * @throws InputError `invalid cache directory: "ROOT" (allowed: ...; WHY)` for a root that is a
 * file or device (`/etc/passwd`, `/dev/null`) or cannot be created (`/proc/x`): exit 2.
 */
export function ensureCacheDir(root: string, ...sub: string[]): string {
  const field = "cache directory ($PINSIM_CACHE_DIR, else $XDG_CACHE_HOME/pinsim, else ~/.cache/pinsim)";
  ensureOutputDir(root, { field, probe: false });
  return ensureOutputDir(join(root, ...sub), { field });
}

/** `cc --version`'s first line, or null without a compiler. */
export function compilerVersion(cc = process.env.CC || "cc"): string | null {
  try {
    return execFileSync(cc, ["--version"], { stdio: ["ignore", "pipe", "ignore"], timeout: 10000 })
      .toString()
      .split("\n")[0]
      .trim();
  } catch {
    return null;
  }
}

/** The first "error:" line of a compiler's output (else its first line), without the path prefix. */
export function firstCompilerError(stderr: string, srcDir: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const line = lines.find((l) => /\berror\b/.test(l)) ?? lines[0] ?? "(no output)";
  return line.split(srcDir).join("calibrate/");
}

/** The compiled probes (buildProbes): where they are and what they were built from. */
export interface BuiltProbes {
  /** The cache folder holding the binaries. */
  binDir: string;
  /** ProbeSources.hash of the sources compiled. */
  sourceHash: string;
  /** ProbeSources.files: sha256 per source file. */
  sourceFiles: Record<string, string>;
  /** The compiler's `--version` first line. */
  compiler: string;
  /** Each probe's binary. */
  paths: Record<ProbeName, string>;
  /** Whether this call compiled them (false: found in the cache). */
  compiled: boolean;
}

/**
 * Compile every probe (cc -O2 -Wall -std=gnu11) into `<cache>/calibrate/<hash16>/` (the
 * first 16 hex digits of sha256 over the sources' hash and the compiler's version), unless already
 * there. Throws CalibrateUnavailableError without a compiler, ProbeError on a compile error,
 * InputError for a cache folder that cannot be created (ensureCacheDir).
 */
export function buildProbes(opts: { cacheDir?: string; srcDir?: string; cc?: string } = {}): BuiltProbes {
  const cc = opts.cc ?? (process.env.CC || "cc");
  const src = probeSources(opts.srcDir);
  const compiler = compilerVersion(cc);
  if (!compiler)
    throw new CalibrateUnavailableError(
      `no C compiler: '${cc}' not found (install gcc or set CC); the probes are built at run time`,
    );
  const key = createHash("sha256").update(src.hash).update(compiler).digest("hex").slice(0, 16);
  const root = opts.cacheDir ?? cacheRoot();
  const binDir = join(root, "calibrate", key);
  const paths = Object.fromEntries(PROBES.map((p) => [p, join(binDir, p)])) as Record<ProbeName, string>;
  const have = PROBES.every((p) => existsSync(paths[p]));
  if (!have) {
    ensureCacheDir(root, "calibrate", key);
    for (const p of PROBES) {
      const tmp = `${paths[p]}.tmp-${process.pid}`;
      const r = spawnSync(cc, ["-O2", "-Wall", "-std=gnu11", "-o", tmp, join(src.dir, `${p}.c`)], {
        encoding: "utf8",
        timeout: 120000,
      });
      if (r.error || r.status !== 0) {
        rmSync(tmp, { force: true });
        const why = r.error
          ? r.error.message
          : firstCompilerError(r.stderr ?? "", src.dir.endsWith("/") ? src.dir : `${src.dir}/`);
        throw new ProbeError(`probe ${p} did not compile: ${why}`);
      }
      renameSync(tmp, paths[p]);
    }
  }
  return { binDir, sourceHash: src.hash, sourceFiles: src.files, compiler, paths, compiled: !have };
}
