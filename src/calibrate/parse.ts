/**
 * Parsing of the probes' JSON lines (calibrate/*.c) into typed records. A line that is
 * not JSON, or a record of a known type with a missing or mistyped field, is a ProbeError
 * naming the probe, the line number and the field. Unknown record types are kept apart
 * (`other`), so a newer probe does not break an older parser.
 */
import { z } from "zod";
import { ProbeError } from "./errors.js";

const num = z.number();
const int = z.number().int();
const bool01 = z.union([z.literal(0), z.literal(1)]);

/** Every probe's `error` record: the step that failed, its errno and strerror text; it ends the probe. */
const ERROR_LINE = z.object({ type: z.literal("error"), step: z.string(), errno: int, message: z.string() });

/** clean-delay.c's `start` record: its settings as it read them. */
export interface CleanStart {
  /** Always `start`. */
  type: "start";
  /** Always `clean-delay`. */
  probe: "clean-delay";
  /** Trials (files), each with one page in a clean inode and, when `second` > 0, one more in it once dirty. */
  trials: number;
  /** Seconds between the first stores of consecutive trials. */
  stagger: number;
  /** Seconds from a trial's first store to its second (0: no second page). */
  second: number;
  /** Milliseconds between polls of /proc/kpageflags. */
  pollMs: number;
  /** Seconds after its store a page still dirty is given up (a `timeout` record). */
  timeout: number;
  /** The probe's process id. */
  pid: number;
}
/** clean-delay.c's `prepared` record: a trial's file written, fsync()ed and mapped, its pages checked clean. */
export interface CleanPrepared {
  /** Always `prepared`. */
  type: "prepared";
  /** Trial index from 0. */
  trial: number;
  /** The two pages' PFNs (/proc/self/pagemap; 0 without CAP_SYS_ADMIN). */
  pfn: number[];
  /** The two pages' /proc/kpageflags words. */
  flags: number[];
  /** Whether both read clean (neither PG_dirty nor PG_writeback); the probe stops if not. */
  clean: boolean;
}
/** clean-delay.c's `clean` record: one page's store and the polls that bracket its clean instant. */
export interface CleanSample {
  /** Always `clean`. */
  type: "clean";
  /** Trial index from 0. */
  trial: number;
  /** 0: the first page of the trial (stored into a clean inode); 1: the second. */
  page: number;
  /** Whether the store found the inode clean (page 0) or already dirty (page 1). */
  inode: "clean" | "dirty";
  /** CLOCK_MONOTONIC seconds just before the store. */
  t0: number;
  /** Last poll that saw PG_dirty set. */
  lastDirty: number;
  /** First poll that saw PG_dirty clear: the clean instant is in (lastDirty, firstDirtyClear]. */
  firstDirtyClear: number;
  /** First poll with PG_dirty and PG_writeback both clear. */
  firstClean: number;
  /** 1 if some poll saw PG_writeback set. */
  writebackSeen: 0 | 1;
  /** 1 if PG_dirty read set right after the store (it should). */
  dirtyAfterStore: 0 | 1;
  /** Polls of this page. */
  polls: number;
  /** Times the page's PFN changed between polls (migration, compaction). */
  migrated: number;
  /** PG_private at the clean poll: the page still has buffers. */
  private: 0 | 1;
}
/** clean-delay.c's `timeout` record: a page still dirty `timeout` seconds after its store. */
export interface CleanTimeout {
  /** Always `timeout`. */
  type: "timeout";
  /** Trial index from 0. */
  trial: number;
  /** 0: the first page of the trial; 1: the second. */
  page: number;
  /** Whether the store found the inode clean or dirty. */
  inode: "clean" | "dirty";
  /** CLOCK_MONOTONIC seconds just before the store. */
  t0: number;
  /** Last poll that saw PG_dirty set. */
  lastDirty: number;
  /** Polls of this page. */
  polls: number;
}
/** detector.c's `start` record: its settings as it read them. */
export interface DetectorStart {
  /** Always `start`. */
  type: "start";
  /** Always `detector`. */
  probe: "detector";
  /** The CPU the probe bound itself to (the lru_add batch is per CPU). */
  cpu: number;
  /** Smallest k of plain references tried. */
  klo: number;
  /** Largest k tried. */
  khi: number;
  /** Trials per k and LRU state. */
  reps: number;
  /** k for the trials without MMF_HAS_PINNED. */
  nopinK: number;
  /** k for the PMD THP trial. */
  thpK: number;
}
/** detector.c's `fork` record: one fork of a page holding k plain references, and whether the child got a copy. */
export interface ForkTrial {
  /** Always `fork`. */
  type: "fork";
  /** The trial: before MMF_HAS_PINNED was set, order-0 page, PMD THP, or a real io_uring pin at k = 0. */
  kind: "no-pinned-flag" | "order0" | "thp" | "io-uring-pin";
  /** Plain references taken (vmsplice of one-byte iovecs: iov_iter_get_pages2, no pin). */
  k: number;
  /** 1 if the probe tried to drain the lru_add batch first (the intent; `lru` is what happened). */
  drain: 0 | 1;
  /** KPF_LRU just before fork: 1 on the LRU, 0 still in the per-CPU lru_add batch. */
  lru: 0 | 1;
  /** KPF_THP: the page is part of a transparent huge page. */
  thp: 0 | 1;
  /** 1 if the trial registered the page as an io_uring fixed buffer (a FOLL_PIN). */
  ioUringPin: 0 | 1;
  /** errno of that registration, 0 if it succeeded or was not tried. */
  pinErrno: number;
  /** The parent's PFN. */
  pfn: number;
  /** The child's PFN for the same address, read without touching the page. */
  childPfn: number;
  /** Whether fork copied the page (the child's PFN differs). */
  copied: boolean;
}
/** detector.c's `pinned` record: MMF_HAS_PINNED set on the probe by one FOLL_PIN. */
export interface DetectorPinned {
  /** Always `pinned`. */
  type: "pinned";
  /** How the pin was taken ("O_DIRECT pread"). */
  how: string;
  /** Bytes the pread returned. */
  bytes: number;
}
/** detector.c's `skip` record: a trial that could not be run. */
export interface DetectorSkip {
  /** Always `skip`. */
  type: "skip";
  /** The trial kind skipped (`thp`). */
  kind: string;
  /** Why (e.g. no THP given). */
  reason: string;
}
/** longterm.c's `start` record. */
export interface LongtermStart {
  /** Always `start`. */
  type: "start";
  /** Always `longterm`. */
  probe: "longterm";
  /** statfs f_type of the folder it ran in, hex. */
  fsMagic: string;
}
/** longterm.c's `register` record: io_uring REGISTER_BUFFERS over one mapping kind, untouched or touched first. */
export interface RegisterResult {
  /** Always `register`. */
  type: "register";
  /** The mapping kind (MAPPING_KINDS). */
  mapping: string;
  /** Whether every page was touched (written, or read if read-only) before registering. */
  touched: boolean;
  /** io_uring_register's result: 0, or -errno. */
  ret: number;
  /** -ret when it failed, else 0. */
  errno: number;
  /** EFAULT, EPERM, ENOMEM, EOPNOTSUPP, "other", or "" on success. */
  errnoName: string;
  /** errno of io_uring_setup (io_uring disabled), else 0. */
  setupErrno: number;
}
/** longterm.c's `odirect` record: an O_DIRECT read of 4 KiB into one page of a clean shared file mapping. */
export interface OdirectResult {
  /** Always `odirect`. */
  type: "odirect";
  /** Page index in the mapping. */
  page: number;
  /** Whether the page was read-faulted (mapped clean) before the read; every other page is. */
  mappedBefore: boolean;
  /** Bytes pread returned (4096 on success, -1 on failure). */
  bytes: number;
  /** pread's errno, 0 on success. */
  errno: number;
  /** Whether the page holds the bytes read. */
  dataCorrect: boolean;
  /** PG_dirty before the read; -1 when the page was not mapped before. */
  dirtyBefore: -1 | 0 | 1;
  /** PG_dirty after the read. */
  dirtyAfter: 0 | 1;
  /** PG_private (buffers attached) after the read. */
  privateAfter: 0 | 1;
  /** PG_writeback after the read. */
  writebackAfter: 0 | 1;
}
/** longterm.c's `pins` record: /proc/vmstat's pin counters around its O_DIRECT reads. */
export interface PinsResult {
  /** Always `pins`. */
  type: "pins";
  /** O_DIRECT reads made. */
  preads: number;
  /** Change of nr_foll_pin_acquired (every process's pins, so at least `preads`). */
  acquiredDelta: number;
  /** Change of nr_foll_pin_released. */
  releasedDelta: number;
  /** Seconds waited before each reading (the counters fold per-CPU deltas lazily). */
  settle: number;
}

