/**
 * What a scenario says, as data (docs/model.md#the-interleaving-checker): the concrete
 * actors one execution runs, the actor declarations with their alternatives, the initial
 * page, the knobs, the coverage (kernel, mapping, backing, folio order), the variants and
 * the expected verdicts. scenario.ts parses text into a Scenario; choices.ts expands its
 * choices into concrete configurations; explore.ts searches them.
 */
import { InputError } from "../errors.js";
import type { FsBehavior, GupPath } from "../model/params.js";
import type { PolicyId } from "../model/policy-ids.js";
import type { Backing, Mapping, PinAccess } from "../model/backings.js";
import type { CallerId, ReleaseKind } from "../model/callers.js";
import type { KernelId } from "../model/kernels.js";
import type { AnonFeature } from "../model/anon.js";
import type { IncidentName, Verdict } from "./verdict.js";

/** Most actors a scenario may declare (the witness has a lane each). */
export const MAX_ACTORS = 8;

// ---- concrete actors: what one execution runs ------------------------------------------

/** The GUP user: GUP for write on the page, `dma` device writes, release per policy. */
export interface GupActor {
  /** `gup`: a GUP user. */
  kind: "gup";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
  /** `slow`, `fast` (pte recheck) or `fast-no-recheck`. Default `slow`. */
  path: GupPath;
  /** Device writes while pinned, 0..3. Default 1. */
  dma: number;
  /** FOLL_LONGTERM (refused by `longterm-refused`). Default true. */
  longterm: boolean;
  /** FOLL_WRITE (`write`) or a read-only pin (`read`: no write fault, no device writes). Default `write`. */
  access: PinAccess;
  /** Who pins (src/model/callers.ts): its flags, release and own refusals. Default `generic`. */
  caller: CallerId;
  /**
   * Where the policy's afterGrab runs (dirty-at-gup's set_page_dirty): `inside` the pte
   * lock, in follow_page_pte's step (default), or `after` it, as a step of its own.
   */
  hook: "inside" | "after";
  /**
   * The release runs from the MMU notifier when an invalidation of the page comes first
   * (`notifier=yes`: i915 userptr before the 5.13 mmu_interval_notifier rework puts the
   * object's pages in invalidate_range_start), inside the invalidating path and holding what
   * it holds. Default false: only the actor's own release.
   */
  notifier?: boolean;
  /**
   * The release the caller's code runs (a ReleaseKind of src/model/callers.ts), instead of the
   * one its profile gives in the release: `set_page_dirty_lock` is aa56a292ce62's i915
   * release (5.3-rc, reverted by 505a8ec7e11a). Default `default`: the profile's.
   */
  release?: ReleaseKind | "default";
  /**
   * How the pin ends: `release` (default), or `munmap`: the user unmaps the range after the
   * release (unmap_vmas → zap_pte_range); with `notifier=yes` the release itself runs from
   * that munmap's invalidate_range_start, holding no page lock (Xorg's trace in bugzilla 203317).
   */
  end?: "release" | "munmap";
  /**
   * With `notifier=yes`: while device writes are still to come, the GPU uses the object and
   * its pages are pinned, so the notifier's __i915_gem_object_put_pages fails (-EBUSY) and the
   * invalidation goes on without the release (`yes`); or the notifier always releases (`no`,
   * default). How a userptr page can be cleaned by writeback and still be held.
   */
  busy?: boolean;
  /**
   * FOLL_FORCE: the write goes through a read-only mapping (ptrace, /proc/pid/mem). Refused
   * on a shared mapping; on a private one it breaks COW, and before 4.9 (without follCow)
   * a MADV_DONTNEED in the window lets it land in the page-cache page (Dirty COW). Default false.
   */
  force?: boolean;
  /**
   * The filesystem an O_DIRECT write (caller `odirect`, access `read`: the page is the
   * bio's source) writes to; where it falls back to buffered I/O (btrfs from 6.15) no pin is
   * taken. Default `ext4`.
   */
  dest?: Backing;
}

