/**
 * Builds the `hiblab` commander program. Kept apart from main.ts so tests can
 * run any command in-process with captured output.
 */
import { Command, CommanderError } from 'commander';
import { HiblabError } from '../errors.js';
import { HIBLAB_VERSION } from '../version.js';
import { loadCommands, type RegisterCommand } from './commands/index.js';
import type { CliIo } from './io.js';

export function buildProgram(io: CliIo, commands: readonly RegisterCommand[]): Command {
  const program = new Command();
  program
    .name('hiblab')
    .description(
      'An executable model of Linux x86-64 hibernation (swsusp) and the memory management under it.\n' +
        'Run `hiblab <command> --help` for the options of each command.',
    )
    .version(HIBLAB_VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  for (const register of commands) register(program, io);
  return program;
}

/** Run the CLI with `argv` (without node and script), returning the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io, await loadCommands(argv));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version exit 0; usage errors were already printed by commander.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof HiblabError) {
      io.err(`hiblab: ${e.oneLine()}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    io.err(`hiblab: internal error: ${err.stack ?? err.message}\n`);
    return 70;
  }
}
