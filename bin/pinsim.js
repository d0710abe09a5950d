#!/usr/bin/env node
// The pinsim command line; the library is compiled to dist/ (npm run build).
import { main } from "../dist/cli/index.js";

main(process.argv).then((code) => {
  process.exitCode = code;
});
