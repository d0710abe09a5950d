/**
 * The run's environment: everything the kernel release, the backing, the mapping and the
 * policy decide before the first event, computed once by {@link runEnv} and owned by the
 * PageCache (`pc.env`). The engine (simulate) and the checker (checkConfig) both build it
 * here, so a run given `--kernel 5.15`, a scenario's `Kernel: 5.15` line and a scenario
 * variant `kernel=5.15` cannot differ in what they take from the preset.
 *
 * What it holds: stable writes (SB_I_STABLE_WRITES), whether reclaim writes file pages
 * (pageout and ->writepage), whether the backing writes back at all, the reclaim guard,
 * ext4's BUG or warn, the folio order and its default, what the page cache tracks
 * (exact pin counts, private data), the policy's device mirror; and, through
 * {@link pinDecision}, the caller → policy → GUP decision of each pinner.
 */
import { InputError } from "../errors.js";
import { callerOverlay, callerPolicy, groupGup, type GroupGup } from "../policies/caller.js";
import { getPolicy } from "../policies/index.js";
import {
  BACKING_PROFILES,
  pageCacheTracking,
  reclaimWritesFile,
  resolveFolioOrder,
  type Backing,
  type Mapping,
  type PinAccess,
} from "./backings.js";
import { anonRules, type AnonFeature, type AnonRules } from "./anon.js";
import { callerProfile, type CallerId, type CallerProfile, type ReleaseKind } from "./callers.js";
import { hasFeature, KERNELS, NEWEST_KERNEL, type KernelId } from "./kernels.js";

export { NEWEST_KERNEL } from "./kernels.js";
import type { FsBehavior } from "./params.js";
import { deviceMirrorOf, type DeviceMirror, type Policy } from "./policy.js";

/** ext4's behaviour on a dirty page without buffers when neither the input nor a preset says. */
export const DEFAULT_FS_BEHAVIOR: FsBehavior = "ext4-warn";

/** What {@link runEnv} is computed from. Every field but `policy` has a default. */
export interface EnvInput {
  /** Kernel preset; null (default): none, the model of MODEL.md as given. */
  kernel?: KernelId | null;
  /** Filesystem behind the files. Default `ext4`. */
  backing?: Backing;
  /** MAP_SHARED or MAP_PRIVATE. Default `shared`. */
  mapping?: Mapping;
  /**
   * log2 of pages per folio; null or absent: the smallest order the backing has on that
   * release (9 on hugetlbfs, else 0). An order the page cache cannot hold is refused.
   */
  folioOrder?: number | null;
  /** SB_I_STABLE_WRITES asked for (the `stableWrites` parameter, the checker's `Stable:` knob). Default false. */
  stableWrites?: boolean;
  /** The reclaim guard; null or absent: the preset's, else the policy's default. */
  reclaimGuard?: boolean | null;
  /** ext4 on a bufferless dirty page; null or absent: the preset's, else `ext4-warn`. */
  fsBehavior?: FsBehavior | null;
  /** The base policy: its hooks run the shared paths (writeback), and pinners run it unless `policyPerCaller`. */
  policy: Policy;
  /**
   * Each pinner runs the policy its caller has in the preset's release (callerProfile's
   * `policy`), as a kernel preset does when no policy was given. Needs a kernel. Default false.
   */
  policyPerCaller?: boolean;
  /**
   * Features of anonRules to leave out of the release (src/model/anon.ts ANON_FEATURES): the
   * release as it was before those fixes on the anonymous-memory paths. Default none.
   */
  without?: readonly AnonFeature[];
}

