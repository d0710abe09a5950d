/**
 * Scenario files (data/scenarios/*.scenario): a litmus-like description of the actors
 * over one page and one file, the policies and variants to check, and the expected
 * verdicts. Parsing is the one place where scenario input is validated; every error
 * names the file, the line and what was expected.
 *
 * A value may be a choice, `a|b|c`, or for a numeric option a range, `0..2`: the search
 * explores every alternative as nondeterminism, and the verdict is over their union
 * (`Page: clean | buffers | pte-writable`, `Actor P1: flusher passes=2 sync=none|all`,
 * each pass either mode; `Actor P3: cpu stores=0..1`).
 *
 * The parser is a table of directive parsers (DIRECTIVES) and, per actor kind, a table
 * of option parsers (ACTOR_KINDS): a new directive or option is one entry. Lookups go
 * through Maps (keys such as `constructor` or `__proto__` are plain unknown keys) and
 * every check is linear, so a file of 10^5 lines is refused or parsed in linear time.
 */
import { basename } from "node:path";
import { InputError } from "../errors.js";
import { FS_BEHAVIORS, GUP_PATHS, type FsBehavior, type GupPath } from "../model/params.js";
import { POLICY_IDS, type PolicyId } from "../model/policy-ids.js";
import {
  BACKINGS,
  MAPPINGS,
  MAX_FOLIO_ORDER,
  PIN_ACCESSES,
  type Backing,
  type Mapping,
  type PinAccess,
} from "../model/backings.js";
import { CALLER_IDS, callerProfile, type CallerId } from "../model/callers.js";
import { KERNEL_IDS, KERNELS, type KernelId } from "../model/kernels.js";
import { INCIDENTS, VERDICTS, type IncidentName, type Verdict } from "./verdict.js";

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

/** The block layer's I/O completion as its own actor: end_page_writeback of a submitted bio. */
export interface IoActor {
  /** `io`: the I/O completion. */
  kind: "io";
  /** The actor's name on its `Actor` line (`P0`), the lane header of witnesses. */
  name: string;
}

/** One concrete actor of an execution: every option has one value (a search root's alternative). */
export type ActorSpec = GupActor | FlusherActor | ReclaimActor | CpuActor | TruncateActor | IoActor;
/** The kinds of actor an `Actor` line may declare: `gup`, `flusher`, `reclaim`, `cpu`, `truncate`, `io`. */
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
}

/** Knobs of one checked configuration. */
export interface Knobs {
  /** Reclaim guard; null takes the policy's default. */
  guard: boolean | null;
  /** What ext4 does with a dirty page without buffers at writeback: `ext4-bug` (BUG, before v5.18) or `ext4-warn`. */
  fs: FsBehavior;
  /** SB_I_STABLE_WRITES: page_mkwrite waits for writeback. */
  stable: boolean;
}

/** The knobs with their alternatives (`Guard: on | off`). */
export interface KnobChoices {
  /** Reclaim guard alternatives (`Guard: on | off`); null takes the policy's default. */
  guard: (boolean | null)[];
  /** fsBehavior alternatives (`Fs:`). */
  fs: FsBehavior[];
  /** Stable-writes alternatives (`Stable: on | off`). */
  stable: boolean[];
}

/** A named set of overrides: `P0.path=fast`, `guard=off`, `fs=ext4-bug`, `stable=on`, `P0.dma=0..2`. */
export interface Variant {
  /** Its name on the `Variant` line (`base` for the scenario as written). */
  name: string;
  /** The overrides, in order: key (`P0.path`, `guard`, `kernel`) and value as written. */
  set: [key: string, value: string][];
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
  /** What backs it: `ext4`, `xfs`, `btrfs`, `tmpfs` or `hugetlbfs` (src/model/backings.ts). Default `ext4`. */
  backing: Backing;
  /** Folio order of the page: > 0 gives the exact pin count of a large folio. */
  folio: number;
}

