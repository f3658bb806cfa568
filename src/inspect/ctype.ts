/**
 * C types as the inspector sees them, parsed from the spellings the struct
 * tables and symbol table use (src/profiles/struct-layout.ts): "unsigned long",
 * "struct bm_block *", "char [16]", "struct pglist_data *[1024]",
 * "void (*)(void)". gdb prints values by type, so every printing and
 * arithmetic decision in the inspector starts here.
 */
import type { StructLayout, StructTable } from '../profiles/struct-layout.js';
import { InspectError } from './errors.js';

export type CType =
  | {
      readonly kind: 'int';
      readonly name: string;
      readonly size: number;
      readonly signed: boolean;
      readonly char?: boolean;
      readonly bool?: boolean;
    }
  | { readonly kind: 'void' }
  | { readonly kind: 'func'; readonly text: string }
  | { readonly kind: 'ptr'; readonly to: CType }
  | { readonly kind: 'array'; readonly of: CType; readonly count: number }
  | {
      readonly kind: 'struct';
      readonly name: string;
      readonly union: boolean;
      readonly layout: StructLayout;
    };

const int = (
  name: string,
  size: number,
  signed: boolean,
  extra: { char?: boolean; bool?: boolean } = {},
): CType => ({
  kind: 'int',
  name,
  size,
  signed,
  ...extra,
});

export const T_INT = int('int', 4, true);
export const T_LONG = int('long', 8, true);
export const T_ULONG = int('unsigned long', 8, false);
export const T_CHAR = int('char', 1, true, { char: true });
export const T_VOID: CType = { kind: 'void' };

/** Scalar spellings (and the kernel's scalar typedefs) with size and signedness (x86-64 LP64). */
const SCALARS: Record<string, CType> = {};
for (const [names, size, signed] of [
  [['char', 'signed char'], 1, true],
  [['unsigned char', 'u8', '__u8', 'uint8_t'], 1, false],
  [['s8', '__s8', 'int8_t'], 1, true],
  [['short', 'short int', 'signed short', 's16', '__s16', 'int16_t'], 2, true],
  [['unsigned short', 'unsigned short int', 'u16', '__u16', 'uint16_t', '__le16'], 2, false],
  [['int', 'signed int', 'signed', 's32', '__s32', 'int32_t', 'pid_t'], 4, true],
  [['unsigned int', 'unsigned', 'u32', '__u32', 'uint32_t', 'gfp_t', '__le32', 'fmode_t'], 4, false],
  [
    [
      'long',
      'long int',
      'signed long',
      'long long',
      'long long int',
      's64',
      '__s64',
      'int64_t',
      'ssize_t',
      'loff_t',
      'time64_t',
    ],
    8,
    true,
  ],
  [
    [
      'unsigned long',
      'unsigned long int',
      'long unsigned int',
      'unsigned long long',
      'long long unsigned int',
      'u64',
      '__u64',
      'uint64_t',
      'size_t',
      'pgoff_t',
      'sector_t',
      'blkcnt_t',
      'phys_addr_t',
      'dma_addr_t',
      'resource_size_t',
      'pteval_t',
      'pmdval_t',
      'pudval_t',
      'p4dval_t',
      'pgdval_t',
      'pgprotval_t',
      'uintptr_t',
      '__le64',
    ],
    8,
    false,
  ],
] as [string[], number, boolean][]) {
  for (const n of names) SCALARS[n] = int(n, size, signed, { char: size === 1 && /char/.test(n) });
}
SCALARS._Bool = int('_Bool', 1, false, { bool: true });
SCALARS.bool = int('bool', 1, false, { bool: true });

/**
 * Parse a C type spelling. `size` (the member's size in its struct) decides
 * unknown scalar typedefs ("atomic_t" when the table has no layout for it):
 * they are unsigned integers of that size, which is how crash shows them
 * when gdb lacks the type.
 */
export function parseType(text: string, table: StructTable, size?: number): CType {
  let t = text.trim().replace(/\s+/g, ' ');
  // Function pointer: "ret (*)(args)" or "ret (*[N])(args)".
  const fp = /^(.*)\(\*(\[\d+\])?\)\s*\((.*)\)$/.exec(t);
  if (fp) {
    const ptr: CType = { kind: 'ptr', to: { kind: 'func', text: t } };
    if (fp[2]) return { kind: 'array', of: ptr, count: Number(fp[2].slice(1, -1)) };
    return ptr;
  }
  // Pointer to array: "T (*)[N]".
  const pa = /^(.*)\(\*\)\s*\[(\d+)\]$/.exec(t);
  if (pa) return { kind: 'ptr', to: { kind: 'array', of: parseType(pa[1]!, table), count: Number(pa[2]) } };
  const dims: number[] = [];
  for (let m = /\[(\d*)\]$/.exec(t); m; m = /\[(\d*)\]$/.exec(t)) {
    dims.unshift(m[1] === '' ? 0 : Number(m[1]));
    t = t.slice(0, m.index).trim();
  }
  t = t.replace(/\b(const|volatile|__rcu|__percpu|__iomem|__user|__attribute__\(\(.*?\)\))\s*/g, '').trim();
  let stars = 0;
  while (t.endsWith('*')) {
    stars++;
    t = t.slice(0, -1).trim();
  }
  const elemSize = size !== undefined && dims.length ? size / dims.reduce((a, b) => a * (b || 1), 1) : size;
  let base = baseType(t, table, stars > 0 ? undefined : elemSize, stars > 0);
  for (let i = 0; i < stars; i++) base = { kind: 'ptr', to: base };
  for (let i = dims.length - 1; i >= 0; i--) base = { kind: 'array', of: base, count: dims[i]! };
  return base;
}