/** The environment of one run (engine) or one search (checker): one plain value. */
export interface RunEnv {
  /** Kernel preset, or null. */
  readonly kernel: KernelId | null;
  /** The release a caller's profile describes: the preset, or {@link NEWEST_KERNEL} without one. */
  readonly kernelOfCaller: KernelId;
  /** Filesystem. */
  readonly backing: Backing;
  /** MAP_SHARED or MAP_PRIVATE. */
  readonly mapping: Mapping;
  /** log2 of pages per folio. */
  readonly folioOrder: number;
  /** The base policy. */
  readonly policy: Policy;
  /** Pinners run their caller's preset policy ({@link EnvInput.policyPerCaller}). */
  readonly policyPerCaller: boolean;
  /** The policy's device mirror (mmu-notifier), or null when GUP takes a reference. */
  readonly mirror: DeviceMirror | null;
  /** page_mkwrite waits for PG_writeback: SB_I_STABLE_WRITES asked for, or a backing that waits itself (btrfs). */
  readonly stable: boolean;
  /** The backing writes pages back at all (not tmpfs, not hugetlbfs). */
  readonly writesBack: boolean;
  /** Reclaim's pageout() writes a dirty file folio (reclaimWritesFile: not ext4 from v6.2, no filesystem from v6.16). */
  readonly reclaimWrites: boolean;
  /** Reclaim skips a folio folio_maybe_dma_pinned calls pinned (mm/vmscan.c, v6.4). */
  readonly guard: boolean;
  /** The guard was set by the input or a preset, not left to the policy's default. */
  readonly guardGiven: boolean;
  /** ext4's BUG or warn on a dirty page without buffers (cc5095747edf, v5.18). */
  readonly fsBehavior: FsBehavior;
  /** Large folios keep an exact pin count (folio->_pincount). */
  readonly exactPincount: boolean;
  /** What the backing keeps in folio->private (pageCacheTracking). */
  readonly privateData: "ext4" | "none" | "cow-fixup";
  /** The backing checksums data (btrfs): a write under writeback fails its checksum. */
  readonly dataChecksums: boolean;
  /**
   * The filesystem warns when set_page_dirty finds a clean page without PG_locked (ext4 from
   * 6dcc693bc57f, v4.10: FEATURES.ext4DirtyWarn, BackingProfile.dirtyWarnings): the
   * dirtyWithoutLock incident is counted, else it is null.
   */
  readonly lockWarning: boolean;
  /**
   * invalidate_mapping_pages refuses a folio with references beyond the page cache's and its
   * private data's (e41c81d0d30e, v5.18: FEATURES.invalidateRefcount); before it, only a
   * mapped page was refused, so a pinned page's buffers were freed.
   */
  readonly invalidateChecksRefs: boolean;
  /** The backing is private anonymous memory (`anon`): swap, COW at fork and write fault (src/model/anon.ts). */
  readonly anonymous: boolean;
  /**
   * The release's rules for anonymous memory, fork, FOLL_FORCE and O_DIRECT writes
   * (anonRules of kernelOfCaller: the preset, or the newest release without one).
   */
  readonly anon: AnonRules;
}

/** The policy module caller `caller` runs in release `kernel` (callerProfile's `policy`). */
export function presetPolicyId(kernel: KernelId, caller: CallerId): string {
  return callerProfile(caller, kernel).policy;
}

/**
 * Whether each pinner runs its own caller's policy in the preset's release
 * (EnvInput.policyPerCaller), decided the same way for the engine (`caller`: the flat
 * parameters' caller) and the checker (`caller`: the first GUP actor's): with a kernel
 * preset and no policy given, or a built-in id equal to the one the preset gives `caller`
 * (a run cannot tell that id from the preset's default); never for a Policy value of the
 * user's own, which is run as given even where its id equals a built-in one.
 */
export function policyFollowsPreset(
  kernel: KernelId | null,
  caller: CallerId,
  policy: string | Policy | undefined,
): boolean {
  if (kernel === null || (policy !== undefined && typeof policy !== "string")) return false;
  return policy === undefined || policy === presetPolicyId(kernel, caller);
}

/**
 * Compute the run's environment. Explicit values win over the preset's, the preset's over
 * the policy's defaults; the same input always gives an equal value.
 *
 * @throws {InputError} a policy whose reference and device mirror disagree, a folio order the backing cannot
 *   hold on that release (resolveFolioOrder), `policyPerCaller` without a kernel.
 */