/** The coverage of a scenario without `Kernel:`, `Mapping:`, `Backing:` or `Folio:` lines: none, shared, ext4, 0. */
export const DEFAULT_COVERAGE: Readonly<Coverage> = Object.freeze({
  kernel: null,
  mapping: "shared",
  backing: "ext4",
  folio: 0,
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
  /** Kernel, mapping, backing and folio order (default: none, shared, ext4, 0). */
  coverage: Coverage;
}

// ---- option parsers ----------------------------------------------------------------------

/** A value the parser refuses; the message says what was expected. */
class Bad extends Error {}

/** How one option (or knob) is parsed. */
export interface OptionDef {
  /** What it accepts, for messages: `one of slow, fast`, `an integer in 0..3`. */
  readonly allowed: string;
  /** Parse one alternative. @throws Bad */
  parse(v: string): OptionValue;
  /** Integer bounds: the option takes ranges `LOW..HIGH`. */
  readonly bounds?: readonly [number, number];
  /** The alternative when the line does not set it. */
  readonly default: OptionValue;
  /** false: one value only, no choice. Default true. */
  readonly choice?: boolean;
  /** The option holds one value per unit of this other (integer) option: `sync` per pass. */
  readonly per?: string;
}

function oneOf<T extends string>(v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new Bad(`one of ${allowed.join(", ")}, got '${v}'`);
  return v as T;
}
function count(v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) throw new Bad(`an integer in ${lo}..${hi}, got '${v}'`);
  return n;
}

const keyword = <T extends string>(allowed: readonly T[], def: T, extra: Partial<OptionDef> = {}): OptionDef => ({
  allowed: `one of ${allowed.join(", ")}`,
  parse: (v) => oneOf(v, allowed),
  default: def,
  ...extra,
});
const integer = (lo: number, hi: number, def: number): OptionDef => ({
  allowed: `an integer in ${lo}..${hi}`,
  parse: (v) => count(v, lo, hi),
  bounds: [lo, hi],
  default: def,
});
const flag = (yes: string, no: string, def: boolean): OptionDef => ({
  allowed: `${yes} or ${no}`,
  parse: (v) => oneOf(v, [yes, no]) === yes,
  default: def,
});

/** An actor kind: its options, and how one choice of each becomes a concrete actor. */
interface KindDef {
  readonly options: Map<string, OptionDef>;
  build(name: string, value: (option: string) => OptionValue | OptionValue[]): ActorSpec;
}

/**
 * The actor kinds and their options. The coverage work adds options here (one entry
 * each); `build` reads them back by name.
 */
export const ACTOR_KINDS: ReadonlyMap<ActorKind, KindDef> = new Map<ActorKind, KindDef>([
  [
    "gup",
    {
      options: new Map([
        ["path", keyword(GUP_PATHS, "slow")],
        ["dma", integer(0, 3, 1)],
        ["longterm", flag("yes", "no", true)],
        ["access", keyword(PIN_ACCESSES, "write")],
        ["caller", keyword(CALLER_IDS, "generic")],
        ["hook", keyword(["inside", "after"] as const, "inside")],
      ]),
      build: (name, v) => ({
        kind: "gup",
        name,
        path: v("path") as GupPath,
        dma: v("dma") as number,
        longterm: v("longterm") as boolean,
        access: v("access") as PinAccess,
        caller: v("caller") as CallerId,
        hook: v("hook") as "inside" | "after",
      }),
    },
  ],
  [
    "flusher",
    {
      options: new Map([
        ["passes", integer(1, 3, 1)],
        ["sync", keyword(["none", "all"] as const, "none", { per: "passes" })],
      ]),
      build: (name, v) => ({
        kind: "flusher",
        name,
        passes: v("passes") as number,
        syncAll: (v("sync") as OptionValue[]).map((x) => x === "all"),
      }),
    },
  ],
  ["reclaim", { options: new Map(), build: (name) => ({ kind: "reclaim", name }) }],
  [
    "cpu",
    {
      options: new Map([["stores", integer(0, 3, 1)]]),
      build: (name, v) => ({ kind: "cpu", name, stores: v("stores") as number }),
    },
  ],
  ["truncate", { options: new Map(), build: (name) => ({ kind: "truncate", name }) }],
  ["io", { options: new Map(), build: (name) => ({ kind: "io", name }) }],
]);

