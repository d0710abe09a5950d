/**
 * What `pinsim calibrate` reads about the machine before and after probing: the kernel
 * release, CONFIG_HZ where the kernel says it, the writeback sysctls, the filesystem under
 * the results folder, and what each part needs (root, /proc/kpageflags, io_uring).
 * Reads only; it changes no sysctl, drops no caches and mounts nothing.
 */
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { loadavg, release, version, machine, platform } from "node:os";
import { resolve } from "node:path";
import { gunzipSync } from "node:zlib";

/** The three questions, in the order they run. */
export const PARTS = ["clean-delay", "detector", "longterm"] as const;
/** One question `pinsim calibrate` asks the kernel, each answered by the probe of that name (calibrate/<part>.c). */
export type Part = (typeof PARTS)[number];
/** The lab's own questions, asked only inside a guest (`pinsim calibrate --kernel SPEC` other than host). */
export const LAB_PARTS = ["reclaim-writes", "reclaim-guard", "race"] as const;
/** One of LAB_PARTS. */
export type LabPart = (typeof LAB_PARTS)[number];

/** Sysctls read at the start and at the end (and never written). */
export const SYSCTLS = [
  "vm/dirty_expire_centisecs",
  "vm/dirty_writeback_centisecs",
  "vm/dirty_background_ratio",
  "vm/dirty_ratio",
  "vm/dirty_background_bytes",
  "vm/dirty_bytes",
  "vm/dirtytime_expire_seconds",
  "kernel/io_uring_disabled",
] as const;

/** statfs f_type magics (include/uapi/linux/magic.h) of filesystems we name. */
export const FS_MAGIC: Record<number, string> = {
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x01021994: "tmpfs",
  0x958458f6: "hugetlbfs",
  0x6969: "nfs",
  0x794c7630: "overlayfs",
  0xf2f52010: "f2fs",
  0x2fc12fc1: "zfs",
  0x65735546: "fuse",
};

/** CONFIG_HZ as the kernel reports it: it sets the jiffy the flusher's timer rounds to. */
export interface HzInfo {
  /** CONFIG_HZ, or null where the kernel does not say (then inferred from the period). */
  value: number | null;
  /** Where it came from: "/proc/config.gz", "/boot/config-<release>", or null. */
  source: string | null;
}

/** The filesystem under a folder (the results folder: the probes' files live there). */
export interface FilesystemInfo {
  /** Name from the statfs magic, or "unknown". */
  type: string;
  /** statfs f_type, hex. */
  magic: string;
  /** Mount point from /proc/self/mountinfo (the longest one holding the folder); null without mountinfo. */
  mountPoint: string | null;
  /** The mount's source (a device, or "tmpfs", …) from the same line; null without mountinfo. */
  source: string | null;
  /** The mount options then the superblock options, comma-separated; null without mountinfo. */
  options: string | null;
}

/** The machine as `pinsim calibrate` sees it before probing (readEnvironment). */
export interface Environment {
  /** `os.platform()`: "linux" where the probes can run. */
  platform: string;
  /** `uname -r`, e.g. "6.18.0-1-amd64": picks the model's kernel preset. */
  kernelRelease: string;
  /** `uname -v` (build number and date). */
  kernelVersion: string;
  /** `uname -m`, e.g. "x86_64". */
  machine: string;
  /** Whether the process runs as uid 0 (PFNs and /proc/kpageflags need it). */
  root: boolean;
  /** Whether /proc/kpageflags exists (CONFIG_PROC_PAGE_MONITOR). */
  kpageflags: boolean;
  /** Whether /proc/self/pagemap exists. */
  pagemap: boolean;
  /** /proc/sys/kernel/io_uring_disabled: 0 enabled, 1 root only (or group), 2 disabled; null if absent. */
  ioUringDisabled: number | null;
  /** CONFIG_HZ and where it was read. */
  hz: HzInfo;
  /** /sys/kernel/mm/transparent_hugepage/enabled, the selected word. */
  thp: string | null;
  /** Online CPUs counted in /proc/cpuinfo (0 where it cannot be read). */
  cpus: number;
  /**
   * The 1, 5 and 15 minute load averages when the machine was read (/proc/loadavg through
   * os.loadavg()); null off Linux. Above the CPUs, the flusher's worker can run late.
   */
  loadAverage?: number[] | null;
}

