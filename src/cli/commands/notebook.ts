/**
 * `pinsim notebook run NOTEBOOK [-p key=value …] [--out FILE]`: one headless, parameterised run.
 * `pinsim notebook test [NOTEBOOK …]`: run every notebook, check each ends with SVG figures.
 * `pinsim notebook open`: Jupyter on notebooks/ with the project's tslab kernelspec.
 * `pinsim notebook params NOTEBOOK`: the parameters a notebook takes.
 */
import { spawn, spawnSync } from "node:child_process";
import { basename, relative } from "node:path";
import type { Command } from "commander";
import {
  MAX_NOTEBOOK_SECONDS,
  NOTEBOOKS_DIR,
  NotebookEnvironmentError,
  describeType,
  jupyterEnv,
  listNotebooks,
  notebookParameters,
  parsePairs,
  readNotebook,
  resolveNotebook,
  runNotebook,
  type NotebookRunResult,
} from "../../notebook/index.js";
import { EXIT, UsageError } from "../errors.js";
import { leaveSignalsToCommand, stopOnSignals } from "../stop.js";

const collect = (v: string, acc: string[]) => [...acc, v];

function notebookPath(name: string): string {
  const path = resolveNotebook(name);
  if (!path) {
    const known = listNotebooks()
      .map((p) => basename(p, ".ipynb"))
      .join(", ");
    throw new UsageError(
      `no notebook ${JSON.stringify(name)} (known: ${known || "none"}; or give a path to a .ipynb file)`,
    );
  }
  return path;
}

function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r.startsWith("..") ? path : r;
}

function positiveSeconds(v: string, name: string): number {
  const n = /^\s*$/.test(v) ? Number.NaN : Number(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= MAX_NOTEBOOK_SECONDS))
    throw new UsageError(
      `invalid ${name}: ${JSON.stringify(v)} (allowed: a whole number of seconds, 1..${MAX_NOTEBOOK_SECONDS})`,
    );
  return n;
}

/** Run one notebook; input and environment errors become the CLI's own. */
async function runOne(
  path: string,
  opts: { p?: string[]; out?: string; timeout?: string; verbose?: boolean },
): Promise<NotebookRunResult> {
  // A NotebookInputError is an InputError: the CLI's one catch prints it (exit 2).
  return await runNotebook(path, {
    parameterText: parsePairs(opts.p ?? []),
    out: opts.out,
    timeout: opts.timeout ? positiveSeconds(opts.timeout, "--timeout") : undefined,
    onStderr: opts.verbose ? (s) => process.stderr.write(s) : undefined,
    signal: stopOnSignals(), // SIGINT/SIGTERM: the runner stopped, exit 130/143 (src/cli/stop.ts)
  });
}

/** runOne, or null after a missing Jupyter or kernel (NotebookEnvironmentError) is reported and the exit code set. */
async function runOrFail(
  path: string,
  opts: Parameters<typeof runOne>[1],
  state: { code: number },
): Promise<NotebookRunResult | null> {
  try {
    return await runOne(path, opts);
  } catch (e) {
    if (!(e instanceof NotebookEnvironmentError)) throw e;
    process.stderr.write(`pinsim: ${e.message}\n`);
    state.code = EXIT.FAILED;
    return null;
  }
}

/** `pinsim notebook …`: run, test, params and open, each its own subcommand. */
export function registerNotebook(program: Command, state: { code: number }): void {
  const nb = program.command("notebook").description("run the notebooks headlessly, or open them in Jupyter");
  registerRun(nb, state);
  registerTest(nb, state);
  registerParams(nb);
  registerOpen(nb, state);
}

/** `pinsim notebook run`: one headless, parameterised run, the executed copy saved. */
function registerRun(nb: Command, state: { code: number }): void {
  nb.command("run")
    .description("execute a notebook headlessly (nbclient, tslab kernel) and save the executed copy")
    .argument("<notebook>", "a path, or a name in notebooks/ (01-tour, tour, 01)")
    .option(
      "-p, --param <key=value>",
      "override a declaration of the cell tagged `parameters` (repeatable)",
      collect,
      [],
    )
    .option("--out <file>", "where to save the executed notebook (default notebooks/NAME.out.ipynb)")
    .option("--timeout <seconds>", "seconds one cell may run (default 600)")
    .option("--verbose", "pass the kernel's stderr through")
    .action(async (name: string, opts: { param: string[]; out?: string; timeout?: string; verbose?: boolean }) => {
      const path = notebookPath(name);
      const r = await runOrFail(
        path,
        { p: opts.param, out: opts.out, timeout: opts.timeout, verbose: opts.verbose },
        state,
      );
      if (!r) return;
      const params = Object.entries(r.parameters)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(" ");
      const svg = r.mimeTypes["image/svg+xml"] ?? 0;
      if (r.ok) {
        process.stdout.write(
          `${shown(path)}${params ? ` (${params})` : ""}: ok in ${r.seconds.toFixed(1)} s` +
            ` (kernel start ${r.kernelStart?.toFixed(1) ?? "?"} s), ${svg} SVG figure${svg === 1 ? "" : "s"} → ${shown(r.out)}\n`,
        );
      } else {
        process.stderr.write(
          `pinsim: ${shown(path)}${params ? ` (${params})` : ""} failed after ${r.seconds.toFixed(1)} s; ${r.saved ? `executed copy saved to ${shown(r.out)}` : "nothing saved"}\n${r.error}\n`,
        );
        state.code = EXIT.FAILED;
      }
    });
}

