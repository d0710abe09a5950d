/**
 * Commands beyond run and policies register here, one import and one call each.
 */
import type { Command } from "commander";
import { registerSweep } from "./sweep.js";
import { registerCheck } from "./check.js";
import { registerNotebook } from "./notebook.js";
import { registerPlot } from "./plot.js";
import { registerCalibrate } from "./calibrate.js";

/** Register the commands beyond run and policies: sweep and merge, check, notebook, plot and report, calibrate. */
export function registerExtraCommands(_program: Command, _state: { code: number }): void {
  // check, sweep, merge, plot, report, notebook: added by their modules.
  registerSweep(_program, _state);
  registerCheck(_program, _state);
  registerNotebook(_program, _state);
  registerPlot(_program, _state);
  registerCalibrate(_program, _state);
}
