/**
 * Headless notebook runs: inject parameters (papermill's convention), execute through
 * nbclient with the project's tslab kernelspec, save the executed copy even on failure,
 * and report the failing cell's real TypeScript error.
 *
 * The executor is scripts/run-notebook.py run by a Python that has nbclient (Debian's
 * /usr/bin/python3 with python3-nbclient, or a conda env); Node starts it and pipes the
 * parameterised notebook on stdin, so the notebook file itself is never written. The runner
 * saves the executed copy in a temporary folder; Node replaces the output with it (temp
 * file and rename) once the runner has finished, so an interrupted run leaves no output.
 */
import { spawnSync } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import writeFileAtomic from "write-file-atomic";
import { showValue } from "../errors.js";
import { fileKind } from "../input-file.js";
import { NotebookInputError, readNotebook, outputMimeTypes, parseNotebook, type Notebook } from "./ipynb.js";
import { injectParameters } from "./parameters.js";
import { spawnGroupLeader, stopTree } from "./runner-process.js";

/** The project root: src/notebook/ and dist/notebook/ both sit two levels below it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Directory holding the project's kernelspecs (kernels/tslab/kernel.json); goes on JUPYTER_PATH. */
export const JUPYTER_DIR = join(PROJECT_ROOT, "jupyter");
/** The project's notebooks (NN-name.ipynb). */
export const NOTEBOOKS_DIR = join(PROJECT_ROOT, "notebooks");
/** The Python runner (nbclient) that executes one notebook and writes NAME.out.ipynb. */
export const RUNNER_SCRIPT = join(PROJECT_ROOT, "scripts", "run-notebook.py");

/** Jupyter cannot run here (no Python with nbclient): says what to install. */
export class NotebookEnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotebookEnvironmentError";
  }
}

/** The options of runNotebook(); every one has a default. */
export interface RunNotebookOptions {
  /** `-p key=value` text, converted to each parameter's type. */
  parameterText?: Record<string, string>;
  /** Parameter values, checked against each parameter's type. */
  parameters?: Record<string, unknown>;
  /** Where to save the executed notebook. Default: NAME.out.ipynb beside the notebook. */
  out?: string;
  /** Seconds one cell may run, a whole number 1..MAX_NOTEBOOK_SECONDS. Default 600. */
  timeout?: number;
  /** Seconds the kernel may take to start, a whole number 1..MAX_NOTEBOOK_SECONDS. Default 60 (nbclient's). */
  startupTimeout?: number;
  /** The kernel's working directory (where relative imports resolve). Default: the notebook's directory. */
  cwd?: string;
  /** Python with nbclient. Default: findPython(). */
  python?: string;
  /** Called with the runner's stderr as it arrives (kernel noise included). */
  onStderr?: (text: string) => void;
  /**
   * Stop when this aborts (the CLI's SIGINT/SIGTERM): the runner gets the same signal (it
   * kills its kernel and exits), after RUNNER_STOP_MS (400 ms) its whole process tree, the
   * kernel included, gets SIGKILL; the temporary files go, and runNotebook rejects with the
   * abort's reason; the output notebook is left as it was. Default: none.
   */
  signal?: AbortSignal;
}

/** What runNotebook() reports about one run. */
export interface NotebookRunResult {
  /** Every cell ran without an error. */
  ok: boolean;
  /** The executed notebook's path (written even when a cell failed). */
  out: string;
  /** Whether this run wrote `out` (false only if the runner itself crashed). */
  saved: boolean;
  /** The failing cell and its error text as the kernel reported it, or null. */
  error: string | null;
  /** The overrides as injected. */
  parameters: Record<string, unknown>;
  /** Wall seconds of the whole run, kernel start included. */
  seconds: number;
  /** Seconds until the kernel answered, or null if it never did. */
  kernelStart: number | null;
  /** Each executed code cell: its index in the notebook and its wall seconds. */
  cells: { index: number; seconds: number }[];
  /** Output MIME types of the executed notebook with counts. */
  mimeTypes: Record<string, number>;
  /** Everything the runner and kernel wrote on stderr. */
  stderr: string;
}

/** Default output path: notebooks/01-tour.ipynb → notebooks/01-tour.out.ipynb. */
export function defaultOutPath(notebook: string): string {
  return join(dirname(notebook), basename(notebook).replace(/(\.out)?\.ipynb$/, "") + ".out.ipynb");
}

/** The notebooks shipped in notebooks/, sorted (NN-name.ipynb). */
export function listNotebooks(dir = NOTEBOOKS_DIR): string[] {
  return readNotebookDir(dir).map((f) => join(dir, f));
}

function readNotebookDir(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.endsWith(".out.ipynb"))
      .sort();
  } catch {
    return [];
  }
}

/**
 * A notebook given by path, file name or name without extension or number prefix
 * (`notebooks/01-tour.ipynb`, `01-tour`, `tour`, `01`): the path of an existing file, or null.
 */
