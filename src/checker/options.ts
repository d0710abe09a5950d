/**
 * The options of each actor kind and the knobs, as tables of option parsers
 * (ACTOR_KINDS, KNOBS): what each accepts, its default, and how one written value
 * becomes its alternatives (`a|b|c`, `LOW..HIGH`). A new option is one entry. Lookups go
 * through Maps, so keys such as `constructor` or `__proto__` are plain unknown keys.
 */
import { FS_BEHAVIORS, GUP_PATHS, type FsBehavior, type GupPath } from "../model/params.js";
import { BACKINGS, MAPPINGS, MAX_FOLIO_ORDER, PIN_ACCESSES, type Backing, type PinAccess } from "../model/backings.js";
import { CALLER_IDS, RELEASE_KINDS, type CallerId, type ReleaseKind } from "../model/callers.js";
import { KERNEL_IDS } from "../model/kernels.js";
import { ANON_FEATURES } from "../model/anon.js";
import type { ActorDecl, ActorKind, ActorSpec, Coverage, KnobChoices, Knobs, OptionValue } from "./spec.js";

/** A value the parser refuses; the message says what was expected. */
export class Bad extends Error {}

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

/** `v` if it is one of `allowed`. @throws Bad naming them */
export function oneOf<T extends string>(v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new Bad(`one of ${allowed.join(", ")}, got '${v}'`);
  return v as T;
}
/** `v` as an integer in lo..hi. @throws Bad naming the range */
export function count(v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) throw new Bad(`an integer in ${lo}..${hi}, got '${v}'`);
  return n;
}

/** A keyword option: one of `allowed`, default `def`. */
const keyword = <T extends string>(allowed: readonly T[], def: T, extra: Partial<OptionDef> = {}): OptionDef => ({
  allowed: `one of ${allowed.join(", ")}`,
  parse: (v) => oneOf(v, allowed),
  default: def,
  ...extra,
});
/** An integer option in lo..hi (it takes ranges `LOW..HIGH`), default `def`. */
export const integer = (lo: number, hi: number, def: number): OptionDef => ({
  allowed: `an integer in ${lo}..${hi}`,
  parse: (v) => count(v, lo, hi),
  bounds: [lo, hi],
  default: def,
});
/** A yes/no option written as `yes` or `no` (e.g. `on`/`off`), default `def`. */
const flag = (yes: string, no: string, def: boolean): OptionDef => ({
  allowed: `${yes} or ${no}`,
  parse: (v) => oneOf(v, [yes, no]) === yes,
  default: def,
});

/** An actor kind: its options, and how one choice of each becomes a concrete actor. */
export interface KindDef {
  /** Its options by name, in the order `build` and the expansion read them. */
  readonly options: Map<string, OptionDef>;
  /** The concrete actor named `name` for one alternative of each option (`value(option)`). */
  build(name: string, value: (option: string) => OptionValue | OptionValue[]): ActorSpec;
}

/** The filesystems an O_DIRECT write may go to (the gup actor's `dest`). */
const FILE_BACKINGS = ["ext4", "xfs", "btrfs"] as const satisfies readonly Backing[];

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
        ["notifier", flag("yes", "no", false)],
        ["release", keyword(["default", ...RELEASE_KINDS], "default")],
        ["end", keyword(["release", "munmap"] as const, "release")],
        ["busy", flag("yes", "no", false)],
        ["force", flag("yes", "no", false)],
        ["dest", keyword(FILE_BACKINGS, "ext4")],
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
        notifier: v("notifier") as boolean,
        release: v("release") as ReleaseKind | "default",
        end: v("end") as "release" | "munmap",
        busy: v("busy") as boolean,
        force: v("force") as boolean,
        dest: v("dest") as Backing,
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
  ["munmap", { options: new Map(), build: (name) => ({ kind: "munmap", name }) }],
  [
    "invalidate",
    {
      options: new Map([["mode", keyword(["mapping", "pages2"] as const, "mapping")]]),
      build: (name, v) => ({ kind: "invalidate", name, mode: v("mode") as "mapping" | "pages2" }),
    },
  ],
  ["io", { options: new Map(), build: (name) => ({ kind: "io", name }) }],
  [
    "fork",
    {
      options: new Map([["child", keyword(["exit", "write", "stay"] as const, "exit")]]),
      build: (name, v) => ({ kind: "fork", name, child: v("child") as "exit" | "write" | "stay" }),
    },
  ],
  [
    "madvise",
    {
      options: new Map([["times", integer(1, 3, 1)]]),
      build: (name, v) => ({ kind: "madvise", name, times: v("times") as number }),
    },
  ],
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

