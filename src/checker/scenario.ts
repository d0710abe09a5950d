/**
 * Scenario files (data/scenarios/*.scenario): a litmus-like description of the actors
 * over one page and one file, the policies and variants to check, and the expected
 * verdicts. Parsing is the one place where scenario input is validated; every error
 * names the file, the line and what was expected.
 */
import { basename } from "node:path";
import { FS_BEHAVIORS, GUP_PATHS, type FsBehavior, type GupPath } from "../model/params.js";
import { POLICY_IDS, type PolicyId } from "../policies/ids.js";
import { INCIDENTS, VERDICTS, type IncidentName, type Verdict } from "./verdict.js";

/** A malformed scenario: `file:line: expected …` (line 0: the file itself, e.g. unreadable). */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    /** What was expected there. */
    readonly expected: string,
  ) {
    super(`${line > 0 ? `${file}:${line}` : file}: expected ${expected}`);
    this.name = "ScenarioError";
  }
}

/** The GUP user: GUP for write on the page, `dma` device writes, release per policy. */
export interface GupActor {
  kind: "gup";
  name: string;
  /** `slow`, `fast` (pte recheck) or `fast-no-recheck`. Default `slow`. */
  path: GupPath;
  /** Device writes while pinned. Default 1. */
  dma: number;
  /** FOLL_LONGTERM (refused by `longterm-refused`). Default true. */
  longterm: boolean;
}

/** The flusher: `passes` runs of write_cache_pages over the page. */
export interface FlusherActor {
  kind: "flusher";
  name: string;
  /** Default 1. */
  passes: number;
  /** WB_SYNC_ALL (fsync, sync) when true; WB_SYNC_NONE (kupdate, background) otherwise. Default false. */
  syncAll: boolean;
}

/** Memory pressure: one shrink_folio_list over the page (and its second pass after pageout). */
export interface ReclaimActor {
  kind: "reclaim";
  name: string;
}

/** A CPU writer: `stores` stores through the shared mapping, faulting as needed. */
export interface CpuActor {
  kind: "cpu";
  name: string;
  /** Default 1. */
  stores: number;
}

/** truncate_inode_pages over the file. */
export interface TruncateActor {
  kind: "truncate";
  name: string;
}

export type ActorSpec = GupActor | FlusherActor | ReclaimActor | CpuActor | TruncateActor;
export type ActorKind = ActorSpec["kind"];

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
  fs: FsBehavior;
  /** SB_I_STABLE_WRITES: page_mkwrite waits for writeback. */
  stable: boolean;
}

/** A named set of overrides: `P0.path=fast`, `guard=off`, `fs=ext4-bug`, `stable=on`. */
export interface Variant {
  name: string;
  set: [key: string, value: string][];
}

/** One `Result` line: expected verdicts for the policies and variants it names. */
export interface Expectation {
  policy: PolicyId | null;
  variant: string | null;
  verdicts: Partial<Record<IncidentName, Verdict>>;
  line: number;
}

export interface Scenario {
  /** File it came from (as given), or `<inline>`. */
  file: string;
  name: string;
  purpose: string;
  policies: PolicyId[];
  page: PageSpec;
  knobs: Knobs;
  actors: ActorSpec[];
  /** Always starts with `base` (no overrides). */
  variants: Variant[];
  expectations: Expectation[];
}

const ACTOR_KINDS: readonly ActorKind[] = ["gup", "flusher", "reclaim", "cpu", "truncate"];
/** Options each actor kind accepts, with a parser per option. */
const ACTOR_OPTIONS: Record<ActorKind, Record<string, (v: string) => unknown>> = {
  gup: { path: (v) => oneOf(v, GUP_PATHS), dma: (v) => count(v, 0, 3), longterm: yesNo },
  flusher: { passes: (v) => count(v, 1, 3), sync: (v) => oneOf(v, ["none", "all"] as const) === "all" },
  reclaim: {},
  cpu: { stores: (v) => count(v, 1, 3) },
  truncate: {},
};
const OPTION_FIELD: Record<string, string> = { sync: "syncAll" };

class Bad extends Error {}

function oneOf<T extends string>(v: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(v)) throw new Bad(`one of ${allowed.join(", ")}, got '${v}'`);
  return v as T;
}
function count(v: string, lo: number, hi: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < lo || n > hi) throw new Bad(`an integer in ${lo}..${hi}, got '${v}'`);
  return n;
}
function yesNo(v: string): boolean {
  return oneOf(v, ["yes", "no"] as const) === "yes";
}
function onOff(v: string): boolean {
  return oneOf(v, ["on", "off"] as const) === "on";
}

function defaultActor(kind: ActorKind, name: string): ActorSpec {
  switch (kind) {
    case "gup":
      return { kind, name, path: "slow", dma: 1, longterm: true };
    case "flusher":
      return { kind, name, passes: 1, syncAll: false };
    case "cpu":
      return { kind, name, stores: 1 };
    default:
      return { kind, name };
  }
}

