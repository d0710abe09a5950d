// Notebook timings: kernel start (a one-cell notebook, several times) and each shipped
// notebook's headless run. Printed, never asserted. Needs a Python with nbclient
// (npm run notebooks:setup) and a build (npm run bench builds first).
// Usage: node bench/notebook.bench.mjs [--starts N] [NOTEBOOK …]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { NOTEBOOKS_DIR, findPython, listNotebooks, resolveNotebook, runNotebook } from "../dist/notebook/index.js";

const args = process.argv.slice(2);
const si = args.indexOf("--starts");
const starts = si >= 0 ? Number(args.splice(si, 2)[1]) : 3;
if (!findPython()) {
  console.log("notebook bench skipped: no Python with nbclient (npm run notebooks:setup)");
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), "pinsim-nbbench-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => (s === null || s === undefined ? "?" : s.toFixed(2));
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")} (2-core machines share it)`,
);
try {
  const one = join(dir, "one-cell.ipynb");
  writeFileSync(
    one,
    JSON.stringify({
      cells: [{ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: "1 + 1" }],
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript (tslab, pinsim)", language: "typescript" } },
      nbformat: 4,
      nbformat_minor: 4,
    }),
  );
  const ks = [],
    totals = [];
  for (let i = 0; i < starts; i++) {
    // In notebooks/, as the notebooks run: tslab then loads the project's @types/*.
    const r = await runNotebook(one, { out: join(dir, "one-cell.out.ipynb"), cwd: NOTEBOOKS_DIR });
    if (!r.ok) throw new Error(r.error ?? "one-cell notebook failed");
    ks.push(r.kernelStart);
    totals.push(r.seconds);
  }
  console.log(
    `kernel start (to kernel_info reply, tslab warms its TypeScript converter first): median ${fmt(median(ks))} s of ${starts} [${ks.map(fmt).join(", ")}]`,
  );
  console.log(`one-cell notebook, whole run (Node → Python → kernel → shutdown): median ${fmt(median(totals))} s`);

  const paths = args.length ? args.map((a) => resolveNotebook(a) ?? a) : listNotebooks();
  console.log("\nnotebook                           run (s)  kernel start (s)  cells (s)  SVG outputs");
  for (const p of paths) {
    const r = await runNotebook(p, { out: join(dir, basename(p).replace(/\.ipynb$/, ".out.ipynb")) });
    const cells = r.cells.reduce((a, c) => a + c.seconds, 0);
    console.log(
      `${basename(p).padEnd(34)} ${fmt(r.seconds).padStart(7)}  ${fmt(r.kernelStart).padStart(16)}  ${fmt(cells).padStart(9)}  ${String(r.mimeTypes["image/svg+xml"] ?? 0).padStart(11)}${r.ok ? "" : "  FAILED"}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
