#!/usr/bin/env node
// The pinsim command line; the library is compiled to dist/ (npm run build).
import { stopOnSignals } from "../dist/cli/stop.js";

// SIGINT and SIGTERM stop a command from the first instant, even while the rest of the
// program loads: exit 130 / 143 (src/cli/stop.ts).
stopOnSignals();

// A reader that goes away early (`pinsim kernels | head`) is not an error: stop quietly,
// as cat and grep do, instead of an unhandled EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}

const { main } = await import("../dist/cli/index.js");
process.exitCode = await main(process.argv);