export function resolveNotebook(name: string, dir = NOTEBOOKS_DIR): string | null {
  if (existsSync(name) && name.endsWith(".ipynb")) return resolve(name);
  const files = readNotebookDir(dir);
  const bare = basename(name).replace(/\.ipynb$/, "");
  const hit =
    files.find((f) => f === bare + ".ipynb") ??
    files.find((f) => f.replace(/\.ipynb$/, "").replace(/^\d\d-/, "") === bare) ??
    files.find((f) => f.startsWith(bare + "-"));
  return hit ? join(dir, hit) : null;
}

const pythonCache = new Map<string, boolean>();

function hasNbclient(python: string): boolean {
  let ok = pythonCache.get(python);
  if (ok === undefined) {
    const r = spawnSync(python, ["-c", "import nbclient, nbformat, jupyter_client"], {
      stdio: "ignore",
      timeout: 30_000,
    });
    ok = r.status === 0;
    pythonCache.set(python, ok);
  }
  return ok;
}

/**
 * A Python that can import nbclient: $PINSIM_PYTHON, else /usr/bin/python3 (Debian's
 * python3-nbclient), else `python3` on PATH (a conda env); null if none can.
 */
export function findPython(): string | null {
  const candidates = [process.env.PINSIM_PYTHON, "/usr/bin/python3", "python3"].filter((p): p is string => !!p);
  return candidates.find(hasNbclient) ?? null;
}

/** What to run to get a Python with nbclient, for error messages. */
export const SETUP_HINT =
  "run `npm run notebooks:setup` (Debian/Ubuntu: apt-get install jupyter-nbconvert jupyter-client python3-nbclient; " +
  "conda: conda env create -f environment.yml && conda activate pinsim), or set PINSIM_PYTHON to a Python with nbclient";

/** The environment for Jupyter: the project's kernelspecs first on JUPYTER_PATH. */
export function jupyterEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const rest = base.JUPYTER_PATH ? delimiter + base.JUPYTER_PATH : "";
  return { ...base, JUPYTER_PATH: JUPYTER_DIR + rest };
}

/**
 * Validate the parameters and prepare the notebook to execute, without running it. Throws
 * NotebookInputError on a missing file, a notebook without a `parameters` cell (when
 * parameters are given), an unknown parameter or a value of the wrong type.
 */
export function prepareNotebook(
  path: string,
  options: Pick<RunNotebookOptions, "parameterText" | "parameters"> = {},
): {
  notebook: Notebook;
  values: Record<string, unknown>;
} {
  const nb = readNotebook(path);
  const text = options.parameterText ?? {};
  const given = options.parameters ?? {};
  if (Object.keys(text).length === 0 && Object.keys(given).length === 0) return { notebook: nb, values: {} };
  const where = basename(path);
  const a = injectParameters(nb, text, { fromText: true, where });
  const b = injectParameters(nb, given, { fromText: false, where });
  const values = { ...b.values, ...a.values };
  return { ...injectParameters(nb, values, { fromText: false, where }), values };
}

/**
 * Check, before anything runs, that the executed notebook can be saved at `out`: its
 * directory exists and is writable, and `out` is not a directory (nbformat would fail only
 * after the last cell, with a Python traceback). Throws NotebookInputError naming `field`.
 */
