// Sweep throughput: runs per second for data/sweeps/default.json with 1 and 2 workers
// (on a fixed slice of its grid, shard 1/6), with point-major scheduling; the time a
// SIGKILL at 50 % of the runs costs (runs redone, wall time lost against an uninterrupted
// run); then the wall time of the whole default sweep as `npm run sweep` runs it (all
// cores). Printed, never asserted.
// Needs dist/ (npm run bench builds first). Pass --quick to skip the whole sweep.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readSweepConfig, sweep } from "../dist/index.js";

const tmp = mkdtempSync(join(tmpdir(), "pinsim-bench-"));
const config = readSweepConfig("default");
const shard = { index: 0, count: 6 };
console.log(
  `node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);

const rates = {};
for (const workers of [1, 2]) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const t = await sweep(config, { out: join(tmp, `w${workers}`), workers, shard });
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  rates[workers] = t.runs.length / s;
  // CPU time covers every thread: equal per-run CPU means the pool adds no overhead, so a
  // missing speed-up is other processes taking the cores.
  console.log(
    `default.json shard ${shard.index + 1}/${shard.count}, ${workers} worker${workers > 1 ? "s" : ""}: ${t.runs.length} runs in ${s.toFixed(2)} s = ${rates[workers].toFixed(0)} runs/s` +
      ` (${((c.user + c.system) / 1000 / t.runs.length).toFixed(2)} ms CPU per run, ${((c.user + c.system) / 1e6 / s).toFixed(2)} cores busy)`,
  );
}
console.log(`speed-up with 2 workers: ${(rates[2] / rates[1]).toFixed(2)}x (target >= 1.8x on 2 idle cores)`);

// A SIGKILL at 50 % of the runs of the same slice (CLI, 2 workers), then the same command again.
{
  const bin = new URL("../bin/pinsim.js", import.meta.url).pathname;
  const args = ["sweep", "default", "--shard", `${shard.index + 1}/${shard.count}`, "--workers", "2"];
  const timed = (out, killAt) =>
    new Promise((res) => {
      const t0 = performance.now();
      const child = spawn(process.execPath, [bin, ...args, "--out", out], {
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, PINSIM_PROGRESS_MS: "0" },
      });
      let buf = "",
        line = null,
        first = null;
      child.stderr.on("data", (d) => {
        buf += d;
        for (let i; (i = buf.indexOf("\n")) >= 0; buf = buf.slice(i + 1)) {
          const m = /: (\d+)\/(\d+) runs .*?, (\d+)\/\d+ points(?:, (\d+) resumed)?/.exec(buf.slice(0, i));
          if (!m) continue;
          first ??= { resumed: Number(m[4] ?? 0) };
          line = { runs: Number(m[1]), total: Number(m[2]), points: Number(m[3]) };
          if (killAt && line.runs >= killAt * line.total && !child.killed) child.kill("SIGKILL");
        }
      });
      child.on("close", () => res({ s: (performance.now() - t0) / 1000, line, first }));
    });
  const full = await timed(join(tmp, "uninterrupted"), 0);
  const killed = await timed(join(tmp, "killed"), 0.5);
  const resumed = await timed(join(tmp, "killed"), 0);
  const seeds = config.seeds;
  const redone = killed.line.runs - resumed.first.resumed * seeds;
  const lost = killed.s + resumed.s - full.s;
  console.log(
    `kill at 50 %: killed after ${killed.line.runs}/${killed.line.total} runs (${killed.line.points} points shown done), ` +
      `the rerun skipped ${resumed.first.resumed} points and redid ${redone} runs (${(redone / seeds).toFixed(1)} points in flight, ` +
      `${(redone / rates[2]).toFixed(2)} s of work at 2 workers); wall time lost ${lost.toFixed(1)} s ` +
      `(${killed.s.toFixed(1)} s + ${resumed.s.toFixed(1)} s against ${full.s.toFixed(1)} s uninterrupted, process start-up included)`,
  );
}

if (!process.argv.includes("--quick")) {
  const bin = new URL("../bin/pinsim.js", import.meta.url).pathname;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, "sweep", "default", "--out", join(tmp, "default"), "--quiet"], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  const s = (performance.now() - t0) / 1000;
  console.log(
    `whole default sweep (pinsim sweep default, ${availableParallelism()} workers): ${s.toFixed(1)} s wall${r.status ? `, exit ${r.status}` : ""}`,
  );
}
rmSync(tmp, { recursive: true, force: true });
