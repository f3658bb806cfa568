/**
 * Values printed the way crash's embedded gdb prints them (`set print pretty
 * on`, crash's unlimited repeat threshold — seed 000's `bits = {1, 0, 0, …}`
 * lists every element):
 *
 *   {                                   struct: one member per line, 2 spaces per level
 *     blocks = {
 *       next = 0xffff92646cb9e620,      pointers in hex (with <symbol> when they point at one)
 *       prev = 0xffff92646cb9e008
 *     },
 *     bit = 24898                       integers in the output radix (-x / -d)
 *   }
 *   {{ base = 0x0, … }, { … }}          arrays of structs: elements open inline
 *   0xffff92637d621c28 "\002"           char *: address and the string (octal escapes)
 *   (struct memory_bitmap *) 0xffff…    top-level pointers carry their type
 */
import type { KernelMemory } from '../machine/kernel-memory.js';
import { type CType, isCharType, sizeOf, typeName } from './ctype.js';
import { InspectError } from './errors.js';
import { fieldType, scalarOf, type Value } from './expr-eval.js';
import { hx, leUint, readBytes, readCString } from './mem.js';

export type Radix = 10 | 16;

export interface FormatOptions {
  radix: Radix;
  /** gdb's `print elements` (200). */
  maxElements?: number;
}

const PRINT_ELEMENTS = 200;

const ESC: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  27: '\\033',
  34: '\\"',
  92: '\\\\',
};

/** gdb's escaping of one byte inside a "…" string. */
export function escapeByte(c: number, quote = '"'): string {
  if (c === 39 && quote === "'") return "\\'";
  if (c === 34 && quote === "'") return '"';
  const e = ESC[c];
  if (e) return e;
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return `\\${c.toString(8).padStart(3, '0')}`;
}

export function quoteBytes(bytes: readonly number[]): string {
  return `"${bytes.map((c) => escapeByte(c)).join('')}"`;
}

/** `<sym>` / `<sym+off>` for an address inside a kernel symbol, as gdb's print symbol does. */
export function symbolLabel(km: KernelMemory, addr: bigint): string | undefined {
  if (addr === 0n) return undefined;
  const hit = km.symbolAt(addr);
  if (!hit) return undefined;
  const { sym, offset } = hit;
  if (offset !== 0 && offset >= Math.max(sym.size, 1)) return undefined;
  return offset === 0 ? `<${sym.name}>` : `<${sym.name}+${offset}>`;
}

function formatInt(t: Extract<CType, { kind: 'int' }>, v: bigint, radix: Radix): string {
  if (t.bool && radix === 10) return v === 0n ? 'false' : v === 1n ? 'true' : v.toString();
  if (radix === 16) return `0x${BigInt.asUintN(t.size * 8, v).toString(16)}`;
  const s = v.toString();
  if (t.char) return `${s} '${escapeByte(Number(BigInt.asUintN(8, v)), "'")}'`;
  return s;
}

function formatPointer(km: KernelMemory, t: Extract<CType, { kind: 'ptr' }>, v: bigint): string {
  const base = `0x${hx(v)}`;
  if (v === 0n) return base;
  if (isCharType(t.to)) {
    const s = readCString(km, v);
    if (s.bytes.length === 0 && !s.complete)
      return `${base} <error: Cannot access memory at address ${base}>`;
    return `${base} ${quoteBytes(s.bytes)}${s.complete ? '' : '...'}`;
  }
  // crash's gdb prints <symbol> for code pointers only (seed 000: `p &nosave_regions`
  // is `(struct list_head *) 0xffffffff8be5da50`, no <nosave_regions>).
  const label = t.to.kind === 'func' ? symbolLabel(km, v) : undefined;
  return label ? `${base} ${label}` : base;
}

function formatCharArray(km: KernelMemory, val: Value, count: number, max: number): string {
  const n = Math.min(count, max);
  const bytes = Array.from(readBytes(km, val.addr!, n));
  // gdb drops one trailing NUL of an array it printed whole.
  if (n === count && bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  return `${quoteBytes(bytes)}${n < count ? '...' : ''}`;
}

const indent = (n: number): string => '  '.repeat(n);

/** The value at nesting level `level` (0 = top of a `p`). */
export function formatValue(km: KernelMemory, val: Value, o: FormatOptions, level = 0): string {
  const t = val.type;
  const max = o.maxElements ?? PRINT_ELEMENTS;
  switch (t.kind) {
    case 'int':
      return formatInt(t, scalarOf(km, val), o.radix);
    case 'ptr':
      return formatPointer(km, t, scalarOf(km, val));
    case 'void':
      return 'void';
    case 'func': {
      const label = val.addr !== undefined ? symbolLabel(km, val.addr) : undefined;
      return `{${t.text}} 0x${hx(val.addr ?? 0n)}${label ? ` ${label}` : ''}`;
    }
    case 'array': {
      if (val.addr === undefined) throw new InspectError('BAD_VALUE', 'value has no contents', true);
      if (isCharType(t.of)) return formatCharArray(km, val, t.count, max);
      const es = sizeOf(t.of);
      const parts: string[] = [];
      const n = Math.min(t.count, max);
      for (let i = 0; i < n; i++) {
        parts.push(formatValue(km, { type: t.of, addr: val.addr + BigInt(i * es) }, o, level + 1));
      }
      return `{${parts.join(', ')}${n < t.count ? '...' : ''}}`;
    }
    case 'struct': {
      if (val.addr === undefined) throw new InspectError('BAD_VALUE', 'value has no contents', true);
      if (t.layout.fields.length === 0) return '<incomplete type>';
      // Read the whole object once so a fault names its first byte, as gdb does.
      readBytes(km, val.addr, Math.max(1, t.layout.size));
      const lines = structMembers(km, val, o, level + 1);
      return `{\n${lines.join(',\n')}\n${indent(level)}}`;
    }
  }
}

/** `name = value` lines of a struct's members at `level`. */
function structMembers(km: KernelMemory, val: Value, o: FormatOptions, level: number): string[] {
  const t = val.type as Extract<CType, { kind: 'struct' }>;
  const out: string[] = [];
  for (const f of t.layout.fields) {
    const ft = fieldType(km, f);
    const fv: Value = { type: ft, addr: val.addr! + BigInt(f.offset), bits: f.bits };
    const text = formatValue(km, fv, o, level);
    const anon = f.name === '' || f.name.startsWith('<');
    out.push(`${indent(level)}${anon ? '' : `${f.name} = `}${text}`);
  }
  return out;
}

/** A value as `p` prints it after `$N = `: top-level pointers carry `(type) `. */
export function formatTopLevel(km: KernelMemory, val: Value, o: FormatOptions): string {
  const t = val.type;
  if (t.kind === 'ptr' && !isCharType(t.to)) return `(${typeName(t)}) ${formatValue(km, val, o)}`;
  return formatValue(km, val, o);
}

/** Integer value of `size` bytes at addr (unsigned). */
export function readScalarAt(km: KernelMemory, addr: bigint, size: number): bigint {
  return leUint(readBytes(km, addr, size));
}
