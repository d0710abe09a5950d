/**
 * A search's roots counted before any is built (docs/checker.md#scenario-files). One search
 * starts from every combination of the initial page's alternatives and the actors'
 * (explore.ts searchInput builds each: its choices, a closure, its packed state), a product
 * that grows as alternatives^actors: 8 actors of 20 alternatives are 20^8 = 2.56e10 roots,
 * which the search would build one by one before its first step and run out of memory.
 * `pinsim check` counts them per scenario and variant (checkRoots) and refuses a count over
 * the limit in one line naming the file and the line that contributes most.
 */
import { BUDGET, HARD } from "../model/budget.js";
import { actorAlternatives, applyVariant } from "./choices.js";
import { ScenarioError } from "./scenario.js";
import type { ActorDecl, Scenario, Variant } from "./spec.js";

/** The roots of one search of a variant, and where they come from. */
export interface VariantRoots {
  /** Pages × every actor's alternatives (a bigint: it may be far past 2^53). */
  roots: bigint;
  /** The factors in order, as `Page 1 × P0 20 × P1 14` says them. */
  factors: string;
  /**
   * The line to point at (0: the file as a whole): the variant's when its overrides make
   * more roots than the scenario as written, else the `Page:` or `Actor` line with the most.
   */
  line: number;
}

/** Pages × each actor's alternatives, as factors (the page's first). */
const factorsOf = (pages: number, actors: readonly ActorDecl[]): bigint[] => [
  BigInt(pages),
  ...actors.map(actorAlternatives),
];
const productOf = (factors: readonly bigint[]): bigint => factors.reduce((n, k) => n * k, 1n);

/** The roots of one search of variant `v` of `s` (each combination of the knobs is a search of its own). */
export function variantRoots(s: Scenario, v: Variant): VariantRoots {
  const { pages, actors } = applyVariant(s, v);
  const counts = factorsOf(pages.length, actors);
  const roots = productOf(counts);
  let top = 0;
  counts.forEach((k, i) => {
    if (k > counts[top]) top = i;
  });
  const lines = [s.pageLine ?? 0, ...actors.map((_, i) => s.actorLines?.[i] ?? 0)];
  const grew = v.line !== undefined && roots > productOf(factorsOf(s.pages.length, s.actors));
  const factors = counts.map((k, i) => `${i === 0 ? "Page" : actors[i - 1].name} ${k}`).join(" × ");
  return { roots, factors, line: grew ? v.line! : lines[top] };
}

/**
 * Refuse a search with too many roots before any is built: more than HARD.rootsPerSearch
 * always; with the soft budgets on (no `--no-budget`), more than BUDGET.rootsPerSearch or
 * more than `maxStates` (each root is a state stored before the first step, so the search
 * would stop at its bound without exploring them).
 * @param variants the variants the command runs (all of them for `--table`)
 * @param o.maxStates `--max-states`; o.enabled false with `--no-budget`
 * @throws ScenarioError `FILE:LINE: expected a search of at most N roots (…), got R in variant V: Page 1 × P0 20 × …`
 */
export function checkRoots(
  s: Scenario,
  variants: readonly Variant[],
  o: { maxStates: number; enabled: boolean },
): void {
  for (const v of variants) {
    const r = variantRoots(s, v);
    const refuse = (limit: number, why: string): never => {
      throw new ScenarioError(
        s.file,
        r.line,
        `a search of at most ${limit} roots (the page's alternatives × each actor's; ${why}), got ${r.roots} in variant ${v.name}: ${r.factors}`,
      );
    };
    if (r.roots > BigInt(HARD.rootsPerSearch)) refuse(HARD.rootsPerSearch, "a hard limit, kept with --no-budget");
    if (!o.enabled) continue;
    if (r.roots > BigInt(BUDGET.rootsPerSearch))
      refuse(BUDGET.rootsPerSearch, "fewer alternatives, or pass --no-budget");
    if (r.roots > BigInt(o.maxStates))
      refuse(
        o.maxStates,
        "--max-states: each root is a state stored before the first step; a larger --max-states, or pass --no-budget",
      );
  }
}
