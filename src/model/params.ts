/**
 * The parameters of docs/model.md#parameters: one schema, defaults, and the one place where input is
 * validated. Every error names the field, the value and what is allowed, in one line.
 */
import { z } from "zod";
import { ParamError } from "../errors.js";
import { resolveFolioOrder } from "./backings.js";
import { checkInputShape, checkRun } from "./budget.js";
import { POLICY_IDS } from "./policy-ids.js";
import {
  DISTRIBUTION_FORMS,
  DistributionError,
  distributionRange,
  formatDistribution,
  parseDistribution,
  type DistributionSpec,
} from "./distributions.js";
import {
  COVERAGE_DEFAULTS,
  COVERAGE_FIELDS,
  KERNEL_PRESET_PARAMS,
  checkCoverage,
  kernelPresetValues,
  resolveGroups,
  type CoverageParams,
  type PinnerGroup,
} from "./coverage-params.js";
import { idleParams, refuseIdle, type IdleParam } from "./idle-params.js";

/** Largest value of the signed 32-bit page refcount (atomic_t); see mm/gup.c try_grab_folio. */
export const REFCOUNT_MAX = 2 ** 31 - 1;

/**
 * The GUP paths a pin may take (docs/model.md#gup-for-write-pin): `slow`, the page-table walk
 * under the mmap lock (mm/gup.c __get_user_pages); `fast`, the lockless walk that grabs the
 * page then rechecks that the pte did not change (mm/gup.c gup_fast_pte_range); and
 * `fast-no-recheck`, the same without the recheck, which only the checker can tell apart
 * (the time simulation runs a GUP-fast at one instant).
 */
export const GUP_PATHS = ["slow", "fast", "fast-no-recheck"] as const;
/** One of GUP_PATHS. */
export type GupPath = (typeof GUP_PATHS)[number];
/**
 * What ext4's writeback does with a dirty page that has no buffers: `ext4-bug` BUG()s, as
 * before commit cc5095747edf (v5.18, fs/ext4/inode.c), and the run stops with `crashedAt`;
 * `ext4-warn` warns, clears PG_dirty and skips the page, as since.
 */
export const FS_BEHAVIORS = ["ext4-bug", "ext4-warn"] as const;
/** One of FS_BEHAVIORS. */
export type FsBehavior = (typeof FS_BEHAVIORS)[number];

