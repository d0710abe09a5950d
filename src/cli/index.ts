/**
 * The `pinsim` command line: composes the library, nothing in the library imports it.
 * Each command lives in src/cli/commands/<name>.ts and registers itself on the program.
 */
import { Command, CommanderError } from "commander";
import { ScenarioError } from "../checker/scenario.js";
import { describeFatal, ERRNO_TEXT, InterruptedError, oneLine } from "../errors.js";
import { interruptedExit, reportInterrupt, stopRequested } from "./stop.js";
import { PACKAGE_VERSION } from "../version.js";
import { EXIT } from "./errors.js";
import { registerRun } from "./commands/run.js";
import { registerPolicies } from "./commands/policies.js";
import { registerExtraCommands } from "./commands/extra.js";
import { registerKernels } from "./commands/kernels.js";

export { UsageError, EXIT } from "./errors.js";

/**
 * Make a failed write to stdout or stderr end the command with one line, never an uncaught
 * stack trace, for every command at once (bin/pinsim.js calls it before main). EPIPE (the
 * reader went away early, `pinsim kernels | head -1`) stops quietly with exit 0, as cat and
 * grep do; any other error (ENOSPC of `> /dev/full`, EIO) prints `pinsim: cannot write
 * stdout: ENOSPC (no space left on device)` and exits 2 (EXIT.BAD_INPUT: the environment
 * refused a write). Process `exit` handlers still run (scratch folders, QEMU, locks).
 */
export function guardStdio(): void {
  for (const [name, stream] of [
    ["stdout", process.stdout],
    ["stderr", process.stderr],
  ] as const) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(EXIT.OK);
      const code = e.code ?? e.message;
      if (name === "stdout")
        process.stderr.write(`pinsim: cannot write stdout: ${code} (${ERRNO_TEXT[code] ?? e.message})\n`);
      process.exit(EXIT.BAD_INPUT);
    });
  }
}

/** Build the program; every command's action resolves to an exit code stored in `state`. */
export function buildProgram(state: { code: number }): Command {
  const program = new Command("pinsim")
    .description("GUP page pins against page-cache writeback, simulated")
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .showHelpAfterError(false);
  registerRun(program, state);
  registerPolicies(program, state);
  registerExtraCommands(program, state);
  registerKernels(program, state);
  namedUnknownOptions(program);
  namedUnknownCommands(program);
  namedArgumentErrors(program);
  return program;
}

const commandName = (c: Command): string => (c.parent ? `${commandName(c.parent)} ${c.name()}` : c.name());

/**
 * An unknown command is refused in one line naming it and the commands allowed (commander's
 * own line, `error: unknown command 'frob'`, said neither), exit 2: `pinsim frob`, `pinsim
 * notebook frob`. Wraps commander's Command.unknownCommand, on every command that has
 * subcommands; the allowed list is commander's visible commands (help included).
 */
function namedUnknownCommands(cmd: Command): void {
  if (cmd.commands.length === 0) return;
  (cmd as unknown as { unknownCommand(): never }).unknownCommand = (): never => {
    const allowed = cmd
      .createHelp()
      .visibleCommands(cmd)
      .map((c) => c.name());
    return cmd.error(
      `pinsim: unknown command '${cmd.args[0]}' for ${commandName(cmd)} (allowed: ${allowed.join(", ")})`,
      { code: "commander.unknownCommand", exitCode: EXIT.BAD_INPUT },
    );
  };
  for (const sub of cmd.commands) namedUnknownCommands(sub);
}

/**
 * A missing or extra argument, or an option without its value, is refused in one line naming
 * the command, what was given and what it takes (commander's own lines, `error: too many
 * arguments for 'run'. Expected 0 arguments but got 1.`, `error: missing required argument
 * 'dirs'`, did not follow the `pinsim:` form), exit 2. Wraps commander's Command methods of
 * those errors (missingArgument, optionMissingArgument, _excessArguments) on every command.
 */
function namedArgumentErrors(cmd: Command): void {
  const fail = (message: string, code: string): never =>
    cmd.error(`pinsim: ${message}`, { code, exitCode: EXIT.BAD_INPUT });
  const usage = () => `usage: ${commandName(cmd)} ${cmd.usage()}`;
  const c = cmd as unknown as {
    missingArgument(name: string): never;
    optionMissingArgument(option: { flags: string }): never;
    _excessArguments(received: string[]): void;
    _allowExcessArguments: boolean;
    registeredArguments: readonly unknown[];
  };
  c.missingArgument = (name) =>
    fail(`missing <${name}> for ${commandName(cmd)} (${usage()})`, "commander.missingArgument");
  c.optionMissingArgument = (option) =>
    fail(`${option.flags} needs a value (for ${commandName(cmd)})`, "commander.optionMissingArgument");
  c._excessArguments = (received) => {
    if (c._allowExcessArguments) return;
    const n = c.registeredArguments.length,
      extra = received.slice(n);
    const takes = n === 0 ? "takes no arguments" : `takes ${n} argument${n === 1 ? "" : "s"}`;
    fail(
      `unexpected argument '${extra[0]}' for ${commandName(cmd)} (it ${takes}; ${usage()})`,
      "commander.excessArguments",
    );
  };
  for (const sub of cmd.commands) namedArgumentErrors(sub);
}

