/**
 * `p [-x|-d] EXPRESSION` (also `print`, `p/x`): gdb's print inside crash.
 * A lone symbol prints as `name = $N = value`, anything else as `$N = value`
 * (seed 000: `orig_bm = $110 = {`, `$119 = 778562`); each result enters the
 * value history ($N).
 */
import type { Command, CommandContext } from '../command.js';
import { InspectError } from '../errors.js';
import { evaluate, parseIn } from '../expr-eval.js';
import { isBareSymbol } from '../expr-parse.js';
import { formatTopLevel, type Radix } from '../format-value.js';

/** Split leading/trailing -x/-d/-u words off an expression line. */
export function splitRadixFlags(rest: string, radix: Radix): { expr: string; radix: Radix } {
  const words = rest.trim().split(/\s+/).filter(Boolean);
  let r = radix;
  const isFlag = (w: string | undefined): boolean => w === '-x' || w === '-d' || w === '-u';
  const apply = (w: string): void => {
    r = w === '-x' ? 16 : 10;
  };
  let text = rest.trim();
  for (;;) {
    const first = words[0];
    if (!isFlag(first)) break;
    apply(first!);
    words.shift();
    text = text.slice(text.indexOf(first!) + first!.length).trim();
  }
  for (;;) {
    const last = words[words.length - 1];
    if (!isFlag(last) || words.length < 2) break;
    apply(last!);
    words.pop();
    text = text.slice(0, text.lastIndexOf(last!)).trim();
  }
  return { expr: text, radix: r };
}

export function printExpression(ctx: CommandContext, text: string, radix: Radix): string[] {
  const e = parseIn(ctx.km, text);
  const v = evaluate({ km: ctx.km, history: ctx.state.history }, e);
  const body = formatTopLevel(ctx.km, v, { radix });
  ctx.state.history.push(v);
  const n = ctx.state.history.length;
  const prefix = isBareSymbol(e) ? `${e.name} = ` : '';
  return `${prefix}$${n} = ${body}`.split('\n');
}

export const command: Command = {
  name: 'p',
  aliases: ['print'],
  summary: 'print the value of an expression',
  help: [
    'p [-x|-d] expression',
    '',
    '  Prints the value of a C expression the way gdb does: globals, .member,',
    '  ->member, *ptr, &sym, a[i], casts such as (struct page *) or (char *),',
    '  pointer arithmetic in units of the pointee, and $N history values.',
    '    -x  print integers in hexadecimal.',
    '    -d  print integers in decimal.',
    '  Examples:',
    '    p nr_copy_pages',
    '    p orig_bm.cur.block.start_pfn+orig_bm.cur.bit-1',
    '    p ((struct page *)vmemmap_base)+0xbe142',
  ],
  *run(ctx, _args, rest) {
    const { expr, radix } = splitRadixFlags(rest, ctx.state.radix);
    if (!expr) throw new InspectError('USAGE', 'The history is empty.', true);
    try {
      yield* printExpression(ctx, expr, radix);
    } catch (e) {
      if (e instanceof InspectError && e.style.bare)
        throw new InspectError(e.code, e.message, {
          bare: true,
          // gdb's own continuation lines first, then crash's.
          more: [...(e.style.more ?? []), `p: gdb request failed: p ${expr}`],
        });
      throw e;
    }
  },
  lib(_args, rest) {
    const { expr, radix } = splitRadixFlags(rest, 10);
    return [
      `const v = evaluateText({ km }, ${JSON.stringify(expr)});`,
      `console.log(formatTopLevel(km, v, { radix: ${radix} }));`,
    ];
  },
};
