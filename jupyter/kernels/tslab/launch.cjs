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
process.argv = [process.argv[0], "tslab", "kernel", "--config-path", process.argv[2]];
require(main).main();
