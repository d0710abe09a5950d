/**
 * The calibration results folder, in the sweep's format: `manifest.json` (the sweep
 * manifest's fields, with `kind: "calibration"`, no axes and no points) and
 * `calibration.json` (every raw sample, the machine, the derived statistics, the model's
 * side and the comparison table). Files are replaced by write-to-temp + rename.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { NotRegularFileError, readRegularText } from "../input-file.js";
import { join } from "node:path";
import { z } from "zod";
import { PACKAGE_VERSION } from "../version.js";
import type { ComparisonRow } from "./compare.js";
import type { LabInfo } from "./lab/assemble.js";
import { LAB_PARTS, PARTS, type Environment, type FilesystemInfo, type LabPart, type Part } from "./environment.js";
import { MAX_VALUE_TEXT, showValue } from "../errors.js";
import { CalibrateInputError } from "./errors.js";
import { issueText, KERNEL_SCHEMA, MODEL_SCHEMA } from "./model-schema.js";
import type { CleanDelayModel, ModelRegistration } from "./model.js";
import type { CleanDelayRaw, DetectorRaw, LongtermRaw } from "./parse.js";
import type { CleanDelayKernel, DetectorKernel, LongtermKernel } from "./stats.js";

/** The `format` of calibration.json; a reader refuses any other (the number changes with an incompatible layout). */
export const CALIBRATION_FORMAT = "pinsim-calibration/1";
/** File names inside a calibration results folder. */
export const CALIBRATION_FILES = { manifest: "manifest.json", calibration: "calibration.json" } as const;

/** How a calibration was run: the mode, the parts and every probe's settings (the manifest's `config`, hashed). */
export interface CalibrationConfig {
  /** `"quick"` (`--quick`: a few trials per question) or `"full"` (the default). */
  mode: "quick" | "full";
  /** The parts run, in PARTS order (then LAB_PARTS, in a lab guest). */
  parts: (Part | LabPart)[];
  /** Seed of the model runs. */
  seed: number;
  /** Settings of calibrate/clean-delay.c. */
  cleanDelay: {
    /** Trials (files), each one page stored into a clean inode and, if `second` > 0, one more once it is dirty. */
    trials: number;
    /** Seconds between the first stores of consecutive trials. */
    stagger: number;
    /** Seconds from a trial's first store to its second (0: no second page); at most E / 2. */
    second: number;
    /** Milliseconds between polls of the pages' flags. */
    pollMs: number;
  };
  /** Settings of calibrate/detector.c. */
  detector: {
    /** Smallest k of plain references tried. */
    klo: number;
    /** Largest k tried (inclusive). */
    khi: number;
    /** Trials per k and LRU state. */
    reps: number;
    /** k for the trials before MMF_HAS_PINNED is set. */
    nopinK: number;
    /** k for the PMD THP trial. */
    thpK: number;
  };
  /** Settings of calibrate/longterm.c. */
  longterm: {
    /** Seconds waited before and after the O_DIRECT reads, for /proc/vmstat's pin counters to fold. */
    settle: number;
  };
}

/**
 * calibration.json: everything one `pinsim calibrate` run saw and concluded, from the raw
 * probe records to the comparison table. A part that did not run is `null` in `raw`,
 * `kernel` and `model`, and has no comparison rows. Times: seconds; raw probe times:
 * CLOCK_MONOTONIC seconds.
 */
