/** The inspector's commands, one file each. */
import type { Command } from '../command.js';
import { command as bt } from './bt.js';
import { command as evalCmd } from './eval.js';
import { helpCommand } from './help.js';
import { command as kmem } from './kmem.js';
import { command as list } from './list.js';
import { command as log } from './log.js';
import { command as p } from './p.js';
import { command as ptov } from './ptov.js';
import { command as rd } from './rd.js';
import { structCommand, unionCommand } from './struct.js';
import { command as sym } from './sym.js';
import { command as sys } from './sys.js';
import { command as vtop } from './vtop.js';
import { command as x } from './x.js';

export const COMMANDS: readonly Command[] = [
  bt,
  evalCmd,
  helpCommand(() => COMMANDS),
  kmem,
  list,
  log,
  p,
  ptov,
  rd,
  structCommand,
  sym,
  sys,
  unionCommand,
  vtop,
  x,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}