/** The global knobs (`Guard:`, `Fs:`, `Stable:` lines, `guard=…` in variants). */
const KNOBS = new Map<keyof Knobs, OptionDef>([
  [
    "guard",
    {
      allowed: "default, on or off",
      parse: (v) => (v === "default" ? "default" : oneOf(v, ["on", "off"]) === "on"),
      default: "default",
    },
  ],
  ["fs", keyword(FS_BEHAVIORS, "ext4-warn")],
  ["stable", flag("on", "off", false)],
]);

/**
 * The alternatives of one written value: `a`, `a|b|c`, or `LOW..HIGH` (numeric options),
 * in the order written, duplicates dropped. @throws Bad
 */
export function parseAlternatives(def: OptionDef, raw: string, what: string): OptionValue[] {
  const parts = raw.split("|");
  if (parts.length > 1 && def.choice === false)
    throw new Bad(`one value for ${what} (${def.allowed}; no choice), got '${raw}'`);
  const out: OptionValue[] = [];
  const seen = new Set<OptionValue>();
  const push = (x: OptionValue): void => {
    if (!seen.has(x)) seen.add(x), out.push(x);
  };
  for (const part of parts) {
    if (part === "") throw new Bad(`a value for ${what} on each side of '|' (${def.allowed}), got '${raw}'`);
    const range = /^(\d+)\.\.(\d+)$/.exec(part);
    if (!range) {
      if (part.includes(".."))
        throw new Bad(
          `${def.bounds ? "a range LOW..HIGH of integers" : `one of the values of ${what}, no range`} (${def.allowed}), got '${part}'`,
        );
      push(def.parse(part));
      continue;
    }
    if (!def.bounds || def.choice === false)
      throw new Bad(`one value for ${what} (${def.allowed}; no range), got '${part}'`);
    const lo = Number(range[1]),
      hi = Number(range[2]);
    if (lo > hi) throw new Bad(`a range LOW..HIGH for ${what} with LOW <= HIGH, got '${part}'`);
    def.parse(range[1]), def.parse(range[2]); // both ends within the option's bounds
    for (let n = lo; n <= hi; n++) push(n);
  }
  return out;
}

/** The option definition of `kind`'s option `key`. @throws Bad naming the kind's options */
function optionDef(kind: ActorKind, key: string): OptionDef {
  const def = ACTOR_KINDS.get(kind)!.options.get(key);
  if (def) return def;
  const known = [...ACTOR_KINDS.get(kind)!.options.keys()];
  throw new Bad(`an option of ${kind} (${known.length ? known.join(", ") : "none"}), got '${key}'`);
}

/** A declared actor with every option at its default. */
function defaultDecl(kind: ActorKind, name: string): ActorDecl {
  const options = new Map<string, OptionValue[]>();
  for (const [k, def] of ACTOR_KINDS.get(kind)!.options) options.set(k, [def.default]);
  return { kind, name, options };
}

/** Set `key=alternatives` on a declared actor. @throws Bad */
function setActorOption(a: ActorDecl, key: string, raw: string): void {
  a.options.set(key, parseAlternatives(optionDef(a.kind, key), raw, `${a.name}.${key}`));
}

/** Set a knob's alternatives. @throws Bad */
function setKnob(k: KnobChoices, key: string, raw: string): void {
  const def = KNOBS.get(key as keyof Knobs);
  if (!def) throw new Bad(`guard, fs, stable or <actor>.<option>, got '${key}'`);
  const alts = parseAlternatives(def, raw, key);
  if (key === "guard") k.guard = alts.map((x) => (x === "default" ? null : (x as boolean)));
  else if (key === "fs") k.fs = alts as FsBehavior[];
  else k.stable = alts as boolean[];
}

