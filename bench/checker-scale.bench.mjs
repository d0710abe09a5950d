// Issue 23's checker figures, each as a ratio against its reference in this same run:
// the six-actor reclaim configurations (GUP, flusher, io, CPU, two reclaimers) explored
// by this tree and by main as of 5d2698e (built from git into /tmp, alternating runs,
// each search in its own process, one core), states per CPU second of the search alone;
// then a bitstate search toward 10^8 states (PINSIM_BITSTATE_STATES, default 1e8) with
// its rate and its probability of a missed state. Figures are printed, never asserted.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REF = "5d2698e";
const here = fileURLToPath(new URL("..", import.meta.url));
const refDir = `/tmp/pinsim-ck-${REF}`;
// [gup dma, flusher passes, cpu stores]: 1.1 M and 2.2 M states with the reduction
const CONFIGS = [
  [2, 2, 2],
  [2, 3, 2],
];
const ROUNDS = Number(process.env.PINSIM_BENCH_ROUNDS ?? 2);

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
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

async function runChild([root, dma, passes, stores, bitstate, maxStates, reduce = "1"]) {
  const { checkConfig, parseScenario, applyVariant } = await import(`${root}/dist/checker/index.js`);
  const sc = parseScenario(
    [
      "Scenario: six",
      "Policies: foll-pin",
      `Actor P0: gup path=slow dma=${dma}`,
      `Actor P1: flusher passes=${passes} sync=none`,
      "Actor P2: io",
      `Actor P3: cpu stores=${stores}`,
      "Actor P4: reclaim",
      "Actor P5: reclaim",
    ].join("\n"),
  );
  const cfg = applyVariant(sc, sc.variants[0]);
  const opts = {
    maxStates: Number(maxStates),
    reduce: reduce === "1",
    ...(bitstate !== "0" ? { bitstate: Number(bitstate) } : {}),
  };
  const c0 = process.cpuUsage(),
    t0 = process.hrtime.bigint();
  const r = checkConfig({ policy: "foll-pin", page: cfg.pages, knobs: cfg.knobs, actors: cfg.actors }, opts);
  const c = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const never = Object.values(r.verdicts).find((v) => v.startsWith("Never"));
  console.log(
    JSON.stringify({
      states: r.states,
      cpu: (c.user + c.system) / 1e6,
      wall,
      bitstate: r.bitstate,
      never,
      boundHit: r.boundHit,
    }),
  );
}

function main() {
  buildRef();
  const load = () => execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).split(" ").slice(0, 3).join(" ");
  console.log(`load average ${load()} (2 cores shared: CPU seconds, not wall, are compared)`);
  for (const cfg of CONFIGS) {
    const sum = { ref: [0, 0], now: [0, 0] };
    let states = 0;
    for (let k = 0; k < ROUNDS; k++) {
      for (const [tag, root] of k % 2
        ? [
            ["now", here],
            ["ref", refDir],
          ]
        : [
            ["ref", refDir],
            ["now", here],
          ]) {
        const r = child(root, [...cfg, 0, 5e7]);
        (sum[tag][0] += r.states), (sum[tag][1] += r.cpu), (states = r.states);
      }
    }
    const rate = (s) => s[0] / s[1];
    console.log(
      `six actors gup dma=${cfg[0]} passes=${cfg[1]} stores=${cfg[2]}: ${states} states; ` +
        `${Math.round(rate(sum.ref)).toLocaleString("en-US")} states/CPU-s at ${REF}, ` +
        `${Math.round(rate(sum.now)).toLocaleString("en-US")} now: ratio ${(rate(sum.now) / rate(sum.ref)).toFixed(2)} (target 2.4)`,
    );
  }
  const target = Number(process.env.PINSIM_BITSTATE_STATES ?? 1e8);
  const b = child(here, [3, 3, 3, 30, target, 0]);
  console.log(
    `bitstate 2^30 bits, six actors gup dma=3 passes=3 stores=3 --no-reduce, bound ${target.toExponential(0)}: ${b.states} states` +
      `${b.boundHit ? " (bound reached)" : " (search finished)"} in ${b.cpu.toFixed(1)} CPU-s, ` +
      `${Math.round(b.states / b.cpu).toLocaleString("en-US")} states/CPU-s; ${b.never ?? "no Never"}`,
  );
  console.log(`load average ${load()}`);
}

if (process.argv[2] === "--child") await runChild(process.argv.slice(3));
else main();