/** Every parameter, with its default filled in (what a RunResult echoes back). */
export interface Params extends CoverageParams {
  /**
   * Pin and release policy id: one of POLICY_IDS, or the id of a user's own Policy passed
   * as `simulate(params, { policy })`. Default `foll-pin`.
   */
  policy: string;
  /** Root seed of every random stream, an integer in 0..2^32-1. Default 1. */
  seed: number;
  /** Simulated seconds before the end-of-run sync. Default 600. */
  duration: number;
  /** Number of files (inodes). Default 64. */
  files: number;
  /** Pages (4 KiB) per file. Default 64, or whole folios when 2^folioOrder is larger (512 at order 9). */
  pagesPerFile: number;
  /** How long a pin is held, seconds (distribution). Default 60. */
  pinDuration: DistributionSpec;
  /** Time between a pinner's release and its next pin, seconds (distribution). Default 10. */
  pinGap: DistributionSpec;
  /** Number of pinners, each a closed loop of pin, hold, release, wait. Default 16. */
  pinners: number;
  /** Contiguous pages in one pin. Default 4. */
  pagesPerPin: number;
  /** FOLL_LONGTERM (RDMA, VFIO, io_uring fixed buffers). Default true. */
  longTerm: boolean;
  /** GUP path: `slow`, `fast` (pte recheck), `fast-no-recheck`. Default `slow`. */
  gupPath: GupPath;
  /** Device writes per pinned page per second. Default 0.1. */
  dmaWriteRate: number;
  /** CPU stores per page per second. Default 0.001. */
  cpuWriteRate: number;
  /** Process mappings per page (distribution, integer). Default 1. */
  shareCount: DistributionSpec;
  /** Other references per page (distribution, integer). Default 0. */
  transientRefs: DistributionSpec;
  /** GUP_PIN_COUNTING_BIAS. Default 1024. */
  bias: number;
  /** W, dirty_writeback_centisecs / 100, seconds; 0 disables kupdate. Default 5. */
  writebackInterval: number;
  /** E, dirty_expire_centisecs / 100, seconds. Default 30. */
  dirtyExpire: number;
  /** CONFIG_HZ for the timer-wheel rounding of W; 0 gives the idealised period W. Default 250. */
  hz: number;
  /** Time PG_writeback stays set, seconds (distribution). Default 0.01. */
  writebackLatency: DistributionSpec;
  /** Background writeback threshold in dirty pages; 0 turns it off. Default 0. */
  dirtyBackgroundPages: number;
  /** fsync calls per file per second. Default 0. */
  fsyncRate: number;
  /** Reclaim attempts per page per second. Default 0. */
  reclaimRate: number;
  /** mm/vmscan.c pinned-folio guard (2023); null takes the policy's default. Default null. */
  reclaimGuard: boolean | null;
  /** Truncates per file per second. Default 0. */
  truncateRate: number;
  /**
   * invalidate_mapping_pages over a file (drop_caches, fadvise POSIX_FADV_DONTNEED), per file
   * per second. Default 0.
   */
  invalidateRate: number;
  /**
   * Invalidations of a held pin's range whose MMU notifier runs the pinner's release
   * (invalidate_range_start: i915 userptr before 5.13), per pin per second, from a path that
   * holds the page lock of one of its mapped pages (try_to_unmap, page_mkclean), or none when
   * none is mapped. Default 0.
   */
  notifierRate: number;
  /** SB_I_STABLE_WRITES: page_mkwrite waits for writeback. Default false. */
  stableWrites: boolean;
  /** What writeback does with a dirty page without buffers. Default `ext4-warn`. */
  fsBehavior: FsBehavior;
  /**
   * Seconds from set_page_writeback (and unlock_page) to the block layer's bounce copy at
   * bio submission, for policies that bounce there (block-bounce); a device write inside
   * the window is modifiedUnderWriteback. Default 50e-6.
   */
  bounceDelay: number;
  /**
   * fork() calls per file per second (backing `anon`: a file is one process's anonymous
   * mapping; copy_present_pte's rule per release, src/model/anon.ts). Default 0.
   */
  forkRate: number;
  /** Seconds a forked child keeps sharing the pages before it exits (distribution). Default 1. */
  childLifetime: DistributionSpec;
  /**
   * The filesystem O_DIRECT writes go to (a pinner group of caller `odirect` with pinAccess
   * `read`: its pages are the bios' sources); btrfs from 6.15 writes them buffered and pins
   * nothing. Default `ext4`.
   */
  dioDest: "ext4" | "xfs" | "btrfs";
}

/** The name of one parameter (a key of Params). */
export type ParamName = keyof Params;
/** What a config file or a caller may give: any subset, plus the sysctl aliases. */
export type ParamsInput = Partial<Params> & {
  /** vm.dirty_writeback_centisecs, centiseconds: sets `writebackInterval` to this / 100 (not with it). */
  dirty_writeback_centisecs?: number;
  /** vm.dirty_expire_centisecs, centiseconds: sets `dirtyExpire` to this / 100 (not with it). */
  dirty_expire_centisecs?: number;
};