// clean-delay.c
const CLEAN_START: z.ZodType<CleanStart> = z.object({
  type: z.literal("start"),
  probe: z.literal("clean-delay"),
  trials: int,
  stagger: num,
  second: num,
  pollMs: num,
  timeout: num,
  pid: int,
});
const CLEAN_PREPARED: z.ZodType<CleanPrepared> = z.object({
  type: z.literal("prepared"),
  trial: int,
  pfn: z.array(num),
  flags: z.array(num),
  clean: z.boolean(),
});
const CLEAN_SAMPLE: z.ZodType<CleanSample> = z.object({
  type: z.literal("clean"),
  trial: int,
  page: int,
  inode: z.enum(["clean", "dirty"]),
  t0: num,
  lastDirty: num,
  firstDirtyClear: num,
  firstClean: num,
  writebackSeen: bool01,
  dirtyAfterStore: bool01,
  polls: int,
  migrated: int,
  private: bool01,
});
const CLEAN_TIMEOUT: z.ZodType<CleanTimeout> = z.object({
  type: z.literal("timeout"),
  trial: int,
  page: int,
  inode: z.enum(["clean", "dirty"]),
  t0: num,
  lastDirty: num,
  polls: int,
});
const PROBE_END = z.object({ type: z.literal("end"), probe: z.string(), interrupted: z.boolean() }).passthrough();

