/**
 * Parsing of the probes' JSON lines (calibrate/*.c) into typed records. A line that is
 * not JSON, or a record of a known type with a missing or mistyped field, is a ProbeError
 * naming the probe, the line number and the field. Unknown record types are kept apart
 * (`other`), so a newer probe does not break an older parser.
 */
import { z } from "zod";
import { ProbeError } from "./errors.js";
import type {
  CleanDelayRaw,
  CleanPrepared,
  CleanSample,
  CleanStart,
  CleanTimeout,
  DetectorPinned,
  DetectorRaw,
  DetectorSkip,
  DetectorStart,
  ForkTrial,
  LongtermRaw,
  LongtermStart,
  OdirectResult,
  PinsResult,
  RegisterResult,
} from "./records.js";

export type {
  CleanDelayRaw,
  CleanPrepared,
  CleanSample,
  CleanStart,
  CleanTimeout,
  DetectorPinned,
  DetectorRaw,
  DetectorSkip,
  DetectorStart,
  ForkTrial,
  LongtermRaw,
  LongtermStart,
  OdirectResult,
  PinsResult,
  RegisterResult,
} from "./records.js";

const num = z.number();
const int = z.number().int();
const bool01 = z.union([z.literal(0), z.literal(1)]);

/** Every probe's `error` record: the step that failed, its errno and strerror text; it ends the probe. */
const ERROR_LINE = z.object({ type: z.literal("error"), step: z.string(), errno: int, message: z.string() });

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