/** Every parameter's default (frozen): what resolveParams fills in for a field the input leaves out. */
export const DEFAULT_PARAMS: Readonly<Params> = Object.freeze({
  policy: "foll-pin",
  seed: 1,
  duration: 600,
  files: 64,
  pagesPerFile: 64,
  pinDuration: 60,
  pinGap: 10,
  pinners: 16,
  pagesPerPin: 4,
  longTerm: true,
  gupPath: "slow",
  dmaWriteRate: 0.1,
  cpuWriteRate: 0.001,
  shareCount: 1,
  transientRefs: 0,
  bias: 1024,
  writebackInterval: 5,
  dirtyExpire: 30,
  hz: 250,
  writebackLatency: 0.01,
  dirtyBackgroundPages: 0,
  fsyncRate: 0,
  reclaimRate: 0,
  reclaimGuard: null,
  truncateRate: 0,
  invalidateRate: 0,
  notifierRate: 0,
  stableWrites: false,
  fsBehavior: "ext4-warn",
  bounceDelay: 50e-6,
  forkRate: 0,
  childLifetime: 1,
  dioDest: "ext4",
  ...COVERAGE_DEFAULTS,
} satisfies Params);

/** Sysctl spellings accepted in configs, in their own units (centiseconds). */
export const SYSCTL_ALIASES = {
  /** vm.dirty_writeback_centisecs (mm/page-writeback.c dirty_writeback_interval) → `writebackInterval`, seconds. */
  dirty_writeback_centisecs: "writebackInterval",
  /** vm.dirty_expire_centisecs (mm/page-writeback.c dirty_expire_interval) → `dirtyExpire`, seconds. */
  dirty_expire_centisecs: "dirtyExpire",
} as const;

/** The parameters whose value may be a distribution. */
export const DISTRIBUTION_PARAMS = [
  "pinDuration",
  "pinGap",
  "shareCount",
  "transientRefs",
  "writebackLatency",
  "childLifetime",
] as const;

export { ParamError } from "../errors.js";

const nonNegative = z.number().finite().min(0);
const positiveInt = (max: number) => z.number().int().min(1).max(max);

// Each field's schema and the allowed-values text its error prints.
const FIELDS: { [K in ParamName]: [z.ZodType, string] } = {
  policy: [z.enum(POLICY_IDS), POLICY_IDS.join(", ")],
  seed: [
    z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    "an integer in 0..4294967295",
  ],
  duration: [z.number().finite().positive(), "a positive number of seconds"],
  files: [positiveInt(1 << 20), "an integer in 1..1048576"],
  pagesPerFile: [positiveInt(1 << 20), "an integer in 1..1048576"],
  pinDuration: [z.union([z.number(), z.string()]), `non-negative seconds: ${DISTRIBUTION_FORMS}`],
  pinGap: [z.union([z.number(), z.string()]), `non-negative seconds: ${DISTRIBUTION_FORMS}`],
  pinners: [
    z
      .number()
      .int()
      .min(0)
      .max(1 << 24),
    "an integer in 0..16777216",
  ],
  pagesPerPin: [positiveInt(1 << 20), "an integer from 1 to pagesPerFile"],
  longTerm: [z.boolean(), "true or false"],
  gupPath: [z.enum(GUP_PATHS), GUP_PATHS.join(", ")],
  dmaWriteRate: [nonNegative, "a non-negative rate per second"],
  cpuWriteRate: [nonNegative, "a non-negative rate per second"],
  shareCount: [z.union([z.number(), z.string()]), `a non-negative integer count: ${DISTRIBUTION_FORMS} (bounded)`],
  transientRefs: [z.union([z.number(), z.string()]), `a non-negative integer count: ${DISTRIBUTION_FORMS} (bounded)`],
  bias: [
    z
      .number()
      .int()
      .min(1)
      .max(1 << 30),
    "an integer in 1..1073741824",
  ],
  writebackInterval: [nonNegative, "non-negative seconds (0 disables kupdate)"],
  dirtyExpire: [nonNegative, "non-negative seconds"],
  hz: [z.number().int().min(0).max(100000), "0 (idealised) or a CONFIG_HZ such as 100, 250, 300, 1000"],
  writebackLatency: [z.union([z.number(), z.string()]), `non-negative seconds: ${DISTRIBUTION_FORMS}`],
  dirtyBackgroundPages: [z.number().int().min(0), "a non-negative integer (0 = off)"],
  fsyncRate: [nonNegative, "a non-negative rate per second"],
  reclaimRate: [nonNegative, "a non-negative rate per second"],
  reclaimGuard: [z.boolean().nullable(), "true, false or null (policy default)"],
  truncateRate: [nonNegative, "a non-negative rate per second"],
  invalidateRate: [nonNegative, "a non-negative rate per second"],
  notifierRate: [nonNegative, "a non-negative rate per second"],
  stableWrites: [z.boolean(), "true or false"],
  fsBehavior: [z.enum(FS_BEHAVIORS), FS_BEHAVIORS.join(", ")],
  bounceDelay: [z.number().finite().min(0).max(3600), "non-negative seconds, at most 3600"],
  forkRate: [nonNegative, "a non-negative rate per second"],
  childLifetime: [z.union([z.number(), z.string()]), `non-negative seconds: ${DISTRIBUTION_FORMS}`],
  dioDest: [z.enum(["ext4", "xfs", "btrfs"]), "ext4, xfs, btrfs"],
  ...COVERAGE_FIELDS,
};

