/**
 * The coverage parameters (issue 10): `kernel`, `mapping`, `backing`, `pinAccess`, `caller`,
 * `pinnerGroups`, `folioOrder`. Their schemas, the kernel preset's defaults, and the
 * cross-field checks, called from resolveParams (params.ts) so every entry point (run,
 * sweep, notebook, checker) validates them the same way. Errors name the field, the value
 * and what is allowed, in one line.
 */
import { z } from "zod";
import {
  BACKINGS,
  BACKING_PROFILES,
  MAPPINGS,
  MAX_FOLIO_ORDER,
  PIN_ACCESSES,
  type Backing,
  type Mapping,
  type PinAccess,
} from "./backings.js";
import { CALLER_IDS, callerProfile, type CallerId } from "./callers.js";
import { KERNELS, KERNEL_IDS, type KernelId } from "./kernels.js";
import type { DistributionSpec } from "./distributions.js";
import type { FsBehavior } from "./params.js";
import type { PolicyId } from "./policy-ids.js";

/** One population of pinners: `pinners` closed loops of the same caller and shape. */
export interface PinnerGroup {
  /** Who pins (src/model/callers.ts). */
  caller: CallerId;
  /** Number of pinners, at least 1. */
  pinners: number;
  /** Seconds a pin is held (distribution). */
  pinDuration: DistributionSpec;
  /** Seconds between a release and the next pin (distribution). */
  pinGap: DistributionSpec;
  /** Contiguous pages per pin, 1..pagesPerFile. */
  pagesPerPin: number;
  /** FOLL_WRITE or not; a caller may force it (io_uring) or never ask (vmsplice). */
  pinAccess: PinAccess;
  /** `slow`, `fast` or `fast-no-recheck`. */
  gupPath: "slow" | "fast" | "fast-no-recheck";
  /** FOLL_LONGTERM; a caller may force it (RDMA, VFIO, io_uring) or never ask (O_DIRECT, GPU, vmsplice). */
  longTerm: boolean;
  /** Device writes per pinned page per second while held (an O_DIRECT read is one write in a ~1 ms pin). */
  dmaWriteRate: number;
}

/** Keys a group may give; any it leaves out take the flat parameter of the same name. */
export const GROUP_KEYS = [
  "caller",
  "pinners",
  "pinDuration",
  "pinGap",
  "pagesPerPin",
  "pinAccess",
  "gupPath",
  "longTerm",
  "dmaWriteRate",
] as const;

/** The fields this module adds to Params, with their defaults. */
export interface CoverageParams {
  /** Kernel release preset; null: no preset (policy, reclaimGuard, fsBehavior, hz as given or defaulted). Default null. */
  kernel: KernelId | null;
  /** MAP_SHARED or MAP_PRIVATE; a private mapping's write pins hold the anonymous COW copy. Default `shared`; `private` with backing `anon` (MAP_PRIVATE|MAP_ANONYMOUS; `shared` is refused there). */
  mapping: Mapping;
  /** Filesystem behind the files (src/model/backings.ts). Default `ext4`. */
  backing: Backing;
  /** FOLL_WRITE (`write`) or a read-only pin (`read`: no write fault, no device writes). Default `write`. */
  pinAccess: PinAccess;
  /** Who pins, for the flat one-group shorthand. Default `generic`. */
  caller: CallerId;
  /** Several populations in one run; null: one group from the flat parameters. Default null. */
  pinnerGroups: PinnerGroup[] | null;
  /**
   * log2 of pages per folio, 0..9: the unit of PG_dirty, PG_writeback, mapping and reclaim.
   * Default 0; 9 on hugetlbfs, which has no smaller folio (resolveParams also grows a
   * defaulted pagesPerFile to whole folios).
   */
  folioOrder: number;
}

/** The coverage parameters' defaults: no kernel preset, a shared ext4 mapping, write pins by the generic caller, the flat pinners, order-0 folios. */
export const COVERAGE_DEFAULTS: Readonly<CoverageParams> = Object.freeze({
  kernel: null,
  mapping: "shared",
  backing: "ext4",
  pinAccess: "write",
  caller: "generic",
  pinnerGroups: null,
  folioOrder: 0,
} satisfies CoverageParams);

/** A JSON object: not null, not a list. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Field schemas and the allowed-values text each error prints (merged into params.ts FIELDS). */
export const COVERAGE_FIELDS: { [K in keyof CoverageParams]: [z.ZodType, string] } = {
  kernel: [z.enum(KERNEL_IDS).nullable(), `null or one of ${KERNEL_IDS.join(", ")}`],
  mapping: [z.enum(MAPPINGS), MAPPINGS.join(", ")],
  backing: [z.enum(BACKINGS), BACKINGS.join(", ")],
  pinAccess: [z.enum(PIN_ACCESSES), PIN_ACCESSES.join(", ")],
  caller: [z.enum(CALLER_IDS), CALLER_IDS.join(", ")],
  pinnerGroups: [
    // Each group kept as given, not copied: z.record's copy drops an own `__proto__` key
    // (JSON.parse makes one), which resolveGroups must see to refuse it as an unknown key.
    z.union([z.null(), z.array(z.custom<Record<string, unknown>>(isPlainObject)).min(1)]),
    `null or a non-empty list of objects with keys ${GROUP_KEYS.join(", ")}`,
  ],
  folioOrder: [z.number().int().min(0).max(MAX_FOLIO_ORDER), `an integer in 0..${MAX_FOLIO_ORDER}`],
};

