/**
 * The guest side of a lab run: the plan (filesystems, modules, probe steps) and the
 * busybox `/init` script made from it, and the initramfs layout that carries them. The
 * guest is the probes' own machine: the script mounts, sets sysctls per step and powers
 * off at the end; the host's sysctls and mounts are never touched.
 *
 * Results protocol (parsed by output.ts): the script writes JSON lines to the virtio
 * serial port named `pinsim` (else to the console): `{"lab":"boot",…}` once, then per step
 * `{"lab":"begin","id":…}`, the probe's own lines, `#stderr …` lines, `{"lab":"end","id":…,"rc":N}`,
 * and `{"lab":"done"}` last.
 */
import type { CpioEntry } from "./cpio.js";

/** A filesystem disk of the guest: its type, the device it appears as and where it is mounted. */
export interface GuestDisk {
  /** "ext4", "xfs", "btrfs", or "raw" (a disk with no filesystem, e.g. under dm-delay). */
  fs: string;
  /** Device node in the guest, in -drive order: /dev/vda, /dev/vdb, … */
  device: string;
  /** Mount point (/mnt/<fs>), or null for a raw disk. */
  mount: string | null;
}

/** One probe run inside the guest. */
export interface GuestStep {
  /** Unique id, e.g. "clean-delay:ext4". */
  id: string;
  /** The part it answers. */
  part: string;
  /** The filesystem it runs on, or null (anonymous memory, raw devices). */
  fs: string | null;
  /** argv: the probe's name under /probes then its arguments. */
  argv: string[];
  /** Sysctls (`vm/dirty_writeback_centisecs` style) set before the step and restored after. */
  sysctls?: Record<string, string>;
  /** Steps with the same group run at once (their output is written in step order after all end). */
  group?: string;
}

/** What the guest does, start to end. */
export interface GuestPlan {
  /** Module files under /lib/modules in the initramfs, in load order. */
  modules: string[];
  /** Disks, in -drive order. */
  disks: GuestDisk[];
  /** Probe steps in order. */
  steps: GuestStep[];
  /** Sysctls (`vm/dirty_expire_centisecs` style) set once the disks are mounted, before the boot record. */
  sysctls?: Record<string, string>;
}

/** Single-quote `s` for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

const PRELUDE = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
R=/dev/console
up() { cut -d' ' -f1 /proc/uptime; }
emit() { echo "$1" >&3; }
exec 3>$R
`;

function portLines(): string[] {
  // The port appears once virtio_console is loaded; /sys/class/virtio-ports/vportNpM/name says which.
  return [
    "for p in /sys/class/virtio-ports/*; do",
    '  [ "$(cat $p/name 2>/dev/null)" = pinsim ] && R=/dev/$(basename $p)',
    "done",
    "exec 3>$R",
  ];
}

function bootLines(): string[] {
  const sys = (k: string) => `$(cat /proc/sys/${k} 2>/dev/null || echo null)`;
  return [
    `emit "{\\"lab\\":\\"boot\\",\\"release\\":\\"$(uname -r)\\",\\"version\\":\\"$(uname -v)\\",\\"machine\\":\\"$(uname -m)\\",\\"uptime\\":$(up),` +
      `\\"expire\\":${sys("vm/dirty_expire_centisecs")},\\"writeback\\":${sys("vm/dirty_writeback_centisecs")},` +
      `\\"ioUringDisabled\\":${sys("kernel/io_uring_disabled")},\\"kpageflags\\":$([ -e /proc/kpageflags ] && echo true || echo false),` +
      `\\"thp\\":\\"$(sed -n 's/.*\\[\\(.*\\)\\].*/\\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)\\",` +
      `\\"cpus\\":$(grep -c ^processor /proc/cpuinfo),\\"port\\":\\"$R\\"}"`,
  ];
}

function moduleLines(modules: string[]): string[] {
  return modules.map(
    (m) =>
      `insmod /lib/modules/${m} 2>/tmp/insmod.err || emit "{\\"lab\\":\\"insmod-failed\\",\\"module\\":\\"${m}\\",\\"message\\":\\"$(head -1 /tmp/insmod.err | tr -d '"\\\\')\\"}"`,
  );
}

function mountLines(disks: GuestDisk[]): string[] {
  return disks
    .filter((d) => d.mount !== null)
    .flatMap((d) => [
      `mkdir -p ${d.mount}`,
      // A fresh disk has no writeout history, so its share of the background threshold is 0 and one dirty page
      // puts it over (mm/page-writeback.c wb_over_bg_thresh, wb_calc_thresh): give each disk a floor (min_ratio).
      `echo 10 > /sys/block/${d.device.replace("/dev/", "")}/bdi/min_ratio 2>/dev/null`,
      `if mount -t ${d.fs} -o noatime ${d.device} ${d.mount} 2>/tmp/mount.err; then emit "{\\"lab\\":\\"mounted\\",\\"fs\\":\\"${d.fs}\\",\\"options\\":\\"$(grep " ${d.mount} " /proc/mounts | cut -d' ' -f4)\\"}";`,
      `else emit "{\\"lab\\":\\"mount-failed\\",\\"fs\\":\\"${d.fs}\\",\\"message\\":\\"$(head -1 /tmp/mount.err | tr -d '"\\\\')\\"}"; fi`,
      // btrfs writes back through a bdi of its own (fs/btrfs/super.c btrfs_fill_super -> super_setup_bdi), not the
      // disk's: the same floor goes on it (/sys/fs/btrfs/UUID/bdi).
      ...(d.fs === "btrfs" ? ["for b in /sys/fs/btrfs/*/bdi; do echo 10 > $b/min_ratio; done 2>/dev/null"] : []),
    ]);
}