// ---- expansion: every concrete configuration a scenario's choices stand for ---------------

/** Cartesian product, the first list varying slowest. */
function product<T>(lists: readonly (readonly T[])[]): T[][] {
  let out: T[][] = [[]];
  for (const l of lists) out = out.flatMap((prefix) => l.map((x) => [...prefix, x]));
  return out;
}

/**
 * Every concrete actor a declaration stands for: the product of its options'
 * alternatives; an option held per unit of another (`sync` per pass) takes each
 * sequence of its alternatives.
 */
export function expandActor(a: ActorDecl): ActorSpec[] {
  const kind = ACTOR_KINDS.get(a.kind)!;
  const plain = [...kind.options].filter(([, d]) => !d.per).map(([k]) => k);
  const out: ActorSpec[] = [];
  for (const pick of product(plain.map((k) => a.options.get(k)!))) {
    const values = new Map<string, OptionValue | OptionValue[]>(plain.map((k, i) => [k, pick[i]]));
    const repeated = [...kind.options]
      .filter(([, d]) => d.per)
      .map(([k, d]) => product(Array.from({ length: values.get(d.per!) as number }, () => a.options.get(k)!)));
    for (const seqs of product(repeated)) {
      let i = 0;
      for (const [k, d] of kind.options) if (d.per) values.set(k, seqs[i++]);
      out.push(kind.build(a.name, (k) => values.get(k)!));
    }
  }
  return out;
}

/** A concrete actor as a declaration without choices. */
export function declOf(spec: ActorSpec): ActorDecl {
  const d = defaultDecl(spec.kind, spec.name);
  const fields = spec as unknown as Record<string, unknown>;
  for (const k of d.options.keys()) {
    if (k === "sync") d.options.set(k, [...new Set((spec as FlusherActor).syncAll.map((s) => (s ? "all" : "none")))]);
    else if (Object.hasOwn(fields, k)) d.options.set(k, [fields[k] as OptionValue]);
  }
  return d;
}

/** Every combination of the knobs' alternatives. */
export function expandKnobs(k: KnobChoices): Knobs[] {
  return product<unknown>([k.guard, k.fs, k.stable]).map(([guard, fs, stable]) => ({
    guard: guard as boolean | null,
    fs: fs as FsBehavior,
    stable: stable as boolean,
  }));
}

/** Knobs as choices of one alternative each. */
export function knobChoicesOf(k: Knobs): KnobChoices {
  return { guard: [k.guard], fs: [k.fs], stable: [k.stable] };
}

/** A page spec as written on a `Page:` line: `clean`, or its flags. */
export function pageName(p: PageSpec): string {
  const f = [p.pteWritable ? "pte-writable" : p.dirty ? "dirty" : p.buffers ? "buffers" : "clean"];
  if (p.unmapped) f.push("unmapped");
  if (p.shares !== 1) f.push(`shares=${p.shares}`);
  return f.join(" ");
}

/** The actors and knobs of one variant: the scenario's, with the variant's overrides. */
export function applyVariant(
  s: Scenario,
  v: Variant,
): {
  /** The initial page's alternatives (variants do not change them). */
  pages: PageSpec[];
  /** The actors, with the variant's option overrides (`P0.path=fast`). */
  actors: ActorDecl[];
  /** The knobs, with its `guard=`, `fs=`, `stable=` overrides. */
  knobs: KnobChoices;
  /** Kernel, mapping, backing and folio order, with its overrides. */
  coverage: Coverage;
} {
  const actors = s.actors.map((a) => ({ ...a, options: new Map(a.options) }));
  const byName = new Map(actors.map((a) => [a.name, a]));
  const knobs = { ...s.knobs };
  const coverage = { ...s.coverage };
  for (const [key, value] of v.set) {
    const dot = key.indexOf(".");
    if (COVERAGE_KEYS.has(key)) setCoverage(coverage, key, value);
    else if (dot < 0) setKnob(knobs, key, value);
    else setActorOption(byName.get(key.slice(0, dot))!, key.slice(dot + 1), value);
  }
  return { pages: s.pages, actors, knobs, coverage };
}

