#!/usr/bin/env node
// npm run notebooks:browser [-- NOTEBOOK ...] [-- --out DIR] [-- --timeout S]
//
// Runs every notebook the way a user does: in Jupyter (Debian's `jupyter-notebook`) in a
// real browser (Debian's `chromium-headless-shell`, driven by `playwright-core` through
// executablePath; playwright's own browser download cannot work here). For each notebook:
// open it, "Run All", wait until every cell has run, then fail on any error output (tslab
// reports compile and runtime errors as stderr streams) or any figure the browser did not
// render (an image/svg+xml or image/png output without a laid-out, non-empty element), and
// save a screenshot to OUT/NN-name.png (default data/results/notebooks-browser/).
//
// The notebooks run from copies in a temporary directory beside symlinks to dist/, data/
// and node_modules/, so Jupyter's autosave never writes outputs into notebooks/.
// Exit codes: 0 all passed, 1 a notebook failed, 2 bad arguments, 3 something to install.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const APT =
  "apt-get install --no-install-recommends jupyter-notebook chromium-headless-shell (or npm run notebooks:setup -- --browser)";

function usage(msg) {
  console.error(`notebooks-browser: ${msg}`);
  process.exit(2);
}

// ---- arguments -------------------------------------------------------------------------------
const argv = process.argv.slice(2);
let outDir = join(root, "data", "results", "notebooks-browser");
let timeoutS = 600;
const names = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--out") outDir = resolve(argv[++i] ?? usage("--out needs a directory"));
  else if (a === "--timeout") {
    timeoutS = Number(argv[++i]);
    if (!(timeoutS > 0)) usage(`invalid --timeout: ${JSON.stringify(argv[i])} (allowed: a positive number of seconds)`);
  } else if (a.startsWith("-")) usage(`unknown option ${a} (allowed: --out DIR, --timeout S, notebook names)`);
  else names.push(a);
}
const all = readdirSync(join(root, "notebooks"))
  .filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.endsWith(".out.ipynb"))
  .sort();
const picked = names.length
  ? names.map(
      (n) =>
        all.find(
          (f) =>
            f === n ||
            f === `${n}.ipynb` ||
            f.startsWith(`${n}-`) ||
            f.replace(/^\d\d-/, "").replace(/\.ipynb$/, "") === n,
        ) ?? usage(`no notebook ${JSON.stringify(n)} (known: ${all.join(", ")})`),
    )
  : all;

// ---- what must be installed --------------------------------------------------------------------
const chromium = [
  process.env.PINSIM_CHROMIUM,
  "/usr/bin/chromium-headless-shell",
  "/usr/lib/chromium/chromium-headless-shell",
]
  .filter(Boolean)
  .find((p) => existsSync(p));
const env = {
  ...process.env,
  JUPYTER_PATH: join(root, "jupyter") + (process.env.JUPYTER_PATH ? delimiter + process.env.JUPYTER_PATH : ""),
};
const hasNotebook = spawnSync("jupyter", ["notebook", "--version"], { env, stdio: "ignore" }).status === 0;
let playwright = null;
try {
  playwright = await import("playwright-core");
} catch {
  // reported below
}
const missing = [
  !chromium && "chromium-headless-shell",
  !hasNotebook && "jupyter-notebook",
  !playwright && "playwright-core (npm ci)",
].filter(Boolean);
if (missing.length) {
  console.error(`notebooks-browser: missing ${missing.join(", ")}; ${APT}`);
  process.exit(3);
}
if (!existsSync(join(root, "dist", "index.js"))) {
  console.error("notebooks-browser: dist/ is not built; run npm run build");
  process.exit(3);
}

// ---- a scratch project: copies of the notebooks, symlinks to what they import ----------------
const work = mkdtempSync(join(tmpdir(), "pinsim-browser-"));
for (const d of ["dist", "data", "node_modules", "jupyter", "package.json"]) symlinkSync(join(root, d), join(work, d));
mkdirSync(join(work, "notebooks"));
for (const f of picked) copyFileSync(join(root, "notebooks", f), join(work, "notebooks", f));
mkdirSync(outDir, { recursive: true });

const port = await new Promise((done) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => done(p));
  });
});
const token = randomBytes(16).toString("hex");
const server = spawn(
  "jupyter",
  [
    "notebook",
    "--no-browser",
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port-retries=0",
    `--NotebookApp.token=${token}`,
    `--notebook-dir=${work}`,
    "--allow-root",
  ],
  { env, stdio: ["ignore", "ignore", "pipe"], detached: false },
);
let serverLog = "";
server.stderr.setEncoding("utf8");
server.stderr.on("data", (s) => (serverLog += s));

let browser = null;
const cleanup = () => {
  try {
    server.kill("SIGTERM");
  } catch {
    // already gone
  }
  rmSync(work, { recursive: true, force: true });
};
process.on("SIGINT", () => {
  cleanup();
  process.exit(130);
});