export function runEnv(input: EnvInput): RunEnv {
  const kernel = input.kernel ?? null;
  const backing = input.backing ?? "ext4";
  const profile = BACKING_PROFILES[backing];
  const policy = input.policy;
  const mirror = deviceMirrorOf(policy);
  const folioOrder = resolveFolioOrder(backing, kernel, input.folioOrder);
  const preset = kernel === null ? null : KERNELS[kernel];
  if (input.policyPerCaller && kernel === null)
    throw new InputError(
      "policyPerCaller",
      true,
      "false without a kernel preset (a caller's policy comes from the preset)",
    );
  const guardGiven = (input.reclaimGuard ?? null) !== null || preset !== null;
  return {
    kernel,
    kernelOfCaller: kernel ?? NEWEST_KERNEL,
    backing,
    // Anonymous memory is MAP_PRIVATE|MAP_ANONYMOUS whatever `mapping` says (MAP_SHARED anonymous is shmem: tmpfs).
    mapping: profile.anonymous ? "private" : (input.mapping ?? "shared"),
    folioOrder,
    policy,
    policyPerCaller: input.policyPerCaller ?? false,
    mirror,
    stable: (input.stableWrites ?? false) || profile.stableWrites,
    writesBack: profile.writesBack,
    reclaimWrites: reclaimWritesFile(kernel, backing),
    guard: input.reclaimGuard ?? preset?.reclaimGuard ?? policy.reclaimGuardDefault,
    guardGiven,
    fsBehavior: input.fsBehavior ?? preset?.fsBehavior ?? DEFAULT_FS_BEHAVIOR,
    ...pageCacheTracking(kernel, backing, folioOrder),
    dataChecksums: profile.dataChecksums,
    lockWarning: profile.dirtyWarnings && hasFeature(kernel ?? NEWEST_KERNEL, "ext4DirtyWarn"),
    invalidateChecksRefs: hasFeature(kernel ?? NEWEST_KERNEL, "invalidateRefcount"),
    anonymous: profile.anonymous,
    anon: anonRules(kernel ?? NEWEST_KERNEL, input.without ?? []),
  };
}

/** What one pinner's GUP calls meet and how it releases, decided once (the VMA does not change). */
export interface PinDecision {
  /** The caller's profile in the environment's release. */
  readonly profile: CallerProfile;
  /** The policy the pinner runs as specified: the base, or its caller's preset policy (policyPerCaller). */
  readonly base: Policy;
  /** The policy its pins and releases run: the caller's release laid over `base` (callerPolicy). */
  readonly policy: Policy;
  /** The caller's own release code runs instead of `base`'s (callerOverlay's ownRelease): off the policy's spec. */
  readonly departs: boolean;
  /** GUP's answer: refused with an errno, an anonymous copy, or the page-cache folio. */
  readonly gup: GroupGup;
  /** FOLL_WRITE. */
  readonly write: boolean;
  /** The device writes into the pinned pages (FOLL_WRITE and a caller that writes). */
  readonly deviceWrites: boolean;
}

/** One pinner's shape, as a pinner group or a checker GUP actor gives it. */
export interface PinnerShape {
  /** Who pins. */
  caller: CallerId;
  /** FOLL_WRITE asked for (`write`) or not. */
  access: PinAccess;
  /** GUP's path. */
  path: "slow" | "fast" | "fast-no-recheck";
  /** FOLL_LONGTERM asked for. */
  longTerm: boolean;
  /**
   * The release the caller's code runs, instead of the one its profile gives in this release
   * (a checker GUP actor's `release=`: e.g. aa56a292ce62's set_page_dirty_lock in i915
   * userptr, which no preset has). Absent: the profile's.
   */
  release?: ReleaseKind;
  /** FOLL_FORCE: a write through a read-only mapping (gupDecide's `force`). Default false. */
  force?: boolean;
}

/**
 * The caller → policy → GUP decision of one pinner in this environment: the caller's
 * profile in the release, the policy (the caller's preset policy when `policyPerCaller`,
 * else the base) with the caller's own release laid over it, and GUP's answer
 * (gupDecide, and the policy's refuseGup). The engine's groups and the checker's GUP
 * actors both call this.
 */
export function pinDecision(env: RunEnv, s: PinnerShape): PinDecision {
  const own = callerProfile(s.caller, env.kernelOfCaller);
  const profile = s.release === undefined ? own : { ...own, release: s.release };
  const base = env.policyPerCaller ? getPolicy(profile.policy) : env.policy;
  const policy = callerPolicy(base, profile, s.access);
  const gup = groupGup({
    kernel: env.kernel,
    mapping: env.mapping,
    backing: env.backing,
    access: s.access,
    path: s.path,
    longTerm: s.longTerm,
    caller: profile,
    policy,
    force: s.force ?? false,
  });
  return {
    profile,
    base,
    policy,
    departs: callerOverlay(base, profile, s.access).ownRelease,
    gup,
    write: gup.flags.write,
    deviceWrites: gup.flags.write && profile.deviceWrites,
  };
}
