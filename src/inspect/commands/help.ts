/**
 * `help [COMMAND]`: the command list in crash's column layout, or one
 * command's page (NAME, SYNOPSIS, DESCRIPTION).
 */
import type { Command } from '../command.js';
import { InspectError } from '../errors.js';

export function helpCommand(registry: () => readonly Command[]): Command {
  return {
    name: 'help',
    aliases: ['h'],
    summary: 'get help',
    help: ['help [command]', '', '  Lists the commands, or shows the help page of one.'],
    *run(_ctx, args) {
      const all = registry();
      if (args.length === 0) {
        const names = [...all.map((c) => c.name), 'q'].sort();
        const cols = 5;
        const rows = Math.ceil(names.length / cols);
        yield '';
        for (let r = 0; r < rows; r++) {
          let line = '';
          for (let c = 0; c < cols; c++) line += (names[c * rows + r] ?? '').padEnd(15);
          yield line.trimEnd();
        }
        yield '';
        yield 'hiblab crash: a crash-utility-style inspector of hiblab model dumps.';
        yield 'For help on any command above, enter "help <command>".';
        yield 'Commands pipe to grep [-E|-v|-i|-w|-c], head, tail and wc -l.';
        yield '';
        return;
      }
      for (const name of args) {
        const c = all.find((x) => x.name === name || x.aliases?.includes(name));
        if (name === 'q' || name === 'quit' || name === 'exit') {
          yield 'NAME';
          yield '  q - exit this session';
          continue;
        }
        if (!c) throw new InspectError('NO_HELP', `${name}: no help available`, { prefix: 'help' });
        yield 'NAME';
        yield `  ${c.name} - ${c.summary}`;
        yield '';
        yield 'SYNOPSIS';
        yield `  ${c.help[0]}`;
        yield '';
        yield 'DESCRIPTION';
        for (const l of c.help.slice(2)) yield l;
        if (c.aliases?.length) {
          yield '';
          yield `  Aliases: ${c.aliases.join(', ')}`;
        }
        yield '';
      }
    },
    lib() {
      return [];
    },
  };
}
