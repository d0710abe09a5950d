/**
 * Crash tests of sweeps and merges, with real processes: SIGKILL of `pinsim sweep` at 25, 50
 * and 75 % of its runs; a second sweep into a locked directory; a SIGKILL injected before
 * every write and rename of a sweep's first snapshot and of a merge. Every time, rerunning
 * the same command continues, and the files end byte-identical to an uninterrupted run.
 * Uses dist/ (npm test builds first).
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { mergeResults, sweep } from "../src/sweep/index.js";
import { BIN, readTree } from "./helpers/cli.js";

const RUNNER = fileURLToPath(new URL("./fixtures/sweep-runner.mjs", import.meta.url));
const FAULT = fileURLToPath(new URL("./fixtures/fault-inject.mjs", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "pinsim-crash-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

// 12 points × 3 seeds = 36 runs of a small system (a few ms to tens of ms each).
const KILL = {
  name: "killme",
  base: { files: 8, pagesPerFile: 8, pinners: 2, duration: 600 },
  axes: { policy: ["foll-pin", "dirty-at-gup", "keep-dirty"], pinDuration: [2, 10, 40, 90] },
  seeds: 3,
  rootSeed: 5,
};
const KILL_FILE = join(TMP, "killme.json");
writeFileSync(KILL_FILE, JSON.stringify(KILL));

interface Line {
  runs: number;
  total: number;
  points: number;
}

/**
 * Start `pinsim sweep` (one progress line per run: PINSIM_PROGRESS_MS=0) and SIGKILL it as
 * soon as a line shows at least `fraction` of the runs done. `during` runs while it is
 * alive (holding the lock). Returns the last line read before the kill.
 */
async function killAt(out: string, fraction: number, during?: () => void): Promise<Line> {
  const child = spawn(process.execPath, [BIN, "sweep", KILL_FILE, "--out", out, "--workers", "1"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, PINSIM_PROGRESS_MS: "0" },
  });
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  let last: Line = { runs: 0, total: 1, points: 0 };
  let buf = "";
  await new Promise<void>((res) => {
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /: (\d+)\/(\d+) runs \(\d+%\), (\d+)\/\d+ points/.exec(line);
        if (!m || child.killed) continue;
        last = { runs: Number(m[1]), total: Number(m[2]), points: Number(m[3]) };
        if (last.runs >= fraction * last.total) {
          if (during) {
            child.kill("SIGSTOP"); // frozen while holding the lock, so that `during` sees it held
            during();
          }
          child.kill("SIGKILL");
          res();
        }
      }
    });
    child.on("exit", () => res());
  });
  assert.equal(await exited, null, "the sweep finished before it could be killed");
  return last;
}

test("SIGKILL at 25, 50 and 75 % of the runs: finished points are skipped, the result is byte-identical; a second sweep is refused while one runs", async () => {
  const ref = join(TMP, "ref");
  await sweep(KILL, { out: ref, workers: 0 });
  const out = join(TMP, "killed");
  let second: { status: number | null; stderr: string } | null = null;
  let resumedBefore = 0;
  for (const fraction of [0.25, 0.5, 0.75]) {
    const line = await killAt(
      out,
      fraction,
      fraction === 0.25
        ? () => {
            // Concurrency: while the first sweep holds the lock, a second one into the same
            // directory is refused with one line and exit 2.
            const r = spawnSync(
              process.execPath,
              [BIN, "sweep", KILL_FILE, "--out", out, "--workers", "1", "--quiet"],
              { encoding: "utf8" },
            );
            second = { status: r.status, stderr: r.stderr };
          }
        : undefined,
    );
    // Points are journalled as they finish (point-major): the count moves from the start.
    assert.ok(line.points > resumedBefore, `at ${fraction * 100} %: ${JSON.stringify(line)}`);
    // Resume in this process: every point finished before the kill is skipped.
    const seen: number[] = [];
    if (fraction < 0.75) {
      // Only look at what is on disk, without finishing: count the journal.
      const journal = readdirSync(join(out, ".points")).filter((n) => /^\d{6}\.json$/.test(n)).length;
      assert.ok(journal >= line.points, `journal ${journal} < ${line.points} points shown done`);
      resumedBefore = line.points;
      continue;
    }
    await sweep(KILL, { out, workers: 1, onProgress: (p) => seen.push(p.pointsResumed) });
    assert.ok(seen[0]! >= line.points, `resumed ${seen[0]} points, ${line.points} were done at the kill`);
  }
  assert.ok(second, "the second sweep ran");
  const s = second as unknown as { status: number | null; stderr: string };
  assert.equal(s.status, 2, s.stderr);
  assert.match(s.stderr, /^pinsim: output directory .* is locked by pinsim pid \d+ on .*\n$/);
  // Killed while holding the lock (three times), resumed: no lock files left, same bytes.
  assert.equal(existsSync(join(out, ".pinsim.lock")), false);
  assert.deepEqual(readTree(out), readTree(ref));
});

