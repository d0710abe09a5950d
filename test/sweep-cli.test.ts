import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
// The real command line (dist/, built by pretest), spawned as a child process.
import { pinsim, readTree } from "./helpers/cli.js";

const TMP = mkdtempSync(join(tmpdir(), "pinsim-sweep-cli-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const CONFIG = join(TMP, "kill.json");
// Big enough (~1-2 s) to be killed in the middle, small systems to stay fast.
writeFileSync(
  CONFIG,
  JSON.stringify({
    name: "kill",
    base: { files: 8, pagesPerFile: 8, pinners: 2, duration: 300 },
    axes: {
      policy: ["foll-pin", "dirty-at-gup", "keep-dirty", "mmu-notifier"],
      pinDuration: { from: 2, to: 60, steps: 10, scale: "log" },
      writebackInterval: [1, 5, 30],
    },
    seeds: 3,
    rootSeed: 3,
  }),
);
// SIGKILL and resume: test/sweep-crash.test.ts (at 25, 50 and 75 % of the runs, and at
// every write and rename of the first snapshot and of a merge).

test("bad input: one line on stderr, exit 2, files on disk untouched", () => {
  const ref = join(TMP, "ref");
  const made = pinsim("sweep", CONFIG, "--out", ref, "--workers", "2", "--quiet");
  assert.equal(made.code, 0, made.stderr);
  const before = readTree(ref);
  const bad = (file: string, config: object) => {
    writeFileSync(join(TMP, file), JSON.stringify(config));
    return join(TMP, file);
  };
  const base = JSON.parse(readFileSync(CONFIG, "utf8"));
  const cases: [string[], RegExp][] = [
    [
      ["sweep", bad("axis.json", { ...base, axes: { ...base.axes, pinDurration: [1] } }), "--out", ref],
      /invalid axis name: "pinDurration" \(allowed: .*pinDuration/,
    ],
    [
      ["sweep", bad("value.json", { ...base, axes: { ...base.axes, policy: ["foll-pin", "no-such"] } }), "--out", ref],
      /invalid axes\.policy: "no-such" \(allowed: .*foll-pin/,
    ],
    [
      ["sweep", bad("empty.json", { ...base, axes: { ...base.axes, policy: [] } }), "--out", ref],
      /invalid axes\.policy: \[\] .*empty grid/,
    ],
    [["sweep", CONFIG, "--out", ref, "--seeds", "4"], /holds sweep "kill" with config hash/],
    [
      ["sweep", CONFIG, "--out", join(CONFIG, "sub")],
      /invalid --out: ".*sub" \(allowed: a directory that can be created and written; .* is a file\)/,
    ],
    [["sweep", "no-such-preset"], /allowed: a config file path or a preset: .*default/],
    [["sweep", CONFIG, "--shard", "4/3", "--out", ref], /invalid shard: "4\/3"/],
    [["sweep", CONFIG, "--shard", "1/3", "--out", ref], /holds shard \(whole grid\) of this sweep, not shard 1\/3/],
    [["merge", ref, join(TMP, "nope"), "--out", join(TMP, "m")], /no such results directory/],
  ];
  for (const [args, message] of cases) {
    const r = pinsim(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    assert.deepEqual(readTree(ref), before);
  }
  // A corrupted results file on resume.
  const jsonl = join(ref, "runs.jsonl");
  const good = readFileSync(jsonl, "utf8");
  writeFileSync(jsonl, good.replace('"lostData":0', '"lostData":1'));
  const corrupted = readTree(ref);
  const r = pinsim("sweep", CONFIG, "--out", ref);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^pinsim: .*runs\.jsonl: corrupted \(.*\n$/);
  assert.deepEqual(readTree(ref), corrupted);
  writeFileSync(jsonl, good);
  assert.equal(existsSync(join(TMP, "m")), false);
});
