/**
 * The bridge to a running tslab kernel, found lazily so the library loads anywhere.
 *
 * tslab keeps the current cell's display writer in `tslab/dist/jupyter.js`
 * (`lastWriteDisplayData`); writing through it sends a whole MIME bundle (SVG with a text
 * fallback) in one display_data message, which the public `tslab.display.raw` cannot (one
 * type per call). We only use a copy the kernel has already loaded (the CommonJS module
 * cache), so outside a kernel nothing of tslab is loaded.
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A MIME bundle: type → data (text, or base64 for binary types), as Jupyter displays it. */
export type MimeBundle = Record<string, string>;

interface TslabJupyter {
  lastWriteDisplayData:
    | ((data: { data: MimeBundle; metadata: object; transient: { display_id?: string } }, update: boolean) => void)
    | null;
}

function loadedTslab(): TslabJupyter | null {
  let path: string | null = null;
  try {
    path = require.resolve("tslab/dist/jupyter.js");
  } catch {
    // no tslab beside us: look for any tslab the process has loaded
  }
  const hit =
    (path && require.cache[path]) || Object.values(require.cache).find((m) => m?.id.endsWith("/tslab/dist/jupyter.js"));
  const mod = hit?.exports as TslabJupyter | undefined;
  return mod && typeof mod.lastWriteDisplayData === "function" ? mod : null;
}

/** True inside a tslab kernel that is executing a cell. */
export function inTslabKernel(): boolean {
  return loadedTslab() !== null;
}

/** A fresh display id for a display that later updates in place. */
export function newDisplayId(): string {
  return randomBytes(8).toString("hex");
}

/**
 * Send a MIME bundle to the kernel's current cell. With `displayId`, a later call with
 * `update: true` replaces it in place (update_display_data). Returns false outside a kernel.
 */
export function emitBundle(bundle: MimeBundle, options: { displayId?: string; update?: boolean } = {}): boolean {
  const k = loadedTslab();
  if (!k?.lastWriteDisplayData) return false;
  k.lastWriteDisplayData(
    { data: bundle, metadata: {}, transient: options.displayId ? { display_id: options.displayId } : {} },
    !!options.update,
  );
  return true;
}
