/**
 * The kernel table as `pinsim kernels` and the kernel tables of docs/simulation.md and docs/model.md print it (src/model/kernel-table.ts,
 * scripts/kernel-table.mjs), and issue 19's change exercise 2: a new kernel preset with one
 * new behaviour flag is one line in RELEASES and one entry in FEATURES (src/model/kernels.ts)
 * plus the one place that reads the flag; the listing and the docs' tables show it with
 * no further edit. docs/new-kernel-preset.md lists the exact edits.
 *
 * The exercise here makes those two additions to copies of the real tables (a release 7.2
 * and a feature `folioPinNotify` since 7.2), builds the table with kernelTable(), and holds
 * every printed form to it. The one place reading the flag would be a
 * `hasFeature(k, "folioPinNotify")` in the model; with a copied table it is
 * `preset.features.includes(...)`, which is what hasFeature answers for a real preset.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { kernelDetail, kernelLines, kernelsMarkdown } from "../src/model/kernel-table.js";
import {
  FEATURES,
  KERNEL_IDS,
  KERNEL_TABLE,
  KERNELS,
  RELEASES,
  hasFeature,
  kernelTable,
  type Feature,
} from "../src/model/kernels.js";

const ROOT = join(import.meta.dirname, "..");
const read = (f: string) => readFileSync(join(ROOT, f), "utf8");

// The exercise's two entries.
const NEW_RELEASE = ["7.2", "2026-10"] as const;
const NEW_FEATURE: Feature = {
  since: [7, 2],
  on: "pinned folios notify the filesystem",
  off: "no pin notification",
  cite: "a made-up 7.2 commit for the exercise",
};
const NEXT = kernelTable([...RELEASES, NEW_RELEASE], { ...FEATURES, folioPinNotify: NEW_FEATURE });
const NEWEST = NEXT.presets[NEXT.presets.length - 1]!;

test("exercise 2: the new preset is a new line of `pinsim kernels`, the new feature's words on every line", () => {
  const lines = kernelLines(NEXT);
  assert.equal(lines.length, KERNEL_IDS.length + 1);
  // The new feature is the last FEATURES entry, so its words end every summary (before HZ):
  // `on` for 7.2 (since 7.2), `off` for every older release; nothing else on a line moves.
  const withWords = (words: string) => (l: string) => l.replace(/; HZ 250$/, `; ${words}; HZ 250`);
  assert.deepEqual(lines.slice(0, -1), kernelLines().map(withWords(NEW_FEATURE.off)));
  assert.equal(
    lines.at(-1),
    withWords(NEW_FEATURE.on)(kernelLines().at(-1)!.replace("6.18  2025-11", "7.2   2026-10")),
  );
  // The reader's view: 7.2 has the flag, 6.18 does not.
  assert.ok(NEWEST.features.includes("folioPinNotify"));
  assert.ok(!NEXT.presets.find((p) => p.id === "6.18")!.features.includes("folioPinNotify"));
});

test("exercise 2: every other field of the new preset follows from the features it has, as 6.18's do", () => {
  // 7.2 has every feature 6.18 has (each `since` is at most 6.16), so its derived fields equal 6.18's.
  const { id, version, released, summary, features, ...rest } = NEWEST;
  const { id: _i, version: _v, released: _r, summary: _s, features: f618, ...rest618 } = KERNELS["6.18"];
  assert.deepEqual([id, version, released], ["7.2", [7, 2], "2026-10"]);
  assert.deepEqual(rest, rest618);
  assert.deepEqual(features, [...f618, "folioPinNotify"]);
  assert.ok(summary.endsWith(`; ${NEW_FEATURE.on}`));
});

test("exercise 2: the kernel table (docs/simulation.md, docs/model.md) gains the 7.2 column and row and the feature's row and source", () => {
  const md = kernelsMarkdown(NEXT).split("\n");
  // Preset table: a row per release, 7.2 last.
  assert.ok(md.includes("| 7.2 | 2026-10 | longterm-refused | yes | ext4-warn | yes | gup | 1 | 250 |"));
  // Feature table: a column per release, 7.2 last; the new feature ticked only under 7.2.
  assert.ok(md.some((l) => l.startsWith("| feature | since |") && l.includes("| 6.18 | 7.2 | with it |")));
  const blanks = "  |".repeat(KERNEL_IDS.length); // an empty cell per older release
  assert.ok(
    md.includes(`| \`folioPinNotify\` | 7.2 |${blanks} ✓ | ${NEW_FEATURE.on} | ${NEW_FEATURE.off} |`),
    md.find((l) => l.includes("folioPinNotify")),
  );
  assert.ok(md.includes(`- \`folioPinNotify\` (7.2): ${NEW_FEATURE.cite}`));
  // And `pinsim kernels --kernel 7.2` would list the feature as present, with its source.
  const detail = kernelDetail(NEWEST, [], NEXT);
  assert.ok(detail.some((l) => /^ {4}folioPinNotify \(7\.2\) +yes {2}pinned folios notify the filesystem$/.test(l)));
  assert.ok(detail.includes(`    folioPinNotify: ${NEW_FEATURE.cite}`));
});

test("no per-feature code where the table is printed: the printers name no feature", () => {
  // A feature name in quotes would be code about one feature (as the hand-written summary
  // was); the printers may read preset fields (p.reclaimGuard) but no FEATURES key.
  for (const f of ["src/model/kernel-table.ts", "src/cli/commands/kernels.ts", "scripts/kernel-table.mjs"]) {
    const text = read(f);
    for (const name of Object.keys(FEATURES))
      assert.ok(!text.includes(`"${name}"`) && !text.includes(`'${name}'`), `${f} names feature ${name}`);
  }
});

test("the real table: a preset has a feature exactly from its `since` on, and the summary is its words", () => {
  for (const p of KERNEL_TABLE.presets) {
    const names = Object.keys(FEATURES) as (keyof typeof FEATURES)[];
    assert.deepEqual(
      p.features,
      names.filter((f) => hasFeature(p.id, f)),
    );
    assert.equal(p.summary, names.map((f) => (hasFeature(p.id, f) ? FEATURES[f].on : FEATURES[f].off)).join("; "));
  }
  // The generic caller's policy per era, from the preset alone (5.6 pin_user_pages, 5.7 counting, 6.5 refusal).
  assert.deepEqual(
    KERNEL_TABLE.presets.map((p) => p.pinPolicy),
    [
      "legacy-put-page",
      "legacy-put-page",
      "legacy-put-page",
      "foll-pin",
      "foll-pin",
      "foll-pin",
      "longterm-refused",
      "longterm-refused",
      "longterm-refused",
    ],
  );
});

test("pinsim kernels prints kernelLines() and docs/simulation.md and docs/model.md hold kernelsMarkdown()", () => {
  const r = spawnSync(process.execPath, [join(ROOT, "bin/pinsim.js"), "kernels"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, kernelLines().join("\n") + "\n");
  const START = "<!-- kernel-table:start (generated by scripts/kernel-table.mjs; do not edit) -->\n";
  for (const f of ["docs/simulation.md", "docs/model.md"]) {
    const text = read(f);
    const a = text.indexOf(START);
    const b = text.indexOf("\n<!-- kernel-table:end -->");
    assert.ok(a >= 0 && b > a, `${f} has the markers`);
    assert.equal(
      text.slice(a + START.length, b),
      kernelsMarkdown(),
      `${f} is current: node scripts/kernel-table.mjs --write`,
    );
  }
});