const base = `http://127.0.0.1:${port}`;
const t0 = Date.now();
while (!serverLog.includes(`127.0.0.1:${port}`)) {
  if (server.exitCode !== null || Date.now() - t0 > 60_000) {
    console.error(`notebooks-browser: Jupyter did not start:\n${serverLog.trim().split("\n").slice(-5).join("\n")}`);
    cleanup();
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}

let failed = 0;
try {
  browser = await playwright.chromium.launch({
    executablePath: chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 960 }, deviceScaleFactor: 1 });
  for (const f of picked) {
    const started = Date.now();
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message.split("\n")[0]}`));
    await page.goto(`${base}/notebooks/notebooks/${f}?token=${token}`);
    // The kernel is up when the notebook has a connected kernel session.
    await page.waitForFunction(
      () => window.Jupyter?.notebook?.kernel?.is_connected?.() && window.Jupyter.notebook.kernel_selector,
      null,
      { timeout: 120_000 },
    );
    await page
      .waitForFunction(
        () =>
          window.Jupyter.notebook.kernel.info_reply?.status === "ok" ||
          window.Jupyter.notebook.kernel._kernel_connected,
        null,
        { timeout: 120_000 },
      )
      .catch(() => {});
    await page.evaluate(() => {
      window.__pinsimDone = 0;
      window.Jupyter.notebook.events.on("finished_execute.CodeCell", () => (window.__pinsimDone += 1));
      window.Jupyter.notebook.execute_all_cells();
    });
    const codeCells = await page.evaluate(
      () => window.Jupyter.notebook.get_cells().filter((c) => c.cell_type === "code").length,
    );
    // Every code cell reported back, and none is still running ("In [*]").
    await page.waitForFunction(
      (n) =>
        window.__pinsimDone >= n &&
        window.Jupyter.notebook.get_cells().every((c) => c.cell_type !== "code" || !c.running),
      codeCells,
      { timeout: timeoutS * 1000, polling: 250 },
    );
    await page.waitForTimeout(300); // let the last display messages paint
    const check = await page.evaluate(() => {
      const out = { errors: [], figures: 0, broken: [], firstFigureCell: -1 };
      window.Jupyter.notebook.get_cells().forEach((c, i) => {
        if (c.cell_type !== "code") return;
        for (const o of c.output_area.outputs) {
          if (o.output_type === "error") out.errors.push(`cell ${i + 1}: ${o.ename}: ${o.evalue}`);
          if (o.output_type === "stream" && o.name === "stderr")
            out.errors.push(`cell ${i + 1} stderr: ${String(o.text).trim().split("\n").slice(0, 3).join(" / ")}`);
        }
        const expect = c.output_area.outputs.filter(
          (o) => o.data && (o.data["image/svg+xml"] || o.data["image/png"]),
        ).length;
        const shown = [...c.output_area.element[0].querySelectorAll(".output_svg svg, .output_png img")].filter(
          (el) => {
            const r = el.getBoundingClientRect();
            const ok = r.width > 20 && r.height > 20 && (el.tagName.toLowerCase() !== "img" || el.naturalWidth > 0);
            // An SVG that rendered has drawn children (Plot's marks), not just an empty root.
            return (
              ok &&
              (el.tagName.toLowerCase() === "img" || el.querySelectorAll("text, path, rect, line, circle").length > 0)
            );
          },
        ).length;
        if (shown < expect) out.broken.push(`cell ${i + 1}: ${expect - shown} of ${expect} figures did not render`);
        out.figures += shown;
        if (shown > 0 && out.firstFigureCell < 0) out.firstFigureCell = i;
      });
      return out;
    });
    if (check.figures === 0) check.broken.push("no figure rendered at all");
    // Screenshot with the first figure in view (the notebook scrolls inside #site, not the page).
    await page.evaluate((i) => {
      const cells = window.Jupyter.notebook.get_cells();
      const cell = cells[Math.max(0, i - 1)] ?? cells[0];
      cell.element[0].scrollIntoView({ block: "start" });
    }, check.firstFigureCell);
    await page.waitForTimeout(200);
    const shot = join(outDir, f.replace(/\.ipynb$/, ".png"));
    await page.screenshot({ path: shot });
    await page.evaluate(() => window.Jupyter.notebook.session.delete()).catch(() => {});
    await page.close();
    const bad = [...problems, ...check.errors, ...check.broken];
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (bad.length) {
      failed++;
      console.log(`${f.padEnd(34)} FAILED ${secs.padStart(6)} s  ${check.figures} figures`);
      for (const b of bad) console.log(`  ${b}`);
    } else
      console.log(
        `${f.padEnd(34)} ok     ${secs.padStart(6)} s  ${check.figures} figures rendered  → ${shot.startsWith(root) ? shot.slice(root.length + 1) : shot}`,
      );
  }
  await context.close();
} catch (e) {
  failed++;
  console.error(`notebooks-browser: ${e.message.split("\n")[0]}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  cleanup();
}
console.log(
  `${picked.length - failed} passed, ${failed} failed (browser: ${basename(chromium)}, screenshots in ${outDir})`,
);
process.exit(failed ? 1 : 0);