/** `pinsim notebook test`: every notebook (or those named) run; each must end with SVG figures. */
function registerTest(nb: Command, state: { code: number }): void {
  nb.command("test")
    .description("run every notebook in notebooks/ headlessly; each must succeed and end with SVG figures")
    .argument("[notebooks...]", "only these (default: all)")
    .option("--timeout <seconds>", "seconds one cell may run (default 600)")
    .option("--verbose", "pass the kernel's stderr through")
    .action(async (names: string[], opts: { timeout?: string; verbose?: boolean }) => {
      const paths = names.length ? names.map(notebookPath) : listNotebooks();
      if (paths.length === 0) throw new UsageError(`no notebooks in ${shown(NOTEBOOKS_DIR)}`);
      let failed = 0;
      for (const path of paths) {
        const r = await runOrFail(path, { timeout: opts.timeout, verbose: opts.verbose }, state);
        if (!r) return;
        const svg = r.mimeTypes["image/svg+xml"] ?? 0;
        const ok = r.ok && svg > 0;
        const why = !r.ok ? "FAILED" : svg === 0 ? "FAILED (no image/svg+xml output)" : "ok";
        process.stdout.write(
          `${basename(path).padEnd(34)} ${why.padEnd(6)} ${r.seconds.toFixed(1).padStart(6)} s  kernel start ${r.kernelStart?.toFixed(1) ?? "?"} s  ${svg} SVG\n`,
        );
        if (!ok) {
          failed++;
          if (r.error) process.stderr.write(`  ${r.error.replace(/\n/g, "\n  ")}\n  executed copy: ${shown(r.out)}\n`);
        }
      }
      process.stdout.write(`${paths.length - failed} passed, ${failed} failed\n`);
      if (failed) state.code = EXIT.FAILED;
    });
}

/** `pinsim notebook params`: the parameters a notebook takes. */
function registerParams(nb: Command): void {
  nb.command("params")
    .description("list the parameters a notebook takes (its cell tagged `parameters`)")
    .argument("<notebook>")
    .action((name: string) => {
      const path = notebookPath(name);
      const params = notebookParameters(readNotebook(path), basename(path));
      for (const p of params) {
        process.stdout.write(
          `${p.name.padEnd(20)} ${p.literal.padEnd(24)} ${p.type ? describeType(p.type) : "(not settable: not a literal)"}\n`,
        );
      }
    });
}

/** `pinsim notebook open`: Jupyter on notebooks/ with the project's tslab kernel. */
function registerOpen(nb: Command, state: { code: number }): void {
  nb.command("open")
    .description("open Jupyter (lab or notebook) on notebooks/ with the project's tslab kernel")
    .option("--no-browser", "do not open a browser")
    .option("--port <n>", "port to listen on")
    .action(async (opts: { browser: boolean; port?: string }) => {
      const env = jupyterEnv();
      const has = (sub: string) => spawnSync("jupyter", [sub, "--version"], { env, stdio: "ignore" }).status === 0;
      const app = has("lab") ? "lab" : has("notebook") ? "notebook" : null;
      if (!app) {
        process.stderr.write(
          "pinsim: no Jupyter front end found; run `npm run notebooks:setup -- --interactive` " +
            "(Debian/Ubuntu: apt-get install jupyter-notebook), or `conda env create -f environment.yml && conda activate pinsim`\n",
        );
        state.code = EXIT.FAILED;
        return;
      }
      const args = [app, `--notebook-dir=${NOTEBOOKS_DIR}`];
      if (!opts.browser) args.push("--no-browser");
      if (opts.port) args.push(`--port=${opts.port}`);
      if (process.getuid?.() === 0) args.push("--allow-root");
      process.stderr.write(
        `JUPYTER_PATH=${env.JUPYTER_PATH} jupyter ${args.join(" ")}\n(kernel: "TypeScript (tslab, pinsim)")\n`,
      );
      // Async, so that a SIGTERM to pinsim reaches Jupyter too (Ctrl-C reaches both anyway);
      // Jupyter decides when to stop, pinsim exits when it does.
      leaveSignalsToCommand();
      const child = spawn("jupyter", args, { env, stdio: "inherit" });
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      process.on("SIGTERM", forward);
      process.on("SIGINT", forward);
      state.code = await new Promise<number>((done) => child.on("close", (code) => done(code ?? EXIT.FAILED)));
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
    });
}
