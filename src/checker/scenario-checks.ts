/**
 * The checks a scenario gets after its last line that look across its lines: what the
 * anonymous backing allows, each variant's folio order, and options that would act on
 * nothing (`dest` without an O_DIRECT write). Each throws ScenarioError at the line to fix.
 */
import { InputError } from "../errors.js";
import { resolveFolioOrder } from "../model/backings.js";
import { applyVariant } from "./choices.js";
import { ScenarioError, pageName, type Scenario } from "./spec.js";

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

/**
 * A gup actor's `dest` (the filesystem an O_DIRECT write goes to) acts only on an O_DIRECT
 * write, caller odirect with access read (gup-anon.ts extraDecision): anything but the
 * default on an actor that makes no O_DIRECT write in any variant is refused, as a sweep
 * refuses `dioDest` that no point uses (src/model/idle-params.ts), at the variant that set
 * it or the actor's line.
 * @throws ScenarioError
 */
export function checkDioDest(s: Scenario, file: string): void {
  s.actors.forEach((decl, i) => {
    if (decl.kind !== "gup") return;
    let idle: { line: number; what: string } | null = null;
    for (const v of s.variants) {
      const a = applyVariant(s, v).actors[i];
      const dest = a.options.get("dest")!;
      if (dest.length === 1 && dest[0] === "ext4") continue;
      const callers = a.options.get("caller")!,
        accesses = a.options.get("access")!;
      if (callers.includes("odirect") && accesses.includes("read")) return; // used here
      idle ??= {
        line: v.set.some(([k]) => k === `${a.name}.dest`) ? v.line! : (s.actorLines?.[i] ?? 0),
        what: `dest=${dest.join("|")} with caller=${callers.join("|")} access=${accesses.join("|")}`,
      };
    }
    if (idle)
      throw new ScenarioError(
        file,
        idle.line,
        `${decl.name}.dest only on an O_DIRECT write (caller=odirect access=read: the page is the bio's source), got ${idle.what}`,
      );
  });
}
