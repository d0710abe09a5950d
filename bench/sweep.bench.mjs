// Sweep throughput: runs per second for data/sweeps/default.json with 1 and 2 workers
// (on a fixed slice of its grid, shard 0/6), then the wall time of the whole default
// sweep as `npm run sweep` runs it (all cores). Printed, never asserted.
// Needs dist/ (npm run bench builds first). Pass --quick to skip the whole sweep.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { readSweepConfig, sweep } from "../dist/index.js";

const tmp = mkdtempSync(join(tmpdir(), "pinsim-bench-"));
const config = readSweepConfig("default");
const shard = { index: 0, count: 6 };
console.log(`node ${process.version}, ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);

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
  console.log(`default.json shard ${shard.index}/${shard.count}, ${workers} worker${workers > 1 ? "s" : ""}: ${t.runs.length} runs in ${s.toFixed(2)} s = ${rates[workers].toFixed(0)} runs/s` +
    ` (${((c.user + c.system) / 1000 / t.runs.length).toFixed(2)} ms CPU per run, ${((c.user + c.system) / 1e6 / s).toFixed(2)} cores busy)`);
}
console.log(`speed-up with 2 workers: ${(rates[2] / rates[1]).toFixed(2)}x (target >= 1.8x on 2 idle cores)`);

if (!process.argv.includes("--quick")) {
  const bin = new URL("../bin/pinsim.js", import.meta.url).pathname;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, "sweep", "default", "--out", join(tmp, "default"), "--quiet"], { stdio: ["ignore", "inherit", "inherit"] });
  const s = (performance.now() - t0) / 1000;
  console.log(`whole default sweep (pinsim sweep default, ${availableParallelism()} workers): ${s.toFixed(1)} s wall${r.status ? `, exit ${r.status}` : ""}`);
}
rmSync(tmp, { recursive: true, force: true });
