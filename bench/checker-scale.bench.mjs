// Issue 23's checker figures, each as a ratio against its reference in this same run:
// 1. one core: the six-actor reclaim configurations (GUP, flusher, io, CPU, two reclaimers)
//    explored by this tree and by main as of 5d2698e (built from git into /tmp, alternating
//    runs, each search in its own process), states per CPU second of the search alone;
// 2. --workers 2 against --workers 1 on the 5-30 M-state configuration, alternating: the
//    same states and verdicts, states per CPU second (the parallel search's efficiency),
//    per wall second, and per CPU second of the busiest thread (what two otherwise idle
//    cores would give: the machine is shared, so wall time says more about the load); the
//    2-worker search is the one `check --workers 2` runs, its first 2^18 states in the
//    calling thread alone then over again in the threads (parallel.ts PARALLEL_FROM);
// 3. a 10^8-state search in bitstate mode (bench/eight-actors-1e8.scenario): whether it
//    finished, its states, rate and probability of a missed state.
// Figures are printed, never asserted. PINSIM_BENCH_ROUNDS (default 2) rounds each;
// PINSIM_BITSTATE=0 skips part 3 (minutes, some GiB); PINSIM_BENCH_PARTS=2 (a list such as
// 1,3) runs only those parts.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, symlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REF = "5d2698e";
const here = fileURLToPath(new URL("..", import.meta.url));
const refDir = `/tmp/pinsim-ck-${REF}`;
// [gup dma, flusher passes, cpu stores]: 1.1 M, 2.2 M and 5.2 M states with the reduction
const CONFIGS = [
  [2, 2, 2],
  [2, 3, 2],
  [3, 3, 3],
];
const WORKER_CONFIGS = [[3, 3, 3]];
const ROUNDS = Number(process.env.PINSIM_BENCH_ROUNDS ?? 2);
const BIG = fileURLToPath(new URL("eight-actors-1e8.scenario", import.meta.url));

function buildRef() {
  if (!existsSync(refDir))
    execFileSync("git", ["worktree", "add", "--detach", refDir, REF], { cwd: here, stdio: "ignore" });
  if (!existsSync(`${refDir}/node_modules`)) symlinkSync(`${here}node_modules`, `${refDir}/node_modules`);
  if (!existsSync(`${refDir}/dist/checker/index.js`))
    execFileSync("npm", ["run", "build"], { cwd: refDir, stdio: "ignore" });
}

/** One search in a child process: its states and CPU seconds (the search only). */
function child(root, args) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", root, ...args.map(String)], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** The six actors' scenario text. */
const six = (dma, passes, stores) =>
  [
    "Scenario: six",
    "Policies: foll-pin",
    `Actor P0: gup path=slow dma=${dma}`,
    `Actor P1: flusher passes=${passes} sync=none`,
    "Actor P2: io",
    `Actor P3: cpu stores=${stores}`,
    "Actor P4: reclaim",
    "Actor P5: reclaim",
  ].join("\n");