// ---- coverage: kernel, mapping, backing, folio order (one value each, no choice) ----------

const COVERAGE_KEYS = new Set(["kernel", "mapping", "backing", "folio"]);

/** Set one coverage field from its text. @throws Bad */
function setCoverage(c: Coverage, key: string, raw: string): void {
  const v = raw.trim();
  if (v.includes("|")) throw new Bad(`one value for ${key} (no choice), got '${v}'`);
  if (key === "kernel") c.kernel = v === "none" ? null : oneOf(v, KERNEL_IDS);
  else if (key === "mapping") c.mapping = oneOf(v, MAPPINGS);
  else if (key === "backing") c.backing = oneOf(v, BACKINGS);
  else c.folio = count(v.startsWith("order=") ? v.slice(6) : v, 0, MAX_FOLIO_ORDER);
}

/**
 * `Kernel: 6.6`: the preset's reclaim guard and ext4 behaviour become the knobs (a later
 * `Guard:`/`Fs:` line overrides them), and without a `Policies:` line the scenario checks
 * the policy the first GUP actor's caller runs in that release.
 */
function parseKernel(l: Line): void {
  setCoverage(l.s.coverage, "kernel", l.value);
  const k = l.s.coverage.kernel;
  if (k === null) return;
  l.s.knobs.guard = [KERNELS[k].reclaimGuard];
  l.s.knobs.fs = [KERNELS[k].fsBehavior];
}

/** The kernel's policy for the first GUP actor's caller, when no Policies line named any. */
function kernelPolicies(s: Scenario): PolicyId[] {
  if (s.coverage.kernel === null) return [];
  const gup = s.actors.find((a) => a.kind === "gup");
  const caller = (gup?.options.get("caller")?.[0] ?? "generic") as CallerId;
  return [callerProfile(caller, s.coverage.kernel).policy as PolicyId];
}

// ---- the directive parsers -------------------------------------------------------------

/** What a directive parser sees: the scenario so far, its argument and value, and the line. */
interface Line {
  s: Scenario;
  /** `Actor NAME:`'s NAME, `Result QUALIFIER:`'s qualifier; "" if none. */
  arg: string;
  value: string;
  n: number;
  file: string;
  /** Lookups kept beside the scenario so every check is O(1). */
  actors: Map<string, ActorDecl>;
  variants: Map<string, Variant>;
}

interface DirectiveDef {
  /** At most one line of it. */
  once: boolean;
  /** Takes a name or qualifier before the colon (`Actor P0:`). */
  arg: boolean;
  parse(l: Line): void;
}

/** Tokens of an option list, `a=b | c` joined to `a=b|c`. */
function tokens(value: string): string[] {
  return value
    .replace(/\s*\|\s*/g, "|")
    .split(/\s+/)
    .filter(Boolean);
}

function parseScenarioName(l: Line): void {
  if (!/^[A-Za-z0-9+._-]+$/.test(l.value))
    throw new Bad(`a scenario name of letters, digits and + . _ - (no choice), got '${l.value}'`);
  l.s.name = l.value;
  if (l.file.endsWith(".scenario") && basename(l.file, ".scenario") !== l.value) {
    throw new Bad(`the file's name, '${basename(l.file, ".scenario")}', got '${l.value}'`);
  }
}

function parsePolicies(l: Line): void {
  const ids = l.value.split(/\s+/).filter(Boolean);
  if (ids.length === 0) throw new Bad("policy ids or 'all'");
  if (ids.some((id) => id.includes("|")))
    throw new Bad(`policy ids separated by spaces (each policy is checked on its own; no choice), got '${l.value}'`);
  l.s.policies =
    ids.length === 1 && ids[0] === "all" ? [...POLICY_IDS] : [...new Set(ids.map((id) => oneOf(id, POLICY_IDS)))];
}

