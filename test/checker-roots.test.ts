// A search's roots (the page's alternatives × each actor's) counted before any is built:
// src/checker/roots.ts, the Page: line's count in scenario.ts, the CLI's refusal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ScenarioError,
  applyVariant,
  checkRoots,
  expandActor,
  loadScenarioDir,
  parseScenario,
  variantRoots,
} from "../src/checker/index.js";
import { actorAlternatives } from "../src/checker/choices.js";
import { BUDGET, HARD, checkSearches } from "../src/model/budget.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCENARIOS = join(ROOT, "data/scenarios");
const dir = mkdtempSync(join(tmpdir(), "pinsim-roots-"));
const built = { skip: !existsSync(join(ROOT, "dist/cli/commands/check.js")) };

/** A scenario of `actors` gup actors, each `caller=` five callers × `dma=0..3`: 20 alternatives apiece. */
function wide(name: string, actors: number): string {
  const lines = [`Scenario: ${name}`, "Policies: foll-pin", "Page: clean"];
  for (let i = 0; i < actors; i++) lines.push(`Actor P${i}: gup caller=generic|odirect|rdma|vfio|io_uring dma=0..3`);
  return lines.join("\n") + "\n";
}

test("actorAlternatives counts expandActor's actors without building them", () => {
  // flusher passes=1..3 sync=none|all: a pass count v takes 2^v sequences of sync modes,
  // 2 + 4 + 8 = 14; times 1 for its other options.
  const s = parseScenario("Scenario: t\nPolicies: foll-pin\nActor P0: flusher passes=1..3 sync=none|all\n");
  assert.equal(actorAlternatives(s.actors[0]), 14n);
  assert.equal(expandActor(s.actors[0]).length, 14);
  // gup caller=5 × dma=0..3 (4): 20.
  assert.equal(actorAlternatives(parseScenario(wide("w", 1)).actors[0]), 20n);
  // Every actor of every shipped scenario and variant: the count is the expansion's length.
  let compared = 0;
  for (const sc of loadScenarioDir(SCENARIOS))
    for (const v of sc.variants)
      for (const a of applyVariant(sc, v).actors) {
        assert.equal(actorAlternatives(a), BigInt(expandActor(a).length), `${sc.name}/${v.name} ${a.name}`);
        compared++;
      }
  assert.ok(compared > 100, `${compared} actors compared`);
});

test("the shipped scenarios are far under the root budget", () => {
  // The largest is 36 (GUP+WB+CPU+any-page: Page 3 × P0 dma=0..2 3 × P1 sync 2 × P2 stores=0..1 2);
  // each must be under the soft budget and the default --max-states, which checkRoots enforces.
  let largest = 0n;
  for (const s of loadScenarioDir(SCENARIOS)) {
    checkRoots(s, s.variants, { maxStates: 1_000_000, enabled: true });
    for (const v of s.variants) {
      const r = variantRoots(s, v).roots;
      if (r > largest) largest = r;
    }
  }
  assert.equal(largest, 36n);
  assert.ok(largest * 1000n < BigInt(BUDGET.rootsPerSearch));
});