export function checkOutPath(out: string, field = "--out"): void {
  const bad = (why: string): never => {
    throw new NotebookInputError(
      `invalid ${field}: ${showValue(out)} (allowed: a file in an existing, writable directory; ${why})`,
    );
  };
  const dir = dirname(out);
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    bad(
      code === "ENOTDIR"
        ? `a part of ${dir} is not a directory`
        : code === "ENOENT"
          ? `${dir} does not exist`
          : `${dir}: ${code ?? String(e)}`,
    );
  }
  if (!st!.isDirectory()) bad(`${dir} is not a directory`);
  // An existing `out` must be a regular file: saving replaces it by rename, which would turn
  // a device node (as root, --out /dev/null), a FIFO or a socket into a notebook.
  if (existsSync(out)) {
    const kind = statSync(out);
    if (!kind.isFile()) bad(`${out} is ${fileKind(kind)}`);
  }
  try {
    accessSync(existsSync(out) ? out : dir, constants.W_OK);
  } catch {
    bad(`${existsSync(out) ? out : dir} is not writable`);
  }
  // root passes access(2) on /proc and /sys, yet cannot create a file there: try one.
  const probe = join(dir, `.pinsim-probe-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    closeSync(openSync(probe, "wx"));
  } catch (e) {
    bad(`cannot create a file in ${dir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  rmSync(probe, { force: true });
}

/** The most seconds `timeout` and `startupTimeout` take: a timer's 2^31 - 1 ms, as the sweeps' --run-timeout. */
export const MAX_NOTEBOOK_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Check a number of seconds for the runner (scripts/run-notebook.py takes whole seconds:
 * 0.0001 became 1 and 1e21 crashed its argument parser).
 * @throws NotebookInputError naming `field` unless a whole number in 1..MAX_NOTEBOOK_SECONDS
 */
export function checkNotebookSeconds(value: number, field: string): number {
  if (!(Number.isInteger(value) && value >= 1 && value <= MAX_NOTEBOOK_SECONDS))
    throw new NotebookInputError(
      `invalid ${field}: ${showValue(value)} (allowed: a whole number of seconds, 1..${MAX_NOTEBOOK_SECONDS})`,
    );
  return value;
}

/**
 * Execute a notebook headlessly. Bad input (parameters, an output path that cannot be
 * written) throws NotebookInputError before anything runs; a missing Jupyter throws
 * NotebookEnvironmentError. A failing cell resolves with `ok: false` and its error text;
 * the executed copy is saved either way.
 */
export async function runNotebook(path: string, options: RunNotebookOptions = {}): Promise<NotebookRunResult> {
  options.signal?.throwIfAborted();
  const timeout = checkNotebookSeconds(options.timeout ?? 600, "timeout"),
    startupTimeout = checkNotebookSeconds(options.startupTimeout ?? 60, "startupTimeout");
  const { notebook, values } = prepareNotebook(path, options);
  const out = resolve(options.out ?? defaultOutPath(path));
  checkOutPath(out, options.out === undefined ? "output path" : "--out");
  const python = options.python ?? findPython();
  if (!python || !hasNbclient(python))
    throw new NotebookEnvironmentError(`cannot run notebooks: no Python with nbclient found; ${SETUP_HINT}`);
  const tmp = mkdtempSync(join(tmpdir(), "pinsim-nb-"));
  const report = join(tmp, "report.json");
  const executed = join(tmp, "executed.ipynb"); // the runner's copy; `out` is written from it, whole
  const args = [
    RUNNER_SCRIPT,
    "-",
    executed,
    "--cwd",
    resolve(options.cwd ?? dirname(resolve(path))),
    "--timeout",
    String(timeout),
    "--startup-timeout",
    String(startupTimeout),
    "--report",
    report,
  ];
  const t0 = performance.now();
  try {
    const { code, stderr } = await spawnRunner(python, args, notebook, options);
    const seconds = (performance.now() - t0) / 1000;
    if (code === 3) throw new NotebookEnvironmentError(`cannot run notebooks: ${stderr.trim()}; ${SETUP_HINT}`);
    const rep = existsSync(report)
      ? (JSON.parse(readFileSync(report, "utf8")) as {
          kernelStart: number | null;
          cells: { index: number; seconds: number }[];
          error: string | null;
        })
      : { kernelStart: null, cells: [], error: null };
    let mimeTypes: Record<string, number> = {};
    const saved = existsSync(executed);
    if (saved) {
      const text = readFileSync(executed, "utf8");
      writeFileAtomic.sync(out, text); // one synchronous call: no signal handler runs inside it
      mimeTypes = Object.fromEntries(outputMimeTypes(parseNotebook(text, out)));
    }
    const ok = code === 0;
    const error = ok ? null : (rep.error ?? (stderr.trim() || `the runner exited with code ${code}`));
    return {
      ok,
      out,
      saved,
      error,
      parameters: values,
      seconds,
      kernelStart: rep.kernelStart,
      cells: rep.cells,
      mimeTypes,
      stderr,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Run scripts/run-notebook.py on `notebook` (sent on stdin) and resolve with its exit code
 * and stderr (passed to onStderr as it comes). An abort of `options.signal` forwards the
 * signal pinsim got to the runner, kills its process tree after a bounded wait
 * (runner-process.ts, stopTree) and then rejects with the signal's reason.
 */
function spawnRunner(
  python: string,
  args: string[],
  notebook: Notebook,
  options: RunNotebookOptions,
): Promise<{ code: number; stderr: string }> {
  return new Promise<{ code: number; stderr: string }>((done, fail) => {
    const child = spawnGroupLeader(python, args, jupyterEnv());
    const signal = options.signal;
    const onAbort = () => {
      const name = (signal!.reason as { signal?: string } | undefined)?.signal;
      stopTree(child, name === "SIGTERM" ? "SIGTERM" : "SIGINT").then(() => fail(signal!.reason), fail);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    child.on("close", () => signal?.removeEventListener("abort", onAbort));
    let err = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      err += s;
      options.onStderr?.(s);
    });
    child.on("error", fail);
    child.on("close", (c, sig) => {
      if (!signal?.aborted) done({ code: c ?? (sig ? 128 : 1), stderr: err });
    });
    child.stdin!.on("error", () => {}); // EPIPE: a runner that died early says why on stderr
    child.stdin!.end(JSON.stringify(notebook));
  });
}
