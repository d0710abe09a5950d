// The interleaving checker: wall time of the full scenario set (target <= 10 s), of the
// nine-policy verdict table, and of one larger search; states explored per second and
// peak memory. Figures are printed, never asserted.
import { fileURLToPath } from "node:url";
import { checkConfig, loadScenarioDir, parseScenario, applyVariant, runScenario } from "../dist/checker/index.js";
import { POLICY_IDS } from "../dist/index.js";

const dir = fileURLToPath(new URL("../data/scenarios/", import.meta.url));
let peakRss = 0, peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const timer = setInterval(sample, 5);
const mib = (b) => (b / 2 ** 20).toFixed(1) + " MiB";

function measure(label, fn) {
  globalThis.gc?.();
  const t0 = process.hrtime.bigint();
  const states = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  sample();
  console.log(`${label.padEnd(34)} ${s.toFixed(3).padStart(7)} s  ${String(states).padStart(8)} states  ${Math.round(states / s).toLocaleString("en-US").padStart(10)} states/s`);
}

const scenarios = loadScenarioDir(dir);
measure(`scenario set (${scenarios.length} files, judged)`, () =>
  scenarios.flatMap((s) => runScenario(s)).reduce((n, r) => n + r.result.states, 0));
measure("every scenario x 9 policies (table)", () => {
  let n = 0;
  for (const p of POLICY_IDS) for (const s of scenarios) for (const r of runScenario(s, { policies: [p] })) n += r.result.states;
  return n;
});
const big = parseScenario([
  "Scenario: big", "Policies: foll-pin",
  "Actor P0: gup path=fast dma=3", "Actor P1: flusher passes=3 sync=none",
  "Actor P2: reclaim", "Actor P3: cpu stores=2",
].join("\n"));
const { pages, actors, knobs } = applyVariant(big, big.variants[0]);
measure("4 actors, gup dma=3, 3 WB passes", () => checkConfig({ policy: "foll-pin", page: pages, knobs, actors }).states);
clearInterval(timer);
sample();
console.log(`peak rss ${mib(peakRss)}, peak heapUsed ${mib(peakHeap)}`);