test(
  "8 actors of 20 alternatives: one line naming file, line, count and the hard limit, exit 2, even with --no-budget",
  built,
  () => {
    // 20^8 = 25,600,000,000 roots (a page of one alternative × 20 per actor), past
    // HARD.rootsPerSearch = 2^20 = 1,048,576. Before the count, check built the cartesian
    // product and its worker ran out of memory. All factors are 20, so the first actor's line
    // (4: after Scenario, Policies, Page) is named.
    const file = join(dir, "roots8.scenario");
    writeFileSync(file, wide("roots8", 8));
    for (const extra of [[], ["--no-budget"], ["--table"], ["--workers", "1", "--max-states", "1"]]) {
      const r = spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", file, ...extra], {
        encoding: "utf8",
      });
      assert.equal(r.status, 2, `${extra.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(
        r.stderr.trim(),
        `pinsim: ${file}:4: expected a search of at most 1048576 roots (the page's alternatives × each actor's; a hard limit, kept with --no-budget), got 25600000000 in variant base: Page 1 × ${Array.from({ length: 8 }, (_, i) => `P${i} 20`).join(" × ")}`,
      );
    }
    assert.equal(HARD.rootsPerSearch, 1_048_576);
  },
);

test("past the soft budget (100,000 roots) or --max-states: refused unless --no-budget", built, () => {
  // 4 actors of 20: 20^4 = 160,000 roots, over BUDGET.rootsPerSearch (100,000), under the hard 2^20.
  const file = join(dir, "roots4.scenario");
  writeFileSync(file, wide("roots4", 4));
  const r = spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "check", file], { encoding: "utf8" });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(
    r.stderr.trim(),
    /^pinsim: .*roots4\.scenario:4: expected a search of at most 100000 roots \(.*or pass --no-budget\), got 160000 in variant base: Page 1 × P0 20 × P1 20 × P2 20 × P3 20$/,
  );
  const s = parseScenario(wide("roots4", 4), file);
  assert.doesNotThrow(() => checkRoots(s, s.variants, { maxStates: 1_000_000, enabled: false }));
  // GUP+WB+CPU+any-page: 36 roots (above); --max-states 20 stores fewer states than its
  // roots, so it is refused, at the Page: line (line 19: its 3 alternatives, the first of
  // the largest factors).
  const cut = spawnSync(
    process.execPath,
    [join(ROOT, "bin/pinsim.js"), "check", "GUP+WB+CPU+any-page", "--max-states", "20"],
    { encoding: "utf8" },
  );
  assert.equal(cut.status, 2, cut.stderr);
  assert.match(
    cut.stderr.trim(),
    /^pinsim: .*GUP\+WB\+CPU\+any-page\.scenario:19: expected a search of at most 20 roots \(.*--max-states.*--no-budget\), got 36 in variant base: Page 3 × P0 3 × P1 2 × P2 2$/,
  );
});

test("a variant whose overrides make the roots names its own line", () => {
  // 8 actors dma=0..3: 4^8 = 65,536 roots, under the budget; the variant doubles P0's
  // alternatives (caller=generic|odirect): 131,072, over 100,000, and its line (12) is named.
  const lines = ["Scenario: t", "Policies: foll-pin", "Page: clean"];
  for (let i = 0; i < 8; i++) lines.push(`Actor P${i}: gup dma=0..3`);
  lines.push("Variant two: P0.caller=generic|odirect");
  const s = parseScenario(lines.join("\n"), "t.scenario");
  assert.equal(variantRoots(s, s.variants[0]).roots, 65_536n);
  const o = { maxStates: 1_000_000, enabled: true };
  assert.doesNotThrow(() => checkRoots(s, [s.variants[0]], o));
  assert.throws(
    () => checkRoots(s, s.variants, o),
    (e: unknown) =>
      e instanceof ScenarioError &&
      e.line === 12 &&
      /^t\.scenario:12: expected a search of at most 100000 roots .*got 131072 in variant two: Page 1 × P0 8 × P1 4/.test(
        e.message,
      ),
  );
});

test("a Page: line is counted before its pages are built", () => {
  // shares=0..16383 (16,384) × refs=0..2046 (2,047) = 33,538,048 pages, over 2^20.
  assert.throws(
    () => parseScenario("Scenario: t\nPolicies: foll-pin\nPage: shares=0..16383 refs=0..2046\nActor P0: cpu\n"),
    /^ScenarioError: <inline>:3: expected at most 1048576 pages \(the sum of each alternative's shares × refs\), got 33538048$/,
  );
  // Each side of '|' counts: 2 + 3 = 5 pages.
  const s = parseScenario("Scenario: t\nPolicies: foll-pin\nPage: shares=1..2 | dirty refs=0..2\nActor P0: cpu\n");
  assert.equal(s.pages.length, 5);
});

test("checkSearches with --table does not offer --policy or --variant (the table refuses them)", () => {
  const message = (table: boolean) => {
    try {
      checkSearches(BUDGET.searchesPerCheck + 1, { enabled: true, table });
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };
  assert.match(message(false), /--policy or --variant/);
  assert.doesNotMatch(message(true), /--policy|--variant/);
  assert.match(message(true), /fewer scenarios or Variant lines \(--table judges every policy\), or pass --no-budget/);
});