/**
 * An unknown option is refused in one line naming the command and the options it takes
 * (commander's own line, `error: unknown option '--at'`, said neither), exit 2. Wraps
 * commander's Command.unknownOption, which its parser calls, on every (sub)command.
 */
function namedUnknownOptions(cmd: Command): void {
  const name = commandName;
  (cmd as unknown as { unknownOption(flag: string): never }).unknownOption = (flag: string): never => {
    const allowed = cmd.options.map((o) => o.long ?? o.short).filter((f): f is string => !!f);
    const flagOnly = flag.includes("=") && allowed.includes(flag.slice(0, flag.indexOf("=")));
    if (flagOnly)
      // `--verbose=yes`: a known flag that takes no value
      return cmd.error(`pinsim: ${flag.slice(0, flag.indexOf("="))} takes no value, got '${flag}' (for ${name(cmd)})`, {
        code: "commander.unknownOption",
        exitCode: EXIT.BAD_INPUT,
      });
    return cmd.error(
      `pinsim: unknown option '${flag}' for ${name(cmd)} (allowed: ${[...allowed, "--help"].join(", ")})`,
      { code: "commander.unknownOption", exitCode: EXIT.BAD_INPUT },
    );
  };
  for (const sub of cmd.commands) namedUnknownOptions(sub);
}

/**
 * `pinsim help frob` (and `pinsim notebook help frob`): commander prints the parent's help
 * and exits 0 for a topic it does not know; refused here as an unknown command is, one line
 * naming it and the commands allowed, exit 2. Only the leading words are read: commands,
 * then `help`, then the topic.
 */
function refuseUnknownHelpTopic(program: Command, argv: string[]): void {
  let cmd = program,
    k = 2;
  for (
    let sub = cmd.commands.find((c) => c.name() === argv[k]);
    sub;
    sub = cmd.commands.find((c) => c.name() === argv[k])
  )
    (cmd = sub), k++;
  const allowed = () =>
    cmd
      .createHelp()
      .visibleCommands(cmd)
      .map((c) => c.name())
      .join(", ");
  // no command at all (bare `pinsim`, `pinsim notebook`): one line, not commander's whole usage
  if (k === argv.length && cmd.commands.length > 0)
    throw new UsageLine(`pinsim: missing <command> for ${commandName(cmd)} (allowed: ${allowed()})`);
  const topic = argv[k + 1];
  if (argv[k] !== "help" || topic === undefined || topic.startsWith("-") || cmd.commands.length === 0) return;
  if (cmd.commands.some((c) => c.name() === topic || c.aliases().includes(topic))) return;
  throw new UsageLine(`pinsim: unknown command '${topic}' for ${commandName(cmd)} help (allowed: ${allowed()})`);
}

/** A usage error already worded as its one line (printed as it is, exit 2). */
class UsageLine extends Error {}

/**
 * Run the command line; returns the exit code. The ONE catch for bad input: an InputError
 * (src/errors.ts; ParamError, ResultsError, UsageError, PlotInputError, ... extend it), a
 * scenario error, ENOSPC/EACCES/EPERM/EMFILE and friends, a dead sweep worker: one line on
 * stderr (a multi-line message collapsed), exit 2. A SIGINT or SIGTERM (InterruptedError,
 * src/cli/stop.ts): one line, exit 130 or 143. Anything else is a bug: rethrown.
 */
export async function main(argv: string[]): Promise<number> {
  const state = { code: EXIT.OK as number };
  const program = buildProgram(state);
  try {
    refuseUnknownHelpTopic(program, argv);
    await program.parseAsync(argv);
    // A signal that came after the work was done still ends the command as interrupted.
    const stopped = stopRequested();
    return stopped !== null ? interruptedExit(stopped) : state.code;
  } catch (e) {
    if (e instanceof UsageLine) {
      process.stderr.write(`${e.message}\n`);
      return EXIT.BAD_INPUT;
    }
    if (e instanceof CommanderError) {
      // Help asked for (--help, `help`) and version exit 0; a command with subcommands given
      // none (bare `pinsim`, `pinsim notebook`: commander.help, exit code 1) printed the help
      // on stderr and is a usage error, exit 2. Otherwise commander has printed its one line.
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.OK;
      if (e.code === "commander.help" && e.exitCode === 0) return EXIT.OK; // `pinsim help check`
      return EXIT.BAD_INPUT;
    }
    if (e instanceof InterruptedError) {
      // SIGINT or SIGTERM (src/cli/stop.ts): what finished is kept, the exit code says which.
      reportInterrupt(e.message);
      return interruptedExit(e.signal);
    }
    const line = e instanceof ScenarioError ? oneLine(e.message) : describeFatal(e);
    if (line !== null) {
      process.stderr.write(`pinsim: ${line}\n`);
      return EXIT.BAD_INPUT;
    }
    throw e;
  }
}
