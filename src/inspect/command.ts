/**
 * The shape of one inspector command (one file each in ./commands/) and the
 * argument helpers they share: crash's tokenising, its address arguments
 * (hex by default, a symbol, or an expression), and flags in any position.
 */
import type { KernelMemory } from '../machine/kernel-memory.js';
import { InspectError } from './errors.js';
import { evaluateText, scalarOf, type Value } from './expr-eval.js';
import type { Radix } from './format-value.js';
import type { InspectTarget } from './target.js';

export interface SessionState {
  /** gdb value history: history[0] is $1. */
  history: Value[];
  /** crash's output radix (`set radix`), 10 by default. */
  radix: Radix;
}

export interface CommandContext {
  readonly target: InspectTarget;
  readonly km: KernelMemory;
  readonly state: SessionState;
}

export interface Command {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for `help`. */
  readonly summary: string;
  /** `help CMD` page: SYNOPSIS and DESCRIPTION lines. */
  readonly help: readonly string[];
  /** Output lines (lazy, so `| head` and `| grep` stream over big outputs such as `kmem -p`). */
  run(ctx: CommandContext, args: string[], rest: string): Iterable<string>;
  /** TypeScript library calls that give the same answer (`--lib`), as statements using `km`. */
  lib(args: string[], rest: string): string[];
}

/** Split a command line into words as a shell would (whitespace; '…' and "…" group; \\ escapes). */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let has = false;
  let escaped = false;
  for (const c of line) {
    if (escaped) {
      cur += c;
      escaped = false;
      has = true;
    } else if (c === '\\' && quote !== "'") {
      escaped = true;
    } else if (quote) {
      if (c === quote) quote = '';
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new InspectError('BAD_QUOTE', 'unterminated quote', { prefix: 'crash' });
  if (has || cur) out.push(cur);
  return out;
}

export interface Parsed {
  flags: Set<string>;
  /** Flags with a value (`-H addr`, `-s a,b`). */
  values: Map<string, string>;
  positional: string[];
}

/**
 * getopt in crash's style: `-x` anywhere, value flags take the next word.
 * `valueFlags` lists the letters that take a value; unknown flags are errors.
 */
export function parseArgs(cmd: string, args: string[], boolFlags: string, valueFlags = ''): Parsed {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (/^-\d+$/.test(a) && boolFlags.includes(a)) {
      flags.add(a.slice(1));
      continue;
    }
    if (a.length > 1 && a[0] === '-' && !/^-\d/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        const f = a[j]!;
        if (valueFlags.includes(f)) {
          const v = j + 1 < a.length ? a.slice(j + 1) : args[++i];
          if (v === undefined) throw usage(cmd, `option requires an argument -- '${f}'`);
          values.set(f, v);
          break;
        }
        if (!boolFlags.includes(f)) throw usage(cmd, `invalid option -- '${f}'`);
        flags.add(f);
      }
      continue;
    }
    positional.push(a);
  }
  return { flags, values, positional };
}

export function usage(cmd: string, msg: string): InspectError {
  return new InspectError('USAGE', msg, { more: [`Usage: see "help ${cmd}"`] });
}

const HEX = /^(0[xX])?[0-9a-fA-F]+$/;

/**
 * An address argument as crash reads it: a symbol (its address), a hex
 * number with or without 0x, or a parenthesised/other expression (its value,
 * or the address of an aggregate).
 */
export function addressArg(ctx: CommandContext, text: string): bigint {
  const sym = ctx.km.symbol(text);
  if (sym) return sym.addr;
  if (HEX.test(text)) return BigInt(text.startsWith('0x') || text.startsWith('0X') ? text : `0x${text}`);
  const v = evaluateText({ km: ctx.km, history: ctx.state.history }, text);
  return valueAddress(ctx.km, v);
}

/** The number a value stands for as an address (aggregates: where they are). */
export function valueAddress(km: KernelMemory, v: Value): bigint {
  if ((v.type.kind === 'struct' || v.type.kind === 'array') && v.addr !== undefined) return v.addr;
  return BigInt.asUintN(64, scalarOf(km, v));
}

/** A count/decimal argument (crash: decimal unless 0x). */
export function countArg(cmd: string, text: string): number {
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) return Number(BigInt(text));
  if (/^\d+$/.test(text)) return Number(text);
  throw new InspectError('BAD_NUMBER', `invalid count: ${text}`, { prefix: cmd });
}

/** `0x…n` literal for --lib output. */
export const big = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}n`;

/** Best-effort literal for a --lib address argument (symbol → km.symbol lookup). */
export function libAddress(text: string): string {
  if (HEX.test(text)) return big(BigInt(text.startsWith('0x') || text.startsWith('0X') ? text : `0x${text}`));
  if (/^\w+$/.test(text)) return `km.symbol(${JSON.stringify(text)})!.addr`;
  return `valueAddress(km, evaluateText({ km }, ${JSON.stringify(text)}))`;
}
