/**
 * Page-table walks over the real entries in model physical memory, as crash's
 * `vtop` prints them, plus the direct-map address conversions
 * (__va/__pa, ptov) and __pa_symbol() for kernel-image addresses.
 */
import type { PhysMem } from '../../mm/phys-mem.js';
import { hexRaw } from '../../util/hex.js';
import {
  entryAddr,
  entryFlagNames,
  entryLarge,
  entryPresent,
  type Level,
  PAGE_SIZE,
  PMD_SIZE,
  PUD_SIZE,
  readEntry,
  tableIndex,
} from './pgtable.js';

export interface WalkStep {
  level: Level;
  index: number;
  /** Physical address of the entry. */
  entryAddr: number;
  value: bigint;
}

export interface WalkResult {
  vaddr: bigint;
  steps: WalkStep[];
  /** Physical address the vaddr translates to, when mapped. */
  paddr?: number;
  pageSize?: number;
  /** Level whose entry was not present (walk stopped there). */
  notMappedAt?: Level;
}

const LEVELS: Level[] = ['PGD', 'PUD', 'PMD', 'PTE'];

/**
 * walk()'s translation alone, allocating nothing: the physical address that
 * the virtual address with low 48 bits `low48` maps to, or -1 when an entry on
 * the way is not present (walk() then gives the steps). Same rules as walk():
 * PGD → PUD (1G leaf) → PMD (2M leaf) → PTE, present bit and PSE only; an
 * entry's address is bits 12..51.
 */
export function translate(mem: PhysMem, pgdPhys: number, low48: number): number {
  let table = pgdPhys;
  for (let level = 0; level < 4; level++) {
    const shift = 39 - level * 9;
    const index = Math.floor(low48 / 2 ** shift) % 512;
    const ea = table + index * 8;
    const lo = mem.u32Aligned(ea);
    if ((lo & 1) === 0) return -1;
    const hi = mem.u32Aligned(ea + 4);
    const addr = (hi & 0xfffff) * 0x100000000 + ((lo & 0xfffff000) >>> 0);
    if ((level === 1 || level === 2) && (lo & 0x80) !== 0) {
      const size = 2 ** shift;
      return addr - (addr % size) + (low48 % size);
    }
    if (level === 3) return addr + (low48 % PAGE_SIZE);
    table = addr;
  }
  return -1;
}

/** Walk `vaddr` from the PGD at `pgdPhys`. */
export function walk(mem: PhysMem, pgdPhys: number, vaddr: bigint): WalkResult {
  const steps: WalkStep[] = [];
  let table = pgdPhys;
  for (const level of LEVELS) {
    const index = tableIndex(vaddr, level);
    const ea = table + index * 8;
    const value = readEntry(mem, table, index);
    steps.push({ level, index, entryAddr: ea, value });
    if (!entryPresent(value)) return { vaddr, steps, notMappedAt: level };
    if ((level === 'PUD' || level === 'PMD') && entryLarge(value)) {
      const size = level === 'PUD' ? PUD_SIZE : PMD_SIZE;
      const off = Number(BigInt.asUintN(64, vaddr) % BigInt(size));
      return { vaddr, steps, paddr: entryAddr(value) - (entryAddr(value) % size) + off, pageSize: size };
    }
    if (level === 'PTE') {
      const off = Number(BigInt.asUintN(64, vaddr) % BigInt(PAGE_SIZE));
      return { vaddr, steps, paddr: entryAddr(value) + off, pageSize: PAGE_SIZE };
    }
    table = entryAddr(value);
  }
  return { vaddr, steps };
}

/**
 * crash-style `vtop` lines: header, PGD DIRECTORY (virtual) and PAGE DIRECTORY
 * (the PGD entry), then one "LEVEL: entry-address => value" line per level,
 * and for a 4K mapping the PTE/PHYSICAL/FLAGS block. `pageLines` (kmem -p
 * style) are appended when given.
 */
export function formatVtopLines(
  r: WalkResult,
  pgdVirt: bigint,
  translated?: number,
  pageLines?: string[],
): string[] {
  const lines: string[] = [];
  lines.push('VIRTUAL           PHYSICAL');
  const phys = r.paddr ?? translated;
  lines.push(`${hexRaw(r.vaddr).padEnd(16)}  ${phys === undefined ? '(not mapped)' : hexRaw(phys)}`);
  lines.push('');
  lines.push(`PGD DIRECTORY: ${hexRaw(pgdVirt)}`);
  const [pgd, ...rest] = r.steps;
  lines.push(`PAGE DIRECTORY: ${hexRaw(pgd!.value)}`);
  for (const s of rest) lines.push(`   ${s.level}: ${hexRaw(s.entryAddr)} => ${hexRaw(s.value)}`);
  if (r.paddr !== undefined) {
    const last = r.steps[r.steps.length - 1]!;
    const size = r.pageSize ?? PAGE_SIZE;
    lines.push(`  PAGE: ${hexRaw(r.paddr - (r.paddr % size))}`);
    lines.push('');
    lines.push(`      ${last.level.padEnd(3)}         PHYSICAL  FLAGS`);
    lines.push(
      `${hexRaw(last.value)}  ${hexRaw(r.paddr - (r.paddr % size))}  (${entryFlagNames(last.value).join('|')})`,
    );
  }
  if (pageLines) {
    lines.push('');
    lines.push(...pageLines);
  }
  return lines;
}