function readOr(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** CONFIG_HZ from the kernel's own config, where it is exported. */
export function readHz(kernelRelease: string): HzInfo {
  const fromText = (text: string, source: string): HzInfo | null => {
    const m = /^CONFIG_HZ=(\d+)$/m.exec(text);
    return m ? { value: Number(m[1]), source } : null;
  };
  try {
    const gz = readFileSync("/proc/config.gz");
    const hit = fromText(gunzipSync(gz).toString("utf8"), "/proc/config.gz");
    if (hit) return hit;
  } catch {
    /* not built with IKCONFIG_PROC */
  }
  const boot = `/boot/config-${kernelRelease}`;
  const text = readOr(boot);
  if (text) {
    const hit = fromText(text, boot);
    if (hit) return hit;
  }
  return { value: null, source: null };
}

/** Every sysctl of SYSCTLS as a number (null where absent). */
export function readSysctls(): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const s of SYSCTLS) {
    const t = readOr(`/proc/sys/${s}`);
    const n = t === null ? NaN : Number(t.trim());
    out[s.replace("/", ".")] = Number.isFinite(n) ? n : null;
  }
  return out;
}

/** The filesystem holding `dir`: statfs magic and its mountinfo line. */
export function readFilesystem(dir: string): FilesystemInfo {
  const magic = statfsSync(dir).type;
  const info: FilesystemInfo = {
    type: FS_MAGIC[magic] ?? "unknown",
    magic: `0x${magic.toString(16)}`,
    mountPoint: null,
    source: null,
    options: null,
  };
  const mi = readOr("/proc/self/mountinfo");
  if (mi) {
    const abs = resolve(dir);
    let best = -1;
    for (const line of mi.split("\n")) {
      // id parent major:minor root mountpoint options ... - fstype source superoptions
      const f = line.split(" ");
      const dash = f.indexOf("-");
      if (f.length < 7 || dash < 0) continue;
      const mp = f[4].replace(/\\040/g, " ");
      const inside = abs === mp || abs.startsWith(mp.endsWith("/") ? mp : `${mp}/`);
      if (inside && mp.length > best) {
        best = mp.length;
        info.mountPoint = mp;
        info.source = f[dash + 2] ?? null;
        info.options = `${f[5]}${f[dash + 3] ? `,${f[dash + 3]}` : ""}`;
        if (info.type === "unknown" && f[dash + 1]) info.type = f[dash + 1];
      }
    }
  }
  return info;
}

/** The 1, 5 and 15 minute load averages now (os.loadavg(), from /proc/loadavg), rounded to 0.01; null off Linux. */
export function readLoadAverage(): number[] | null {
  return platform() === "linux" ? loadavg().map((x) => Math.round(x * 100) / 100) : null;
}

/** The machine now: uname, uid, which /proc files exist, io_uring_disabled, CONFIG_HZ, THP mode, load average. Reads only; never throws. */
export function readEnvironment(): Environment {
  const kernelRelease = release();
  const linux = platform() === "linux";
  const dis = linux ? readOr("/proc/sys/kernel/io_uring_disabled") : null;
  const thpText = linux ? readOr("/sys/kernel/mm/transparent_hugepage/enabled") : null;
  return {
    platform: platform(),
    kernelRelease,
    kernelVersion: version(),
    machine: machine(),
    root: typeof process.getuid === "function" && process.getuid() === 0,
    kpageflags: linux && existsSync("/proc/kpageflags"),
    pagemap: linux && existsSync("/proc/self/pagemap"),
    ioUringDisabled: dis === null ? null : Number(dis.trim()),
    hz: linux ? readHz(kernelRelease) : { value: null, source: null },
    thp: thpText ? (/\[(\w+)\]/.exec(thpText)?.[1] ?? null) : null,
    loadAverage: readLoadAverage(),
    cpus: (() => {
      try {
        return readFileSync("/proc/cpuinfo", "utf8")
          .split("\n")
          .filter((l) => l.startsWith("processor")).length;
      } catch {
        return 0;
      }
    })(),
  };
}

/**
 * What each part lacks on this machine (empty: it can run). Clean delay needs root and
 * /proc/kpageflags (PFNs read as 0 without CAP_SYS_ADMIN); the detector needs the same
 * (PFNs, the LRU bit); long-term pins need io_uring and kpageflags (V10's dirty bit).
 */
export function missingRequirements(env: Environment): Record<Part, string[]> {
  const base: string[] = [];
  if (env.platform !== "linux") base.push(`a Linux kernel (this is ${env.platform})`);
  else {
    if (!env.root)
      base.push("root (PFNs in /proc/self/pagemap read as 0 without CAP_SYS_ADMIN; /proc/kpageflags is root-only)");
    if (!env.kpageflags) base.push("/proc/kpageflags (CONFIG_PROC_PAGE_MONITOR)");
  }
  const lt = [...base];
  if (
    env.platform === "linux" &&
    env.ioUringDisabled !== null &&
    env.ioUringDisabled !== 0 &&
    !(env.ioUringDisabled === 1 && env.root)
  )
    lt.push(`io_uring (/proc/sys/kernel/io_uring_disabled = ${env.ioUringDisabled})`);
  return { "clean-delay": [...base], detector: [...base], longterm: lt };
}
