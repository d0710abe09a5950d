/**
 * The bytes of a run's state in the engine (docs/architecture.md, "Per-page state"), for the memory
 * budget (budget.ts) and `npm run bench`.
 */
import type { PinnerGroup } from "./coverage-params.js";
import { distributionRange, parseDistribution } from "./distributions.js";
import { pinDecision, policyFollowsPreset, runEnv } from "./env.js";
import type { CallerId } from "./callers.js";
import type { Params } from "./params.js";
import { POLICY_IDS } from "./policy-ids.js";
import { getPolicy } from "../policies/index.js";

/** The pinner populations of resolved parameters: the groups, or the flat parameters as one. */
export function pinnerPopulations(p: Params): { prefix: string; g: PinnerGroup }[] {
  if (p.pinnerGroups === null) return [{ prefix: "", g: flatGroup(p) }];
  return p.pinnerGroups.map((g, i) => ({ prefix: `pinnerGroups[${i}].`, g }));
}

/** The flat pinner parameters as one group (params.ts flatPinnerGroup; not imported: params.ts imports this module). */
function flatGroup(p: Params): PinnerGroup {
  const { caller, pinners, pinDuration, pinGap, pagesPerPin, pinAccess, gupPath, longTerm, dmaWriteRate } = p;
  return { caller, pinners, pinDuration, pinGap, pagesPerPin, pinAccess, gupPath, longTerm, dmaWriteRate };
}

/** Bytes of one count of the lean layout's narrowest array for 0..max (page-state.ts countArray). */
const countBytes = (max: number): number => (max <= 0xff ? 1 : max <= 0xffff ? 2 : 4);

/**
 * The run's environment (runEnv) from resolved parameters, as the engine builds it, or
 * null for a policy id that is not built in (a user's own, given to simulate directly).
 */
export function builtInRunEnv(p: Params): ReturnType<typeof runEnv> | null {
  if (!(POLICY_IDS as readonly string[]).includes(p.policy)) return null;
  return runEnv({
    kernel: p.kernel,
    backing: p.backing,
    mapping: p.mapping,
    folioOrder: p.folioOrder,
    policy: getPolicy(p.policy),
    policyPerCaller: policyFollowsPreset(p.kernel, p.caller, p.policy),
  });
}

/**
 * Bytes of the engine's per-folio typed arrays for these parameters (README, "Per-page
 * state"; `npm run bench` prints the arrays one by one): the page record (32: the flags
 * word with the PG bits and the engine's waiters, I/O count and slot bit, ENGINE_BIT;
 * refcount, the three content versions, cleanWrites, dirtySince; page-record.ts), the
 * page cache's other counts sized by the run's bounds, notifierSeq under a device mirror,
 * btrfs's delalloc; the pinner groups' last writer (and first pinner, holders per group
 * with several groups); the device writes' slot (its holders, next write and rate are per
 * held folio); on backing `anon` the swap cache, PG_anon_exclusive, the owner's move and
 * whether the owner zapped it (4; the engine has no madvise, so the last stays 0) and the slot's generation (4, engine/anon.ts), with forks the unbounded share count
 * (4: anonSharesBound); an O_DIRECT write group's dioSources (1). 41 on the large system
 * (one group, shareCount 1, no mirror).
 */
export function folioBytes(p: Params): number {
  const pops = pinnerPopulations(p);
  const env = builtInRunEnv(p);
  const order = env?.folioOrder ?? p.folioOrder;
  const holds = countBytes(pops.reduce((a, { g }) => a + g.pinners * Math.min(g.pagesPerPin, 2 ** order), 0));
  const range = (spec: Params["shareCount"]): number =>
    countBytes(Math.ceil(distributionRange(parseDistribution(spec))[1]));
  const n = pops.length;
  const group = n <= 127 ? 1 : 2;
  // Each group's GUP decision as the engine's Groups takes it: a read pin or a caller that
  // never writes (vmsplice) has no device writes; an O_DIRECT write has no FOLL_WRITE.
  const decide = (g: PinnerGroup) =>
    env === null
      ? null
      : pinDecision(env, { caller: g.caller as CallerId, access: g.pinAccess, path: g.gupPath, longTerm: g.longTerm });
  const writers = pops.filter(({ g }) => g.dmaWriteRate > 0 && (decide(g)?.deviceWrites ?? true));
  const mirror = env === null || env.mirror !== null;
  const anon = p.backing === "anon";
  const dio = pops.some(({ g }) => g.caller === "odirect" && !(decide(g)?.gup.flags.write ?? g.pinAccess === "write"));
  const cache =
    (anon && p.forkRate > 0 ? 4 : range(p.shareCount)) +
    range(p.transientRefs) +
    32 +
    2 * holds +
    (mirror ? 4 : 0) +
    (env?.privateData === "cow-fixup" ? 1 : 0) +
    (anon ? 4 : 0) +
    (dio ? 1 : 0);
  const engine = anon ? 4 : 0;
  const groups = group + (n > 1 ? group + n * holds : 0);
  const folios = p.files * Math.max(1, p.pagesPerFile >> order);
  const held = Math.min(
    folios,
    pops.reduce((a, { g }) => a + g.pinners * g.pagesPerPin, 0),
  );
  const dma = !mirror && writers.length > 0 ? countBytes(held) : 0;
  return cache + engine + groups + dma;
}

/**
 * Estimated bytes of a run's state: folioBytes per folio, 13 per inode (I_DIRTY_PAGES,
 * dirtied_when, the dirty count), ~300 per pinner (its fields, its random stream, its
 * queue entry: 340 measured with 4 pin slots) and 44 per pin slot (pinners × the largest
 * pagesPerPin of any group: the page, notifier sequence and cleanWrites at the grab, 12;
 * the held folio's next device write in a hash table kept at most half full, 32). The tables of dirty folios and of superseded I/O grow with the
 * run (32 bytes an entry at most half full): not counted.
 */
export function estimatedBytes(p: Params): number {
  const pops = pinnerPopulations(p);
  const pinners = pops.reduce((a, { g }) => a + g.pinners, 0);
  const ppp = Math.max(...pops.map(({ g }) => g.pagesPerPin));
  const folios = p.files * Math.max(1, p.pagesPerFile >> p.folioOrder);
  return folios * folioBytes(p) + p.files * 13 + pinners * 300 + pinners * ppp * 44;
}