/** Set `key=value` on an actor; throws Bad naming what the option expects. */
export function setActorOption(a: ActorSpec, key: string, value: string): void {
  const parse = ACTOR_OPTIONS[a.kind][key];
  if (!parse) {
    const known = Object.keys(ACTOR_OPTIONS[a.kind]);
    throw new Bad(`an option of ${a.kind} (${known.length ? known.join(", ") : "none"}), got '${key}'`);
  }
  (a as unknown as Record<string, unknown>)[OPTION_FIELD[key] ?? key] = parse(value);
}

/** Set a global knob; throws Bad. */
function setKnob(k: Knobs, key: string, value: string): void {
  if (key === "guard") k.guard = value === "default" ? null : onOff(value);
  else if (key === "fs") k.fs = oneOf(value, FS_BEHAVIORS);
  else if (key === "stable") k.stable = onOff(value);
  else throw new Bad(`guard, fs, stable or <actor>.<option>, got '${key}'`);
}

/** The actors and knobs of one variant: the scenario's, with the variant's overrides. */
export function applyVariant(s: Scenario, v: Variant): { actors: ActorSpec[]; knobs: Knobs } {
  const actors = s.actors.map((a) => ({ ...a }));
  const knobs = { ...s.knobs };
  for (const [key, value] of v.set) {
    const dot = key.indexOf(".");
    if (dot < 0) setKnob(knobs, key, value);
    else setActorOption(actors.find((a) => a.name === key.slice(0, dot))!, key.slice(dot + 1), value);
  }
  return { actors, knobs };
}

/**
 * Parse a scenario. Format (one directive a line, `#` comments, blank lines ignored):
 *
 *     Scenario: GUP-slow+WB+unpin-check
 *     Purpose: one paragraph,
 *       continued on indented lines.
 *     Policies: put-user-pages-dirty foll-pin     (or `all`)
 *     Page: clean | dirty buffers pte-writable unmapped shares=N
 *     Guard: default | on | off                    Fs: ext4-warn | ext4-bug     Stable: off | on
 *     Actor P0: gup path=slow dma=1 longterm=yes
 *     Actor P1: flusher passes=1 sync=none
 *     Variant fast: P0.path=fast guard=off
 *     Result: lostData Never, doubleWritebacks Sometimes
 *     Result foll-pin/fast: writeToCleanPage Sometimes
 *
 * @throws ScenarioError naming the file, the line and what was expected.
 */
