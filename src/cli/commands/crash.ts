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

import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { dumpTarget } from '../../inspect/dump-target.js';
import { InspectSession } from '../../inspect/session.js';
import type { InspectTarget } from '../../inspect/target.js';
import { readInput } from '../../node/files.js';
import { FileSource } from '../../node/image-file.js';
import { DEFAULT_DUMP_INDEX_BYTES, loadDump } from '../../power/dump-load.js';
import type { ReadSource } from '../../power/image/source.js';
import { humanBytes } from '../../util/hex.js';
import { libProgram, runBatch, runInteractive, splitCommands } from '../crash-repl.js';
import type { CliIo } from '../io.js';
import { parseMaxMem } from '../limits.js';

export interface CrashCliOptions {
  command?: string[];
  input?: string;
  lib?: boolean;
  maxMem?: number;
}

/**
 * Turns a dump file into what the inspector reads: a regular file comes as a
 * random-access source (read as pages are read, whatever its size), anything
 * else (a pipe, a device) as its bytes, bounded by the input limit.
 */
export type CrashTargetLoader = (
  input: Uint8Array | ReadSource,
  file: string,
  opts: { maxIndexBytes?: number },
) => InspectTarget;

/** The dump file as the loader takes it. */
function openDump(file: string): Uint8Array | ReadSource {
  let regular = false;
  try {
    regular = statSync(file).isFile();
  } catch {
    /* readInput names the file and the errno */
  }
  return regular ? new FileSource(file) : readInput(file);
}

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
      .option(
        '--max-mem <size>',
        `host memory for the dump's frame and descriptor index (default ${humanBytes(DEFAULT_DUMP_INDEX_BYTES)}; frame bytes are read from the file as they are needed)`,
        parseMaxMem,
      )
      .addHelpText(
        'after',
        '\nWithout -c/-i, commands are read from stdin when it is not a terminal, else an interactive\n' +
          '`crash> ` prompt starts (history, Tab completion; `q` quits). `help` lists the commands.',
      )
      .action(async (file: string, o: CrashCliOptions) => {
        const target = loader(openDump(file), file, { maxIndexBytes: o.maxMem });
        io.exitCode = await runCrash(target, file, o, io, stdin());
      });
  };
}

/** `hiblab crash` over hiblab-dump v2 files (`hiblab run --dump`). */
export const register = registerCrash((input, file, opts) => dumpTarget(loadDump(input, file, opts), file));
