// One engine run in a process of its own, for engine.bench.mjs: imports only the engine of
// the build at argv[2] (a dist/ directory; "" = none: the empty-process reference), runs
// the parameters argv[3] (JSON) and prints {wall, events, rssMiB} as one JSON line.
// argv[4] === "no-budget" lifts the magnitude budgets (the xl system; printed by the caller).
const [dist, json, budget] = process.argv.slice(2);
if (!dist) {
  console.log(JSON.stringify({ wall: 0, events: 0, rssMiB: process.resourceUsage().maxRSS / 1024 }));
} else {
  const { simulate } = await import(`${dist}/engine/simulate.js`);
  if (budget === "no-budget") (await import(`${dist}/model/budget.js`)).setBudget(false);
  const t0 = process.hrtime.bigint();
  const r = simulate(JSON.parse(json));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  // Peak resident set of this process (getrusage ru_maxrss, KiB).
  console.log(JSON.stringify({ wall, events: r.events, rssMiB: process.resourceUsage().maxRSS / 1024 }));
}