export function parseScenario(text: string, file = "<inline>"): Scenario {
  const s: Scenario = {
    file, name: "", purpose: "", policies: [],
    page: { dirty: false, buffers: false, pteWritable: false, unmapped: false, shares: 1 },
    knobs: { guard: null, fs: "ext4-warn", stable: false },
    actors: [], variants: [{ name: "base", set: [] }], expectations: [],
  };
  const lines = text.split(/\r?\n/);
  let last = "";
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i].replace(/\s+$/, "");
    const fail = (what: string): never => {
      throw new ScenarioError(file, n, what);
    };
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    if (/^\s/.test(raw)) {
      if (last !== "Purpose") fail("a directive at the start of the line (only Purpose continues on indented lines)");
      s.purpose += " " + raw.trim();
      continue;
    }
    const m = /^([A-Za-z]+)((?:\s+[^\s:]+)?):\s*(.*)$/.exec(raw);
    if (!m) fail("'Directive: value' (Scenario, Purpose, Policies, Page, Guard, Fs, Stable, Actor NAME, Variant NAME, Result [QUALIFIER])");
    const [, key, argRaw, value] = m!;
    const arg = argRaw.trim();
    last = key;
    const once = (): void => {
      if (seen.has(key)) fail(`one ${key} line only`);
      seen.add(key);
    };
    const noArg = (): void => {
      if (arg) fail(`'${key}:' without a name, got '${key} ${arg}:'`);
    };
    try {
      switch (key) {
        case "Scenario":
          once(), noArg();
          if (!/^[A-Za-z0-9+._-]+$/.test(value)) fail(`a scenario name of letters, digits and + . _ -, got '${value}'`);
          s.name = value;
          if (file.endsWith(".scenario") && basename(file, ".scenario") !== value) {
            fail(`the file's name, '${basename(file, ".scenario")}', got '${value}'`);
          }
          break;
        case "Purpose":
          once(), noArg();
          s.purpose = value.trim();
          break;
        case "Policies": {
          once(), noArg();
          const ids = value.split(/\s+/).filter(Boolean);
          if (ids.length === 0) fail("policy ids or 'all'");
          s.policies = ids.length === 1 && ids[0] === "all" ? [...POLICY_IDS] : ids.map((id) => oneOf(id, POLICY_IDS));
          break;
        }
        case "Page":
          once(), noArg();
          for (const w of value.split(/\s+/).filter(Boolean)) {
            if (w === "clean") continue;
            else if (w === "dirty") s.page.dirty = s.page.buffers = true;
            else if (w === "buffers") s.page.buffers = true;
            else if (w === "pte-writable") s.page.pteWritable = s.page.dirty = s.page.buffers = true;
            else if (w === "unmapped") s.page.unmapped = true;
            else if (w.startsWith("shares=")) s.page.shares = count(w.slice(7), 0, 4096);
            else fail(`page flags (clean, dirty, buffers, pte-writable, unmapped, shares=N), got '${w}'`);
          }
          if (s.page.pteWritable && s.page.unmapped) fail("a writable pte on a mapped page: not both pte-writable and unmapped");
          break;
        case "Guard":
        case "Fs":
        case "Stable":
          once(), noArg();
          setKnob(s.knobs, key.toLowerCase(), value.trim());
          break;
        case "Actor": {
          if (!/^[A-Za-z][A-Za-z0-9]*$/.test(arg)) fail(`'Actor NAME: kind options', NAME a letter then letters or digits, got '${arg}'`);
          if (s.actors.some((a) => a.name === arg)) fail(`a new actor name, '${arg}' is taken`);
          const [kind, ...opts] = value.split(/\s+/).filter(Boolean);
          const a = defaultActor(oneOf(kind ?? "", ACTOR_KINDS), arg);
          for (const o of opts) {
            const eq = o.indexOf("=");
            if (eq < 1) fail(`option=value, got '${o}'`);
            setActorOption(a, o.slice(0, eq), o.slice(eq + 1));
          }
          s.actors.push(a);
          break;
        }
        case "Variant": {
          if (!/^[A-Za-z0-9_-]+$/.test(arg)) fail(`'Variant NAME: key=value …', got '${arg}'`);
          if (s.variants.some((v) => v.name === arg)) fail(`a new variant name, '${arg}' is taken`);
          const v: Variant = { name: arg, set: [] };
          for (const o of value.split(/\s+/).filter(Boolean)) {
            const eq = o.indexOf("=");
            if (eq < 1) fail(`key=value, got '${o}'`);
            const k = o.slice(0, eq), val = o.slice(eq + 1);
            const dot = k.indexOf(".");
            if (dot >= 0) {
              const a = s.actors.find((x) => x.name === k.slice(0, dot));
              if (!a) fail(`an actor declared above, got '${k.slice(0, dot)}'`);
              setActorOption({ ...a! }, k.slice(dot + 1), val); // validate now, apply per variant
            } else setKnob({ ...s.knobs }, k, val);
            v.set.push([k, val]);
          }
          if (v.set.length === 0) fail("at least one key=value override");
          s.variants.push(v);
          break;
        }
        case "Result": {
          let policy: PolicyId | null = null, variant: string | null = null;
          if (arg) {
            for (const q of arg.split("/")) {
              if ((POLICY_IDS as readonly string[]).includes(q) && policy === null) policy = q as PolicyId;
              else if (s.variants.some((v) => v.name === q) && variant === null) variant = q;
              else fail(`'Result [POLICY][/VARIANT]:' with a policy id or a variant declared above, got '${q}'`);
            }
          }
          const verdicts: Partial<Record<IncidentName, Verdict>> = {};
          for (const item of value.split(",").map((x) => x.trim()).filter(Boolean)) {
            const [inc, verdict, extra] = item.split(/\s+/);
            if (extra !== undefined || verdict === undefined) fail(`'incident Verdict' pairs separated by commas, got '${item}'`);
            verdicts[oneOf(inc, INCIDENTS)] = oneOf(verdict, VERDICTS);
          }
          if (Object.keys(verdicts).length === 0) fail("'incident Verdict' pairs separated by commas");
          s.expectations.push({ policy, variant, verdicts, line: n });
          break;
        }
        default:
          fail(`a directive (Scenario, Purpose, Policies, Page, Guard, Fs, Stable, Actor, Variant, Result), got '${key}'`);
      }
    } catch (e) {
      if (e instanceof Bad) fail(e.message);
      throw e;
    }
  }
  const end = lines.length;
  if (!s.name) throw new ScenarioError(file, end, "a 'Scenario: NAME' line");
  if (s.policies.length === 0) throw new ScenarioError(file, end, "a 'Policies:' line");
  if (s.actors.length === 0) throw new ScenarioError(file, end, "at least one 'Actor NAME: kind' line");
  if (s.actors.length > 4) throw new ScenarioError(file, end, "at most 4 actors (the witness has a column each)");
  return s;
}

/** The expected verdicts for one policy and variant: the most specific Result line wins, per incident. */
export function expectedVerdicts(s: Scenario, policy: PolicyId, variant: string): Partial<Record<IncidentName, Verdict>> {
  if (!s.policies.includes(policy)) return {};
  const rank = (e: Expectation): number => (e.policy ? 2 : 0) + (e.variant ? 1 : 0);
  const apply = s.expectations
    .filter((e) => (e.policy === null || e.policy === policy) && (e.variant === null || e.variant === variant))
    .sort((a, b) => rank(a) - rank(b) || a.line - b.line);
  const out: Partial<Record<IncidentName, Verdict>> = {};
  for (const e of apply) Object.assign(out, e.verdicts);
  return out;
}
