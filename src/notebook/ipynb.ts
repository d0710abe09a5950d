/**
 * The parts of the Jupyter notebook format (nbformat 4) that pinsim reads and writes.
 */
import { InputError } from "../errors.js";
import { readFileSync } from "node:fs";

export interface NotebookCell {
  cell_type: "code" | "markdown" | "raw";
  id?: string;
  source: string | string[];
  metadata: { tags?: string[]; [key: string]: unknown };
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface NotebookOutput {
  output_type: "stream" | "display_data" | "execute_result" | "error" | "update_display_data";
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
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
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new NotebookInputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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