export interface Calibration {
  /** Always CALIBRATION_FORMAT. */
  format: typeof CALIBRATION_FORMAT;
  /** The writer, `"pinsim X.Y.Z"`; loadCalibration refuses another major.minor. */
  pinsim: string;
  /** How the run was set up. */
  config: CalibrationConfig;
  /** ISO 8601 instant the probes started. */
  startedAt: string;
  /** ISO 8601 instant the results were written. */
  finishedAt: string;
  /** The machine (readEnvironment), with the filesystem and HZ of this run. */
  machine: Environment & {
    /** The filesystem of the results folder, where the probes' files live. */
    filesystem: FilesystemInfo;
    /** The HZ the model ran with. */
    hzUsed: number;
    /** Where `hzUsed` came from: CONFIG_HZ and its file, or inferred from the measured period (chooseHz). */
    hzSource: string;
    /** The 1, 5 and 15 minute load averages after the probes; null where unknown (absent in older files). */
    loadAverageEnd?: number[] | null;
  };
  /** The writeback sysctls (SYSCTLS; keys with a dot, `vm.dirty_expire_centisecs`), null where absent. */
  sysctls: {
    /** Values before the probes. */
    start: Record<string, number | null>;
    /** Values after the probes. */
    end: Record<string, number | null>;
    /** Keys whose value differs (a comparison is suspect when E or W moved during the run). */
    changed: string[];
  };
  /** E, vm.dirty_expire_centisecs / 100 at the start, seconds (mm/page-writeback.c dirty_expire_interval). */
  expire: number;
  /** W, vm.dirty_writeback_centisecs / 100 at the start, seconds (mm/page-writeback.c dirty_writeback_interval). */
  writebackInterval: number;
  /** The probes as built. */
  probes: {
    /** SHA-256 (hex) over every calibrate/*.c and *.h, names and contents, in name order. */
    sourceHash: string;
    /** Each source file's own SHA-256, by file name. */
    files: Record<string, string>;
    /** `cc --version`'s first line. */
    compiler: string;
  };
  /** Every record each probe printed, parsed (parse.ts); null for a part not run. */
  raw: {
    /** calibrate/clean-delay.c's records. */
    cleanDelay: CleanDelayRaw | null;
    /** calibrate/detector.c's records. */
    detector: DetectorRaw | null;
    /** calibrate/longterm.c's records. */
    longterm: LongtermRaw | null;
  };
  /** The kernel's side: statistics of the raw records (stats.ts); null for a part not run. */
  kernel: {
    /** Clean delays, windows and the flusher's period. */
    cleanDelay: CleanDelayKernel | null;
    /** The fork-copy threshold steps and the single trials. */
    detector: DetectorKernel | null;
    /** The refusal matrix and the O_DIRECT reads. */
    longterm: LongtermKernel | null;
  };
  /** The model's side, computed by the model's own code on the kernel's parameters (model.ts). */
  model: {
    /** Clean delays of a simulate() run on this kernel's E, W and HZ. */
    cleanDelay: CleanDelayModel | null;
    /** The model's fork decisions (src/model/anon.ts copyPresentPte on the measured release's preset). */
    detector: {
      /** The kernel preset whose fork rule ran (the measured release's, or the newest when it has none). */
      preset: string;
      /** Smallest k of plain references at which fork copies, the page on the LRU; null if none up to 4 × bias. */
      lru: number | null;
      /** The same with the page in the per-CPU lru_add batch (one reference more). */
      batch: number | null;
      /** Whether fork copies without MMF_HAS_PINNED (never: folio_needs_cow_for_dma asks for it). */
      noPinnedFlag: boolean;
      /** Whether fork copies a page with one FOLL_PIN and no other reference. */
      ioUringPin: boolean;
      /** Whether fork copies a PMD THP (order 9) held by the THP trial's plain references and no pin. */
      thp: boolean;
      /** GUP_PIN_COUNTING_BIAS used (1024, include/linux/mm.h). */
      bias: number;
      /** Why `lru` and `batch` are null on this release (no MMF_HAS_PINNED from the probe's O_DIRECT read), or null/absent. */
      noThresholdWhy?: string | null;
    } | null;
    /** The refusal matrix and the O_DIRECT read the model predicts. */
    longterm: {
      /** The kernel preset used, e.g. "6.12", with " (nearest)" when the release has no preset of its own. */
      preset: string;
      /** What decided the verdicts (gupDecide on the preset, or refusal.ts's rules), "; "-joined. */
      source: string;
      /** One verdict per mapping kind. */
      registrations: ModelRegistration[];
      /** An O_DIRECT read into a clean shared file page (modelOdirect). */
      odirect: {
        /** Whether GUP pins it (FOLL_PIN without FOLL_LONGTERM). */
        pinned: boolean;
        /** Whether the page is dirty afterwards (GUP's write fault). */
        dirty: boolean;
        /** Whether it has buffers afterwards (page_mkwrite attaches them). */
        buffers: boolean;
        /** Whether the read takes a FOLL_PIN (6.3 on) rather than a FOLL_GET reference; absent in folders written before the lab. */
        follPin?: boolean;
      };
    } | null;
  };
  /** The comparison table, one row per quantity, in part order (compare.ts). */
  comparison: ComparisonRow[];
  /** Only for `--kernel` other than host: the guest, its image and every filesystem's records (lab/assemble.ts). */
  lab?: LabInfo;
}

/**
 * manifest.json of a calibration folder: the sweep manifest's fields (src/sweep/types.ts
 * Manifest), so the folder tools that read one read the other, plus `kind` and a summary.
 */
export interface CalibrationManifest {
  /** Tells a calibration folder from a sweep's (whose manifest has no `kind`). */
  kind: "calibration";
  /** `calibrate-<kernel release>`. */
  name: string;
  /** The run's settings, as in calibration.json. */
  config: CalibrationConfig;
  /** SHA-256 (hex) of `JSON.stringify(config)`. */
  configHash: string;
  /** The model runs' seed (config.seed). */
  rootSeed: number;
  /** What drew the random numbers (the engine's seeded streams; the probes use none). */
  prng: string;
  /** The writer, `"pinsim X.Y.Z"`. */
  pinsim: string;
  /** The git commit of the pinsim checkout, or null outside one. */
  git: string | null;
  /** `process.version` of the writer. */
  node: string;
  /** Always empty: a calibration has no sweep axes. */
  axes: string[];
  /** Always empty: a calibration has no sweep metrics. */
  metrics: string[];
  /** Always null: a calibration is not sharded. */
  shard: null;
  /** Always empty: a calibration has no sweep points. */
  points: never[];
  /** `uname -r` of the measured kernel. */
  kernelRelease: string;
  /** SHA-256 of the probes' C sources (as `probes.sourceHash` in calibration.json). */
  probesSourceHash: string;
  /** Counts of the comparison's rows. */
  agree: {
    /** All rows. */
    rows: number;
    /** Rows with `agree: true` whose rule had the power to refute (ComparisonRow.power). */
    agree: number;
    /** Rows with `agree: true` but no power at their sample size: "not refuted by n samples" (absent before pinsim 0.1.0's issue 24). */
    notRefuted?: number;
    /** Rows with `agree: false`. */
    disagree: number;
    /** Rows with `agree: null` (the kernel side not measured here). */
    notMeasured: number;
  };
}

