/**
 * The choices of a checked configuration expanded (docs/model.md#the-interleaving-checker):
 * a variant's overrides applied to its scenario, every concrete actor an actor
 * declaration stands for, every combination of the knobs, and the names of the
 * alternatives a search root took (for witnesses). scenario.ts parses; this module
 * expands; explore.ts searches.
 */
import { HARD } from "../model/budget.js";
import { InputError } from "../errors.js";
import type { FsBehavior } from "../model/params.js";
import { MAX_ACTORS, pageName } from "./spec.js";
import { ACTOR_KINDS, COVERAGE_KEYS, defaultDecl, setActorOption, setCoverage, setKnob } from "./options.js";
import type {
  ActorDecl,
  ActorSpec,
  Coverage,
  FlusherActor,
  KnobChoices,
  Knobs,
  OptionValue,
  PageSpec,
  Scenario,
  Variant,
} from "./spec.js";

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

/**
 * How many concrete actors a declaration stands for (expandActor's length), counted without
 * building them: the product of the plain options' alternatives, where an option held per
 * unit of another (`sync` per pass) makes each value v of that one count |alternatives|^v.
 */
export function actorAlternatives(a: ActorDecl): bigint {
  const kind = ACTOR_KINDS.get(a.kind)!;
  const alts = (k: string) => BigInt(a.options.get(k)!.length);
  let n = 1n;
  for (const [k, d] of kind.options) {
    if (d.per) continue;
    const repeated = [...kind.options].filter(([, e]) => e.per === k).map(([q]) => alts(q));
    if (repeated.length === 0) n *= alts(k);
    else {
      let sum = 0n;
      for (const v of a.options.get(k)!) sum += repeated.reduce((p, m) => p * m ** BigInt(v as number), 1n);
      n *= sum;
    }
  }
  return n;
}

/** The roots of one search: the page's alternatives times every combination of the actors' (bigint: it may be huge). */
export function rootCount(pages: number, decls: readonly ActorDecl[]): bigint {
  return decls.reduce((n, d) => n * actorAlternatives(d), BigInt(pages));
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

/** A configuration's choices brought to lists: what the roots of its searches range over (explore.ts). */
export interface Expansion {
  /** The initial page's alternatives. */
  pages: PageSpec[];
  /** The knobs' alternatives (one search per combination: expandKnobs). */
  allKnobs: KnobChoices;
  /** The actors as declarations (a concrete actor as one without choices). */
  decls: ActorDecl[];
  /** Every combination of the actors' alternatives, one spec per actor, the first actor varying slowest. */
  expansions: ActorSpec[][];
}

const isDecl = (a: ActorSpec | ActorDecl): a is ActorDecl => "options" in a;
const isChoices = (k: Knobs | KnobChoices): k is KnobChoices => Array.isArray(k.fs);

/**
 * The page, the knobs and the actors of a configuration (each concrete, or with
 * alternatives) as lists of alternatives, and every combination of the actors'. The roots
 * are counted first (rootCount), so a product too large to build is refused, not built.
 * @throws {RangeError} more than MAX_ACTORS (8) actors
 * @throws {InputError} more than HARD.rootsPerSearch roots (pages × the actors' alternatives)
 */
export function expandChoices(
  page: PageSpec | readonly PageSpec[],
  knobs: Knobs | KnobChoices,
  actors: readonly (ActorSpec | ActorDecl)[],
): Expansion {
  const pages = Array.isArray(page) ? (page as PageSpec[]) : [page as PageSpec];
  const allKnobs: KnobChoices = isChoices(knobs) ? knobs : knobChoicesOf(knobs);
  const decls = actors.map((a) => (isDecl(a) ? a : declOf(a)));
  if (decls.length > MAX_ACTORS) throw new RangeError(`checkConfig: at most ${MAX_ACTORS} actors, got ${decls.length}`);
  const roots = rootCount(pages.length, decls);
  if (roots > BigInt(HARD.rootsPerSearch))
    throw new InputError(
      "actors",
      `${roots} roots (pages × the actors' alternatives)`,
      `at most ${HARD.rootsPerSearch} roots per search`,
    );
  return { pages, allKnobs, decls, expansions: product(decls.map(expandActor)) };
}

/** The alternatives a concrete actor took, for options the declaration lets vary. */
function actorChoices(d: ActorDecl, spec: ActorSpec): string[] {
  const out: string[] = [];
  const fields = spec as unknown as Record<string, unknown>;
  for (const [k, alts] of d.options) {
    if (alts.length < 2) continue;
    const v = k === "sync" ? (spec as FlusherActor).syncAll.map((x) => (x ? "all" : "none")).join(",") : fields[k];
    out.push(`${d.name}.${k}=${typeof v === "boolean" ? (v ? "yes" : "no") : String(v)}`);
  }
  return out;
}

/** Knob alternatives taken, where the knobs vary. */
function knobChoices(all: KnobChoices, k: Knobs): string[] {
  const out: string[] = [];
  if (all.guard.length > 1) out.push(`guard=${k.guard === null ? "default" : k.guard ? "on" : "off"}`);
  if (all.fs.length > 1) out.push(`fs=${k.fs}`);
  if (all.stable.length > 1) out.push(`stable=${k.stable ? "on" : "off"}`);
  return out;
}

/**
 * The names of the alternatives one search root took, where the configuration lets them
 * vary, for its witnesses: `Page=buffers`, `guard=off`, `P1.sync=all,none`.
 */
export function rootChoices(x: Expansion, page: PageSpec, knobs: Knobs, specs: readonly ActorSpec[]): string[] {
  return [
    ...(x.pages.length > 1 ? [`Page=${pageName(page)}`] : []),
    ...knobChoices(x.allKnobs, knobs),
    ...specs.flatMap((s, i) => actorChoices(x.decls[i], s)),
  ];
}
