// The reference build engine.bench.mjs compares against: main at 5d2698e (issue 23's
// "today's main"), checked out with `git worktree add` and built with tsc, once, under the
// system's temporary directory; node_modules is a symlink to this checkout's.
import { existsSync, symlinkSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REF_COMMIT = "5d2698e";

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.stdout}`);
}

/** The reference build's dist/ directory (built on first use), or null with the reason printed. */
export function referenceDist(repo) {
  const dir = join(tmpdir(), `pinsim-${REF_COMMIT}`);
  try {
    if (!existsSync(join(dir, "package.json"))) run("git", ["worktree", "add", "--detach", dir, REF_COMMIT], repo);
    if (!existsSync(join(dir, "node_modules"))) symlinkSync(join(repo, "node_modules"), join(dir, "node_modules"));
    if (!existsSync(join(dir, "dist", "engine", "simulate.js")))
      run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], dir);
    return join(dir, "dist");
  } catch (e) {
    console.log(`reference build ${REF_COMMIT} unavailable: ${e.message.split("\n")[0]}`);
    return null;
  }
}
