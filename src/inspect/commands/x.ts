/**
 * `x/NFU EXPRESSION`: gdb's examine, which crash passes through. N units of
 * U = b(1) h(2) w(4) g(8) bytes in format F = x (zero-padded hex), d, u, o,
 * t (binary), c, a (address <symbol>), s (string); gdb's units per line
 * (8 b/h, 4 w, 2 g) and its `ADDR <sym+off>:<TAB>v<TAB>v` layout
 * (seed 000: `0xffff92637d621c28:     0x02`).
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import { type Command, valueAddress } from '../command.js';
import { InspectError } from '../errors.js';
import { evaluateText } from '../expr-eval.js';
import { escapeByte, quoteBytes, symbolLabel } from '../format-value.js';
import { hx, leUint, readBytes, readCString } from '../mem.js';

export interface XFormat {
  count: number;
  fmt: string;
  size: number;
}

const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, g: 8 };

export function parseXFormat(spec: string): XFormat {
  const m = /^\/(\d*)([xduotacsfi]?)([bhwg]?)([xduotacsfi]?)$/.exec(spec);
  if (!m) throw new InspectError('BAD_FORMAT', `Invalid number "${spec.slice(1)}".`, true);
  const fmt = m[2] || m[4] || 'x';
  if (fmt === 'i' || fmt === 'f')
    throw new InspectError('BAD_FORMAT', `x/${fmt}: format not supported by the model inspector`, {
      prefix: 'x',
    });
  const size = m[3] ? SIZES[m[3]]! : fmt === 'c' ? 1 : fmt === 'a' ? 8 : 4;
  return { count: m[1] ? Number(m[1]) : 1, fmt, size };
}

function label(km: KernelMemory, addr: bigint): string {
  const l = symbolLabel(km, addr);
  return `0x${hx(addr)}${l ? ` ${l}` : ''}:`;
}

function formatUnit(km: KernelMemory, v: bigint, f: XFormat): string {
  const bits = f.size * 8;
  switch (f.fmt) {
    case 'x':
      return `0x${v.toString(16).padStart(f.size * 2, '0')}`;
    case 'd':
      return BigInt.asIntN(bits, v).toString();
    case 'u':
      return v.toString();
    case 'o':
      return v === 0n ? '0' : `0${v.toString(8)}`;
    case 't':
      return v.toString(2).padStart(bits, '0');
    case 'c':
      return `${BigInt.asIntN(8, v)} '${escapeByte(Number(v & 0xffn), "'")}'`;
    case 'a': {
      const l = symbolLabel(km, v);
      return `0x${hx(v)}${l ? ` ${l}` : ''}`;
    }
    default:
      return v.toString(16);
  }
}

export function examine(km: KernelMemory, addr: bigint, f: XFormat): string[] {
  const out: string[] = [];
  if (f.count > 65536) throw new InspectError('BAD_COUNT', `count too large: ${f.count}`, { prefix: 'x' });
  if (f.fmt === 's') {
    let a = addr;
    for (let i = 0; i < f.count; i++) {
      const s = readCString(km, a);
      if (s.bytes.length === 0 && !s.complete)
        throw new InspectError('FAULT', `Cannot access memory at address 0x${hx(a)}`, true);
      out.push(`${label(km, a)}\t${quoteBytes(s.bytes)}${s.complete ? '' : '...'}`);
      a += BigInt(s.bytes.length + 1);
    }
    return out;
  }
  const perLine = f.fmt === 'c' ? 8 : f.size === 8 ? 2 : f.size === 4 ? 4 : 8;
  for (let i = 0; i < f.count; i += perLine) {
    const at = addr + BigInt(i * f.size);
    const n = Math.min(perLine, f.count - i);
    const bytes = readBytes(km, at, n * f.size);
    const units: string[] = [];
    for (let j = 0; j < n; j++) units.push(formatUnit(km, leUint(bytes, j * f.size, f.size), f));
    out.push(`${label(km, at)}\t${units.join('\t')}`);
  }
  return out;
}

export const command: Command = {
  name: 'x',
  summary: 'examine memory (gdb x/NFU)',
  help: [
    'x/NFU expression',
    '',
    "  gdb's examine: N units of size U (b, h, w, g) in format F (x hex, d, u,",
    '  o octal, t binary, c char, a address, s string) starting at the address',
    '  the expression gives.',
    '  Example:',
    '    x/1xb 0xffff92637d621c28',
  ],
  *run(ctx, args, rest) {
    let spec = '/1xw';
    let text = rest.trim();
    if (args[0]?.startsWith('/')) {
      spec = args[0];
      text = text.slice(text.indexOf(args[0]) + args[0].length).trim();
    }
    const f = parseXFormat(spec);
    if (!text) throw new InspectError('USAGE', 'Argument required (starting display address).', true);
    const v = evaluateText({ km: ctx.km, history: ctx.state.history }, text);
    yield* examine(ctx.km, valueAddress(ctx.km, v), f);
  },
  lib(args, rest) {
    const spec = args[0]?.startsWith('/') ? args[0] : '/1xw';
    const text = args[0]?.startsWith('/')
      ? rest
          .trim()
          .slice(rest.trim().indexOf(spec) + spec.length)
          .trim()
      : rest.trim();
    return [
      `const addr = valueAddress(km, evaluateText({ km }, ${JSON.stringify(text)}));`,
      `console.log(examine(km, addr, parseXFormat(${JSON.stringify(spec)})).join('\\n'));`,
    ];
  },
};