// detector.c
const DETECTOR_START: z.ZodType<DetectorStart> = z.object({
  type: z.literal("start"),
  probe: z.literal("detector"),
  cpu: int,
  klo: int,
  khi: int,
  reps: int,
  nopinK: int,
  thpK: int,
});
const FORK_TRIAL: z.ZodType<ForkTrial> = z.object({
  type: z.literal("fork"),
  kind: z.enum(["no-pinned-flag", "order0", "thp", "io-uring-pin"]),
  k: int,
  drain: bool01,
  lru: bool01,
  thp: bool01,
  ioUringPin: bool01,
  pinErrno: int,
  pfn: num,
  childPfn: num,
  copied: z.boolean(),
});
const DETECTOR_PINNED: z.ZodType<DetectorPinned> = z.object({ type: z.literal("pinned"), how: z.string(), bytes: int });
const DETECTOR_SKIP: z.ZodType<DetectorSkip> = z.object({
  type: z.literal("skip"),
  kind: z.string(),
  reason: z.string(),
});

// longterm.c
const LONGTERM_START: z.ZodType<LongtermStart> = z.object({
  type: z.literal("start"),
  probe: z.literal("longterm"),
  fsMagic: z.string(),
});
const REGISTER: z.ZodType<RegisterResult> = z.object({
  type: z.literal("register"),
  mapping: z.string(),
  touched: z.boolean(),
  ret: int,
  errno: int,
  errnoName: z.string(),
  setupErrno: int,
});
const ODIRECT: z.ZodType<OdirectResult> = z.object({
  type: z.literal("odirect"),
  page: int,
  mappedBefore: z.boolean(),
  bytes: int,
  errno: int,
  dataCorrect: z.boolean(),
  dirtyBefore: z.union([z.literal(-1), bool01]),
  dirtyAfter: bool01,
  privateAfter: bool01,
  writebackAfter: bool01,
});
const PINS: z.ZodType<PinsResult> = z.object({
  type: z.literal("pins"),
  preads: int,
  acquiredDelta: int,
  releasedDelta: int,
  settle: num,
});

/** Everything calibrate/clean-delay.c printed, by record type. */
export interface CleanDelayRaw {
  /** Its settings. */
  start: CleanStart;
  /** One per trial: the PFNs and page flags of its pages once prepared, and whether they were clean. */
  prepared: CleanPrepared[];
  /** One per page that was seen clean. */
  samples: CleanSample[];
  /** One per page still dirty at the probe's timeout. */
  timeouts: CleanTimeout[];
  /** true unless the probe printed its `end` record with `interrupted: false`. */
  interrupted: boolean;
}
/** Everything calibrate/detector.c printed, by record type. */
export interface DetectorRaw {
  /** Its settings (the CPU it ran on, the k range, repetitions). */
  start: DetectorStart;
  /** One per fork. */
  forks: ForkTrial[];
  /** How the probe set MMF_HAS_PINNED on itself (one O_DIRECT pread) and the bytes read; null when it stopped before. */
  pinned: DetectorPinned | null;
  /** Trials skipped (e.g. no PMD THP to be had), with the reason. */
  skips: DetectorSkip[];
  /** true unless the probe printed its `end` record with `interrupted: false`. */
  interrupted: boolean;
}
/** Everything calibrate/longterm.c printed, by record type. */
export interface LongtermRaw {
  /** Its settings: the statfs magic of the folder it ran in. */
  start: LongtermStart;
  /** One per (mapping kind, untouched/touched). */
  registers: RegisterResult[];
  /** One per O_DIRECT read. */
  odirect: OdirectResult[];
  /** The pin counters' deltas; null when the probe stopped before printing them. */
  pins: PinsResult | null;
  /** true unless the probe printed its `end` record with `interrupted: false`. */
  interrupted: boolean;
}

