/**
 * The parts of the Jupyter notebook format (nbformat 4) that pinsim reads and writes.
 */
import { InputError } from "../errors.js";
import { NotRegularFileError, readRegularText } from "../input-file.js";

/** The tag of a notebook's parameters cell (papermill's convention): its declarations are the defaults. */
export const PARAMETERS_TAG = "parameters";
/** The tag of the cell a run inserts after the parameters cell with the overrides. */
export const INJECTED_TAG = "injected-parameters";

/** One cell of an nbformat 4 notebook. */
export interface NotebookCell {
  /** What the cell holds: code for the kernel, markdown, or raw text. */
  cell_type: "code" | "markdown" | "raw";
  /** The cell id (nbformat 4.5+); pinsim's notebooks name them NN-MM. */
  id?: string;
  /** The cell's text, whole or as lines each ending in "\n" (cellSource joins them). */
  source: string | string[];
  /** Cell metadata; `tags` holds `parameters` or `injected-parameters` on those cells. */
  metadata: { tags?: string[]; [key: string]: unknown };
  /** A code cell's outputs, in order (absent on markdown and raw cells). */
  outputs?: NotebookOutput[];
  /** A code cell's execution number, null before it ran. */
  execution_count?: number | null;
}

/** One output of a code cell. */
export interface NotebookOutput {
  /** Its kind: printed text, a display or the cell's value (a MIME bundle), or an error. */
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  /** A stream's name: `stdout` or `stderr`. */
  name?: string;
  /** A stream's text, whole or as lines. */
  text?: string | string[];
  /** A display's MIME bundle: MIME type -> content (text, base64 for images, JSON). */
  data?: Record<string, unknown>;
  /** An error's exception name. */
  ename?: string;
  /** An error's message. */
  evalue?: string;
}

/** An nbformat 4 notebook, as read from and written to .ipynb JSON. */
export interface Notebook {
  /** Major format version: 4. */
  nbformat: number;
  /** Minor format version (5 for cell ids). */
  nbformat_minor: number;
  /** Notebook metadata (kernelspec, language_info, …), kept as read. */
  metadata: Record<string, unknown>;
  /** The cells, in order. */
  cells: NotebookCell[];
}

/** Bad notebook input (missing file, not a notebook, bad parameters): the CLI exits 2. */
export class NotebookInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = "NotebookInputError";
  }
}

/** A cell's source as one string (nbformat allows a list of lines). */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Parse notebook JSON; throws NotebookInputError naming the file when it is not one. */
export function parseNotebook(text: string, where = "notebook"): Notebook {
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookInputError(`${where}: not valid JSON (${(e as Error).message})`);
  }
  const o = nb as Partial<Notebook> | null;
  if (!o || typeof o !== "object" || !Array.isArray(o.cells) || typeof o.nbformat !== "number")
    throw new NotebookInputError(`${where}: not a Jupyter notebook (expected an object with nbformat and cells)`);
  if (o.nbformat !== 4) throw new NotebookInputError(`${where}: nbformat ${o.nbformat} (only nbformat 4 is supported)`);
  return o as Notebook;
}

/** Read a .ipynb file; throws NotebookInputError when it cannot be read or is not a notebook. */
export function readNotebook(path: string): Notebook {
  let text: string | null;
  try {
    text = readRegularText(path); // a FIFO named x.ipynb is refused, not waited on
  } catch (e) {
    if (e instanceof NotRegularFileError) throw new NotebookInputError(e.message);
    throw new NotebookInputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text === null) throw new NotebookInputError(`${path}: cannot read (ENOENT)`);
  return parseNotebook(text, path);
}

/** Every MIME type among a notebook's outputs, with counts (tests and `notebook test` use it). */
export function outputMimeTypes(nb: Notebook): Map<string, number> {
  const seen = new Map<string, number>();
  for (const c of nb.cells) {
    for (const o of c.outputs ?? []) {
      for (const mime of Object.keys(o.data ?? {})) seen.set(mime, (seen.get(mime) ?? 0) + 1);
    }
  }
  return seen;
}