/** The flusher: `passes` runs of write_cache_pages over the page. */
export interface FlusherActor {
  /** `flusher`: the flusher. */
  kind: "flusher";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
  /** 1..3. Default 1. */
  passes: number;
  /** Per pass (length `passes`): WB_SYNC_ALL (fsync, sync) when true, WB_SYNC_NONE (kupdate, background) otherwise. Default false. */
  syncAll: boolean[];
}

/** Memory pressure: one shrink_folio_list over the page (and its second pass after pageout). */
export interface ReclaimActor {
  /** `reclaim`: memory pressure. */
  kind: "reclaim";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
}

/** A CPU writer: `stores` stores through the shared mapping, faulting as needed. */
export interface CpuActor {
  /** `cpu`: a CPU writer. */
  kind: "cpu";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
  /** 0..3. Default 1. */
  stores: number;
}

/** truncate_inode_pages over the file. */
export interface TruncateActor {
  /** `truncate`: truncate. */
  kind: "truncate";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
}

/** munmap of the mapping: invalidate_range_start (no page lock), then zap_pte_range. */
export interface MunmapActor {
  /** `munmap`: the range is unmapped. */
  kind: "munmap";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
}

/** An invalidation of the page cache over the page (mm/truncate.c). */
export interface InvalidateActor {
  /** `invalidate`: the page cache is invalidated over the page's range. */
  kind: "invalidate";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
  /**
   * `mapping`: invalidate_mapping_pages (drop_caches, fadvise DONTNEED, ext4's O_DIRECT
   * fallback), which keeps a dirty, mapped (before v5.18) or referenced (from v5.18) page;
   * `pages2`: invalidate_inode_pages2_range (the O_DIRECT write path), which unmaps the page
   * and removes it unless it is dirty. Default `mapping`.
   */
  mode: "mapping" | "pages2";
}

/** The block layer's I/O completion as its own actor: end_page_writeback of a submitted bio. */
export interface IoActor {
  /** `io`: the I/O completion. */
  kind: "io";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
}

/**
 * fork() of the owner's mm (copy_page_range -> copy_present_pte), then what the child does
 * with the page it shares: exits, writes it (its own COW fault), or keeps it to the end.
 */
export interface ForkActor {
  /** `fork`: a fork of the process that maps (and pins) the page. */
  kind: "fork";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
  /** `exit` (default), `write` or `stay`. */
  child: "exit" | "write" | "stay";
}

/**
 * madvise(MADV_DONTNEED) over the page: zaps the private mapping's anonymous COW copy (a
 * file mapping), or the owner's pte of an anonymous page; `times` of them.
 */
export interface MadviseActor {
  /** `madvise`: MADV_DONTNEED. */
  kind: "madvise";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
  /** 1..3. Default 1. */
  times: number;
}

/** One concrete actor of an execution: every option has one value (a search root's alternative). */
export type ActorSpec =
  | GupActor
  | FlusherActor
  | ReclaimActor
  | CpuActor
  | TruncateActor
  | MunmapActor
  | InvalidateActor
  | IoActor
  | ForkActor
  | MadviseActor;
/** The kinds of actor an `Actor` line may declare: `gup`, `flusher`, `reclaim`, `cpu`, `truncate`, `munmap`, `invalidate`, `io`, `fork`, `madvise`. */
export type ActorKind = ActorSpec["kind"];

/** An option's value as parsed: a keyword, an integer or yes/no. */
export type OptionValue = string | number | boolean;

/**
 * An actor line as declared: its kind and, for every option of the kind (defaults
 * filled in), the alternatives in the order written; one alternative is no choice.
 */
export interface ActorDecl {
  /** The actor's kind. */
  kind: ActorKind;
  /** Its name (`P0`). */
  name: string;
  /** Every option of the kind, defaults filled in: option name → its alternatives, as written. */
  options: Map<string, OptionValue[]>;
}

