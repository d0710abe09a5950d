// npm run bench: runs every bench/*.bench.mjs in turn; each prints its own figures.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";

const here = new URL(".", import.meta.url).pathname;
const only = process.argv.slice(2);
for (const f of readdirSync(here)
  .filter((f) => f.endsWith(".bench.mjs"))
  .sort()) {
  if (only.length && !only.some((o) => f.includes(o))) continue;
  console.log(`\n== ${f}`);
  const r = spawnSync(process.execPath, ["--expose-gc", here + f], { stdio: "inherit" });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
