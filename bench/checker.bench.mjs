// The interleaving checker: the configurations measured since the first version (the
// scenario set judged, every scenario under the nine policies, one larger 4-actor search)
// and the union scenarios, each with the partial-order reduction and without
// (--no-reduce). Prints wall time, states, states/s per wall second and per CPU second
// (the machine is shared: CPU seconds are the fairer figure), and memory: the search's
// own state store and the process's peak RSS. Figures are printed, never asserted.
import { fileURLToPath } from "node:url";
import { checkConfig, loadScenarioDir, parseScenario, applyVariant, runScenario } from "../dist/checker/index.js";
import { POLICY_IDS } from "../dist/index.js";

const dir = fileURLToPath(new URL("../data/scenarios/", import.meta.url));
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const timer = setInterval(sample, 5);
const mib = (b) => (b / 2 ** 20).toFixed(1) + " MiB";

function measure(label, fn) {
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const { states, bytes } = fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  sample();
  const rate = (x) =>
    Math.round(states / x)
      .toLocaleString("en-US")
      .padStart(9);
  console.log(
    `${label.padEnd(44)} ${s.toFixed(2).padStart(6)} s ${String(states).padStart(8)} states ${rate(s)}/s wall ${rate(cpu)}/s cpu  store ${mib(bytes)}`,
  );
}

const sum = (runs) => ({
  states: runs.reduce((n, r) => n + r.result.states, 0),
  bytes: Math.max(0, ...runs.map((r) => r.result.bytes)),
});
const all = loadScenarioDir(dir);
const before = all.filter((s) => !s.name.includes("+any"));
const unions = all.filter((s) => s.name.includes("+any"));
const big = parseScenario(
  [
    "Scenario: big",
    "Policies: foll-pin",
    "Actor P0: gup path=fast dma=3",
    "Actor P1: flusher passes=3 sync=none",
    "Actor P2: reclaim",
    "Actor P3: cpu stores=2",
  ].join("\n"),
);
const cfg = applyVariant(big, big.variants[0]);
for (const reduce of [true, false]) {
  const tag = reduce ? "" : " --no-reduce";
  measure(`scenario set (${before.length} files, judged)${tag}`, () =>
    sum(before.flatMap((s) => runScenario(s, { reduce }))),
  );
  measure(`every scenario x 9 policies${tag}`, () =>
    sum(POLICY_IDS.flatMap((p) => before.flatMap((s) => runScenario(s, { policies: [p], reduce })))),
  );
  measure(`4 actors, gup dma=3, 3 WB passes${tag}`, () => {
    const r = checkConfig(
      { policy: "foll-pin", page: cfg.pages, knobs: cfg.knobs, actors: cfg.actors },
      { reduce, maxStates: 5e6 },
    );
    return { states: r.states, bytes: r.bytes };
  });
  measure(`union scenarios (${unions.length} files, judged)${tag}`, () =>
    sum(unions.flatMap((s) => runScenario(s, { reduce }))),
  );
}
clearInterval(timer);
sample();
console.log(`peak rss ${mib(peakRss)}`);
