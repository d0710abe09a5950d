/**
 * Which modules, disks and probe steps a lab guest gets, from the parts asked, the
 * filesystems the image can mount and the run's settings (calibrationConfig plus the lab's
 * own). Pure: the same inputs give the same plan.
 */
import type { LabPart, Part } from "../environment.js";
import type { CalibrationConfig } from "../store.js";
import type { GuestDisk, GuestPlan, GuestStep } from "./guest.js";

/** The filesystems a lab guest formats, in disk order. */
export const LAB_FILESYSTEMS = ["ext4", "xfs", "btrfs"] as const;

/** Modules every guest needs (the disks and the results port), and per filesystem. */
export const LAB_MODULES = {
  base: ["virtio_pci", "virtio_blk", "virtio_console"],
  // ext4's and btrfs's checksums ask the crypto API for "crc32c" (libcrc32c's softdep): load the generic one.
  ext4: ["crc32c_generic", "ext4"],
  xfs: ["xfs"],
  btrfs: ["crc32c_generic", "btrfs"],
} as const;

/** Settings of the lab's own probes (calibrate/reclaim.c). */
export interface LabConfig {
  /** calibrate/reclaim.c in `memcg` mode: MiB written, the cgroup's memory.max in MiB. */
  reclaimMemcg: {
    /** MiB written. */
    mib: number;
    /** The cgroup's memory.max, MiB. */
    limitMib: number;
  };
  /** calibrate/reclaim.c in `kswapd` mode: MiB of dirty data, seconds the anonymous filler holds memory. */
  reclaimKswapd: {
    /** MiB of dirty data. */
    mib: number;
    /** Seconds the anonymous filler holds its memory. */
    hold: number;
  };
  /** Guest memory (MiB) and vCPUs. */
  guest: {
    /** Guest memory, MiB. */
    memory: number;
    /** vCPUs. */
    cpus: number;
  };
}

/** The lab's settings for --quick and the full run (the same: each probe takes seconds). */
export function labConfig(_quick: boolean): LabConfig {
  return {
    reclaimMemcg: { mib: 96, limitMib: 32 },
    reclaimKswapd: { mib: 300, hold: 2 },
    guest: { memory: 1024, cpus: 2 },
  };
}

/** The kernel's writeback defaults (mm/page-writeback.c dirty_expire_interval 30 s, dirty_writeback_interval 5 s), set in the guest so E and W are known. */
export const GUEST_WRITEBACK = { "vm/dirty_expire_centisecs": "3000", "vm/dirty_writeback_centisecs": "500" };

/** The disks for the filesystems the guest can mount, /dev/vda onwards. */
export function labDisks(filesystems: string[]): GuestDisk[] {
  return filesystems.map((fs, i) => ({ fs, device: `/dev/vd${String.fromCharCode(97 + i)}`, mount: `/mnt/${fs}` }));
}

/** The steps of one part over the filesystems (detector: once, on the first). */
function partSteps(part: Part | LabPart, fss: string[], cfg: CalibrationConfig, lab: LabConfig): GuestStep[] {
  const c = cfg.cleanDelay;
  const d = cfg.detector;
  const E = 30;
  const W = 5;
  if (part === "clean-delay")
    return fss.map((fs) => ({
      id: `clean-delay:${fs}`,
      part,
      fs,
      // The seventh argument: wait E + W + 5 s so the flusher writes the journalled inode first (clean-delay.c).
      argv: [
        "clean-delay",
        `/mnt/${fs}`,
        ...[c.trials, c.stagger, c.second, c.pollMs, Math.ceil(E + 2 * W + 30), E + W + 5].map(String),
      ],
      group: "clean-delay",
    }));
  if (part === "detector")
    return fss.slice(0, 1).map((fs) => ({
      id: "detector",
      part,
      fs: null,
      argv: ["detector", `/mnt/${fs}`, ...[d.klo, d.khi, d.reps, d.nopinK, d.thpK].map(String)],
    }));
  if (part === "longterm")
    return fss.map((fs) => ({
      id: `longterm:${fs}`,
      part,
      fs,
      argv: ["longterm", `/mnt/${fs}`, String(cfg.longterm.settle)],
    }));
  if (part === "reclaim-writes")
    return fss.flatMap((fs): GuestStep[] => [
      {
        id: `reclaim-memcg:${fs}`,
        part,
        fs,
        argv: ["reclaim", `/mnt/${fs}`, "memcg", String(lab.reclaimMemcg.mib), String(lab.reclaimMemcg.limitMib), "0"],
        sysctls: { "vm/dirty_writeback_centisecs": "0" },
      },
      {
        id: `reclaim-kswapd:${fs}`,
        part,
        fs,
        argv: ["reclaim", `/mnt/${fs}`, "kswapd", String(lab.reclaimKswapd.mib), "0", String(lab.reclaimKswapd.hold)],
        sysctls: { "vm/dirty_writeback_centisecs": "0", "vm/dirty_background_ratio": "50", "vm/dirty_ratio": "60" },
      },
    ]);
  return [];
}

/** The guest's plan: modules to load, disks, and the steps of every part asked, in part order. */
export function labPlan(o: {
  parts: (Part | LabPart)[];
  filesystems: string[];
  modules: string[];
  cfg: CalibrationConfig;
  lab: LabConfig;
}): GuestPlan {
  const steps = o.parts.flatMap((p) => partSteps(p, o.filesystems, o.cfg, o.lab));
  return { modules: o.modules, disks: labDisks(o.filesystems), steps };
}
