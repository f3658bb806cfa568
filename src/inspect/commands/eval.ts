/**
 * `eval [-b] EXPRESSION`: crash's own 64-bit integer calculator (not gdb's C
 * rules: `eval 778562*4096` is be142000, no int overflow). Prints the value in
 * hexadecimal with a size suffix when it is a whole number of KB/MB/GB,
 * decimal (and the signed value when the top bit is set), octal and 64-bit
 * binary; `-b` lists the bits set. Numbers are decimal unless 0x; k/m/g
 * suffixes scale; a symbol stands for its address.
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import { type Command, parseArgs } from '../command.js';
import { InspectError } from '../errors.js';
import { type Expr, parseExpression } from '../expr-parse.js';
import { u64 } from '../mem.js';

const invalid = (text: string): InspectError =>
  new InspectError('BAD_EXPR', `invalid expression: ${text}`, { prefix: 'crash' });

/** Evaluate with unsigned 64-bit wrap-around, as crash's eval does. */
export function evalInteger(km: KernelMemory, text: string): bigint {
  let e: Expr;
  try {
    e = parseExpression(text);
  } catch {
    throw invalid(text);
  }
  const go = (x: Expr): bigint => {
    switch (x.k) {
      case 'num':
      case 'char':
        return x.v;
      case 'id': {
        const s = km.symbol(x.name);
        if (!s) throw new InspectError('NO_SYMBOL', `invalid expression: ${text}`, { prefix: 'crash' });
        return s.addr;
      }
      case 'un': {
        const v = go(x.e);
        if (x.op === '-') return u64(-v);
        if (x.op === '~') return u64(~v);
        if (x.op === '!') return v === 0n ? 1n : 0n;
        if (x.op === '+') return v;
        throw invalid(text);
      }
      case 'cond':
        return go(x.c) !== 0n ? go(x.t) : go(x.f);
      case 'bin': {
        const a = go(x.l);
        const b = go(x.r);
        switch (x.op) {
          case '+':
            return u64(a + b);
          case '-':
            return u64(a - b);
          case '*':
            return u64(a * b);
          case '/':
          case '%':
            if (b === 0n) throw new InspectError('DIV_ZERO', 'divide by zero', { prefix: 'eval' });
            return x.op === '/' ? a / b : a % b;
          case '&':
            return a & b;
          case '|':
            return a | b;
          case '^':
            return a ^ b;
          case '<<':
            return b >= 64n ? 0n : u64(a << b);
          case '>>':
            return b >= 64n ? 0n : a >> b;
          case '&&':
            return a !== 0n && b !== 0n ? 1n : 0n;
          case '||':
            return a !== 0n || b !== 0n ? 1n : 0n;
          case '==':
            return a === b ? 1n : 0n;
          case '!=':
            return a !== b ? 1n : 0n;
          case '<':
            return a < b ? 1n : 0n;
          case '>':
            return a > b ? 1n : 0n;
          case '<=':
            return a <= b ? 1n : 0n;
          case '>=':
            return a >= b ? 1n : 0n;
          default:
            throw invalid(text);
        }
      }
      default:
        throw invalid(text);
    }
  };
  return u64(go(e));
}

/** The size suffix crash appends to the hexadecimal line ("(3114248KB)"). */
export function sizeSuffix(v: bigint): string {
  if (v < 1024n) return '';
  for (const [shift, unit] of [
    [40n, 'TB'],
    [30n, 'GB'],
    [20n, 'MB'],
    [10n, 'KB'],
  ] as [bigint, string][]) {
    if (v % (1n << shift) === 0n) return `  (${v >> shift}${unit})`;
  }
  return '';
}

export function formatEval(v: bigint, bits = false): string[] {
  const signed = BigInt.asIntN(64, v);
  const lines = [
    `hexadecimal: ${v.toString(16)}${sizeSuffix(v)}`,
    `    decimal: ${v.toString()}${signed < 0n ? `  (${signed})` : ''}`,
    `      octal: ${v.toString(8)}`,
    `     binary: ${v.toString(2).padStart(64, '0')}`,
  ];
  if (bits) {
    const set: number[] = [];
    for (let i = 63; i >= 0; i--) if ((v >> BigInt(i)) & 1n) set.push(i);
    lines.push(`   bits set: ${set.join(' ')}`);
  }
  return lines;
}

export const command: Command = {
  name: 'eval',
  summary: 'evaluate an integer expression',
  help: [
    'eval [-b] (expression) | value',
    '',
    '  Evaluates an expression of 64-bit integers (+ - * / % & | ^ << >> and',
    '  parentheses; decimal unless 0x, k/m/g suffixes) and shows it in',
    '  hexadecimal, decimal, octal and binary.',
    '    -b  also list the bits set.',
    '  Example:',
    '    eval 778562*4096',
  ],
  *run(ctx, args) {
    const a = parseArgs('eval', args, 'bl');
    const text = a.positional.join(' ');
    if (!text) throw new InspectError('USAGE', 'eval: requires an expression', { bare: true });
    yield* formatEval(evalInteger(ctx.km, text), a.flags.has('b'));
  },
  lib(args) {
    const a = parseArgs('eval', args, 'bl');
    return [
      `console.log(formatEval(evalInteger(km, ${JSON.stringify(a.positional.join(' '))})).join('\\n'));`,
    ];
  },
};
