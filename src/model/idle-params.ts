/**
 * Parameters given but without effect on the run they are given for (a tester's
 * `pinsim run --backing ext4 --fork-rate 0.1` ran, forking nothing, and said nothing):
 * resolveParams refuses them in one line naming the field, the value and when it applies.
 *
 * - `forkRate` and `childLifetime` act on backing `anon` only: the engine forks a process's
 *   anonymous memory (src/engine/anon.ts, AnonMemory; copy_present_pte's rule per release,
 *   src/model/anon.ts); a file backing's pages are shared at fork, never copied.
 *   `childLifetime` also needs forks (`forkRate` > 0): it is how long a child lives.
 * - `dioDest` acts on O_DIRECT writes only: a pinner group of caller `odirect` with
 *   `pinAccess` `read`, whose pages are the bios' sources (src/engine/pinners.ts, dioWrite;
 *   btrfs from 6.15 writes them buffered, fs/btrfs/direct-io.c btrfs_direct_write).
 *
 * - On a backing that never writes back (tmpfs, hugetlbfs, anon: BackingProfile.writesBack
 *   false) the flusher is not scheduled and no ->writepage runs (src/engine/simulation.ts:
 *   the kupdate period is 0, fsync and invalidate events are not started, a CPU store never
 *   meets PG_writeback): `writebackInterval`, `fsyncRate`, `invalidateRate`, `stableWrites`
 *   and `fsBehavior` (ext4's ->writepage without buffers) do nothing there.
 * - `truncateRate` does nothing on anon (no file to truncate), `reclaimRate` nothing on
 *   tmpfs and hugetlbfs (the model keeps their pages: swap keeps the data). `reclaimGuard`
 *   is left alone: off, it makes the detector's metrics null (not consulted) rather than 0.
 * - `notifierRate` runs a pin's release from an MMU notifier; under a policy whose device
 *   mirrors the range instead of pinning (mmu-notifier) there is no pin to release.
 *
 * A sweep may give such a parameter where some of its points use it and others do not
 * (base `dioDest` with an axis `caller: [generic, odirect]`): src/sweep/grid.ts drops it from
 * the points that do not use it and refuses it only when no point does.
 */
import { ParamError } from "../errors.js";
import { BACKING_PROFILES } from "./backings.js";
import { deviceMirrorOf } from "./policy.js";
import type { Params } from "./params.js";
import { POLICY_IDS } from "./policy-ids.js";
import { getPolicy } from "../policies/index.js";

/** A parameter given without effect: its field, its value and when it would apply. */
export interface IdleParam {
  /** The parameter as the input names it (`forkRate`, `dioDest`). */
  field: string;
  /** Its value in the resolved parameters. */
  value: unknown;
  /** When it would apply, as the refusal's "allowed" text. */
  allowed: string;
}

/** Whether some pinner group of `p` makes O_DIRECT writes (caller odirect, pinAccess read). */
function hasDioWrite(p: Params): boolean {
  const groups = p.pinnerGroups ?? [{ caller: p.caller, pinAccess: p.pinAccess, pinners: p.pinners }];
  return groups.some((g) => g.caller === "odirect" && g.pinAccess === "read" && g.pinners > 0);
}

/** Whether built-in policy `id` mirrors the range (a device mirror, no pin); false for an id not built in. */
function mirrors(id: string): boolean {
  return (POLICY_IDS as readonly string[]).includes(id) && deviceMirrorOf(getPolicy(id)) !== null;
}

/** The writeback, truncate and reclaim fields idle on `p.backing` (see the list above). */
function idleOnBacking(p: Params, given: ReadonlySet<string>, out: IdleParam[]): void {
  const anon = p.backing === "anon";
  const idle = (field: keyof Params, when: string): void => {
    if (given.has(field)) out.push({ field, value: p[field], allowed: `${when}; backing here: ${p.backing}` });
  };
  if (!BACKING_PROFILES[p.backing].writesBack)
    for (const f of ["writebackInterval", "fsyncRate", "invalidateRate", "stableWrites", "fsBehavior"] as const)
      idle(f, "only on a backing that writes back (ext4, xfs, btrfs)");
  if (anon) idle("truncateRate", "only on a file backing (anonymous memory has no file to truncate)");
  else if (!BACKING_PROFILES[p.backing].writesBack)
    idle(
      "reclaimRate",
      "only on a backing that writes back, or anon (swap); the model keeps tmpfs and hugetlbfs pages",
    );
}

/**
 * The fields of `given` (the keys the input gave) that the resolved `p` makes idle, in the
 * order above; [] when each has an effect.
 */
export function idleParams(p: Params, given: ReadonlySet<string>): IdleParam[] {
  const out: IdleParam[] = [];
  const anon = p.backing === "anon";
  const forks = `only with backing anon (the model forks a process's anonymous memory, src/engine/anon.ts); backing here: ${p.backing}`;
  if (given.has("forkRate") && !anon) out.push({ field: "forkRate", value: p.forkRate, allowed: forks });
  if (given.has("childLifetime")) {
    if (!anon) out.push({ field: "childLifetime", value: p.childLifetime, allowed: forks });
    else if (p.forkRate <= 0)
      out.push({
        field: "childLifetime",
        value: p.childLifetime,
        allowed: "only with forkRate > 0 (the lifetime of a forked child); forkRate here: 0",
      });
  }
  idleOnBacking(p, given, out);
  if (given.has("notifierRate") && mirrors(p.policy))
    out.push({
      field: "notifierRate",
      value: p.notifierRate,
      allowed: `only under a policy that pins (an MMU notifier then runs the pin's release); policy ${p.policy} mirrors the range and holds no pin`,
    });
  if (given.has("dioDest") && !hasDioWrite(p)) {
    const callers = (p.pinnerGroups ?? [p]).map((g) => `${g.caller}/${g.pinAccess}`).join(", ");
    out.push({
      field: "dioDest",
      value: p.dioDest,
      allowed: `only with an O_DIRECT write: a pinner group of caller odirect with pinAccess read; caller/pinAccess here: ${callers}`,
    });
  }
  return out;
}

/**
 * Hand `idle` to `onIdle` when given (a sweep's point), else refuse its first entry.
 * @throws ParamError `invalid FIELD: VALUE (allowed: only with …)`.
 */
export function refuseIdle(idle: IdleParam[], onIdle?: (idle: IdleParam[]) => void): void {
  if (onIdle) onIdle(idle);
  else if (idle[0]) throw new ParamError(idle[0].field, idle[0].value, idle[0].allowed);
}
