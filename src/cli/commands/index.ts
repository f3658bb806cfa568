/**
 * The CLI's commands, one file each. A command module exports
 * `register(program, io)` which adds its subcommand to the commander program.
 */
import type { Command } from 'commander';
import type { CliIo } from '../io.js';

export type RegisterCommand = (program: Command, io: CliIo) => void;

export const COMMANDS: RegisterCommand[] = [];
