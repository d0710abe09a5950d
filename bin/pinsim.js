#!/usr/bin/env node
// The pinsim command line; the library is compiled to dist/ (npm run build).
import { main } from "../dist/cli/index.js";

// A reader that goes away early (`pinsim kernels | head`) is not an error: stop quietly,
// as cat and grep do, instead of an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
