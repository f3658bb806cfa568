/**
 * A failed inspector command. `message` is the line crash (or its embedded
 * gdb) would print, e.g. `invalid expression: foo`, `No symbol "foo" in
 * current context.`, `invalid kernel virtual address: ffff…  type: "64-bit
 * KVADDR"`; the session prefixes it with `<command>: ` the way crash does,
 * with `crash: ` when `prefix` says so, or prints gdb's own messages bare.
 * The session catches these and keeps running, so one bad command never
 * ends a batch.
 */
import { HiblabError } from '../errors.js';

export interface InspectErrorStyle {
  /** Print without any prefix (gdb's own messages). */
  bare?: boolean;
  /** Prefix to use instead of the command name (e.g. "crash"). */
  prefix?: string;
  /** Lines crash prints after the message (HiblabError messages stay one line). */
  more?: readonly string[];
}

export class InspectError extends HiblabError {
  readonly style: InspectErrorStyle;
  constructor(code: string, message: string, style: InspectErrorStyle | boolean = {}) {
    super(code, message, {}, 1);
    this.style = typeof style === 'boolean' ? { bare: style } : style;
  }

  /** The line crash prints for this error while running `cmd`. */
  render(cmd: string): string {
    const first = this.style.bare ? this.message : `${this.style.prefix ?? cmd}: ${this.message}`;
    return [first, ...(this.style.more ?? [])].join('\n');
  }
}

/** gdb's wording for an unreadable address (p, x, struct members). */
export function cannotAccess(addr: bigint): InspectError {
  return new InspectError(
    'FAULT',
    `Cannot access memory at address 0x${BigInt.asUintN(64, addr).toString(16)}`,
    true,
  );
}

/** crash's wording for an unreadable kernel virtual address (rd, struct, list). */
export function invalidKvaddr(addr: bigint, type = '64-bit KVADDR'): InspectError {
  return new InspectError(
    'FAULT',
    `invalid kernel virtual address: ${BigInt.asUintN(64, addr).toString(16)}  type: "${type}"`,
  );
}
