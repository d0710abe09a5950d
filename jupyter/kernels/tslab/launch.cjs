// Starts the project's tslab kernel without npx (which costs ~0.5 s of kernel start).
// Looks for node_modules/tslab from the kernel's cwd (the notebook's directory) upwards,
// as npx would, then beside this kernelspec (jupyter/kernels/tslab → the project root).
// Usage (kernel.json): node {resource_dir}/launch.cjs {connection_file}
"use strict";
const path = require("path");
const candidates = [process.cwd(), path.join(__dirname, "..", "..", "..")];
let main = null;
for (const from of candidates) {
  try {
    main = require.resolve("tslab/dist/main.js", { paths: [from] });
    break;
  } catch {
    // try the next place
  }
}
if (!main) {
  process.stderr.write("tslab kernel: node_modules/tslab not found from " + candidates.join(" or ") + "; run npm ci in the pinsim checkout\n");
  process.exit(1);
}
// Notebooks import the package by its name (`import { simulate } from "pinsim"`). Node
// resolves that by self-reference (package.json "exports"), but tslab type-checks with
// TypeScript's node10 resolution, which only looks in node_modules/: give it
// node_modules/pinsim -> the project root (idempotent; a read-only install just skips it).
const root = path.resolve(main, "..", "..", "..", "..");
try {
  const pkg = require(path.join(root, "package.json"));
  const link = path.join(root, "node_modules", "pinsim");
  if (pkg.name === "pinsim" && !require("fs").existsSync(path.join(link, "package.json"))) require("fs").symlinkSync("..", link, "dir");
} catch {
  // not a pinsim checkout (pinsim installed as a dependency resolves by itself)
}
process.argv = [process.argv[0], "tslab", "kernel", "--config-path", process.argv[2]];
require(main).main();
