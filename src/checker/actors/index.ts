/**
 * The checker's actors (docs/model.md#the-interleaving-checker): each a program of atomic
 * steps over page 0 of a one-page PageCache, driving the same PageCache operations and
 * policy hooks as the engine, each in its own file with one step table (program.ts).
 */
import type { Policy } from "../../model/policy.js";
import type { ActorDecl } from "../scenario.js";
import { GupUser } from "./gup.js";
import type { Actor } from "./actor.js";
import { CpuWriter } from "./cpu.js";
import { Flusher } from "./flusher.js";
import { Invalidate } from "./invalidate.js";
import { Fork } from "./fork.js";
import { Madvise } from "./madvise.js";
import { IoCompletion } from "./io.js";
import { Munmap } from "./munmap.js";
import { Reclaim } from "./reclaim.js";
import { Truncate } from "./truncate.js";

export { BLOCKED, DONE, PAGE, type Actor, type StepContext } from "./actor.js";
export { LABELS } from "./labels.js";
export { Program, TableActor, type FootprintNow, type Step, type StepRun, type StepTable } from "./program.js";
export { CpuWriter, Flusher, Fork, GupUser, Invalidate, IoCompletion, Madvise, Munmap, Reclaim, Truncate };

/** The actor for a scenario's actor declaration (its alternatives are set per search root by init). */
export function makeActor(decl: ActorDecl, policy: Policy): Actor {
  switch (decl.kind) {
    case "gup":
      return new GupUser(decl, policy);
    case "flusher":
      return new Flusher(decl);
    case "reclaim":
      return new Reclaim(decl);
    case "cpu":
      return new CpuWriter(decl);
    case "truncate":
      return new Truncate(decl);
    case "munmap":
      return new Munmap(decl);
    case "invalidate":
      return new Invalidate(decl);
    case "io":
      return new IoCompletion(decl);
    case "fork":
      return new Fork(decl);
    case "madvise":
      return new Madvise(decl);
  }
}
