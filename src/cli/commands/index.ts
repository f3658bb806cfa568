/**
 * The CLI's commands, one file each. A command module exports
 * `register(program, io)` which adds its subcommand to the commander program.
 * Modules are imported on demand (loadCommands): `hiblab run` does not load
 * the inspector, diagnose or the hmm tests (~60 modules of start-up).
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

export type RegisterCommand = (program: Command, io: CliIo) => void;

/** Command name → its module, in the order `hiblab --help` lists them. */
const MODULES: Record<string, () => Promise<{ register: RegisterCommand }>> = {
  boot: () => import('./boot.js'),
  crash: () => import('./crash.js'),
  diagnose: () => import('./diagnose.js'),
  e820: () => import('./e820.js'),
  'hmm-tests': () => import('./hmm-tests.js'),
  image: () => import('./image.js'),
  resume: () => import('./resume.js'),
  run: () => import('./run.js'),
  scenarios: () => import('./scenarios.js'),
};

/**
 * The register functions for a command line: only its command's when argv
 * starts with a command name (commander then sees the same subcommand, its
 * options, help and errors); every command otherwise (top-level help, `help`,
 * an unknown command and its suggestions).
 */
export async function loadCommands(argv: readonly string[]): Promise<RegisterCommand[]> {
  const first = argv[0];
  const names = first !== undefined && Object.hasOwn(MODULES, first) ? [first] : Object.keys(MODULES);
  const mods = await Promise.all(names.map((n) => MODULES[n]!()));
  return mods.map((m) => m.register);
}