/** Initial state of the page. Default: resident, attached, clean, no buffers, mapped read-only. */
export interface PageSpec {
  /** PG_dirty with a store not yet on disk (mem 1, disk 0); implies buffers. */
  dirty: boolean;
  /** page_has_buffers. */
  buffers: boolean;
  /** A writable, dirty pte (after page_mkwrite); implies dirty and buffers. */
  pteWritable: boolean;
  /** The sharers' ptes are gone (after reclaim's unmap). */
  unmapped: boolean;
  /** page_mapcount while mapped. Default 1. */
  shares: number;
  /** Plain references held besides the mappings (a pipe's vmsplice buffers, the per-CPU LRU batch): `refs=N`. Default 0. */
  refs?: number;
  /** MMF_HAS_PINNED already set on the mm by an earlier FOLL_PIN elsewhere (`haspinned`; anonymous memory). Default false. */
  hasPinned?: boolean;
  /** The page still sits in the per-CPU lru_add batch, which holds one more reference (`batch`; calibration V5). Default false. */
  batch?: boolean;
}

/** Knobs of one checked configuration. */
export interface Knobs {
  /** Reclaim guard; null takes the kernel preset's, or the policy's default without one. */
  guard: boolean | null;
  /**
   * What ext4 does with a dirty page without buffers at writeback: `ext4-bug` (BUG, before
   * v5.18) or `ext4-warn`; null takes the kernel preset's, or `ext4-warn` without one.
   */
  fs: FsBehavior | null;
  /** SB_I_STABLE_WRITES: page_mkwrite waits for writeback. */
  stable: boolean;
}

/** The knobs with their alternatives (`Guard: on | off`). */
export interface KnobChoices {
  /** Reclaim guard alternatives (`Guard: on | off`); null takes the policy's default. */
  guard: (boolean | null)[];
  /** fsBehavior alternatives (`Fs:`); null takes the preset's (or `ext4-warn`). */
  fs: (FsBehavior | null)[];
  /** Stable-writes alternatives (`Stable: on | off`). */
  stable: boolean[];
}

/** A named set of overrides: `P0.path=fast`, `guard=off`, `fs=ext4-bug`, `stable=on`, `P0.dma=0..2`. */
export interface Variant {
  /** Its name on the `Variant` line (`base` for the scenario as written). */
  name: string;
  /** The overrides, in order: key (`P0.path`, `guard`, `kernel`) and value as written. */
  set: [key: string, value: string][];
  /** Its line in the file (absent for `base`). */
  line?: number;
}

/** One `Result` line: expected verdicts for the policies and variants it names. */
export interface Expectation {
  /** The policy it is about; null: every policy of the scenario. */
  policy: PolicyId | null;
  /** The variant it is about; null: every variant. */
  variant: string | null;
  /** Expected verdict per incident named on the line (the others are not judged). */
  verdicts: Partial<Record<IncidentName, Verdict>>;
  /** Its line in the file, for the judge's messages. */
  line: number;
}

/**
 * What the page is and which kernel runs (`Kernel:`, `Mapping:`, `Backing:`, `Folio:`
 * lines; `kernel=…`, `mapping=…`, `backing=…`, `folio=…` in variants). One value each.
 */
export interface Coverage {
  /** Kernel preset; null: none (the policies and knobs as given). */
  kernel: KernelId | null;
  /** How the page is mapped: `shared` (MAP_SHARED) or `private` (MAP_PRIVATE). Default `shared`. */
  mapping: Mapping;
  /** What backs it: `ext4`, `xfs`, `btrfs`, `tmpfs`, `hugetlbfs` or `anon` (private anonymous memory; src/model/backings.ts). Default `ext4`. */
  backing: Backing;
  /**
   * Folio order of the page: > 0 gives the exact pin count of a large folio; null: the
   * backing's smallest on that release (hugetlbfs 9, else 0), as the engine's folioOrder.
   */
  folio: number | null;
  /**
   * Features of the anonymous-memory rules taken out of the release (`Without:`; anon.ts
   * ANON_FEATURES): the release as it was before those fixes on these paths. Default none.
   */
  without?: readonly AnonFeature[];
}

