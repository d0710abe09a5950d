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
 * A sweep may give such a parameter where some of its points use it and others do not
 * (base `dioDest` with an axis `caller: [generic, odirect]`): src/sweep/grid.ts drops it from
 * the points that do not use it and refuses it only when no point does.
 */
import { ParamError } from "../errors.js";
import type { Params } from "./params.js";

/** A parameter given without effect: its field, its value and when it would apply. */
export interface IdleParam {
  field: string;
  value: unknown;
  allowed: string;
}

/** Whether some pinner group of `p` makes O_DIRECT writes (caller odirect, pinAccess read). */
function hasDioWrite(p: Params): boolean {
  const groups = p.pinnerGroups ?? [{ caller: p.caller, pinAccess: p.pinAccess, pinners: p.pinners }];
  return groups.some((g) => g.caller === "odirect" && g.pinAccess === "read" && g.pinners > 0);
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
