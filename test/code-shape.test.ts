// The shape of the code (issue 19): no file in src/ over 500 lines. Function length is
// Biome's noExcessiveLinesPerFunction at level "error" (biome.json, `npm run lint` in CI).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const src = join(import.meta.dirname, "..", "src");

/** Every .ts file under dir, relative to src/. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

test("no file in src/ is over 500 lines", () => {
  const long = sources(src)
    .map((f) => [f.slice(src.length + 1), readFileSync(f, "utf8").split("\n").length - 1] as const)
    .filter(([, n]) => n > 500);
  assert.deepEqual(long, []);
});