/** The coverage of a scenario without `Kernel:`, `Mapping:`, `Backing:` or `Folio:` lines: none, shared, ext4, the backing's default order. */
export const DEFAULT_COVERAGE: Readonly<Coverage> = Object.freeze({
  kernel: null,
  mapping: "shared",
  backing: "ext4",
  folio: null,
});

/**
 * A parsed scenario file (parseScenario): the litmus-like description of actors over one
 * page, the policies and variants to check and the verdicts expected of them.
 */
export interface Scenario {
  /** File it came from (as given), or `<inline>`. */
  file: string;
  /** Its name (the `Scenario:` line; in a `.scenario` file it must be the file's base name). */
  name: string;
  /** The `Purpose:` paragraph: what the scenario shows, in one paragraph. */
  purpose: string;
  /** The policies it is checked under (`Policies:`, `all` for every built-in one; without the line, the `Kernel:` preset's policy for the first GUP actor's caller). */
  policies: PolicyId[];
  /**
   * No `Policies:` line: each variant runs the policies its own kernel preset gives its GUP
   * actors' callers (so a `kernel=` variant takes that release's policy, as a `Kernel:` line would).
   */
  policiesFromKernel?: boolean;
  /** The initial page's alternatives (one without a choice). */
  pages: PageSpec[];
  /** The knobs with their alternatives. */
  knobs: KnobChoices;
  /** The `Actor` lines, in order (at most MAX_ACTORS). */
  actors: ActorDecl[];
  /** Always starts with `base` (no overrides). */
  variants: Variant[];
  /** The `Result` lines. */
  expectations: Expectation[];
  /** Kernel, mapping, backing and folio order (default: none, shared, ext4, the backing's order). */
  coverage: Coverage;
  /** The line of the `Folio:` directive, if any (where a folio order error points). */
  folioLine?: number;
  /** The line of the `Mapping:` directive, if any (where a shared mapping on backing `anon` is refused). */
  mappingLine?: number;
  /** The line of the `Page:` directive, if any (where too many roots are refused: src/checker/roots.ts). */
  pageLine?: number;
  /** The line of each `Actor` line, in order (likewise). */
  actorLines?: number[];
}

/** A page spec as written on a `Page:` line: `clean`, or its flags. */
export function pageName(p: PageSpec): string {
  const f = [p.pteWritable ? "pte-writable" : p.dirty ? "dirty" : p.buffers ? "buffers" : "clean"];
  if (p.unmapped) f.push("unmapped");
  if (p.shares !== 1) f.push(`shares=${p.shares}`);
  if (p.refs) f.push(`refs=${p.refs}`);
  if (p.batch) f.push("batch");
  if (p.hasPinned) f.push("haspinned");
  return f.join(" ");
}

/**
 * A number for what pageName says of page `p` with `shares` and `refs`: its level (clean,
 * buffers, dirty, pte-writable, each implying the one before), unmapped, batch, haspinned,
 * shares (14 bits) and refs (11 bits).
 */
export function pageKey(p: PageSpec, shares: number, refs: number): number {
  const level = p.pteWritable ? 3 : p.dirty ? 2 : p.buffers ? 1 : 0;
  const bits = level | (p.unmapped ? 4 : 0) | (p.batch ? 8 : 0) | (p.hasPinned ? 16 : 0);
  return bits + shares * 32 + refs * 32 * 16384;
}

/**
 * A malformed scenario: `file:line: expected …` (line 0: the file itself, e.g.
 * unreadable). Bad input: the CLI prints the one line and exits 2.
 */
export class ScenarioError extends InputError {
  constructor(
    /** The scenario file as given, or `<inline>`. */
    readonly file: string,
    /** Line number, from 1; 0 for the file as a whole. */
    readonly line: number,
    /** What was expected there. */
    readonly expected: string,
  ) {
    super(`${line > 0 ? `${file}:${line}` : file}: expected ${expected}`);
    this.name = "ScenarioError";
  }
}
