// Engine benchmark: wall time, events, peak memory and state bytes per page for
// (a) the defaults and (b) a large system (4096 files x 256 pages = 1,048,576 pages,
// 10,000 pinners, 1 simulated hour), plus two sizes each of pages and of simulated time
// to show the cost is linear in both. Targets (printed, never asserted): (b) <= 10 s on
// one core, <= 100 bytes of state per page.
import { simulate, getPolicy } from "../dist/index.js";
import { PageCache } from "../dist/model/index.js";

const gc = globalThis.gc ?? (() => {});

function measure(label, params) {
  gc();
  const t0 = process.hrtime.bigint();
  const r = simulate(params);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // Peak resident set of the process so far (getrusage ru_maxrss), in bytes.
  const peak = process.resourceUsage().maxRSS * 1024;
  const row = {
    label,
    pages: r.params.files * r.params.pagesPerFile,
    pinners: r.params.pinners,
    simulated: r.params.duration,
    wall: seconds,
    events: r.events,
    eventsPerSecond: r.events / seconds,
    peakRssMB: peak / 2 ** 20,
  };
  console.log(
    `${label.padEnd(34)} ${String(row.pages).padStart(8)} pages ${String(row.pinners).padStart(6)} pinners ` +
      `${String(row.simulated).padStart(5)} s sim  ${seconds.toFixed(2).padStart(6)} s wall  ` +
      `${(r.events / 1e6).toFixed(2).padStart(6)} M events  ${(row.eventsPerSecond / 1e6).toFixed(2)} M ev/s  ` +
      `peak rss so far ${row.peakRssMB.toFixed(0)} MB`,
  );
  return row;
}

/** Bytes of per-page state: the page cache's typed arrays plus the engine's per-page arrays. */
function bytesPerPage(pages) {
  const pc = new PageCache({
    files: 1,
    pagesPerFile: pages,
    bias: 1024,
    env: runEnv({ policy: getPolicy("foll-pin") }),
  });
  let bytes = 0;
  for (const v of Object.values(pc)) if (ArrayBuffer.isView(v) && v.length === pages) bytes += v.byteLength;
  // The engine adds wbEnd (Float64), waiters (Uint8) (simulation.ts), holders (Int32), next (Float64) (device-writes.ts) per page.
  return bytes / pages + 8 + 1 + 4 + 8;
}

console.log(`node ${process.version}; one core (the engine is single-threaded)`);
console.log(`state per page: ${bytesPerPage(1 << 16).toFixed(0)} bytes (target <= 100)`);
console.log("");
const large = { files: 4096, pagesPerFile: 256, pinners: 10000, duration: 3600 };
measure("(a) defaults", {});
const b = measure("(b) large system", large);
console.log(`(b) target <= 10 s: ${b.wall <= 10 ? "met" : "NOT met"} (${b.wall.toFixed(2)} s)`);
console.log("");
console.log("linearity in pages (pinners scale with pages, 1 simulated hour):");
const q = measure("  1/4 pages, 1/4 pinners", { ...large, files: 1024, pinners: 2500 });
console.log(
  `  ratio of wall times (4x size): ${(b.wall / q.wall).toFixed(2)}x, of events: ${(b.events / q.events).toFixed(2)}x`,
);
console.log("linearity in simulated time (large system):");
const h = measure("  half an hour", { ...large, duration: 1800 });
console.log(
  `  ratio of wall times (2x time): ${(b.wall / h.wall).toFixed(2)}x, of events: ${(b.events / h.events).toFixed(2)}x`,
);