/** JSON lines to objects; blank lines skipped. Throws ProbeError on a line that is not a JSON object. */
export function jsonLines(probe: string, text: string): { line: number; value: Record<string, unknown> }[] {
  const out: { line: number; value: Record<string, unknown> }[] = [];
  text.split("\n").forEach((raw, i) => {
    const s = raw.trim();
    if (!s) return;
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      throw new ProbeError(`probe ${probe}: output line ${i + 1} is not JSON: ${s.slice(0, 60)}`);
    }
    if (v === null || typeof v !== "object" || Array.isArray(v) || typeof (v as { type?: unknown }).type !== "string")
      throw new ProbeError(`probe ${probe}: output line ${i + 1} is not a record with a "type": ${s.slice(0, 60)}`);
    out.push({ line: i + 1, value: v as Record<string, unknown> });
  });
  return out;
}

function check<T>(schema: z.ZodType<T>, probe: string, line: number, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new ProbeError(
      `probe ${probe}: output line ${line}: field ${iss?.path.join(".") || "(record)"}: ${iss?.message}`,
    );
  }
  return r.data;
}

/** An `error` record ends the probe: its step and errno as one line. */
function raiseProbeError(probe: string, line: number, v: unknown): never {
  const e = check(ERROR_LINE, probe, line, v);
  throw new ProbeError(`probe ${probe} failed at ${e.step}: ${e.message} (errno ${e.errno})`);
}

function requireStart<T>(probe: string, start: T | null): T {
  if (!start) throw new ProbeError(`probe ${probe}: no "start" record in its output`);
  return start;
}

/**
 * The output of calibrate/clean-delay.c as typed records. Throws ProbeError naming the line and the field on a
 * malformed record, the probe's own step and errno on an `error` record, and when there is no
 * `start` record. Unknown record types are ignored.
 */
export function parseCleanDelay(text: string): CleanDelayRaw {
  const P = "clean-delay";
  let start: CleanStart | null = null;
  const raw: Omit<CleanDelayRaw, "start"> = { prepared: [], samples: [], timeouts: [], interrupted: true };
  for (const { line, value } of jsonLines(P, text)) {
    switch (value.type) {
      case "start":
        start = check(CLEAN_START, P, line, value);
        break;
      case "prepared":
        raw.prepared.push(check(CLEAN_PREPARED, P, line, value));
        break;
      case "clean":
        raw.samples.push(check(CLEAN_SAMPLE, P, line, value));
        break;
      case "timeout":
        raw.timeouts.push(check(CLEAN_TIMEOUT, P, line, value));
        break;
      case "end":
        raw.interrupted = check(PROBE_END, P, line, value).interrupted;
        break;
      case "error":
        raiseProbeError(P, line, value);
    }
  }
  return { start: requireStart(P, start), ...raw };
}

/**
 * The output of calibrate/detector.c as typed records. Throws ProbeError naming the line and the field on a
 * malformed record, the probe's own step and errno on an `error` record, and when there is no
 * `start` record. Unknown record types are ignored.
 */
export function parseDetector(text: string): DetectorRaw {
  const P = "detector";
  let start: DetectorStart | null = null;
  const raw: Omit<DetectorRaw, "start"> = { forks: [], pinned: null, skips: [], interrupted: true };
  for (const { line, value } of jsonLines(P, text)) {
    switch (value.type) {
      case "start":
        start = check(DETECTOR_START, P, line, value);
        break;
      case "fork":
        raw.forks.push(check(FORK_TRIAL, P, line, value));
        break;
      case "pinned":
        raw.pinned = check(DETECTOR_PINNED, P, line, value);
        break;
      case "skip":
        raw.skips.push(check(DETECTOR_SKIP, P, line, value));
        break;
      case "end":
        raw.interrupted = check(PROBE_END, P, line, value).interrupted;
        break;
      case "error":
        raiseProbeError(P, line, value);
    }
  }
  return { start: requireStart(P, start), ...raw };
}

/**
 * The output of calibrate/longterm.c as typed records. Throws ProbeError naming the line and the field on a
 * malformed record, the probe's own step and errno on an `error` record, and when there is no
 * `start` record. Unknown record types are ignored.
 */
export function parseLongterm(text: string): LongtermRaw {
  const P = "longterm";
  let start: LongtermStart | null = null;
  const raw: Omit<LongtermRaw, "start"> = { registers: [], odirect: [], pins: null, interrupted: true };
  for (const { line, value } of jsonLines(P, text)) {
    switch (value.type) {
      case "start":
        start = check(LONGTERM_START, P, line, value);
        break;
      case "register":
        raw.registers.push(check(REGISTER, P, line, value));
        break;
      case "odirect":
        raw.odirect.push(check(ODIRECT, P, line, value));
        break;
      case "pins":
        raw.pins = check(PINS, P, line, value);
        break;
      case "end":
        raw.interrupted = check(PROBE_END, P, line, value).interrupted;
        break;
      case "error":
        raiseProbeError(P, line, value);
    }
  }
  return { start: requireStart(P, start), ...raw };
}
