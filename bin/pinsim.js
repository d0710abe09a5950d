#!/usr/bin/env node
// The pinsim command line; the library is compiled to dist/ (npm run build).
import { stopOnSignals } from "../dist/cli/stop.js";

// SIGINT and SIGTERM stop a command from the first instant, even while the rest of the
// program loads: exit 130 / 143 (src/cli/stop.ts).
stopOnSignals();

// A failed write to stdout/stderr ends with one line, never a stack trace; a reader that goes
// away early (`pinsim kernels | head`) stops quietly, as cat and grep do (src/cli/index.ts).
const { guardStdio, main } = await import("../dist/cli/index.js");
guardStdio();
process.exitCode = await main(process.argv);
