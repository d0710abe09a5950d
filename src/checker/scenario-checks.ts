/**
 * The checks a scenario gets after its last line that look across its lines: what the
 * anonymous backing allows, each variant's folio order, and options that would act on
 * nothing (`dest` without an O_DIRECT write; idleDest is checkConfig's check too). Each
 * throws ScenarioError at the line to fix.
 */
import { InputError } from "../errors.js";
import { resolveFolioOrder } from "../model/backings.js";
import { applyVariant } from "./choices.js";
import { ScenarioError, pageName, type ActorDecl, type Scenario } from "./spec.js";

/**
 * An anonymous page has no buffers and its dirty bit is in the pte: on backing `anon` a
 * `Page:` alternative may only say clean, unmapped, shares=, refs= and haspinned.
 * @throws ScenarioError
 */
export function checkAnonPages(s: Scenario, file: string, end: number): void {
  if (!s.variants.some((v) => applyVariant(s, v).coverage.backing === "anon")) return;
  // Backing anon is MAP_PRIVATE|MAP_ANONYMOUS; a shared mapping given for it is refused, not
  // silently made private (MAP_SHARED anonymous memory is shmem: backing tmpfs).
  for (const v of s.variants) {
    const given = v.set.some(([k]) => k === "mapping") ? v.line : s.mappingLine;
    const { coverage } = applyVariant(s, v);
    if (given !== undefined && coverage.backing === "anon" && coverage.mapping === "shared")
      throw new ScenarioError(
        file,
        given,
        "mapping private with backing anon (MAP_SHARED anonymous memory is shmem: backing tmpfs), got 'shared'",
      );
  }
  const bad = s.pages.find((p) => p.dirty || p.buffers || p.pteWritable || p.shares < 1);
  if (bad)
    throw new ScenarioError(
      file,
      end,
      `page flags of an anonymous page (clean, unmapped, shares=N with N >= 1 (the owner), refs=N, batch, haspinned; backing anon has no buffers and keeps its dirty bit in the pte), got '${pageName(bad)}'`,
    );
  // The MMU-notifier paths (issue 21) are modelled on file pages only: munmap's zap and a
  // release from the notifier have no anonymous counterpart in the model.
  const notifierPath = s.actors.find(
    (a) =>
      a.kind === "munmap" ||
      (a.kind === "gup" &&
        ((a.options.get("notifier") ?? []).includes(true) || (a.options.get("end") ?? []).includes("munmap"))),
  );
  if (notifierPath)
    throw new ScenarioError(
      file,
      end,
      `an actor the model runs on file pages only (munmap, gup notifier=yes or end=munmap; backing anon has none of them), got '${notifierPath.name}'`,
    );
}

/**
 * Every variant's folio order through the engine's own check (resolveFolioOrder): refused
 * where `folioOrder` would be, with the same message, at the variant's or the Folio: line.
 * @throws ScenarioError
 */
export function checkFolioOrders(s: Scenario, file: string, end: number): void {
  for (const v of s.variants) {
    const { coverage } = applyVariant(s, v);
    try {
      resolveFolioOrder(coverage.backing, coverage.kernel, coverage.folio);
    } catch (e) {
      if (e instanceof InputError) throw new ScenarioError(file, v.line || s.folioLine || end, e.message);
      throw e;
    }
  }
}

/** What `dest` other than ext4 needs, for messages: an O_DIRECT write reads it (gup-anon.ts extraDecision). */
export const DEST_ALLOWED = "only on an O_DIRECT write (caller=odirect access=read: the page is the bio's source)";

/** A gup actor whose `dest` acts on nothing (idleDest). */
export interface IdleDest {
  /** The actor's index and name. */
  actor: number;
  name: string;
  /** The configuration (a scenario's variant) that first gives it: its index. */
  config: number;
  /** `caller=generic access=write`: the options that make no O_DIRECT write, for messages. */
  pin: string;
  /** The dest alternatives given (`btrfs`, `xfs|btrfs`). */
  dest: string;
}

/**
 * The ONE check of a gup actor's `dest` (the filesystem an O_DIRECT write goes to), for a
 * scenario's variants (checkDioDest) and for the library's checkConfig (one configuration):
 * the first gup actor whose `dest` is other than the default ext4 in some of `configs`
 * while no configuration that gives it makes an O_DIRECT write (caller odirect with access
 * read, as alternatives or not), or null. As a sweep refuses `dioDest` that no point uses
 * (src/model/idle-params.ts).
 */
export function idleDest(configs: readonly (readonly ActorDecl[])[]): IdleDest | null {
  for (let i = 0; i < (configs[0]?.length ?? 0); i++) {
    let idle: IdleDest | null = null;
    let used = false;
    for (const [c, actors] of configs.entries()) {
      const a = actors[i]!;
      const dest = a.kind === "gup" ? a.options.get("dest")! : ["ext4"];
      if (dest.length === 1 && dest[0] === "ext4") continue;
      const callers = a.options.get("caller")!,
        accesses = a.options.get("access")!;
      used ||= callers.includes("odirect") && accesses.includes("read");
      const pin = `caller=${callers.join("|")} access=${accesses.join("|")}`;
      idle ??= { actor: i, name: a.name, config: c, pin, dest: dest.join("|") };
    }
    if (idle && !used) return idle;
  }
  return null;
}

/**
 * A gup actor's `dest` that no variant's O_DIRECT write uses (idleDest) is refused at the
 * variant that set it or the actor's line.
 * @throws ScenarioError
 */
export function checkDioDest(s: Scenario, file: string): void {
  const idle = idleDest(s.variants.map((v) => applyVariant(s, v).actors));
  if (idle === null) return;
  const v = s.variants[idle.config]!;
  const line = v.set.some(([k]) => k === `${idle.name}.dest`) ? v.line! : (s.actorLines?.[idle.actor] ?? 0);
  throw new ScenarioError(file, line, `${idle.name}.dest ${DEST_ALLOWED}, got dest=${idle.dest} with ${idle.pin}`);
}