/** Every parameter name, in the order of the field table (the order `--help` and errors list them). */
export const PARAM_NAMES = Object.keys(FIELDS) as ParamName[];

/** What a field accepts, as its error message would say. */
export function allowedValues(name: ParamName): string {
  return FIELDS[name][1];
}

function checkDistribution(name: ParamName, value: unknown, integer: boolean): DistributionSpec {
  let d: ReturnType<typeof parseDistribution>;
  try {
    d = parseDistribution(value as DistributionSpec);
  } catch (e) {
    if (e instanceof DistributionError) throw new ParamError(name, value, `${FIELDS[name][1]}; ${e.message}`);
    throw e;
  }
  const [lo, hi] = distributionRange(d);
  if (lo < 0 || Number.isNaN(lo))
    throw new ParamError(name, value, `${FIELDS[name][1]}; it can produce negative values`);
  if (integer && hi === Infinity)
    throw new ParamError(
      name,
      value,
      `${FIELDS[name][1]}; a count needs a bounded distribution (fixed, uniform, zipf, hist)`,
    );
  if (integer && d.kind === "fixed" && !Number.isInteger(d.value)) throw new ParamError(name, value, FIELDS[name][1]);
  return formatDistribution(d);
}

/** The sysctl spellings (centiseconds) turned into their parameters (seconds), in place. */
function applySysctlAliases(raw: Record<string, unknown>): Record<string, unknown> {
  for (const [alias, name] of Object.entries(SYSCTL_ALIASES)) {
    if (!Object.hasOwn(raw, alias)) continue; // own keys only: "constructor" is no parameter
    const v = raw[alias];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ParamError(alias, v, "non-negative centiseconds");
    if (Object.hasOwn(raw, name)) throw new ParamError(alias, v, `either ${alias} or ${name}, not both`);
    raw[name] = v / 100;
    delete raw[alias];
  }
  return raw;
}

/** The flat pinner parameters as one group: what a pinnerGroups entry leaves out, and the only group without them. */
export function flatPinnerGroup(p: Params): PinnerGroup {
  return {
    caller: p.caller,
    pinners: p.pinners,
    pinDuration: p.pinDuration,
    pinGap: p.pinGap,
    pagesPerPin: p.pagesPerPin,
    pinAccess: p.pinAccess,
    gupPath: p.gupPath,
    longTerm: p.longTerm,
    dmaWriteRate: p.dmaWriteRate,
  };
}