function writeAtomic(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
}

/** Write calibration.json then manifest.json into `dir` (created), each atomically. Throws the file system's error. */
export function writeCalibration(dir: string, c: Calibration, manifest: CalibrationManifest): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(dir, CALIBRATION_FILES.calibration, JSON.stringify(c, null, 1) + "\n");
  writeAtomic(dir, CALIBRATION_FILES.manifest, JSON.stringify(manifest, null, 2) + "\n");
}

/** The manifest's `kind`: "calibration", or "sweep" for a sweep's manifest (no kind), or null without a manifest. */
export function resultsKind(dir: string): "calibration" | "sweep" | null {
  let text: string | null;
  try {
    text = readRegularText(join(dir, CALIBRATION_FILES.manifest));
  } catch (e) {
    // A FIFO or a link to /dev/zero is never read: the sweep loader refuses it in its words.
    return e instanceof NotRegularFileError ? "sweep" : null;
  }
  if (text === null) return null;
  try {
    const m = JSON.parse(text) as { kind?: unknown };
    return m && m.kind === "calibration" ? "calibration" : "sweep";
  } catch {
    return "sweep"; // the sweep loader reports the corrupted manifest in its own words
  }
}

const ROW = z.object({
  part: z.enum([...PARTS, ...LAB_PARTS]),
  fs: z.string().optional(),
  quantity: z.string(),
  kernel: z.string(),
  kernelInterval: z.string().nullable(),
  model: z.string(),
  modelInterval: z.string().nullable(),
  agree: z.boolean().nullable(),
  rule: z.string(),
  samples: z.number().optional(),
  power: z.boolean().optional(),
  sampleUnit: z.string().optional(),
  machine: z.object({ why: z.string(), explains: z.boolean() }).nullable().optional(),
});
const CALIBRATION = z
  .object({
    format: z.literal(CALIBRATION_FORMAT),
    pinsim: z.string(),
    config: z.object({ mode: z.enum(["quick", "full"]), parts: z.array(z.string()) }).passthrough(),
    machine: z
      .object({
        kernelRelease: z.string(),
        filesystem: z.object({ type: z.string() }).passthrough(),
        hzUsed: z.number(),
      })
      .passthrough(),
    expire: z.number(),
    writebackInterval: z.number(),
    sysctls: z.object({ changed: z.array(z.string()) }).passthrough(),
    probes: z.object({ sourceHash: z.string() }).passthrough(),
    raw: z.object({}).passthrough(),
    kernel: KERNEL_SCHEMA,
    model: MODEL_SCHEMA,
    comparison: z.array(ROW),
  })
  .passthrough();

/**
 * Read and check a calibration folder (`dir` holding calibration.json). Throws
 * CalibrateInputError, one line naming the file and the problem, when the file is missing,
 * not JSON, not a calibration (the first bad field), or written by another pinsim
 * major.minor.
 */
export function loadCalibration(dir: string): Calibration {
  const path = join(dir, CALIBRATION_FILES.calibration);
  let text: string | null;
  try {
    text = readRegularText(path);
  } catch (e) {
    if (e instanceof NotRegularFileError) throw new CalibrateInputError(e.message);
    throw new CalibrateInputError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); run pinsim calibrate --out ${dir}`,
    );
  }
  if (text === null) throw new CalibrateInputError(`${path}: cannot read (ENOENT); run pinsim calibrate --out ${dir}`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CalibrateInputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  // The writer's version first: another pinsim's file may differ in any field, and what to
  // do about it is to calibrate again, not to mend the first field that differs.
  const writer = (raw as { pinsim?: unknown } | null)?.pinsim;
  const major = (s: string) => /(\d+)\.(\d+)\./.exec(s)?.slice(1, 3).join(".");
  if (typeof writer === "string" && major(writer) !== major(PACKAGE_VERSION))
    throw new CalibrateInputError(
      `${path}: written by ${writer.length > MAX_VALUE_TEXT ? showValue(writer) : writer}, this is pinsim ${PACKAGE_VERSION}: rerun pinsim calibrate`,
    );
  const r = CALIBRATION.safeParse(raw);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new CalibrateInputError(`${path}: not a pinsim calibration: ${issueText(iss, raw)}`);
  }
  return raw as Calibration;
}
