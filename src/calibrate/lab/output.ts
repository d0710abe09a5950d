/**
 * Parsing what a lab guest wrote to its results channel (guest.ts's protocol) into the
 * boot record, the events (modules that failed to load, filesystems mounted or not) and
 * one section per step with the probe's own lines, its stderr and its exit code. The
 * probe's lines are handed as text to the host's parsers (parse.ts) unchanged.
 */
import { ProbeError } from "../errors.js";

/** The guest's `{"lab":"boot"}` record: what it saw before the probes. */
export interface GuestBoot {
  /** `uname -r` in the guest. */
  release: string;
  /** `uname -v`. */
  version: string;
  /** `uname -m`. */
  machine: string;
  /** Seconds since the guest kernel started (/proc/uptime). */
  uptime: number;
  /** vm.dirty_expire_centisecs at boot (null where unreadable). */
  expire: number | null;
  /** vm.dirty_writeback_centisecs at boot. */
  writeback: number | null;
  /** kernel.io_uring_disabled, null where the sysctl does not exist (before 6.6). */
  ioUringDisabled: number | null;
  /** Whether /proc/kpageflags exists. */
  kpageflags: boolean;
  /** The selected THP mode. */
  thp: string;
  /** CPUs in /proc/cpuinfo. */
  cpus: number;
  /** The results channel the guest used (/dev/vportNpM, or /dev/console). */
  port: string;
}

/** One step's output in the guest. */
export interface GuestSection {
  /** The step's id (GuestStep.id). */
  id: string;
  /** The probe's stdout, lines joined with "\n" and a final newline (what parse.ts reads). */
  text: string;
  /** Its stderr lines. */
  stderr: string[];
  /** Its exit status; null if the guest never wrote the section's end. */
  rc: number | null;
  /** Guest uptime (s) at the section's begin and end records. */
  uptime: [number, number | null];
}

/** Everything the guest reported. */
export interface GuestOutput {
  /** The boot record, or null if the guest never reached it. */
  boot: GuestBoot | null;
  /** Modules insmod refused: file name and its first error line. */
  insmodFailed: { module: string; message: string }[];
  /** Filesystems mounted, with their mount options. */
  mounted: { fs: string; options: string }[];
  /** Filesystems that failed to mount, with mount's first error line. */
  mountFailed: { fs: string; message: string }[];
  /** Step sections in the order written. */
  sections: GuestSection[];
  /** Whether the `{"lab":"done"}` record arrived (the script reached its end). */
  done: boolean;
}

type Rec = Record<string, unknown>;

function labRecord(line: string): Rec | null {
  if (!line.startsWith('{"lab":')) return null;
  try {
    return JSON.parse(line) as Rec;
  } catch {
    return null;
  }
}

const numOrNull = (v: unknown) => (typeof v === "number" ? v : null);

function toBoot(r: Rec): GuestBoot {
  return {
    release: String(r.release ?? ""),
    version: String(r.version ?? ""),
    machine: String(r.machine ?? ""),
    uptime: Number(r.uptime ?? 0),
    expire: numOrNull(r.expire),
    writeback: numOrNull(r.writeback),
    ioUringDisabled: numOrNull(r.ioUringDisabled),
    kpageflags: r.kpageflags === true,
    thp: String(r.thp ?? ""),
    cpus: Number(r.cpus ?? 0),
    port: String(r.port ?? ""),
  };
}

/**
 * Parse the results channel's text. Lines outside a section that are not lab records
 * (console noise) are ignored; a lab record inside a section other than its end is a
 * ProbeError naming the line (the guest's script interleaved two steps).
 */
export function parseGuestOutput(text: string): GuestOutput {
  const out: GuestOutput = { boot: null, insmodFailed: [], mounted: [], mountFailed: [], sections: [], done: false };
  let cur: (GuestSection & { lines: string[] }) | null = null;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (!line) return;
    const r = labRecord(line);
    if (cur) {
      if (r && r.lab === "end" && r.id === cur.id) {
        cur.rc = numOrNull(r.rc);
        cur.uptime[1] = numOrNull(r.uptime);
        out.sections.push(finishSection(cur));
        cur = null;
      } else if (r) throw new ProbeError(`guest output line ${i + 1}: ${String(r.lab)} record inside step ${cur.id}`);
      else if (line.startsWith("#stderr ")) cur.stderr.push(line.slice(8));
      else if (line !== "#stderr") cur.lines.push(line);
      return;
    }
    if (!r) return;
    if (r.lab === "boot") out.boot = toBoot(r);
    else if (r.lab === "insmod-failed") out.insmodFailed.push({ module: String(r.module), message: String(r.message) });
    else if (r.lab === "mounted") out.mounted.push({ fs: String(r.fs), options: String(r.options) });
    else if (r.lab === "mount-failed") out.mountFailed.push({ fs: String(r.fs), message: String(r.message) });
    else if (r.lab === "begin")
      cur = { id: String(r.id), text: "", stderr: [], rc: null, uptime: [Number(r.uptime ?? 0), null], lines: [] };
    else if (r.lab === "done") out.done = true;
  });
  if (cur) out.sections.push(finishSection(cur));
  return out;
}

function finishSection(s: GuestSection & { lines: string[] }): GuestSection {
  const { lines, ...rest } = s;
  return { ...rest, text: lines.length ? `${lines.join("\n")}\n` : "" };
}

/** The section of step `id`, or null. */
export function sectionOf(o: GuestOutput, id: string): GuestSection | null {
  return o.sections.find((s) => s.id === id) ?? null;
}
