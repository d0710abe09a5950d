#!/usr/bin/env node
// npm run notebooks:setup [-- --interactive] [-- --browser] [-- --dry-run]
//
// Makes `pinsim notebook run|test` (with --interactive, `npm run notebook`; with --browser,
// `npm run notebooks:browser`: jupyter-notebook and chromium-headless-shell) work:
// checks Node, the npm dependencies, a Python with nbclient and the project's kernelspec.
// Installs what is missing with apt-get on Debian/Ubuntu when root or sudo is available,
// otherwise prints exactly what to run. Registers nothing globally: the tslab kernelspec
// stays in jupyter/kernels/ and is found through JUPYTER_PATH.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const browser = args.has("--browser");
const interactive = args.has("--interactive") || browser;
const dryRun = args.has("--dry-run");
for (const a of args) {
  if (!["--interactive", "--browser", "--dry-run"].includes(a)) {
    console.error(`notebooks-setup: unknown option ${a} (allowed: --interactive, --browser, --dry-run)`);
    process.exit(2);
  }
}

const APT_HEADLESS = ["jupyter-nbconvert", "jupyter-client", "python3-nbclient"];
const APT_INTERACTIVE = ["jupyter-notebook"];
const ok = (s) => console.log(`  ok   ${s}`);
const todo = [];
const run = (cmd, argv, opts = {}) => spawnSync(cmd, argv, { encoding: "utf8", ...opts });
const has = (cmd) => run("sh", ["-c", `command -v ${cmd}`]).status === 0;

console.log("pinsim notebooks: checking the set-up");

// Node >= 20.19: tslab compiles cells to require(), and require() of ESM-only packages
// (@observablehq/plot) needs 20.19.
const [maj, min] = process.versions.node.split(".").map(Number);
if (maj > 20 || (maj === 20 && min >= 19)) ok(`node ${process.version}`);
else todo.push(`install Node >= 20.19 (this is ${process.version}); conda: conda env create -f environment.yml`);

// npm dependencies (tslab and its zeromq prebuilt) and the compiled library the notebooks import.
if (existsSync(join(root, "node_modules", "tslab", "package.json")))
  ok(`tslab ${JSON.parse(readFileSync(join(root, "node_modules/tslab/package.json"), "utf8")).version}`);
else todo.push("npm ci");
if (existsSync(join(root, "dist", "index.js"))) ok("dist/ built");
else todo.push("npm run build");

// The kernelspec kept in the project.
const spec = join(root, "jupyter", "kernels", "tslab", "kernel.json");
if (existsSync(spec)) ok(`kernelspec ${spec} (used through JUPYTER_PATH, not installed)`);
else todo.push(`restore ${spec} (git checkout jupyter/)`);

// A Python with nbclient, as `pinsim notebook run` looks for it.
const pythons = [process.env.PINSIM_PYTHON, "/usr/bin/python3", "python3"].filter(Boolean);
const hasNbclient = (py) => run(py, ["-c", "import nbclient, nbformat, jupyter_client"]).status === 0;
let python = pythons.find(hasNbclient);
const frontEnd = () => ["lab", "notebook"].find((app) => run("jupyter", [app, "--version"]).status === 0);
const needApt = [];
if (python) ok(`nbclient (${python})`);
else needApt.push(...APT_HEADLESS);
if (interactive) {
  const app = frontEnd();
  if (app) ok(`jupyter ${app}`);
  else needApt.push(...APT_INTERACTIVE);
}

// The browser run: Debian's headless Chromium, driven by playwright-core (an npm devDependency).
if (browser) {
  const chromium = ["/usr/bin/chromium-headless-shell", "/usr/lib/chromium/chromium-headless-shell"].find((p) =>
    existsSync(p),
  );
  if (chromium) ok(`chromium-headless-shell (${chromium})`);
  else needApt.push("chromium-headless-shell");
  if (existsSync(join(root, "node_modules", "playwright-core", "package.json"))) ok("playwright-core");
  else todo.push("npm ci");
}

if (needApt.length) {
  const isDebian = existsSync("/etc/debian_version") && has("apt-get");
  const root0 = process.getuid?.() === 0;
  const sudo = !root0 && has("sudo") && run("sudo", ["-n", "true"]).status === 0;
  // Wait for the dpkg lock (unattended-upgrades on a fresh machine holds it) rather than fail at once.
  const wait = "-o DPkg::Lock::Timeout=600";
  const line = `apt-get ${wait} update && apt-get ${wait} install -y --no-install-recommends ${needApt.join(" ")}`;
  if (isDebian && (root0 || sudo) && !dryRun) {
    console.log(`  installing: ${needApt.join(" ")}`);
    const pre = sudo ? "sudo -n " : "";
    const r = spawnSync(
      "sh",
      [
        "-c",
        `${pre}apt-get ${wait} update -q && ${pre}env DEBIAN_FRONTEND=noninteractive apt-get ${wait} install -y -q --no-install-recommends ${needApt.join(" ")}`,
      ],
      { stdio: "inherit" },
    );
    if (r.status !== 0) todo.push(`${sudo ? "sudo " : ""}${line}   (failed with exit ${r.status}; run it yourself)`);
    python = pythons.find(hasNbclient);
    if (python) ok(`nbclient (${python})`);
  } else if (isDebian) {
    todo.push(`${root0 ? "" : "sudo "}${line}`);
  } else {
    todo.push(
      `install Jupyter's headless runner: conda env create -f environment.yml && conda activate pinsim` +
        ` (or: python3 -m pip install --user nbclient nbformat jupyter_client${interactive ? " notebook" : ""})`,
    );
  }
}

if (todo.length) {
  console.log("\nStill to do, in this order:");
  for (const t of todo) console.log(`  ${t}`);
  console.log("then run npm run notebooks:setup again.");
  process.exit(1);
}
console.log(
  `\nReady. Headless: npm run notebooks:test, or node bin/pinsim.js notebook run 01-tour -p pinDuration=120` +
    (interactive
      ? `\nInteractive: npm run notebook (kernel "TypeScript (tslab, pinsim)")`
      : `\nFor Jupyter in a browser: npm run notebooks:setup -- --interactive`),
);
