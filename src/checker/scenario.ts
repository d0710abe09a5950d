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
 * of option parsers (ACTOR_KINDS, options.ts): a new directive or option is one entry.
 * Lookups go through Maps (keys such as `constructor` or `__proto__` are plain unknown
 * keys) and every check is linear, so a file of 10^5 lines is refused or parsed in linear
 * time. What a Scenario holds is spec.ts; expanding its choices is choices.ts.
 */
import { basename } from "node:path";
import { HARD } from "../model/budget.js";
import { POLICY_IDS, type PolicyId } from "../model/policy-ids.js";
import type { CallerId } from "../model/callers.js";
import { presetPolicyId } from "../model/env.js";
import { checkAnonPages, checkDioDest, checkFolioOrders } from "./scenario-checks.js";
import { ScenarioError } from "./spec.js";
import { INCIDENTS, VERDICTS, type IncidentName, type Verdict } from "./verdict.js";
import {
  ACTOR_KINDS,
  Bad,
  COVERAGE_KEYS,
  defaultDecl,
  integer,
  oneOf,
  optionDef,
  parseAlternatives,
  setActorOption,
  setCoverage,
  setKnob,
  type OptionDef,
} from "./options.js";
import {
  DEFAULT_COVERAGE,
  MAX_ACTORS,
  pageKey,
  type ActorDecl,
  type Expectation,
  type Knobs,
  type OptionValue,
  type PageSpec,
  type Scenario,
  type Variant,
} from "./spec.js";

export { ACTOR_KINDS, parseAlternatives, type OptionDef } from "./options.js";
export * from "./spec.js";

/**
 * `Kernel: 6.6`: the preset whose reclaim guard, ext4 behaviour and caller policies the
 * scenario takes where no `Guard:`, `Fs:` or `Policies:` line says otherwise (runEnv,
 * src/model/env.ts, applies them per variant, so a `kernel=` variant does the same).
 */
function parseKernel(l: Line): void {
  setCoverage(l.s.coverage, "kernel", l.value);
}

