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
  // The reclaim guard and the race hold their O_DIRECT read in a dm-delay device (drivers/md/dm-delay.c).
  dm: ["dm_mod", "dm_delay"],
} as const;

/** The parts that need the dm-delay device (and the raw disk under it). */
export const DM_PARTS = ["reclaim-guard", "race"] as const;

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
  /** calibrate/pinned.c in `guard` mode: the read's delay (ms), and the cgroup's reclaim asked for (memory.reclaim). */
  guard: {
    /** dm-delay's read delay, ms. */
    delayMs: number;
    /** MiB asked of memory.reclaim per round (more than the cgroup holds, so reclaim scans all of it). */
    reclaimMib: number;
    /** Rounds of memory.reclaim while the read is in flight. */
    rounds: number;
  };
  /** calibrate/pinned.c in `race` mode: the read's delay (ms) and the step's E and W (s). */
  race: {
    /** dm-delay's read delay, ms. */
    delayMs: number;
    /** vm.dirty_expire_centisecs / 100 during the step, s. */
    expire: number;
    /** vm.dirty_writeback_centisecs / 100 during the step, s. */
    interval: number;
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
    // The read is held while the probe syncs the page, unmaps it and asks for reclaim (about 2 s under TCG).
    guard: { delayMs: 5000, reclaimMib: 64, rounds: 4 },
    // D > E + P + 1 s, so the flusher's first pass (E..E+P after the store) falls inside the pin.
    race: { delayMs: 5000, expire: 2, interval: 1 },
    guest: { memory: 1024, cpus: 2 },
  };
}

/** The kernel's writeback defaults (mm/page-writeback.c dirty_expire_interval 30 s, dirty_writeback_interval 5 s), set in the guest so E and W are known. */
export const GUEST_WRITEBACK = { "vm/dirty_expire_centisecs": "3000", "vm/dirty_writeback_centisecs": "500" };

/** The disks for the filesystems the guest can mount, /dev/vda onwards, then the raw disk under dm-delay if asked. */
export function labDisks(filesystems: string[], raw = false): GuestDisk[] {
  const dev = (i: number) => `/dev/vd${String.fromCharCode(97 + i)}`;
  const disks: GuestDisk[] = filesystems.map((fs, i) => ({ fs, device: dev(i), mount: `/mnt/${fs}` }));
  if (raw) disks.push({ fs: "raw", device: dev(filesystems.length), mount: null });
  return disks;
}

/** The steps of the parts held by dm-delay: one guard and one race per filesystem (calibrate/pinned.c). */
function pinnedSteps(part: "reclaim-guard" | "race", fss: string[], lab: LabConfig): GuestStep[] {
  const raw = labDisks(fss, true)[fss.length].device;
  if (part === "reclaim-guard")
    return fss.map((fs) => ({
      id: `reclaim-guard:${fs}`,
      part,
      fs,
      argv: [
        "pinned",
        `/mnt/${fs}`,
        "guard",
        raw,
        ...[lab.guard.delayMs, lab.guard.reclaimMib, lab.guard.rounds].map(String),
      ],
    }));
  const r = lab.race;
  return fss.map((fs, i) => ({
    id: `race:${fs}`,
    part,
    fs,
    argv: [
      "pinned",
      `/mnt/${fs}`,
      "race",
      raw,
      String(r.delayMs),
      labDisks(fss)[i].device.replace("/dev/", ""),
      String(r.expire),
      String(r.interval),
    ],
    sysctls: {
      "vm/dirty_expire_centisecs": String(r.expire * 100),
      "vm/dirty_writeback_centisecs": String(r.interval * 100),
    },
  }));
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
  if (part === "reclaim-guard" || part === "race") return pinnedSteps(part, fss, lab);
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
  /** Whether the image can make the dm-delay device; without it the guard and the race are left out. Default true. */
  dm?: boolean;
}): GuestPlan {
  const dm = (o.dm ?? true) && o.parts.some((p) => (DM_PARTS as readonly string[]).includes(p));
  const parts = dm ? o.parts : o.parts.filter((p) => !(DM_PARTS as readonly string[]).includes(p));
  const steps = parts.flatMap((p) => partSteps(p, o.filesystems, o.cfg, o.lab));
  return { modules: o.modules, disks: labDisks(o.filesystems, dm), steps };
}

/** Seconds a guest takes to boot and load its modules under TCG (12-18 s measured on 6.1 and 6.12, docs/calibrate.md). */
export const GUEST_BOOT_SECONDS = 20;

/**
 * The seconds a step is expected to take under TCG (the example runs' section times: a
 * clean-delay group about E + P + the trials' stagger + the E + W + 5 s wait, longterm
 * about 2 × settle, a memcg reclaim about 4 s, kswapd about 13 s, the guard's and the
 * race's delayed read its delay plus a second, the race E + P more).
 */
function stepSeconds(step: GuestStep, cfg: CalibrationConfig, lab: LabConfig): number {
  const E = 30;
  const W = 5;
  const c = cfg.cleanDelay;
  const d = cfg.detector;
  if (step.part === "clean-delay") return (c.trials - 1) * c.stagger + E + W + 1 + (E + W + 5);
  if (step.part === "detector") return 1 + 0.01 * (d.khi - d.klo + 1) * d.reps * 2;
  if (step.part === "longterm") return 2 * cfg.longterm.settle + 1;
  if (step.id.startsWith("reclaim-memcg:")) return 4;
  if (step.id.startsWith("reclaim-kswapd:")) return 13;
  if (step.part === "reclaim-guard") return lab.guard.delayMs / 1000 + 1;
  if (step.part === "race") return lab.race.delayMs / 1000 + lab.race.expire + lab.race.interval + 3;
  return 5;
}

/** Expected seconds of a guest's whole run: the boot, then each step, a group of steps that run at once counted once. Only the steps planned (the parts asked). */
export function expectedGuestSeconds(plan: GuestPlan, cfg: CalibrationConfig, lab: LabConfig): number {
  const groups = new Set<string>();
  let total = GUEST_BOOT_SECONDS;
  for (const s of plan.steps) {
    if (s.group !== undefined) {
      if (groups.has(s.group)) continue;
      groups.add(s.group);
    }
    total += stepSeconds(s, cfg, lab);
  }
  return Math.round(total);
}
