/**
 * A Policy object of a user's own (src/model/policy.ts) checked before it is run by the
 * engine (simulate's `options.policy`) or the checker (checkConfig's `policy`): every
 * field and hook they read, of the right kind, and a device mirror exactly when its
 * reference is "none". One InputError line naming the field or hook (issue 24: a missing
 * hook used to be a TypeError from deep inside a run).
 */
import { InputError } from "../errors.js";
import { deviceMirrorOf, type Policy } from "./policy.js";
import { RELEASE_DIRTYING, RELEASE_LOCKS, checkRelease } from "./release.js";

/** A release value as checkRelease takes it. */
function isRelease(v: unknown): boolean {
  try {
    checkRelease(v, "policy");
    return true;
  } catch {
    return false;
  }
}

/** A field's test and what is allowed, as a refusal prints it. */
export type Check = [test: (v: unknown) => boolean, allowed: string];
/** A function field: its signature and what it is for. */
export const fn = (signature: string, what: string): Check => [
  (v) => typeof v === "function",
  `a function ${signature}: ${what}`,
];
/** A boolean field and what it says. */
export const bool = (what: string): Check => [(v) => typeof v === "boolean", `true or false: ${what}`];
/** The same check, or the field left out. */
export const optional = ([test, allowed]: Check): Check => [
  (v) => v === undefined || test(v),
  `${allowed}, or left out`,
];

/** Every field of a Policy (src/model/policy.ts) the engine and the checker read, with its check. */
const POLICY_FIELDS: Record<string, Check> = {
  id: [(v) => typeof v === "string" && v.length > 0, "a non-empty string"],
  era: [(v) => typeof v === "string", "a string (kernel era or proposal)"],
  summary: [(v) => typeof v === "string", "a string (one line for pinsim policies)"],
  reference: [(v) => v === "FOLL_GET" || v === "FOLL_PIN" || v === "none", '"FOLL_GET", "FOLL_PIN" or "none"'],
  deviceMirror: [
    (v) => v === undefined || v === null || (typeof v === "object" && !Array.isArray(v)),
    "an object with mirror, invalidated and refault, or null, or left out",
  ],
  reclaimGuardDefault: bool("the reclaim guard's default under the policy"),
  writebackConsultsDetector: bool("whether writeback consults folio_maybe_dma_pinned"),
  bounces: bool("whether it can bounce"),
  keepsDirty: bool("whether it keeps pinned pages dirty"),
  refuseGup: fn("(longTerm) => boolean", "check_vma_flags' refusal"),
  afterGrab: fn("(pc, p) => void", "after GUP took its reference (follow_page_pte)"),
  release: [
    (v) => isRelease(v),
    `{ lock: ${RELEASE_LOCKS.map((x) => `"${x}"`).join(" | ")}, dirty: ${RELEASE_DIRTYING.map((x) => `"${x}"`).join(" | ")}, trylockMissShare?: 0..1 } (src/model/release.ts)`,
  ],
  writebackDecision: fn("(pc, p, sync) => number", "write_cache_pages' decision on a pinned page"),
};

/** A device mirror's hooks (src/model/policy.ts DeviceMirror). */
const MIRROR_FIELDS: Record<string, Check> = {
  mirror: fn("(pc, p) => number", "the device maps page p"),
  invalidated: fn("(pc, p, seq) => boolean", "whether the mapping was invalidated since seq"),
  refault: fn("(pc, p) => number", "the device refaulted page p"),
};

/** A plain object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Each field of `o` against `fields`, in the table's order. @throws InputError naming `where.field`. */
export function checkFields(o: Record<string, unknown>, fields: Record<string, Check>, where: string): void {
  for (const [name, [test, allowed]] of Object.entries(fields)) {
    // Own or inherited (a policy may be a class instance), never Object.prototype's.
    const v = name in Object.prototype ? (Object.hasOwn(o, name) ? o[name] : undefined) : o[name];
    if (!test(v)) throw new InputError(`${where}.${name}`, v, allowed);
  }
}

/**
 * Check a user's policy object.
 * @param where how the refusal names it (`options.policy`, `policy`)
 * @throws InputError `invalid options.policy.afterGrab: undefined (allowed: a function (pc, p) => void: …)`.
 */
export function checkPolicy(policy: unknown, where: string): asserts policy is Policy {
  if (!isObject(policy)) throw new InputError(where, policy, "a Policy object (src/model/policy.ts)");
  checkFields(policy, POLICY_FIELDS, where);
  const mirror = (policy as unknown as Policy).deviceMirror;
  if (isObject(mirror)) checkFields(mirror, MIRROR_FIELDS, `${where}.deviceMirror`);
  deviceMirrorOf(policy as unknown as Policy); // reference "none" exactly with a mirror
}
