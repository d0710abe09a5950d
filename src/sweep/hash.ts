/**
 * Canonical JSON, content hashes and per-run seeds: a run's seed depends on what it is
 * (root seed, point, replicate), never on when or where it ran.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** Hex sha256 of a string (UTF-8). */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The seed of one run: the first 4 bytes (big-endian) of
 * sha256("pinsim-seed\0" + rootSeed + "\0" + pointKey + "\0" + replicate), a uint32.
 */
export function deriveSeed(rootSeed: number, pointKey: string, replicate: number): number {
  const h = createHash("sha256").update(`pinsim-seed\0${rootSeed}\0${pointKey}\0${replicate}`, "utf8").digest();
  return h.readUInt32BE(0);
}