const SHARES: OptionDef = integer(0, 16383, 1);

/** One alternative of a `Page:` line: its flags; a range of shares gives one page each. */
function parsePageAlternative(words: string[]): PageSpec[] {
  const p: PageSpec = { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 };
  let shares: OptionValue[] = [1];
  for (const w of words) {
    if (w === "clean") continue;
    else if (w === "dirty") p.dirty = p.buffers = true;
    else if (w === "buffers") p.buffers = true;
    else if (w === "pte-writable") p.pteWritable = p.dirty = p.buffers = true;
    else if (w === "unmapped") p.unmapped = true;
    else if (w.startsWith("shares=")) shares = parseAlternatives(SHARES, w.slice(7), "shares");
    else throw new Bad(`page flags (clean, dirty, buffers, pte-writable, unmapped, shares=N), got '${w}'`);
  }
  if (p.pteWritable && p.unmapped) throw new Bad("a writable pte on a mapped page: not both pte-writable and unmapped");
  return shares.map((n) => ({ ...p, shares: n as number }));
}

function parsePage(l: Line): void {
  const alts = l.value.split("|").map((a) => a.split(/\s+/).filter(Boolean));
  if (alts.some((a) => a.length === 0)) throw new Bad(`page flags on each side of '|', got '${l.value}'`);
  const pages = alts.flatMap(parsePageAlternative);
  const seen = new Set<string>();
  l.s.pages = pages.filter((p) => !seen.has(pageName(p)) && seen.add(pageName(p)));
}

const knobDirective =
  (key: keyof Knobs) =>
  (l: Line): void =>
    setKnob(l.s.knobs, key, l.value.replace(/\s*\|\s*/g, "|").trim());

function parseActor(l: Line): void {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(l.arg))
    throw new Bad(`'Actor NAME: kind options', NAME a letter then letters or digits, got '${l.arg}'`);
  if (l.actors.has(l.arg)) throw new Bad(`a new actor name, '${l.arg}' is taken`);
  if (l.actors.size >= MAX_ACTORS)
    throw new Bad(`at most ${MAX_ACTORS} actors, got a ${MAX_ACTORS + 1}th ('${l.arg}')`);
  const [kind, ...opts] = tokens(l.value);
  if (kind?.includes("|"))
    throw new Bad(`one actor kind (${[...ACTOR_KINDS.keys()].join(", ")}; no choice), got '${kind}'`);
  const a = defaultDecl(oneOf(kind ?? "", [...ACTOR_KINDS.keys()]), l.arg);
  const set = new Set<string>();
  for (const o of opts) {
    const eq = o.indexOf("=");
    if (eq < 1) throw new Bad(`option=value, got '${o}'`);
    const key = o.slice(0, eq);
    if (set.has(key)) throw new Bad(`each option once, '${key}' is set twice`);
    set.add(key);
    setActorOption(a, key, o.slice(eq + 1));
  }
  l.actors.set(a.name, a);
  l.s.actors.push(a);
}

function parseVariant(l: Line): void {
  if (!/^[A-Za-z0-9_-]+$/.test(l.arg)) throw new Bad(`'Variant NAME: key=value …', got '${l.arg}'`);
  if (l.variants.has(l.arg)) throw new Bad(`a new variant name, '${l.arg}' is taken`);
  const v: Variant = { name: l.arg, set: [] };
  for (const o of tokens(l.value)) {
    const eq = o.indexOf("=");
    if (eq < 1) throw new Bad(`key=value, got '${o}'`);
    const k = o.slice(0, eq),
      val = o.slice(eq + 1);
    const dot = k.indexOf(".");
    if (dot >= 0) {
      const a = l.actors.get(k.slice(0, dot));
      if (!a) throw new Bad(`an actor declared above, got '${k.slice(0, dot)}'`);
      parseAlternatives(optionDef(a.kind, k.slice(dot + 1)), val, k); // validate now, apply per variant
    } else if (COVERAGE_KEYS.has(k)) setCoverage({ ...l.s.coverage }, k, val);
    else setKnob({ ...l.s.knobs }, k, val);
    v.set.push([k, val]);
  }
  if (v.set.length === 0) throw new Bad("at least one key=value override");
  l.variants.set(v.name, v);
  l.s.variants.push(v);
}

