/**
 * `log` / `dmesg`: the dumped kernel's message buffer, one console line each
 * with its printk timestamp, as crash's `log` prints it; filter with
 * `| grep` as in seed 000 (`dmesg | grep BIOS-e820 | grep 'ACPI'`).
 */
import { type Command, parseArgs } from '../command.js';
import { InspectError } from '../errors.js';

export const command: Command = {
  name: 'log',
  aliases: ['dmesg'],
  summary: 'dump the kernel message buffer',
  help: ['log', '', '  Shows the kernel log of the dumped kernel (alias: dmesg).'],
  *run(ctx, args) {
    parseArgs('log', args, 'tdmTsca');
    const log = ctx.target.log;
    if (!log) throw new InspectError('NO_LOG', 'no kernel log in this dump', { prefix: 'log' });
    yield* log;
  },
  lib() {
    return ["console.log(target.log!.join('\\n'));"];
  },
};
