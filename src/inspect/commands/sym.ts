/**
 * `sym NAME | ADDRESS` / `sym -l`: the kernel symbol table. A name prints
 * `address (type) name`; an address prints the symbol containing it with the
 * offset (`ffffffff8b2fe476 (t) load_image_lzo+2086`), as crash does.
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import { type Command, parseArgs } from '../command.js';
import { InspectError } from '../errors.js';
import { hx } from '../mem.js';

export function symLines(km: KernelMemory, arg: string): string[] {
  const byName = km.symbol(arg);
  if (byName) return [`${hx(byName.addr).padStart(16, '0')} (${byName.section}) ${byName.name}`];
  if (!/^(0[xX])?[0-9a-fA-F]+$/.test(arg))
    throw new InspectError('NO_SYMBOL', `${arg}: symbol not found`, { prefix: 'sym' });
  const addr = BigInt(arg.toLowerCase().startsWith('0x') ? arg : `0x${arg}`);
  const hit = km.symbolAt(addr);
  if (!hit || (hit.offset > 0 && hit.offset >= Math.max(1, hit.sym.size) && hit.sym.section !== 't'))
    throw new InspectError('NO_SYMBOL', `invalid address: ${arg}`, { prefix: 'sym' });
  const { sym, offset } = hit;
  return [`${hx(addr).padStart(16, '0')} (${sym.section}) ${sym.name}${offset ? `+${offset}` : ''}`];
}

export const command: Command = {
  name: 'sym',
  summary: 'translate a symbol to its address, or an address to its symbol',
  help: [
    'sym [-l] | symbol | vaddr',
    '',
    '  Shows the address and type (d data, b bss, t text, r rodata) of a',
    '  kernel symbol, or the symbol and offset that contain an address.',
    '    -l  list every symbol, by address.',
  ],
  *run(ctx, args) {
    const a = parseArgs('sym', args, 'l');
    if (a.flags.has('l')) {
      const all = [...ctx.km.symbols].sort((x, y) => (x.addr < y.addr ? -1 : x.addr > y.addr ? 1 : 0));
      for (const s of all) yield `${hx(s.addr).padStart(16, '0')} (${s.section}) ${s.name}`;
      return;
    }
    if (a.positional.length === 0)
      throw new InspectError('USAGE', 'requires a symbol or an address', { prefix: 'sym' });
    for (const p of a.positional) yield* symLines(ctx.km, p);
  },
  lib(args) {
    const a = parseArgs('sym', args, 'l');
    if (a.flags.has('l'))
      return ['for (const s of km.symbols) console.log(s.addr.toString(16), s.section, s.name);'];
    return a.positional.map((p) => `console.log(symLines(km, ${JSON.stringify(p)}).join('\\n'));`);
  },
};