// ---------------------------------------------------------------------------------------
// Injected faults: SIGKILL before the N-th write or rename (test/fixtures/fault-inject.mjs).

const TINY = {
  name: "tiny-fault",
  base: { files: 2, pagesPerFile: 4, pinners: 1, duration: 30 },
  axes: { policy: ["foll-pin", "dirty-at-gup"] },
  seeds: 1,
  rootSeed: 9,
};
const TINY_FILE = join(TMP, "tiny.json");
writeFileSync(TINY_FILE, JSON.stringify(TINY));

interface Faulty {
  signal: NodeJS.Signals | null;
  status: number | null;
  ops: string[];
  stderr: string;
}

/** Run the runner under fault injection; resolves to its exit code / signal and op log. */
function faulty(dir: string, at: number, args: string[]): Promise<Faulty> {
  const log = join(TMP, `ops-${at}-${Math.random().toString(36).slice(2)}.log`);
  const child = spawn(process.execPath, ["--import", FAULT, RUNNER, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, FAULT_DIR: dir, FAULT_AT: String(at), FAULT_LOG: log },
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((res) =>
    child.on("close", (status, signal) => {
      const ops = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
      res({ signal, status, ops, stderr });
    }),
  );
}

/** Map with at most `n` at a time (the killed processes are independent: run 3 at once). */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const CONTRACT = /\/(manifest\.json|runs\.jsonl|runs\.csv|summary\.csv)(\.\d+)?$/;

test("a SIGKILL before every write and rename of a sweep's first snapshot leaves a resumable directory", async () => {
  const ref = join(TMP, "tiny-ref");
  await sweep(TINY, { out: ref, workers: 0 });
  // Count the ops: the first snapshot is the first 4 writes and 4 renames of contract files
  // (manifest first), i.e. 8 kill points.
  const countDir = join(TMP, "tiny-count");
  const c = await faulty(countDir, 0, ["sweep", TINY_FILE, countDir, "0"]);
  assert.equal(c.status, 0, c.stderr);
  const firstSnapshot = c.ops
    .filter((l) => CONTRACT.test(l))
    .slice(0, 8)
    .map((l) => Number(l.split(" ")[0]));
  assert.equal(firstSnapshot.length, 8);
  assert.match(c.ops.find((l) => CONTRACT.test(l))!, /write .*manifest\.json\.\d+$/);
  const killed = await pool(firstSnapshot, 3, (at) =>
    faulty(join(TMP, `tiny-${at}`), at, ["sweep", TINY_FILE, join(TMP, `tiny-${at}`), "0"]),
  );
  for (const [i, at] of firstSnapshot.entries()) {
    const dir = join(TMP, `tiny-${at}`);
    assert.equal(killed[i]!.signal, "SIGKILL", `op ${at}: ${killed[i]!.stderr}`);
    await sweep(TINY, { out: dir, workers: 0 }); // the same command again: continues
    assert.deepEqual(readTree(dir), readTree(ref), `killed before op ${at} (${c.ops[at - 1]})`);
  }
});

test("a SIGKILL before every write and rename of a merge: rerunning the merge continues", async () => {
  const ref = join(TMP, "tiny-ref");
  if (!existsSync(ref)) await sweep(TINY, { out: ref, workers: 0 });
  const shards: string[] = [];
  for (let i = 0; i < 2; i++) {
    const d = join(TMP, `tiny-shard-${i + 1}-of-2`);
    await sweep(TINY, { out: d, workers: 0, shard: { index: i, count: 2 } });
    shards.push(d);
  }
  const countDir = join(TMP, "merge-count");
  const c = await faulty(countDir, 0, ["merge", countDir, ...shards]);
  assert.equal(c.status, 0, c.stderr);
  // Write and rename each: the lock's owner file, the manifest, 2 journal records, the 4
  // snapshot files: 2 × 8 = 16 kill points.
  assert.equal(c.ops.length, 16, c.ops.join("\n"));
  const ats = Array.from({ length: c.ops.length }, (_, i) => i + 1);
  const killed = await pool(ats, 3, (at) =>
    faulty(join(TMP, `merge-${at}`), at, ["merge", join(TMP, `merge-${at}`), ...shards]),
  );
  for (const at of ats) {
    const dir = join(TMP, `merge-${at}`);
    assert.equal(killed[at - 1]!.signal, "SIGKILL", `op ${at}: ${killed[at - 1]!.stderr}`);
    mergeResults(shards, dir);
    const got = readTree(dir);
    const want = readTree(ref);
    assert.deepEqual(got, want, `merge killed before op ${at} (${c.ops[at - 1]})`);
  }
});