/** CPU seconds of each thread of this process by id (Linux /proc; null elsewhere). */
function threadCpu() {
  try {
    const cpu = new Map();
    for (const t of readdirSync("/proc/self/task")) {
      const st = readFileSync(`/proc/self/task/${t}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      cpu.set(t, (Number(f[11]) + Number(f[12])) / 100); // utime + stime, in clock ticks of 1/100 s
    }
    return cpu;
  } catch {
    return null;
  }
}

/** CPU seconds the busiest thread spent since `before` (threadCpu()): a thread started since counts whole. */
function busiestSince(before) {
  const now = threadCpu();
  if (!before || !now) return null;
  let best = 0;
  for (const [t, c] of now) best = Math.max(best, c - (before.get(t) ?? 0));
  return best;
}

async function runChild([root, scenario, bitstate, maxStates, reduce, workers]) {
  const { checkConfig, parseScenario, applyVariant } = await import(`${root}/dist/checker/index.js`);
  const text = scenario.startsWith("six:") ? six(...scenario.slice(4).split(",")) : readFileSync(scenario, "utf8");
  const sc = parseScenario(text);
  const cfg = applyVariant(sc, sc.variants[0]);
  const opts = {
    maxStates: Number(maxStates),
    reduce: reduce === "1",
    ...(bitstate !== "0" ? { bitstate: Number(bitstate) } : {}),
    ...(workers !== "1" ? { workers: Number(workers) } : {}),
  };
  const c0 = process.cpuUsage(),
    t0 = process.hrtime.bigint(),
    b0 = threadCpu();
  const r = checkConfig({ policy: sc.policies[0], page: cfg.pages, knobs: cfg.knobs, actors: cfg.actors }, opts);
  const c = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const never = Object.values(r.verdicts).find((v) => v.startsWith("Never"));
  const { bytes: _bytes, ...facts } = r;
  console.log(
    JSON.stringify({
      states: r.states,
      cpu: (c.user + c.system) / 1e6,
      wall,
      // the workers start with the search, so their whole CPU is the search's; the calling
      // thread (one of the search's threads) counts from the search's start
      busiest: busiestSince(b0),
      bitstate: r.bitstate,
      never,
      boundHit: r.boundHit,
      facts: JSON.stringify(facts),
      rss: process.resourceUsage().maxRSS * 1024,
    }),
  );
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const fmt = (x) => Math.round(x).toLocaleString("en-US");

/** Part 1: this tree against 5d2698e, one core. */
function againstRef() {
  for (const cfg of CONFIGS) {
    const sum = { ref: [0, 0], now: [0, 0] };
    let states = 0;
    for (let k = 0; k < ROUNDS; k++) {
      const order = [
        ["ref", refDir],
        ["now", here],
      ];
      for (const [tag, root] of k % 2 ? order.reverse() : order) {
        const r = child(root, [`six:${cfg}`, 0, 5e7, 1, 1]);
        (sum[tag][0] += r.states), (sum[tag][1] += r.cpu), (states = r.states);
      }
    }
    const rate = (s) => s[0] / s[1];
    console.log(
      `six actors gup dma=${cfg[0]} passes=${cfg[1]} stores=${cfg[2]}: ${states} states; ` +
        `${fmt(rate(sum.ref))} states/CPU-s at ${REF}, ` +
        `${fmt(rate(sum.now))} now: ratio ${(rate(sum.now) / rate(sum.ref)).toFixed(2)} (target 2.4)`,
    );
  }
}

/** Part 2: --workers 2 against --workers 1, alternating. */
function workers() {
  for (const cfg of WORKER_CONFIGS) {
    const sum = { 1: { cpu: 0, wall: 0, busy: 0, states: 0 }, 2: { cpu: 0, wall: 0, busy: 0, states: 0 } };
    const facts = new Set();
    for (let k = 0; k < ROUNDS; k++) {
      for (const w of k % 2 ? [2, 1] : [1, 2]) {
        const r = child(here, [`six:${cfg}`, 0, 5e7, 1, w]);
        const s = sum[w];
        (s.cpu += r.cpu), (s.wall += r.wall), (s.busy += r.busiest ?? Number.NaN), (s.states += r.states);
        facts.add(r.facts);
      }
    }
    const [one, two] = [sum[1], sum[2]];
    const ratio = (f) => (two.states / f(two) / (one.states / f(one))).toFixed(2);
    console.log(
      `workers, six actors gup dma=${cfg[0]} passes=${cfg[1]} stores=${cfg[2]}: ${one.states / ROUNDS} states, ` +
        `${facts.size === 1 ? "same" : "DIFFERENT"} states, verdicts and witnesses with 1 and 2 workers\n` +
        `  1 worker ${fmt(one.states / one.cpu)} states/CPU-s, ${fmt(one.states / one.wall)}/s wall; ` +
        `2 workers ${fmt(two.states / two.cpu)} states/CPU-s, ${fmt(two.states / two.wall)}/s wall\n` +
        `  2 workers / 1: per CPU second ${ratio((s) => s.cpu)} (efficiency), per wall second ${ratio((s) => s.wall)} ` +
        `(target 1.7; load ${load()}), per CPU second of the busiest thread ${ratio((s) => s.busy)} (two idle cores)`,
    );
  }
}

/** Part 3: the 10^8-state bitstate search. */
function bitstate() {
  const b = child(here, [BIG, 32, 2e9, 0, 1]);
  console.log(
    `bitstate 2^32 bits, ${BIG.split("/").pop()} --no-reduce: ${fmt(b.states)} states, ` +
      `${b.boundHit ? "bound reached (not finished)" : "search finished"} in ${b.cpu.toFixed(0)} CPU-s ` +
      `(${b.wall.toFixed(0)} s wall), ${fmt(b.states / b.cpu)} states/CPU-s, ` +
      `peak ${(b.rss / 2 ** 30).toFixed(1)} GiB RSS; ${b.never ?? "no Never"}`,
  );
}

function main() {
  const parts = (process.env.PINSIM_BENCH_PARTS ?? "1,2,3").split(",");
  console.log(`load average ${load()} (2 cores shared: CPU seconds, not wall, are compared)`);
  if (parts.includes("1")) buildRef(), againstRef();
  if (parts.includes("2")) workers();
  if (parts.includes("3") && process.env.PINSIM_BITSTATE !== "0") bitstate();
  console.log(`load average ${load()}`);
}

if (process.argv[2] === "--child") await runChild(process.argv.slice(3));
else main();
