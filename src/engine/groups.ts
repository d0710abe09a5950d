/**
 * Pinner populations (`pinnerGroups`, or the flat parameters as one group): each group's
 * caller, policy, GUP outcome and shape, the group of every pinner, and per-group counts.
 *
 * Pinners are numbered across groups in order (group 0's first, then group 1's, …), and
 * pinner k draws from stream PINNER_STREAM_BASE + k, so a run given as one group is the
 * same run as the flat parameters, draw for draw.
 *
 * Attribution: a page (folio) remembers the group that last pinned it, and device writes
 * into it are charged to that group (a folio held by two groups at once charges the later
 * one). Data lost from a folio is charged to the group whose device write was the last to
 * modify it (none if a CPU store was), since that is whose data is missing. The totals
 * (result.metrics) are exact regardless.
 */
import type { Uniform } from "../model/distributions.js";
import { parseDistribution, sampler } from "../model/distributions.js";
import type { CallerId, CallerProfile } from "../model/callers.js";
import type { PinnerGroup } from "../model/coverage-params.js";
import { pinDecision, type RunEnv } from "../model/env.js";
import { GROUP_METRICS, type GroupMetric } from "../model/metrics.js";
import { countArray, type CountArray } from "../model/page-cache.js";
import { flatPinnerGroup, type Params } from "../model/params.js";
import type { Policy } from "../model/policy.js";
import type { GroupGup } from "../policies/caller.js";

export { GROUP_METRICS, type GroupMetric } from "../model/metrics.js";
/** Index of each group metric in GROUP_METRICS (the layout of Groups' counters). */
export const GROUP_METRIC = Object.fromEntries(GROUP_METRICS.map((n, i) => [n, i])) as {
  readonly [K in GroupMetric]: number;
};

/** One group in a run result: its shape, what GUP did with it, and its counts. */
export interface GroupResult extends PinnerGroup {
  /** The policy module its pins and releases ran under (MODEL.md §4). */
  policy: string;
  /** FOLL_GET or FOLL_PIN, FOLL_WRITE, FOLL_LONGTERM as passed. */
  flags: GroupGup["flags"];
  /** The errno every GUP call of this group met; null when pinned. */
  refused: GroupGup["refused"];
  /** Its pins held anonymous copies (private mapping), not page-cache folios. */
  anonymous: boolean;
  /** Per-group counts (pinsTaken, refusedPins: pages; the others as in metrics). */
  counts: Record<GroupMetric, number>;
}

/**
 * The run's pinner populations (pinnerGroups, or the flat parameters as one group): per
 * group its spec, caller profile, policy, GUP outcome, shape and hold-time samplers; per
 * pinner its group; per folio which group pinned it and which wrote it last; and the
 * per-group counters (GROUP_METRICS) the result reports as `result.groups`.
 */
export class Groups {
  /** Number of groups (1 for the flat parameters). */
  readonly n: number;
  /** Each group's spec, missing keys filled from the flat parameters (flatPinnerGroup). */
  readonly specs: PinnerGroup[];
  /** Each group's caller in the run's release (callerProfile; the newest preset when the run names none). */
  readonly profiles: CallerProfile[];
  /** Each group's policy: its caller's release laid over the base policy (callerPolicy). */
  readonly policies: Policy[];
  /** What GUP did with each group's pins: the flags passed, the errno if refused, pinned on the page cache or an anonymous copy (groupGup). */
  readonly gup: GroupGup[];
  /** Per group: FOLL_PIN (1) or FOLL_GET (0). */
  readonly pin: Uint8Array;
  /** Per group: FOLL_WRITE, so the device writes and GUP faults for write. */
  readonly write: Uint8Array;
  /** Per group: pages per pin. */
  readonly ppp: Int32Array;
  /** Per pinner: its group. */
  readonly of: Uint16Array;
  /** Pinners in all groups. */
  readonly pinners: number;
  /** Largest pages per pin of any group (the pinner page table's stride). */
  readonly maxPpp: number;
  /** Per group: draws a pin's hold time, seconds, from its pinDuration distribution given a uniform stream. */
  readonly pinDuration: ((u: Uniform) => number)[];
  /** Per group: draws the gap between a pinner's pins, seconds, from its pinGap distribution. */
  readonly pinGap: ((u: Uniform) => number)[];
  /**
   * Per folio: the group that last pinned it, -1 if none did (n > 1 only: with one group
   * a device write is always that group's, and this has length 0). Int8 up to 127 groups.
   */
  readonly pageGroup: Int8Array | Int16Array;
  /** Per folio: the group whose device write last modified it, -1 for none or a CPU store. Int8 up to 127 groups. */
  readonly lastWriter: Int8Array | Int16Array;
  /**
   * Most GUP references one folio can hold at once: each pinner holds one range at a time,
   * and a range of pagesPerPin 4 KiB pages meets one folio of 2^folioOrder pages at most
   * min(pagesPerPin, 2^folioOrder) times (the bound that sizes the per-folio counts).
   */
  readonly holds: number;
  /** Per-group counts, GROUP_METRICS.length per group. */
  readonly counts: Float64Array;
  /**
   * Per folio and group (n > 1 only): the group's writing holders, so a device write into
   * a folio two groups hold is charged to one of them in proportion to their rates.
   */
  readonly holders: CountArray;

