/**
 * x86-64 4-level paging constants and entry helpers (arch/x86/include/asm/
 * pgtable_64_types.h, pgtable_types.h). Page-table pages live in the model's
 * physical memory; an entry is a little-endian u64 at table + index * 8.
 *
 * Entry layout: bits 12..51 the frame address (PTE_PFN_MASK), bit 0 PRESENT,
 * bit 1 RW, bit 5 ACCESSED, bit 6 DIRTY, bit 7 PSE (large page in a PUD/PMD
 * entry), bit 8 GLOBAL, bit 63 NX.
 */
import type { PhysMem } from '../../mm/phys-mem.js';

export const PAGE_SIZE = 0x1000;
export const PMD_SIZE = 0x200000;
export const PUD_SIZE = 0x40000000;
export const PGDIR_SIZE = 0x8000000000;
export const PTRS_PER_TABLE = 512;
/** ISA_END_ADDRESS: [0, 1 MiB) is always direct-mapped. */
export const ISA_END_ADDRESS = 0x100000;

export const _PAGE_PRESENT = 0x1n;
export const _PAGE_RW = 0x2n;
export const _PAGE_ACCESSED = 0x20n;
export const _PAGE_DIRTY = 0x40n;
export const _PAGE_PSE = 0x80n;
export const _PAGE_GLOBAL = 0x100n;
export const _PAGE_NX = 1n << 63n;
export const PTE_PFN_MASK = 0x000ffffffffff000n;

/** __START_KERNEL_map: the kernel text mapping base. */
export const START_KERNEL_MAP = 0xffffffff80000000n;

export type Level = 'PGD' | 'PUD' | 'PMD' | 'PTE';
export const LEVEL_SHIFT: Record<Level, bigint> = { PGD: 39n, PUD: 30n, PMD: 21n, PTE: 12n };

export function tableIndex(vaddr: bigint, level: Level): number {
  return Number((BigInt.asUintN(64, vaddr) >> LEVEL_SHIFT[level]) & 0x1ffn);
}

export function entryPresent(e: bigint): boolean {
  return (e & _PAGE_PRESENT) !== 0n;
}

export function entryLarge(e: bigint): boolean {
  return (e & _PAGE_PSE) !== 0n;
}

/** Physical address an entry points at (next table or frame). */
export function entryAddr(e: bigint): number {
  return Number(e & PTE_PFN_MASK);
}

export function readEntry(mem: PhysMem, table: number, index: number): bigint {
  return mem.u64(table + index * 8);
}

export function writeEntry(mem: PhysMem, table: number, index: number, value: bigint): void {
  mem.setU64(table + index * 8, value);
}

/** Names of the flag bits set in an entry, crash-style "(PRESENT|RW|…)". */
export function entryFlagNames(e: bigint): string[] {
  const names: string[] = [];
  const bits: Array<[bigint, string]> = [
    [_PAGE_PRESENT, 'PRESENT'],
    [_PAGE_RW, 'RW'],
    [0x4n, 'USER'],
    [0x8n, 'PWT'],
    [0x10n, 'PCD'],
    [_PAGE_ACCESSED, 'ACCESSED'],
    [_PAGE_DIRTY, 'DIRTY'],
    [_PAGE_PSE, 'PSE'],
    [_PAGE_GLOBAL, 'GLOBAL'],
    [_PAGE_NX, 'NX'],
  ];
  for (const [b, n] of bits) if (e & b) names.push(n);
  return names;
}
