/**
 * `rd [-p] [-8|-16|-32|-64] [-d|-D|-x|-a] ADDRESS|SYMBOL [COUNT]`: crash's
 * memory display. Per line the 16-digit address, `:  `, the values
 * (64-bit: 2 per line, 32: 4, 16: 8, 8: 16) each followed by a space, and
 * with hexadecimal output the ASCII rendering after two more spaces.
 * `-p` reads physical memory; `-a` prints a string.
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import { addressArg, type Command, countArg, libAddress, parseArgs } from '../command.js';
import { InspectError, invalidKvaddr } from '../errors.js';
import { hx, leUint, readBytes, readPhysBytes } from '../mem.js';

export interface RdOptions {
  physical: boolean;
  size: 1 | 2 | 4 | 8;
  fmt: 'x' | 'd' | 'D';
  ascii: boolean;
}

function read(km: KernelMemory, addr: bigint, len: number, physical: boolean): Uint8Array {
  if (physical) return readPhysBytes(km, addr, len);
  try {
    return readBytes(km, addr, len);
  } catch {
    throw invalidKvaddr(addr);
  }
}

export function rdLines(km: KernelMemory, addr: bigint, count: number, o: RdOptions): string[] {
  if (count > 1 << 20) throw new InspectError('BAD_COUNT', `count too large: ${count}`, { prefix: 'rd' });
  const perLine = 16 / o.size;
  const out: string[] = [];
  for (let i = 0; i < count; i += perLine) {
    const at = addr + BigInt(i * o.size);
    const n = Math.min(perLine, count - i);
    const bytes = read(km, at, n * o.size, o.physical);
    let line = `${hx(at).padStart(16, '0')}:  `;
    for (let j = 0; j < n; j++) {
      const v = leUint(bytes, j * o.size, o.size);
      if (o.fmt === 'x') line += `${v.toString(16).padStart(o.size * 2, '0')} `;
      else if (o.fmt === 'd')
        line += `${BigInt.asIntN(o.size * 8, v)
          .toString()
          .padStart(o.size * 2 + 4)} `;
      else line += `${v.toString().padStart(o.size * 2 + 4)} `;
    }
    if (o.ascii && o.fmt === 'x') {
      const pad = (perLine - n) * (o.size * 2 + 1);
      line += `${' '.repeat(pad)}  ${Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')}`;
    }
    out.push(o.ascii && o.fmt === 'x' ? line : line.trimEnd());
  }
  return out;
}

function options(args: string[]) {
  const a = parseArgs('rd', args, 'pdDxaNs-8-16-32-64', '');
  const size = a.flags.has('8') ? 1 : a.flags.has('16') ? 2 : a.flags.has('32') ? 4 : 8;
  const fmt: RdOptions['fmt'] = a.flags.has('d') ? 'd' : a.flags.has('D') ? 'D' : 'x';
  return { a, o: { physical: a.flags.has('p'), size, fmt, ascii: !a.flags.has('x') } as RdOptions };
}

export const command: Command = {
  name: 'rd',
  summary: 'read memory',
  help: [
    'rd [-p] [-8|-16|-32|-64] [-d|-D|-x|-a] [address | symbol] [count]',
    '',
    '  Displays memory as 64-bit words (default) with their ASCII rendering.',
    '    -p  the address is physical.',
    '    -8 -16 -32 -64  unit size in bits.',
    '    -d / -D  signed / unsigned decimal.   -x  no ASCII column.',
    '    -a  print the ASCII string at the address.',
    '    count  number of units (decimal), default 1.',
  ],
  *run(ctx, args) {
    const { a, o } = options(args);
    const [addrText, countText] = a.positional;
    if (!addrText) throw new InspectError('USAGE', 'requires an address', { prefix: 'rd' });
    const addr = o.physical
      ? BigInt(/^0x/i.test(addrText) ? addrText : `0x${addrText}`)
      : addressArg(ctx, addrText);
    if (a.flags.has('a')) {
      const bytes: number[] = [];
      for (let p = addr; bytes.length < 4096; p++) {
        const b = read(ctx.km, p, 1, o.physical)[0]!;
        if (b === 0) break;
        bytes.push(b);
      }
      yield `${hx(addr).padStart(16, '0')}:  ${String.fromCharCode(...bytes)}`;
      return;
    }
    yield* rdLines(ctx.km, addr, countText ? countArg('rd', countText) : 1, o);
  },
  lib(args) {
    const { a, o } = options(args);
    const [addrText = '0', countText] = a.positional;
    return [
      `console.log(rdLines(km, ${libAddress(addrText)}, ${countText ?? 1}, ${JSON.stringify(o)}).join('\\n'));`,
    ];
  },
};
