/**
 * Booting a lab guest with `qemu-system-x86_64`: KVM when /dev/kvm is usable (a first try
 * that fails at once falls back), TCG otherwise; the serial console into a log file, the
 * results port into a file, a watchdog that kills the guest on a panic or when it runs
 * out of time.
 */
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, createWriteStream, existsSync, statSync } from "node:fs";
import { CalibrateUnavailableError } from "../errors.js";

/** What runGuest needs. */
export interface GuestRun {
  /** The bzImage. */
  kernel: string;
  /** The gzip'd newc initramfs. */
  initrd: string;
  /** Raw disk images, in -drive order (/dev/vda, /dev/vdb, …). */
  disks: string[];
  /** Where the serial console goes (the full log). */
  consoleLog: string;
  /** Where the `pinsim` virtio serial port's output goes. */
  results: string;
  /** Guest memory, MiB. Default 1024. */
  memory?: number;
  /** vCPUs. Default 2. */
  cpus?: number;
  /** Seconds before the watchdog kills the guest. */
  timeout: number;
  /** Called about once a second with the results file's size in bytes and the seconds elapsed. */
  onTick?: (bytes: number, seconds: number) => void;
  /** For tests: the qemu binary. Default "qemu-system-x86_64". */
  qemu?: string;
}

/** How a guest run ended. */
export interface GuestResult {
  /** "kvm" or "tcg". */
  accel: "kvm" | "tcg";
  /** Why this accelerator, in words (e.g. "TCG: /dev/kvm absent"). */
  accelNote: string;
  /** "exited" (qemu ended by itself: the guest rebooted), "panic" (killed on a panic line), "timeout" (killed by the watchdog). */
  end: "exited" | "panic" | "timeout";
  /** The last non-empty console line. */
  lastLine: string;
  /** Wall seconds of the run. */
  seconds: number;
}

/** The qemu binary, or a CalibrateUnavailableError naming Debian's package. */
export function findQemu(bin = "qemu-system-x86_64"): string {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 20000 });
  if (r.error || r.status !== 0)
    throw new CalibrateUnavailableError(
      `cannot boot a kernel: ${bin} not found (install qemu-system-x86: apt-get install --no-install-recommends qemu-system-x86)`,
    );
  return bin;
}

/** Whether /dev/kvm exists and this process may open it read-write; the reason when not. */
export function kvmAccess(): { ok: boolean; why: string } {
  if (!existsSync("/dev/kvm")) return { ok: false, why: "/dev/kvm absent" };
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return { ok: true, why: "/dev/kvm usable" };
  } catch {
    return { ok: false, why: "/dev/kvm not accessible to this user" };
  }
}

/** qemu's argument list for one boot (no network, no display, reboot ends qemu). */
export function qemuArgs(r: GuestRun, accel: "kvm" | "tcg"): string[] {
  const args = ["-accel", accel, ...(accel === "kvm" ? ["-cpu", "host"] : [])];
  args.push("-m", String(r.memory ?? 1024), "-smp", String(r.cpus ?? 2), "-nodefaults", "-no-reboot");
  args.push("-display", "none", "-monitor", "none", "-serial", "stdio", "-net", "none");
  args.push("-kernel", r.kernel, "-initrd", r.initrd);
  // no_timer_check: a slow (TCG, loaded) host can miss the IO-APIC timer test, which panics 6.12 at boot.
  args.push("-append", "console=ttyS0 panic=-1 quiet loglevel=5 no_timer_check");
  r.disks.forEach((d, i) => {
    args.push("-drive", `file=${d},format=raw,if=none,id=d${i},cache=unsafe`);
    args.push("-device", `virtio-blk-pci,drive=d${i}`);
  });
  args.push("-device", "virtio-serial-pci", "-chardev", `file,id=res,path=${r.results}`);
  args.push("-device", "virtserialport,chardev=res,name=pinsim");
  return args;
}

/** A console line that means the guest is gone for good. */
export function isPanicLine(line: string): boolean {
  return /Kernel panic - not syncing|end Kernel panic|Attempted to kill init/.test(line);
}

function fileSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

/** One qemu run with `accel`; resolves when qemu exits (by itself, or killed by the watchdog). */
function boot(
  r: GuestRun,
  accel: "kvm" | "tcg",
): Promise<Omit<GuestResult, "accelNote"> & { code: number | null; early: string | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const log = createWriteStream(r.consoleLog, { flags: accel === "tcg" ? "a" : "w" });
    const child = spawn(r.qemu ?? "qemu-system-x86_64", qemuArgs(r, accel), { stdio: ["ignore", "pipe", "pipe"] });
    let last = "";
    let partial = "";
    let err = "";
    let end: GuestResult["end"] = "exited";
    // QEMU never outlives pinsim: an exit (a signal's, an error's) kills it first.
    const onExit = () => child.kill("SIGKILL");
    process.on("exit", onExit);
    const kill = (why: GuestResult["end"]) => {
      end = why;
      child.kill("SIGKILL");
    };
    const onText = (d: Buffer) => {
      log.write(d);
      partial += d.toString("latin1");
      const lines = partial.split(/\r?\n/);
      partial = lines.pop() ?? "";
      for (const l of lines) {
        if (l.trim()) last = l.trim();
        if (isPanicLine(l)) {
          end = "panic"; // panic=-1 reboots, and -no-reboot ends qemu; else the watchdog below
          setTimeout(() => kill("panic"), 2000);
        }
      }
    };
    child.stdout.on("data", onText);
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString("utf8");
      log.write(d);
    });
    const timer = setInterval(() => {
      const s = (performance.now() - t0) / 1000;
      r.onTick?.(fileSize(r.results), s);
      if (s > r.timeout) kill("timeout");
    }, 1000);
    child.on("error", (e) => {
      clearInterval(timer);
      process.off("exit", onExit);
      reject(new CalibrateUnavailableError(`cannot boot a kernel: qemu did not start (${e.message})`));
    });
    child.on("close", (code) => {
      clearInterval(timer);
      process.off("exit", onExit);
      log.end();
      if (partial.trim()) last = partial.trim();
      const seconds = (performance.now() - t0) / 1000;
      const early = code !== 0 && seconds < 10 && !last.startsWith("[") ? (err.trim().split("\n").pop() ?? "") : null;
      resolve({ accel, end, lastLine: last, seconds, code, early });
    });
  });
}

/** `text` whole if at most `max` characters, else cut after its last whole word within them, with an ellipsis. */
export function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max + 1).replace(/\s+\S*$/, "");
  return `${cut.length > 0 ? cut : text.slice(0, max)}…`;
}

/**
 * Boot the guest: with KVM when /dev/kvm is usable, again with TCG if that first run fails
 * within seconds before the kernel printed anything (e.g. nested KVM refusing an MSR).
 */
export async function runGuest(r: GuestRun): Promise<GuestResult> {
  const kvm = kvmAccess();
  if (kvm.ok) {
    const k = await boot(r, "kvm");
    if (k.early === null) return { ...k, accelNote: "KVM: /dev/kvm usable" };
    const t = await boot(r, "tcg");
    return { ...t, accelNote: `TCG: KVM failed at start (${cutAtWord(k.early, 160)})` };
  }
  const t = await boot(r, "tcg");
  return { ...t, accelNote: `TCG: ${kvm.why}` };
}