function parseResult(l: Line): void {
  let policy: PolicyId | null = null,
    variant: string | null = null;
  if (l.arg) {
    for (const q of l.arg.split("/")) {
      if ((POLICY_IDS as readonly string[]).includes(q) && policy === null) policy = q as PolicyId;
      else if (l.variants.has(q) && variant === null) variant = q;
      else throw new Bad(`'Result [POLICY][/VARIANT]:' with a policy id or a variant declared above, got '${q}'`);
    }
  }
  const verdicts: Partial<Record<IncidentName, Verdict>> = {};
  for (const item of l.value
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean)) {
    const [inc, verdict, extra] = item.split(/\s+/);
    if (extra !== undefined || verdict === undefined)
      throw new Bad(`'incident Verdict' pairs separated by commas, got '${item}'`);
    if (verdict.includes("|"))
      throw new Bad(`one verdict per incident (${VERDICTS.join(", ")}; no choice), got '${verdict}'`);
    verdicts[oneOf(inc, INCIDENTS)] = oneOf(verdict, VERDICTS);
  }
  if (Object.keys(verdicts).length === 0) throw new Bad("'incident Verdict' pairs separated by commas");
  l.s.expectations.push({ policy, variant, verdicts, line: l.n });
}

/**
 * The directives, in the order a file usually has them. The coverage work adds its
 * own (`Mapping:`, `Backing:`, `Kernel:`, `Folio:`) here.
 */
export const DIRECTIVES: ReadonlyMap<string, DirectiveDef> = new Map<string, DirectiveDef>([
  ["Scenario", { once: true, arg: false, parse: parseScenarioName }],
  ["Purpose", { once: true, arg: false, parse: (l) => void (l.s.purpose = l.value.trim()) }],
  ["Policies", { once: true, arg: false, parse: parsePolicies }],
  ["Page", { once: true, arg: false, parse: parsePage }],
  ["Guard", { once: true, arg: false, parse: knobDirective("guard") }],
  ["Fs", { once: true, arg: false, parse: knobDirective("fs") }],
  ["Stable", { once: true, arg: false, parse: knobDirective("stable") }],
  ["Kernel", { once: true, arg: false, parse: parseKernel }],
  ["Mapping", { once: true, arg: false, parse: (l) => setCoverage(l.s.coverage, "mapping", l.value) }],
  ["Backing", { once: true, arg: false, parse: (l) => setCoverage(l.s.coverage, "backing", l.value) }],
  ["Folio", { once: true, arg: false, parse: (l) => setCoverage(l.s.coverage, "folio", l.value) }],
  ["Actor", { once: false, arg: true, parse: parseActor }],
  ["Variant", { once: false, arg: true, parse: parseVariant }],
  ["Result", { once: false, arg: true, parse: parseResult }],
]);

const DIRECTIVE_LIST = (): string => [...DIRECTIVES.keys()].join(", ");

/** Parse one directive line into `l.s`. @throws Bad, or ScenarioError via `fail` */
function parseLine(raw: string, l: Omit<Line, "arg" | "value">, seen: Set<string>): string {
  const m = /^([A-Za-z]+)((?:[ \t]+[^\s:]+)?):[ \t]*(.*)$/.exec(raw);
  if (!m) throw new Bad(`'Directive: value' (${DIRECTIVE_LIST()})`);
  const [, key, argRaw, value] = m;
  const def = DIRECTIVES.get(key);
  if (!def) throw new Bad(`a directive (${DIRECTIVE_LIST()}), got '${key}'`);
  const arg = argRaw.trim();
  if (def.once) {
    if (seen.has(key)) throw new Bad(`one ${key} line only`);
    seen.add(key);
  }
  if (arg && !def.arg) throw new Bad(`'${key}:' without a name, got '${key} ${arg}:'`);
  def.parse({ ...l, arg, value });
  return key;
}