  /**
   * @param p resolved parameters (the flat ones make one group when pinnerGroups is null)
   * @param env the run's environment: each group's caller → policy → GUP decision is
   *   pinDecision's (src/model/env.ts), the checker's GUP actors' too
   * @param units folios in the page cache
   */
  constructor(p: Params, env: RunEnv, units: number) {
    const flat = flatPinnerGroup(p);
    this.specs = p.pinnerGroups ?? [flat];
    this.n = this.specs.length;
    const decisions = this.specs.map((g) =>
      pinDecision(env, { caller: g.caller as CallerId, access: g.pinAccess, path: g.gupPath, longTerm: g.longTerm }),
    );
    this.profiles = decisions.map((d) => d.profile);
    this.policies = decisions.map((d) => d.policy);
    this.gup = decisions.map((d) => d.gup);
    this.pin = Uint8Array.from(this.policies, (q) => (q.reference === "FOLL_PIN" ? 1 : 0));
    this.write = Uint8Array.from(decisions, (d) => (d.deviceWrites ? 1 : 0));
    this.ppp = Int32Array.from(this.specs, (g) => g.pagesPerPin);
    this.maxPpp = Math.max(1, ...this.ppp);
    this.pinners = this.specs.reduce((s, g) => s + g.pinners, 0);
    this.of = new Uint16Array(this.pinners);
    let k = 0;
    this.specs.forEach((g, i) => {
      for (let j = 0; j < g.pinners; j++) this.of[k++] = i;
    });
    this.pinDuration = this.specs.map((g) => sampler(parseDistribution(g.pinDuration)));
    this.pinGap = this.specs.map((g) => sampler(parseDistribution(g.pinGap)));
    this.holds = this.specs.reduce((s, g) => s + g.pinners * Math.min(g.pagesPerPin, 2 ** env.folioOrder), 0);
    const groupArray = (n: number) => (this.n <= 127 ? new Int8Array(n) : new Int16Array(n)).fill(-1);
    this.pageGroup = groupArray(this.n > 1 ? units : 0);
    this.lastWriter = groupArray(units);
    this.counts = new Float64Array(this.n * GROUP_METRICS.length);
    this.holders = countArray(this.holds, this.n > 1 ? units * this.n : 0);
  }

  /** Add `d` to group g's metric m (GROUP_METRIC index). */
  add(g: number, m: number, d = 1): void {
    if (g >= 0) this.counts[g * GROUP_METRICS.length + m] += d;
  }

  /** Per-group results, in group order. */
  results(): GroupResult[] {
    return this.specs.map((g, i) => {
      const counts = {} as Record<GroupMetric, number>;
      GROUP_METRICS.forEach((m, j) => (counts[m] = this.counts[i * GROUP_METRICS.length + j]));
      return {
        ...g,
        policy: this.policies[i].id,
        flags: this.gup[i].flags,
        refused: this.gup[i].refused,
        anonymous: this.gup[i].anonymous,
        counts,
      };
    });
  }
}