/** `def.parse(v)`, a refusal naming the option: `P0.dma: an integer in 0..3, got '9'`. @throws Bad */
function parseNamed<T>(parse: (v: string) => T, v: string, what: string): T {
  try {
    return parse(v);
  } catch (e) {
    throw e instanceof Bad ? new Bad(`${what}: ${e.message}`) : e;
  }
}

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
      push(parseNamed(def.parse, part, what));
      continue;
    }
    if (!def.bounds || def.choice === false)
      throw new Bad(`one value for ${what} (${def.allowed}; no range), got '${part}'`);
    const lo = Number(range[1]),
      hi = Number(range[2]);
    if (lo > hi) throw new Bad(`a range LOW..HIGH for ${what} with LOW <= HIGH, got '${part}'`);
    parseNamed(def.parse, range[1], what), parseNamed(def.parse, range[2], what); // both ends within the option's bounds
    for (let n = lo; n <= hi; n++) push(n);
  }
  return out;
}

/** The option definition of `kind`'s option `key`. @throws Bad naming the kind's options */
export function optionDef(kind: ActorKind, key: string): OptionDef {
  const def = ACTOR_KINDS.get(kind)!.options.get(key);
  if (def) return def;
  const known = [...ACTOR_KINDS.get(kind)!.options.keys()];
  throw new Bad(`an option of ${kind} (${known.length ? known.join(", ") : "none"}), got '${key}'`);
}

/** A declared actor with every option at its default. */
export function defaultDecl(kind: ActorKind, name: string): ActorDecl {
  const options = new Map<string, OptionValue[]>();
  for (const [k, def] of ACTOR_KINDS.get(kind)!.options) options.set(k, [def.default]);
  return { kind, name, options };
}

/** Set `key=alternatives` on a declared actor. @throws Bad */
export function setActorOption(a: ActorDecl, key: string, raw: string): void {
  a.options.set(key, parseAlternatives(optionDef(a.kind, key), raw, `${a.name}.${key}`));
}

/** Set a knob's alternatives. @throws Bad */
export function setKnob(k: KnobChoices, key: string, raw: string): void {
  const def = KNOBS.get(key as keyof Knobs);
  if (!def) throw new Bad(`guard, fs, stable or <actor>.<option>, got '${key}'`);
  const alts = parseAlternatives(def, raw, key);
  if (key === "guard") k.guard = alts.map((x) => (x === "default" ? null : (x as boolean)));
  else if (key === "fs") k.fs = alts as FsBehavior[];
  else k.stable = alts as boolean[];
}

/** The coverage keys of a variant (kernel, mapping, backing, folio order, without: one value each, no choice). */
export const COVERAGE_KEYS = new Set(["kernel", "mapping", "backing", "folio", "without"]);

/** Set one coverage field from its text. @throws Bad */
export function setCoverage(c: Coverage, key: string, raw: string): void {
  const v = raw.trim();
  if (v.includes("|")) throw new Bad(`one value for ${key} (no choice), got '${v}'`);
  const named = <T>(parse: (v: string) => T): T => parseNamed(parse, v, key);
  if (key === "kernel") c.kernel = v === "none" ? null : named((x) => oneOf(x, KERNEL_IDS));
  else if (key === "mapping") c.mapping = named((x) => oneOf(x, MAPPINGS));
  else if (key === "backing") c.backing = named((x) => oneOf(x, BACKINGS));
  else if (key === "without")
    c.without = v === "none" ? [] : named((x) => [...new Set(x.split(",").map((f) => oneOf(f.trim(), ANON_FEATURES)))]);
  else c.folio = named((x) => count(x.startsWith("order=") ? x.slice(6) : x, 0, MAX_FOLIO_ORDER));
}
