/**
 * `hiblab crash <dump>`: a crash-utility-style inspector of a model dump.
 *   hiblab crash DUMP                     interactive `crash> ` prompt (history, Tab completion, q quits)
 *   hiblab crash DUMP -c "cmd; cmd"       run the commands, echo `crash> cmd` and the output, exit
 *   hiblab crash DUMP -i FILE             the same with one command per line of FILE
 *   … | hiblab crash DUMP                 commands on stdin when it is not a terminal
 *   hiblab crash DUMP -c "…" --lib        print the TypeScript library calls instead of running
 * Exit status: 0, or 1 when a batch command failed; a dump that does not load is a one-line
 * error (exit 2). No --json: the output is crash's text (use the library for structured data).
 */
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { dumpTarget } from '../../inspect/dump-target.js';
import { InspectSession } from '../../inspect/session.js';
import type { InspectTarget } from '../../inspect/target.js';
import { readInput } from '../../node/files.js';
import { loadDump } from '../../power/dump-load.js';
import { libProgram, runBatch, runInteractive, splitCommands } from '../crash-repl.js';
import type { CliIo } from '../io.js';

export interface CrashCliOptions {
  command?: string[];
  input?: string;
  lib?: boolean;
}

/** Turns the bytes of a dump file into what the inspector reads. */
export type CrashTargetLoader = (bytes: Uint8Array, file: string) => InspectTarget;

/** Where commands come from when neither -c nor -i is given and stdin is not a terminal. */
export interface CrashStdin {
  isTty: boolean;
  readAll(): Promise<string>;
  stream: Readable;
}

export function processStdin(): CrashStdin {
  return {
    isTty: Boolean(process.stdin.isTTY),
    stream: process.stdin,
    readAll: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export async function runCrash(
  target: InspectTarget,
  file: string,
  o: CrashCliOptions,
  io: CliIo,
  stdin: CrashStdin,
): Promise<number> {
  const session = new InspectSession(target);
  let commands: string[] | undefined;
  if (o.command?.length) commands = o.command.flatMap(splitCommands);
  else if (o.input) commands = splitCommands(new TextDecoder().decode(readInput(o.input)));
  else if (!stdin.isTty) commands = splitCommands(await stdin.readAll());
  if (o.lib) {
    if (!commands) throw new UsageError('BAD_OPTION', '--lib needs commands (-c, -i or stdin)');
    io.out(libProgram(session, commands, file));
    return 0;
  }
  if (commands) return runBatch(session, commands, io);
  return runInteractive(session, stdin.stream, process.stdout, io);
}

export function registerCrash(loader: CrashTargetLoader, stdin: () => CrashStdin = processStdin) {
  return (program: Command, io: CliIo): void => {
    program
      .command('crash')
      .description(
        'Inspect a model dump with crash-utility commands (bt, vtop, kmem, p, struct, list, x, rd, eval, …)',
      )
      .argument('<dump>', 'dump written by `hiblab run --dump`')
      .option('-c, --command <commands...>', 'run these commands (separated by ;) and exit')
      .option('-i, --input <file>', 'run the commands in FILE (one per line) and exit')
      .option('--lib', 'print the TypeScript library calls that give the same answers instead of running')
      .addHelpText(
        'after',
        '\nWithout -c/-i, commands are read from stdin when it is not a terminal, else an interactive\n' +
          '`crash> ` prompt starts (history, Tab completion; `q` quits). `help` lists the commands.',
      )
      .action(async (file: string, o: CrashCliOptions) => {
        const target = loader(readInput(file), file);
        io.exitCode = await runCrash(target, file, o, io, stdin());
      });
  };
}

/** `hiblab crash` over hiblab-dump v2 files (`hiblab run --dump`). */
export const register = registerCrash((bytes, file) => dumpTarget(loadDump(bytes, file), file));
