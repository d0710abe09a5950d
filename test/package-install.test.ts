/**
 * `import … from "pinsim"` outside the checkout (issue 24: it resolved only inside it, by
 * self-reference): `npm pack` the package, unpack the tarball into a fresh project's
 * node_modules/pinsim as `npm install pinsim-X.tgz` would, its dependencies linked from this
 * checkout's node_modules (the test runs offline), then import the root and the subpaths
 * from there and run a simulation and the checker. Fails if `files` leaves out something
 * the compiled package imports, or `exports` does not resolve.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "pinsim-pack-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

test("npm pack: the tarball imports and runs outside the checkout", { timeout: 180_000 }, () => {
  // dist/ is built (npm test builds first): pack it as is.
  const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", TMP], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(pack.status, 0, pack.stderr);
  const [{ filename }] = JSON.parse(pack.stdout) as { filename: string }[];
  const app = join(TMP, "app");
  const nm = join(app, "node_modules");
  mkdirSync(join(nm, "pinsim"), { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module" }));
  const untar = spawnSync("tar", ["-xzf", join(TMP, filename), "-C", join(nm, "pinsim"), "--strip-components=1"]);
  assert.equal(untar.status, 0, String(untar.stderr));
  for (const name of readdirSync(join(ROOT, "node_modules"))) {
    if (name === "pinsim" || name.startsWith(".")) continue;
    symlinkSync(join(ROOT, "node_modules", name), join(nm, name));
  }
  const script = [
    'import { simulate, resolveParams } from "pinsim";',
    'import { POLICY_IDS } from "pinsim/model";',
    'import { checkConfig } from "pinsim/checker";',
    "const r = simulate({ duration: 60, files: 2, pagesPerFile: 8, pinners: 1, seed: 1 });",
    "console.log(JSON.stringify({ events: r.events, policies: POLICY_IDS.length, check: typeof checkConfig, seed: resolveParams({}).seed }));",
  ].join("\n");
  writeFileSync(join(app, "main.mjs"), script);
  const run = spawnSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const got = JSON.parse(run.stdout) as { events: number; policies: number; check: string; seed: number };
  assert.ok(got.events > 0);
  assert.equal(got.check, "function");
  assert.equal(got.seed, 1); // DEFAULT_PARAMS.seed
  // The same run from the checkout: the tarball holds the same engine.
  const here = spawnSync(
    process.execPath,
    [
      "-e",
      'import("./dist/index.js").then(({ simulate }) => console.log(simulate({ duration: 60, files: 2, pagesPerFile: 8, pinners: 1, seed: 1 }).events))',
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  assert.equal(Number(here.stdout), got.events);
});