/** The lines that run one step into /tmp/<n>.out and .err, with its sysctls set around it. */
function runLines(s: GuestStep, n: number, background: boolean): string[] {
  const set = Object.entries(s.sysctls ?? {});
  const lines = set.map(([k, v], i) => `o${n}_${i}=$(cat /proc/sys/${k}); echo ${v} > /proc/sys/${k}`);
  const cmd = `/probes/${s.argv.map(shQuote).join(" ")} >/tmp/${n}.out 2>/tmp/${n}.err; echo $? >/tmp/${n}.rc`;
  lines.push(background ? `( ${cmd} ) &` : cmd);
  if (!background) lines.push(...set.map(([k], i) => `echo $o${n}_${i} > /proc/sys/${k}`));
  return lines;
}

/** The lines that write one finished step's records to the results channel. */
function reportLines(s: GuestStep, n: number): string[] {
  const id = JSON.stringify(s.id).slice(1, -1);
  return [
    `emit "{\\"lab\\":\\"begin\\",\\"id\\":\\"${id}\\",\\"uptime\\":$(up)}"`,
    `cat /tmp/${n}.out >&3`,
    `sed 's/^/#stderr /' /tmp/${n}.err >&3`,
    `emit "{\\"lab\\":\\"end\\",\\"id\\":\\"${id}\\",\\"rc\\":$(cat /tmp/${n}.rc),\\"uptime\\":$(up)}"`,
  ];
}

/** The steps as script lines: a run of steps sharing a group starts together, waits, then reports in order. */
function stepLines(steps: GuestStep[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < steps.length; ) {
    const g = steps[i].group;
    let j = i + 1;
    while (g !== undefined && j < steps.length && steps[j].group === g) j++;
    const batch = steps.slice(i, j).map((s, k) => ({ s, n: i + k }));
    if (batch.length === 1)
      out.push(...runLines(batch[0].s, batch[0].n, false), ...reportLines(batch[0].s, batch[0].n));
    else {
      out.push(`emit "{\\"lab\\":\\"group\\",\\"group\\":\\"${g}\\",\\"steps\\":${batch.length},\\"uptime\\":$(up)}"`);
      for (const b of batch) out.push(...runLines(b.s, b.n, true));
      out.push("wait");
      for (const b of batch) out.push(...reportLines(b.s, b.n));
    }
    i = j;
  }
  return out;
}

/** The guest's /init: mount the pseudo filesystems, find the port, load modules, mount disks, run the steps, report, power off. */
export function initScript(plan: GuestPlan): string {
  return [
    PRELUDE.trimEnd(),
    ...moduleLines(plan.modules),
    ...portLines(),
    ...Object.entries(plan.sysctls ?? {}).map(([k, v]) => `echo ${v} > /proc/sys/${k}`),
    ...bootLines(),
    ...mountLines(plan.disks),
    ...stepLines(plan.steps),
    "sync",
    'emit "{\\"lab\\":\\"done\\",\\"uptime\\":$(up)}"',
    "exec 3>&-",
    "reboot -f",
    "",
  ].join("\n");
}

/** The files of the initramfs: what initramfsEntries packs. */
export interface InitramfsFiles {
  /** busybox-static's binary. */
  busybox: Buffer;
  /** Static probes by name (placed in /probes). */
  probes: Record<string, Buffer>;
  /** Module file name (no folder) -> uncompressed bytes, placed in /lib/modules. */
  modules: Record<string, Buffer>;
  /** The /init script (initScript). */
  init: string;
}

/**
 * The initramfs's entries, folders first: /dev/console (the kernel opens it for /init's
 * output before devtmpfs is mounted), /bin/busybox with /bin/sh, /init, /probes/*,
 * /lib/modules/*, and the empty mount points. Names in sorted order, so the same inputs
 * give the same archive.
 */
export function initramfsEntries(f: InitramfsFiles): CpioEntry[] {
  const dirs = ["bin", "dev", "lib", "lib/modules", "mnt", "probes", "proc", "sys", "tmp"];
  const sorted = (o: Record<string, Buffer>) => Object.keys(o).sort();
  return [
    ...dirs.map((path): CpioEntry => ({ type: "dir", path })),
    { type: "chardev", path: "dev/console", major: 5, minor: 1 },
    { type: "file", path: "bin/busybox", data: f.busybox, mode: 0o755 },
    { type: "symlink", path: "bin/sh", target: "busybox" },
    { type: "file", path: "init", data: Buffer.from(f.init, "utf8"), mode: 0o755 },
    ...sorted(f.probes).map((n): CpioEntry => ({ type: "file", path: `probes/${n}`, data: f.probes[n], mode: 0o755 })),
    ...sorted(f.modules).map((n): CpioEntry => ({ type: "file", path: `lib/modules/${n}`, data: f.modules[n] })),
  ];
}