/** The checks after the last line. @throws ScenarioError */
function finish(s: Scenario, file: string, end: number): Scenario {
  if (!s.name) throw new ScenarioError(file, end, "a 'Scenario: NAME' line");
  if (s.policies.length === 0) s.policies = kernelPolicies(s);
  if (s.policies.length === 0)
    throw new ScenarioError(file, end, "a 'Policies:' line (or a 'Kernel:' line to take its policy)");
  if (s.actors.length === 0) throw new ScenarioError(file, end, "at least one 'Actor NAME: kind' line");
  if (s.actors.filter((a) => a.kind === "io").length > 1)
    throw new ScenarioError(file, end, "at most one 'io' actor (one page: one bio in flight)");
  return s;
}

/**
 * Parse a scenario. Format (one directive a line, `#` comments, blank lines ignored):
 *
 *     Scenario: GUP-slow+WB+unpin-check
 *     Purpose: one paragraph,
 *       continued on indented lines.
 *     Policies: put-user-pages-dirty foll-pin     (or `all`)
 *     Page: clean | dirty buffers pte-writable unmapped shares=N   (`a | b`: any of these)
 *     Guard: default | on | off                    Fs: ext4-warn | ext4-bug     Stable: off | on
 *     Actor P0: gup path=slow dma=0..2 longterm=yes
 *     Actor P1: flusher passes=2 sync=none|all
 *     Variant fast: P0.path=fast guard=off
 *     Result: lostData Never, doubleWritebacks Sometimes
 *     Result foll-pin/fast: writeToCleanPage Sometimes
 *
 * @throws ScenarioError naming the file, the line and what was expected.
 */
export function parseScenario(text: string, file = "<inline>"): Scenario {
  const s: Scenario = {
    file,
    name: "",
    purpose: "",
    policies: [],
    pages: [{ dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 }],
    knobs: { guard: [null], fs: ["ext4-warn"], stable: [false] },
    actors: [],
    variants: [{ name: "base", set: [] }],
    expectations: [],
    coverage: { ...DEFAULT_COVERAGE },
  };
  const lines = text.split(/\r?\n/);
  const seen = new Set<string>();
  const at = { s, file, n: 0, actors: new Map<string, ActorDecl>(), variants: new Map([["base", s.variants[0]]]) };
  let last = "";
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\s+$/, "");
    at.n = i + 1;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    try {
      if (/^\s/.test(raw)) {
        if (last !== "Purpose")
          throw new Bad("a directive at the start of the line (only Purpose continues on indented lines)");
        s.purpose += " " + raw.trim();
        continue;
      }
      last = parseLine(raw, at, seen);
    } catch (e) {
      if (e instanceof Bad) throw new ScenarioError(file, at.n, e.message);
      throw e;
    }
  }
  return finish(s, file, lines.length);
}

/** The expected verdicts for one policy and variant: the most specific Result line wins, per incident. */
export function expectedVerdicts(
  s: Scenario,
  policy: PolicyId,
  variant: string,
): Partial<Record<IncidentName, Verdict>> {
  if (!s.policies.includes(policy)) return {};
  const rank = (e: Expectation): number => (e.policy ? 2 : 0) + (e.variant ? 1 : 0);
  const apply = s.expectations
    .filter((e) => (e.policy === null || e.policy === policy) && (e.variant === null || e.variant === variant))
    .sort((a, b) => rank(a) - rank(b) || a.line - b.line);
  const out: Partial<Record<IncidentName, Verdict>> = {};
  for (const e of apply) Object.assign(out, e.verdicts);
  return out;
}