/** Each pinner group checked field by field, the flat parameters filling what a group leaves out. */
function resolvePinnerGroups(p: Params): PinnerGroup[] {
  const fail = (field: string, value: unknown, allowed: string): never => {
    throw new ParamError(field, value, allowed);
  };
  const check = (field: string, name: ParamName, value: unknown): unknown => {
    const [schema, allowed] = FIELDS[name];
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ParamError(field, value, allowed);
    if (name !== "pinDuration" && name !== "pinGap") return parsed.data;
    try {
      return checkDistribution(name, parsed.data, false);
    } catch (e) {
      if (e instanceof ParamError) throw new ParamError(field, value, e.allowed);
      throw e;
    }
  };
  const flat = flatPinnerGroup(p);
  return resolveGroups(p.pinnerGroups as unknown as Record<string, unknown>[], flat, check, fail, p.pagesPerFile);
}

/**
 * The fields an input gives, as refusals name them: `duration`, and `pinnerGroups[0].pinGap`
 * for each key of each pinner group (so that a budget refusal names what the user typed,
 * not a default: src/model/budget.ts).
 */
function givenFields(raw: Record<string, unknown>): Set<string> {
  const given = new Set(Object.keys(raw).filter((k) => raw[k] !== undefined));
  const groups = raw.pinnerGroups;
  if (Array.isArray(groups))
    groups.forEach((g, i) => {
      if (g !== null && typeof g === "object")
        for (const [k, v] of Object.entries(g)) if (v !== undefined) given.add(`pinnerGroups[${i}].${k}`);
    });
  return given;
}

/**
 * A pinner whose hold and gap are both always 0 would cycle forever at one instant: refused
 * for the flat pinners and for every pinner group, naming the field the user gave.
 */
function checkPinCycles(p: Params, given: ReadonlySet<string>): void {
  const pops =
    p.pinnerGroups === null
      ? [{ prefix: "", g: flatPinnerGroup(p) }]
      : p.pinnerGroups.map((g, i) => ({ prefix: `pinnerGroups[${i}].`, g }));
  const max = (spec: DistributionSpec) => distributionRange(parseDistribution(spec))[1];
  for (const { prefix, g } of pops) {
    if (g.pinners === 0 || max(g.pinDuration) !== 0 || max(g.pinGap) !== 0) continue;
    const names = [`${prefix}pinGap`, `${prefix}pinDuration`, "pinGap", "pinDuration"];
    const field = names.find((n) => given.has(n)) ?? names[0]!;
    const value = field.endsWith("pinGap") ? g.pinGap : g.pinDuration;
    const other = field.endsWith("pinGap") ? "pinDuration" : "pinGap";
    throw new ParamError(field, value, `> 0 when ${other} is 0: a pinner would cycle forever at one instant`);
  }
}

/**
 * Validate input and fill in defaults. Unknown keys, bad values and inconsistent
 * combinations throw ParamError, and so does a parameter given without effect (forkRate on
 * a file backing, dioDest without an O_DIRECT write: src/model/idle-params.ts) unless
 * `options.onIdle` takes the list instead (a sweep's point: src/sweep/grid.ts). The result
 * is a fresh plain object.
 */
