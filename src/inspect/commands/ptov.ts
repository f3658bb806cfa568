/**
 * `ptov PHYSICAL…`: the direct-map (page_offset_base) address of a physical
 * address, as crash prints it (`VIRTUAL           PHYSICAL` /
 * `ffff9263fe142000  be142000`). Physical arguments are hexadecimal.
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import type { Command } from '../command.js';
import { InspectError } from '../errors.js';
import { pageOffsetBase } from '../kernel.js';
import { hx } from '../mem.js';

export function ptov(km: KernelMemory, paddr: bigint): bigint {
  return pageOffsetBase(km) + paddr;
}

function physArg(text: string): bigint {
  if (!/^(0[xX])?[0-9a-fA-F]+$/.test(text))
    throw new InspectError('BAD_ADDRESS', `invalid physical address: ${text}`, { prefix: 'ptov' });
  return BigInt(/^0x/i.test(text) ? text : `0x${text}`);
}

export function formatPtov(km: KernelMemory, paddrs: bigint[]): string[] {
  return ['VIRTUAL           PHYSICAL', ...paddrs.map((p) => `${hx(ptov(km, p)).padEnd(16)}  ${hx(p)}`)];
}

export const command: Command = {
  name: 'ptov',
  summary: 'physical to virtual',
  help: [
    'ptov address ...',
    '',
    '  Shows the kernel direct-map virtual address of each physical address (hex).',
  ],
  *run(ctx, args) {
    if (args.length === 0) throw new InspectError('USAGE', 'requires an address', { prefix: 'ptov' });
    yield* formatPtov(ctx.km, args.map(physArg));
  },
  lib(args) {
    return [
      `console.log(formatPtov(km, [${args.map((a) => `0x${a.replace(/^0x/i, '')}n`).join(', ')}]).join('\\n'));`,
    ];
  },
};