/** `opaque`: behind a pointer an undescribed struct is fine (gdb: an incomplete type). */
function baseType(t: string, table: StructTable, size?: number, opaque = false): CType {
  if (t === 'void') return T_VOID;
  const su = /^(struct|union) (\w+)$/.exec(t);
  if (su) {
    const layout = table.structs.get(su[2]!);
    if (!layout) {
      if (size !== undefined) return int(t, size, false);
      if (opaque)
        return {
          kind: 'struct',
          name: su[2]!,
          union: su[1] === 'union',
          layout: { name: su[2]!, kind: su[1] as 'struct' | 'union', size: 0, fields: [] },
        };
      throw new InspectError('NO_TYPE', `No struct type named ${su[2]}.`, true);
    }
    return { kind: 'struct', name: su[2]!, union: su[1] === 'union', layout };
  }
  if (/^enum \w+$/.test(t)) return int(t, size ?? 4, false);
  const scalar = SCALARS[t];
  if (scalar) return scalar;
  // A typedef of a struct the table describes (nodemask_t, atomic_t, spinlock_t…).
  const layout = table.structs.get(t);
  if (layout) return { kind: 'struct', name: t, union: layout.kind === 'union', layout };
  if (size !== undefined) return int(t, size, false);
  throw new InspectError('NO_TYPE', `No symbol "${t}" in current context.`);
}

export function sizeOf(t: CType): number {
  switch (t.kind) {
    case 'int':
      return t.size;
    case 'ptr':
      return 8;
    case 'array':
      return t.count * sizeOf(t.of);
    case 'struct':
      return t.layout.size;
    default:
      return 1; // gdb: sizeof(void) == 1, arithmetic on void * steps bytes
  }
}

/** Name of a struct type as gdb spells it ("struct page", or a typedef name). */
function structName(t: Extract<CType, { kind: 'struct' }>): string {
  return t.layout.name === t.name && /_t$/.test(t.name)
    ? t.name
    : `${t.union ? 'union' : 'struct'} ${t.name}`;
}

/**
 * A declaration of `name` with type `t`, as gdb's ptype and crash's
 * `struct -o` print it: "unsigned long *data", "struct zone node_zones[4]",
 * "struct pglist_data *node_data[1024]". An empty name gives the type name.
 */
export function declare(t: CType, name: string): string {
  let suffix = '';
  let prefix = '';
  let cur = t;
  for (;;) {
    if (cur.kind === 'array') {
      suffix += `[${cur.count}]`;
      cur = cur.of;
    } else if (cur.kind === 'ptr' && cur.to.kind === 'array') {
      // pointer to array: T (*name)[N]
      return declare(cur.to.of, `(*${prefix}${name})${suffix}[${cur.to.count}]`);
    } else if (cur.kind === 'ptr') {
      prefix += '*';
      cur = cur.to;
    } else break;
  }
  const base =
    cur.kind === 'int'
      ? cur.name
      : cur.kind === 'void'
        ? 'void'
        : cur.kind === 'func'
          ? cur.text
          : structName(cur);
  if (cur.kind === 'func') return cur.text.replace('(*)', `(${prefix.slice(1)}*${name}${suffix})`);
  const decl = `${prefix}${name}${suffix}`;
  return decl ? `${base} ${decl}` : base;
}

/** Type name as gdb prints it in `(type) value` ("struct page *", "char *", "struct pglist_data *(*)[1024]"). */
export function typeName(t: CType): string {
  if (t.kind === 'func') return t.text;
  if (t.kind === 'ptr' && t.to.kind === 'func') return t.to.text;
  if (t.kind === 'ptr' && t.to.kind === 'array') return `${typeName(t.to.of)} (*)[${t.to.count}]`;
  if (t.kind === 'array') return `${typeName(t.of)} [${t.count}]`;
  return declare(t, '');
}

export const isScalar = (t: CType): boolean => t.kind === 'int' || t.kind === 'ptr';
export const isCharType = (t: CType): boolean => t.kind === 'int' && t.char === true;