export function resolveParams(
  input: ParamsInput | Record<string, unknown> = {},
  options: { onIdle?: (idle: IdleParam[]) => void } = {},
): Params {
  if (input === null || typeof input !== "object" || Array.isArray(input))
    throw new ParamError("parameters", input, "a JSON object whose keys are parameter names");
  checkInputShape(input, "parameters"); // nesting and sizes before anything walks the value
  const raw = applySysctlAliases({ ...input });
  const out: Record<string, unknown> = { ...DEFAULT_PARAMS };
  for (const [key, value] of Object.entries(raw)) {
    if (!Object.hasOwn(FIELDS, key)) {
      throw new ParamError("parameter", key, `${PARAM_NAMES.join(", ")}, ${Object.keys(SYSCTL_ALIASES).join(", ")}`);
    }
    const name = key as ParamName;
    if (value === undefined) continue;
    const [schema, allowed] = FIELDS[name];
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new ParamError(name, value, allowed);
    out[name] = parsed.data;
  }
  for (const name of DISTRIBUTION_PARAMS) {
    out[name] = checkDistribution(name, out[name], name === "shareCount" || name === "transientRefs");
  }
  // A kernel preset supplies what the input leaves out (src/model/kernels.ts); explicit values win.
  if (out.kernel !== null) {
    const preset = kernelPresetValues(
      out.kernel as CoverageParams["kernel"] & string,
      out.caller as CoverageParams["caller"],
    );
    for (const name of KERNEL_PRESET_PARAMS)
      if (raw[name] === undefined || raw[name] === null) out[name] = preset[name];
  }
  const p = out as unknown as Params;
  // A backing whose folios are never order 0 (hugetlbfs: 2 MiB, order 9) takes its smallest
  // folio order when folioOrder is not given, and a pagesPerFile left at its default grows to
  // whole folios (64 → 512 for order 9); values given explicitly are checked as given
  // (resolveFolioOrder, the check the checker's Folio: line meets too).
  p.folioOrder = resolveFolioOrder(p.backing, p.kernel, raw.folioOrder === undefined ? null : p.folioOrder);
  if (raw.pagesPerFile === undefined && Number.isInteger(p.folioOrder)) {
    const folio = 2 ** p.folioOrder;
    p.pagesPerFile = Math.ceil(p.pagesPerFile / folio) * folio;
  }
  // Backing anon is MAP_PRIVATE|MAP_ANONYMOUS (src/model/env.ts); a shared mapping asked for
  // it is refused rather than made private (MAP_SHARED anonymous memory is shmem: tmpfs),
  // and a mapping left out is private, so that the parameters recorded say what ran.
  if (p.backing === "anon" && raw.mapping === "shared")
    throw new ParamError(
      "mapping",
      "shared",
      "private with backing anon (MAP_SHARED anonymous memory is shmem: backing tmpfs)",
    );
  if (p.backing === "anon" && (raw.mapping ?? null) === null) p.mapping = "private";
  if (p.pinnerGroups !== null) p.pinnerGroups = resolvePinnerGroups(p);
  checkCoverage(p, (field, value, allowed) => {
    throw new ParamError(field, value, allowed);
  });
  if (p.pagesPerPin > p.pagesPerFile)
    throw new ParamError("pagesPerPin", p.pagesPerPin, `an integer from 1 to pagesPerFile (${p.pagesPerFile})`);
  if (p.files * p.pagesPerFile > 1 << 26)
    throw new ParamError("files", p.files, `files × pagesPerFile at most 67108864 (got ${p.files * p.pagesPerFile})`);
  const given = givenFields(raw);
  refuseIdle(idleParams(p, given), options.onIdle);
  checkPinCycles(p, given);
  // The resting refcount must fit before any GUP reference is taken: 1 (page cache) + 1
  // (buffers) + shares + transient <= 2^31 - 1 (mm/gup.c refuses beyond, include/linux/page_ref.h).
  const maxShares = distributionRange(parseDistribution(p.shareCount))[1];
  const maxTransient = distributionRange(parseDistribution(p.transientRefs))[1];
  // Name the field that overflows it (the larger of the two maxima, so that the other one
  // leaves it a positive allowance), with its own value and its own largest allowed maximum.
  if (2 + maxShares + maxTransient > REFCOUNT_MAX) {
    const [field, value, other] =
      maxTransient > maxShares
        ? (["transientRefs", p.transientRefs, `shareCount ${maxShares}`] as const)
        : (["shareCount", p.shareCount, `transientRefs ${maxTransient}`] as const);
    const room = REFCOUNT_MAX - 2 - (field === "transientRefs" ? maxShares : maxTransient);
    throw new ParamError(
      field,
      value,
      `at most ${room} so that the refcount (1 + buffers + shares + transient) fits in 2^31 - 1 with ${other}`,
    );
  }
  checkRun(p, { given, defaults: DEFAULT_PARAMS }); // magnitudes: src/model/budget.ts
  return { ...p };
}

/** kebab-case flag name of a parameter: pinDuration -> pin-duration. */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}
