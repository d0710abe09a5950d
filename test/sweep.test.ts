import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadResults, mergeResults, ResultsError, sweep } from "../src/sweep/index.js";

// Sweeps in tests use the compiled worker in dist/ (npm test builds first).
const TMP = mkdtempSync(join(tmpdir(), "pinsim-sweep-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const CONFIG = {
  name: "tiny",
  base: { files: 4, pagesPerFile: 8, pinners: 2, duration: 60 },
  axes: {
    policy: ["foll-pin", "dirty-at-gup", "keep-dirty"],
    pinDuration: { from: 5, to: 40, steps: 3, scale: "log" as const },
  },
  seeds: 4,
  rootSeed: 7,
};
const FILES = ["runs.csv", "runs.jsonl", "summary.csv", "manifest.json"];
const read = (dir: string) => Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f), "utf8")]));

test("1 worker, 2 workers and 3 shards merged give byte-identical results", async () => {
  const one = await sweep(CONFIG, { out: join(TMP, "w1"), workers: 1 });
  await sweep(CONFIG, { out: join(TMP, "w2"), workers: 2 });
  const shards = [];
  for (let i = 0; i < 3; i++) {
    const dir = join(TMP, `s${i}`);
    await sweep(CONFIG, { out: dir, workers: 1, shard: { index: i, count: 3 } });
    shards.push(dir);
  }
  mergeResults(shards, join(TMP, "merged"));
  const a = read(join(TMP, "w1"));
  assert.deepEqual(read(join(TMP, "w2")), a);
  assert.deepEqual(read(join(TMP, "merged")), a); // the summary, and every other file too
  assert.equal(one.runs.length, 9 * 4);
  assert.equal(one.summary.length, 9);
  assert.deepEqual(loadResults(join(TMP, "w1")), { ...one, manifest: { ...one.manifest } });
  // The in-memory table (no directory, in this thread) is the same table.
  const mem = await sweep(CONFIG, { workers: 0 });
  assert.deepEqual(mem.summary, one.summary);
});

test("a rerun resumes; a different config or shard into the same directory is refused", async () => {
  const dir = join(TMP, "w1");
  const before = read(dir);
  let calls = 0;
  const t = await sweep(CONFIG, { out: dir, workers: 1, onProgress: () => calls++ });
  assert.equal(t.runs.length, 36);
  assert.deepEqual(read(dir), before);
  await assert.rejects(
    sweep({ ...CONFIG, seeds: 5 }, { out: dir, workers: 1 }),
    (e: Error) => e instanceof ResultsError && /holds sweep "tiny" with config hash/.test(e.message),
  );
  await assert.rejects(sweep(CONFIG, { out: dir, workers: 1, shard: { index: 0, count: 2 } }), ResultsError);
  assert.deepEqual(read(dir), before);
  // Shards are shown counted from 1: s0, s1 are shards 1/3 and 2/3, so 3/3 is missing.
  assert.throws(() => mergeResults([join(TMP, "s0"), join(TMP, "s1")], join(TMP, "m2")), /shard 3\/3 missing/);
  assert.throws(() => mergeResults([join(TMP, "s0"), join(TMP, "s0")], join(TMP, "m2")), /both shard 1\/3/);
});

test("a corrupted file is refused on resume and by loadResults, files untouched", async () => {
  const dir = join(TMP, "corrupt");
  await sweep(CONFIG, { out: dir, workers: 1 });
  for (const f of ["runs.csv", "runs.jsonl", "summary.csv", "manifest.json"]) {
    const good = readFileSync(join(dir, f), "utf8");
    const bad = good.replace(/\d(?=[^\d]*$)/, (d) => String((Number(d) + 1) % 10)); // one digit changed
    writeFileSync(join(dir, f), bad);
    const snapshot = read(dir);
    await assert.rejects(
      sweep(CONFIG, { out: dir, workers: 1 }),
      (e: Error) => e instanceof ResultsError && /corrupted/.test(e.message) && !e.message.includes("\n"),
    );
    assert.throws(() => loadResults(dir), ResultsError);
    assert.deepEqual(read(dir), snapshot);
    writeFileSync(join(dir, f), good);
  }
  // A bad journal record (torn, or one digit edited so that its sha256 no longer matches)
  // is reported, never accepted: loadResults refuses the directory, a rerun redoes that
  // point (and only it) and writes the same bytes as before.
  const point = join(dir, ".points", readdirSync(join(dir, ".points"))[0]!);
  const good = readFileSync(point, "utf8");
  const reference = read(dir);
  for (const bad of [good.slice(0, 20), good.replace(/"seed":(\d)/, (_m, d) => `"seed":${(Number(d) + 1) % 10}`)]) {
    assert.notEqual(bad, good);
    writeFileSync(point, bad);
    assert.throws(() => loadResults(dir), ResultsError);
    const warnings: string[] = [];
    let resumed = -1;
    await sweep(CONFIG, {
      out: dir,
      workers: 1,
      onWarning: (l) => warnings.push(l),
      onProgress: (p) => (resumed = p.pointsResumed),
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /000000\.json: bad journal record \((not valid JSON|checksum mismatch)/);
    assert.equal(resumed, 8); // 9 points, the bad one rerun
    assert.equal(readFileSync(point, "utf8"), good);
    assert.deepEqual(read(dir), reference);
  }
  assert.equal(loadResults(dir).runs.length, 36);
});

test("loadResults errors clearly on missing, empty and other-version directories", () => {
  assert.throws(() => loadResults(join(TMP, "nope")), /no such results directory/);
  const e2 = mkdtempSync(join(TMP, "empty-"));
  assert.throws(() => loadResults(e2), /no manifest.json/);
  const dir = join(TMP, "s1");
  const m = readFileSync(join(dir, "manifest.json"), "utf8");
  writeFileSync(join(dir, "manifest.json"), m.replace(/"pinsim \d+\.\d+\.\d+"/, '"pinsim 9.9.0"'));
  assert.throws(() => loadResults(dir), /written by pinsim 9\.9\.0/);
  writeFileSync(join(dir, "manifest.json"), m);
});