/** Parameters a kernel preset supplies when the input does not give them. */
export const KERNEL_PRESET_PARAMS = ["policy", "reclaimGuard", "fsBehavior", "hz"] as const;

/**
 * The values a kernel preset gives the parameters it sets, for the flat caller: the
 * caller's policy in that release, the reclaim guard, ext4's BUG or warn, HZ.
 */
export function kernelPresetValues(kernel: KernelId, caller: CallerId = "generic"): KernelPresetValues {
  const k = KERNELS[kernel];
  return {
    policy: callerProfile(caller, kernel).policy,
    reclaimGuard: k.reclaimGuard,
    fsBehavior: k.fsBehavior,
    hz: k.hz,
  };
}

/** The parameters a kernel preset sets (KERNEL_PRESET_PARAMS), as that preset sets them. */
export interface KernelPresetValues {
  /** The policy of the caller's GUP and release in that release (src/model/callers.ts). */
  policy: PolicyId;
  /** Whether reclaim skips maybe-pinned folios (mm/vmscan.c, 2023 on). */
  reclaimGuard: boolean;
  /** ext4's BUG (`ext4-bug`) or warn (`ext4-warn`) on a bufferless dirty page. */
  fsBehavior: FsBehavior;
  /** CONFIG_HZ, the kernel's default (kernel/Kconfig.hz: 250). */
  hz: number;
}

/** What a run result records about its kernel preset: the preset's values and the ones the run used. */
export interface KernelRecord {
  /** The preset's release, e.g. `6.1`. */
  id: KernelId;
  /** What the preset says. */
  preset: KernelPresetValues;
  /** Parameters given explicitly that differ from the preset (the run used these). */
  overridden: Partial<KernelPresetValues>;
}

/** The kernel record of resolved parameters; null without a kernel preset. */
export function kernelRecord(p: {
  kernel: KernelId | null;
  caller: CallerId;
  policy: string;
  reclaimGuard: boolean | null;
  fsBehavior: string;
  hz: number;
}): KernelRecord | null {
  if (p.kernel === null) return null;
  const preset = kernelPresetValues(p.kernel, p.caller);
  const overridden: Record<string, unknown> = {};
  for (const name of KERNEL_PRESET_PARAMS) if (p[name] !== null && p[name] !== preset[name]) overridden[name] = p[name];
  return { id: p.kernel, preset, overridden: overridden as KernelRecord["overridden"] };
}

type Fail = (field: string, value: unknown, allowed: string) => never;

/**
 * Resolve `pinnerGroups` against the flat parameters: each group's missing keys take the
 * flat value. `check(name, value)` validates one value against the flat field's schema and
 * returns it (throwing the flat field's error under the group's field name).
 */
export function resolveGroups(
  raw: Record<string, unknown>[],
  flat: PinnerGroup,
  check: (field: string, name: (typeof GROUP_KEYS)[number], value: unknown) => unknown,
  fail: Fail,
  pagesPerFile: number,
): PinnerGroup[] {
  return raw.map((g, i) => {
    const field = (k: string) => `pinnerGroups[${i}].${k}`;
    for (const k of Object.keys(g))
      if (!(GROUP_KEYS as readonly string[]).includes(k)) fail(`pinnerGroups[${i}] key`, k, GROUP_KEYS.join(", "));
    const out = { ...flat } as Record<string, unknown>;
    for (const k of GROUP_KEYS) if (g[k] !== undefined) out[k] = check(field(k), k, g[k]);
    const group = out as unknown as PinnerGroup;
    if (group.pinners < 1)
      fail(
        field("pinners"),
        group.pinners,
        "an integer in 1..16777216 (a group with no pinners pins nothing: leave it out)",
      );
    if (group.pagesPerPin > pagesPerFile)
      fail(field("pagesPerPin"), group.pagesPerPin, `an integer from 1 to pagesPerFile (${pagesPerFile})`);
    return group;
  });
}

/** Cross-field checks of the coverage parameters. */
export function checkCoverage(p: CoverageParams & { pagesPerFile: number; pagesPerPin: number }, fail: Fail): void {
  const n = 1 << p.folioOrder;
  if (p.pagesPerFile % n !== 0)
    fail("pagesPerFile", p.pagesPerFile, `a multiple of 2^folioOrder = ${n} (whole folios per file)`);
  void BACKING_PROFILES;
}