/** The kernel's policy for the first GUP actor's caller, when no Policies line named any. */
function kernelPolicies(s: Scenario): PolicyId[] {
  if (s.coverage.kernel === null) return [];
  const gup = s.actors.find((a) => a.kind === "gup");
  const caller = (gup?.options.get("caller")?.[0] ?? "generic") as CallerId;
  return [presetPolicyId(s.coverage.kernel, caller) as PolicyId];
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
  /** Each `policy/variant/incident` a Result line gave, and that line. */
  results: Map<string, number>;
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
/** Plain references a page may hold besides its mappings: up to 2046 (with the batch's one, the state encoding's 2047; past the fork detector's 1024). */
const REFS: OptionDef = integer(0, 2046, 0);

/** One alternative of a `Page:` line: its flags, and the shares and refs it ranges over (a page each pair). */
function parsePageAlternative(words: string[]): { p: PageSpec; shares: OptionValue[]; refs: OptionValue[] } {
  const p: PageSpec = { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 };
  let shares: OptionValue[] = [1];
  let refs: OptionValue[] = [0];
  for (const w of words) {
    if (w === "clean") continue;
    else if (w === "dirty") p.dirty = p.buffers = true;
    else if (w === "buffers") p.buffers = true;
    else if (w === "pte-writable") p.pteWritable = p.dirty = p.buffers = true;
    else if (w === "unmapped") p.unmapped = true;
    else if (w.startsWith("shares=")) shares = parseAlternatives(SHARES, w.slice(7), "shares");
    else if (w.startsWith("refs=")) refs = parseAlternatives(REFS, w.slice(5), "refs");
    else if (w === "haspinned") p.hasPinned = true;
    else if (w === "batch") p.batch = true;
    else
      throw new Bad(
        `page flags (clean, dirty, buffers, pte-writable, unmapped, shares=N, refs=N, batch, haspinned), got '${w}'`,
      );
  }
  if (p.pteWritable && p.unmapped) throw new Bad("a writable pte on a mapped page: not both pte-writable and unmapped");
  return { p, shares, refs };
}

/**
 * A `Page:` line: its alternatives, counted before they are built (shares=0..16383 refs=0..2046
 * alone would be 33,538,048 pages, each a root of every search: src/checker/roots.ts).
 */
function parsePage(l: Line): void {
  const alts = l.value.split("|").map((a) => a.split(/\s+/).filter(Boolean));
  if (alts.some((a) => a.length === 0)) throw new Bad(`page flags on each side of '|', got '${l.value}'`);
  const parsed = alts.map(parsePageAlternative);
  const count = parsed.reduce((n, a) => n + a.shares.length * a.refs.length, 0);
  if (count > HARD.rootsPerSearch)
    throw new Bad(`at most ${HARD.rootsPerSearch} pages (the sum of each alternative's shares × refs), got ${count}`);
  // the first of each page pageName names alike, by a number (a string each took seconds for 2^20); one alternative's differ
  const seen = parsed.length > 1 ? new Set<number>() : null;
  const pages: PageSpec[] = [];
  for (const { p, shares, refs } of parsed)
    for (const n of shares as number[])
      for (const k of refs as number[]) {
        if (seen) {
          const key = pageKey(p, n, k);
          if (seen.has(key)) continue;
          seen.add(key);
        }
        const page: PageSpec = { ...p, shares: n };
        if (k > 0) page.refs = k;
        pages.push(page);
      }
  l.s.pages = pages;
  l.s.pageLine = l.n;
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
  (l.s.actorLines ??= []).push(l.n);
}

function parseVariant(l: Line): void {
  if (!/^[A-Za-z0-9_-]+$/.test(l.arg)) throw new Bad(`'Variant NAME: key=value …', got '${l.arg}'`);
  if (l.variants.has(l.arg)) throw new Bad(`a new variant name, '${l.arg}' is taken`);
  // A `Result NAME:` qualifier reads NAME as a policy first (parseResult): a variant named
  // like a policy could never be qualified.
  if ((POLICY_IDS as readonly string[]).includes(l.arg))
    throw new Bad(`a variant name that is no policy id, got '${l.arg}'`);
  const v: Variant = { name: l.arg, set: [], line: l.n };
  for (const o of tokens(l.value)) {
    const eq = o.indexOf("=");
    if (eq < 1) throw new Bad(`key=value, got '${o}'`);
    const k = o.slice(0, eq),
      val = o.slice(eq + 1);
    if (v.set.some(([seen]) => seen === k)) throw new Bad(`each key once, '${k}' is set twice`);
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
    const incident = oneOf(inc, INCIDENTS);
    // Two verdicts of one incident for one policy/variant (on a line, or on two Result lines of
    // the same qualifier) contradict each other or repeat: refused, not the last one kept.
    // (a Map: a scan of the expectations made 10^5 Result lines quadratic, 294 s in CI)
    const key = `${policy ?? ""}/${variant ?? ""}/${incident}`,
      earlier = l.results.get(key);
    if (incident in verdicts || earlier !== undefined)
      throw new Bad(
        `each incident once per Result qualifier, got '${incident}'${earlier !== undefined ? ` (also on line ${earlier})` : ""}`,
      );
    verdicts[incident] = oneOf(verdict, VERDICTS);
  }
  for (const incident of Object.keys(verdicts)) l.results.set(`${policy ?? ""}/${variant ?? ""}/${incident}`, l.n);
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
  [
    "Mapping",
    {
      once: true,
      arg: false,
      parse: (l) => {
        setCoverage(l.s.coverage, "mapping", l.value);
        l.s.mappingLine = l.n;
      },
    },
  ],
  ["Backing", { once: true, arg: false, parse: (l) => setCoverage(l.s.coverage, "backing", l.value) }],
  ["Without", { once: true, arg: false, parse: (l) => setCoverage(l.s.coverage, "without", l.value) }],
  [
    "Folio",
    {
      once: true,
      arg: false,
      parse: (l) => {
        setCoverage(l.s.coverage, "folio", l.value);
        l.s.folioLine = l.n;
      },
    },
  ],
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
  if (s.policies.length === 0) {
    s.policies = kernelPolicies(s);
    s.policiesFromKernel = s.policies.length > 0;
  }
  if (s.policies.length === 0)
    throw new ScenarioError(file, end, "a 'Policies:' line (or a 'Kernel:' line to take its policy)");
  if (s.actors.length === 0) throw new ScenarioError(file, end, "at least one 'Actor NAME: kind' line");
  if (s.actors.filter((a) => a.kind === "io").length > 1)
    throw new ScenarioError(file, end, "at most one 'io' actor (one page: one bio in flight)");
  if (s.actors.filter((a) => a.kind === "gup" && (a.options.get("notifier") ?? []).includes(true)).length > 1)
    throw new ScenarioError(file, end, "at most one 'gup' actor with notifier=yes (one userptr object over the page)");
  checkFolioOrders(s, file, end);
  checkAnonPages(s, file, end);
  checkDioDest(s, file);
  return s;
}

/**
 * A line without its trailing comment: from a `#` after a blank to the end of the line
 * (`Actor P0: gup access=read  # the pinner`), as a `#` at the start comments out a whole
 * line. Purpose's free text (its line and the indented lines continuing it) keeps its `#`
 * (`axboe/liburing #358`).
 */
function withoutComment(line: string, last: string): string {
  if (/^Purpose:/.test(line) || (/^\s/.test(line) && last === "Purpose")) return line;
  const m = /[ \t]#/.exec(line);
  return m === null ? line : line.slice(0, m.index);
}

/**
 * Parse a scenario. Format (one directive a line, `#` comments, whole-line or trailing
 * after a blank, except in Purpose's text; blank lines ignored):
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
    knobs: { guard: [null], fs: [null], stable: [false] },
    actors: [],
    variants: [{ name: "base", set: [] }],
    expectations: [],
    coverage: { ...DEFAULT_COVERAGE },
  };
  const lines = text.split(/\r?\n/);
  const seen = new Set<string>();
  const at = {
    s,
    file,
    n: 0,
    actors: new Map<string, ActorDecl>(),
    variants: new Map([["base", s.variants[0]]]),
    results: new Map<string, number>(),
  };
  let last = "";
  for (let i = 0; i < lines.length; i++) {
    const raw = withoutComment(lines[i], last).replace(/\s+$/, "");
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
  if (!s.policies.includes(policy) && !s.policiesFromKernel) return {};
  const rank = (e: Expectation): number => (e.policy ? 2 : 0) + (e.variant ? 1 : 0);
  const apply = s.expectations
    .filter((e) => (e.policy === null || e.policy === policy) && (e.variant === null || e.variant === variant))
    .sort((a, b) => rank(a) - rank(b) || a.line - b.line);
  const out: Partial<Record<IncidentName, Verdict>> = {};
  for (const e of apply) Object.assign(out, e.verdicts);
  return out;
}
