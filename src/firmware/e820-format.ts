/**
 * Kernel-style e820 text: the lines e820__print_table() / e820_print_map(),
 * __e820__range_update() and e820__range_remove() print, and the reverse map
 * from a printed type name to the type value.
 */
import { flat } from '../util/flat.js';
import { hexRaw } from '../util/hex.js';
import { E820_TYPE, type E820Entry, type E820TypeValue, e820End, e820TypeNameFor } from './e820-types.js';

/** `%#018Lx`: 0x + 16 digits (e820__print_table). */
export function hex018(v: bigint): string {
  return `0x${hexRaw(v, 16)}`;
}

/** `%#010Lx`: 0x + at least 8 digits (the "e820: update/remove" lines). */
export function hex010(v: bigint): string {
  return `0x${hexRaw(v, 8)}`;
}

/**
 * One table line as e820__print_table(who) prints it (6.x; 3.10 e820_print_map
 * prints the same): `BIOS-e820: [mem 0x…-0x…] usable` (inclusive end).
 * `knownTypes` (from the kernel profile) turns types that kernel does not know into "type N".
 */
export function formatE820Line(e: E820Entry, prefix = 'BIOS-e820', knownTypes?: readonly number[]): string {
  return flat(
    `${prefix}: [mem ${hex018(e.addr)}-${hex018(e820End(e))}] ${e820TypeNameFor(e.type, knownTypes)}`,
  );
}

/** `e820: update [mem %#010Lx-%#010Lx] old ==> new` (__e820__range_update). */
export function formatUpdateLine(
  start: bigint,
  size: bigint,
  from: E820TypeValue,
  to: E820TypeValue,
  knownTypes?: readonly number[],
): string {
  return flat(
    `e820: update [mem ${hex010(start)}-${hex010(start + size - 1n)}] ${e820TypeNameFor(from, knownTypes)} ==> ${e820TypeNameFor(to, knownTypes)}`,
  );
}

/** `e820: remove [mem %#010Lx-%#010Lx] [type]` (e820__range_remove; type printed only with check_type). */
export function formatRemoveLine(
  start: bigint,
  size: bigint,
  from: E820TypeValue | null,
  knownTypes?: readonly number[],
): string {
  const t = from === null ? '' : ` ${e820TypeNameFor(from, knownTypes)}`;
  return flat(`e820: remove [mem ${hex010(start)}-${hex010(start + size - 1n)}]${t}`);
}

/**
 * Type value of a printed type name, or undefined. Accepts every spelling the
 * kernels print: e820_print_type() ("usable", "reserved", "ACPI data",
 * "ACPI NVS", "unusable", "persistent (type N)", "soft reserved", "type N"),
 * the 2.6 style in parentheses ("(ACPI data)"), and the v7.0-era names
 * ("System RAM", "device reserved").
 */
export function parseE820TypeName(text: string): E820TypeValue | undefined {
  let t = text.trim().replace(/\s+/g, ' ');
  const paren = /^\((.*)\)$/.exec(t);
  if (paren) t = paren[1]!.trim();
  switch (t) {
    case 'usable':
    case 'System RAM':
      return E820_TYPE.RAM;
    case 'reserved':
    case 'device reserved':
      return E820_TYPE.RESERVED;
    case 'ACPI data':
      return E820_TYPE.ACPI;
    case 'ACPI NVS':
      return E820_TYPE.NVS;
    case 'unusable':
      return E820_TYPE.UNUSABLE;
    case 'soft reserved':
      return E820_TYPE.SOFT_RESERVED;
  }
  const m = /^(?:persistent \(type (\d+)\)|type (\d+))$/.exec(t);
  if (m) {
    const v = Number(m[1] ?? m[2]);
    if (Number.isSafeInteger(v) && v <= 0xffffffff) return v;
  }
  return undefined;
}

/** Could `text` be the beginning of a type name cut by a hard line wrap ("ACPI", "persistent (type")? */
export function isTypeNamePrefix(text: string): boolean {
  const t = text.trim().replace(/^\(/, '');
  if (t === '') return true;
  const names = [
    'usable',
    'System RAM',
    'reserved',
    'device reserved',
    'ACPI data',
    'ACPI NVS',
    'unusable',
    'soft reserved',
    'persistent (type',
    'type',
  ];
  return names.some((n) => n.startsWith(t) && n !== t) || /^persistent \(type \d*$/.test(t);
}
