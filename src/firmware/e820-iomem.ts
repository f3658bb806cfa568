/**
 * e820 view from /proc/iomem.
 *
 * Line form: `<indent>start-end : name`, hex without 0x, inclusive end, two
 * spaces of indent per nesting level. The kernel registers one resource per
 * e820_table entry (e820__reserve_resources(), named by e820_type_to_string());
 * PCI code may later re-parent some of them (e.g. `Reserved` under
 * `PCI ECAM …`), so an e820-named resource is taken at any depth unless an
 * ancestor already is one (children of `System RAM` such as `Kernel code` are
 * not e820 entries). Everything else (PCI windows, ROMs, devices) is ignored.
 *
 * This is the kernel's e820_table after its edits (page 0 reserved, 640K–1M
 * removed, memmap=), not e820_table_firmware.
 */
import { ParseError } from '../errors.js';
import { E820_MAX_ENTRIES } from './e820-limits.js';
import { sanitizeE820 } from './e820-table.js';
import { E820_TYPE, type E820Entry, type ParsedE820 } from './e820-types.js';

/** e820_type_to_string() (6.x; 3.10 prints "reserved" lowercase for the default). */
const IOMEM_NAMES: Record<string, number> = {
  'System RAM': E820_TYPE.RAM,
  Reserved: E820_TYPE.RESERVED,
  reserved: E820_TYPE.RESERVED,
  'ACPI Tables': E820_TYPE.ACPI,
  'ACPI Non-volatile Storage': E820_TYPE.NVS,
  'Unusable memory': E820_TYPE.UNUSABLE,
  'Persistent Memory': E820_TYPE.PMEM,
  'Persistent Memory (legacy)': E820_TYPE.PRAM,
  'Soft Reserved': E820_TYPE.SOFT_RESERVED,
  'Unknown E820 type': E820_TYPE.RESERVED,
};

const LINE = /^(\s*)([0-9a-fA-F]+)-([0-9a-fA-F]+) : (.*)$/;

/** Does this text look like /proc/iomem (first non-blank line is a resource line)? */
export function looksLikeIomem(text: string): boolean {
  const first = text.split(/\r?\n/).find((l) => l.trim() !== '');
  return first !== undefined && LINE.test(first);
}

export function parseIomem(text: string, file: string): ParsedE820[] {
  const lines = text.split(/\r?\n/);
  const entries: E820Entry[] = [];
  const notes: string[] = [
    'from /proc/iomem: the kernel view (e820_table after its edits), not e820_table_firmware',
  ];
  /** Depth of the innermost enclosing e820-named resource, or -1. */
  const e820Depth: number[] = [];
  let allZero = true;
  let firstLine: number | undefined;
  let unknownType = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const m = LINE.exec(raw.replace(/\s+$/, ''));
    if (!m) {
      throw new ParseError(
        'E820_BAD_IOMEM',
        "malformed /proc/iomem line: expected '<start>-<end> : <name>'",
        {
          file,
          line: i + 1,
          column: 1,
        },
      );
    }
    const depth = Math.floor(m[1]!.length / 2);
    if (m[2]!.length > 16 || m[3]!.length > 16) {
      throw new ParseError('E820_BAD_IOMEM', 'address wider than 64 bits', {
        file,
        line: i + 1,
        column: m[1]!.length + 1,
      });
    }
    const start = BigInt(`0x${m[2]}`);
    const end = BigInt(`0x${m[3]}`);
    if (start !== 0n || end !== 0n) allZero = false;
    while (e820Depth.length > 0 && e820Depth[e820Depth.length - 1]! >= depth) e820Depth.pop();
    const type = IOMEM_NAMES[m[4]!.trim()];
    if (type === undefined || e820Depth.length > 0) continue;
    if (end < start) {
      throw new ParseError('E820_BAD_RANGE', 'end below start: expected end >= start', {
        file,
        line: i + 1,
        column: m[1]!.length + 1,
      });
    }
    if (m[4]!.trim() === 'Unknown E820 type') unknownType = true;
    e820Depth.push(depth);
    entries.push({ addr: start, size: end - start + 1n, type });
    firstLine ??= i + 1;
    if (entries.length > E820_MAX_ENTRIES) {
      throw new ParseError('E820_TOO_MANY_ENTRIES', `more than ${E820_MAX_ENTRIES} entries`, {
        file,
        line: i + 1,
      });
    }
  }
  if (allZero && lines.some((l) => LINE.test(l))) {
    throw new ParseError(
      'E820_IOMEM_ZEROED',
      '/proc/iomem addresses are all zero: it was read without CAP_SYS_ADMIN (read it as root)',
      { file },
    );
  }
  if (entries.length === 0) {
    throw new ParseError(
      'E820_NOT_FOUND',
      'no e820 resource (System RAM, Reserved, ACPI Tables, …) in /proc/iomem',
      { file },
    );
  }
  if (unknownType)
    notes.push("'Unknown E820 type' resources are taken as reserved (the real type number is not shown)");
  const r: ParsedE820 = {
    source: 'iomem',
    bootIndex: 0,
    origin: 'iomem',
    entries: sanitizeE820(entries),
    setupData: [],
    logEdits: [],
    complete: entries[0]!.addr < 0x100000n,
    notes,
  };
  if (firstLine !== undefined) r.line = firstLine;
  return [r];
}
