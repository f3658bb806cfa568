/**
 * The CLI's commands, one file each. A command module exports
 * `register(program, io)` which adds its subcommand to the commander program.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';
import { register as boot } from './boot.js';
import { register as crash } from './crash.js';
import { register as diagnose } from './diagnose.js';
import { register as e820 } from './e820.js';
import { register as hmmTests } from './hmm-tests.js';
import { register as image } from './image.js';
import { register as resume } from './resume.js';
import { register as run } from './run.js';
import { register as scenarios } from './scenarios.js';

export type RegisterCommand = (program: Command, io: CliIo) => void;

export const COMMANDS: RegisterCommand[] = [
  boot,
  crash,
  diagnose,
  e820,
  hmmTests,
  image,
  resume,
  run,
  scenarios,
];
