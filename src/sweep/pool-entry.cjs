/**
 * The file piscina loads in each worker thread (plain CommonJS, not compiled: tsc only
 * builds .ts). piscina require()s its worker file first; on Node 20 require() of an ES
 * module can leave it half-loaded and piscina's import() fallback then fails with
 * "Unexpected status of a module that is imported again after being required". This
 * entry only ever import()s the compiled ES worker, dist/sweep/worker.js.
 */
"use strict";
const { pathToFileURL } = require("node:url");
const { join } = require("node:path");

const WORKER = pathToFileURL(join(__dirname, "..", "..", "dist", "sweep", "worker.js")).href;
let handler;

module.exports = async function runTask(task) {
  handler ??= import(WORKER).then((m) => m.default);
  return (await handler)(task);
};
