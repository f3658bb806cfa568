/**
 * Changing direct-map permissions at run time (arch/x86/mm/pat/set_memory.c):
 * set_direct_map_invalid_noflush() / set_direct_map_default_noflush() for one
 * page, with the large-page split that __change_page_attr() needs when the
 * page sits inside a 2 MiB or 1 GiB mapping (split_large_page(): a new page-
 * table page from the page allocator — an allocation that can fail).
 *
 * The walk and every entry are the real ones in model memory, so a page made
 * not-present here is exactly what the hibernation copy (safe_copy_page)
 * and the inspector's vtop see.
 */
import type { Buddy } from '../../mm/buddy.js';
import type { PhysMem } from '../../mm/phys-mem.js';
import type { KernelProfile } from '../../profiles/types.js';
import {
  _PAGE_PRESENT,
  _PAGE_PSE,
  entryAddr,
  entryLarge,
  PAGE_SIZE,
  PMD_SIZE,
  readEntry,
  tableIndex,
  writeEntry,
} from './pgtable.js';

/** What set_memory.c needs of a booted kernel (a Machine is one). */
export interface CpaKernel {
  readonly mem: PhysMem;
  readonly buddy: Buddy;
  readonly profile: KernelProfile;
  readonly kernelImage: { readonly pgdPhys: number };
  ptov(paddr: number): bigint;
}

export interface CpaOptions {
  /** Fault injection: the page-table allocation of split_large_page() fails. */
  allocFails?: boolean;
}

interface Leaf {
  level: 'PUD' | 'PMD' | 'PTE';
  table: number;
  index: number;
  value: bigint;
}

/** lookup_address(): the leaf entry (present or not) that covers vaddr, or null when a table is missing. */
function lookup(m: CpaKernel, vaddr: bigint): Leaf | null {
  const mem = m.mem;
  const pgdE = readEntry(mem, m.kernelImage.pgdPhys, tableIndex(vaddr, 'PGD'));
  if ((pgdE & _PAGE_PRESENT) === 0n) return null;
  const pud = entryAddr(pgdE);
  const pudI = tableIndex(vaddr, 'PUD');
  const pudE = readEntry(mem, pud, pudI);
  if (entryLarge(pudE) || (pudE & _PAGE_PRESENT) === 0n)
    return { level: 'PUD', table: pud, index: pudI, value: pudE };
  const pmd = entryAddr(pudE);
  const pmdI = tableIndex(vaddr, 'PMD');
  const pmdE = readEntry(mem, pmd, pmdI);
  if (entryLarge(pmdE) || (pmdE & _PAGE_PRESENT) === 0n)
    return { level: 'PMD', table: pmd, index: pmdI, value: pmdE };
  const pte = entryAddr(pmdE);
  const pteI = tableIndex(vaddr, 'PTE');
  return { level: 'PTE', table: pte, index: pteI, value: readEntry(mem, pte, pteI) };
}

/** Allocate a zeroed page-table page from the buddy allocator (alloc_pages(GFP_KERNEL)), or -1. */
function allocTablePage(m: CpaKernel, opts: CpaOptions): number {
  if (opts.allocFails) return -1;
  const pfn = m.buddy.alloc(0);
  if (pfn < 0) return -1;
  m.mem.zeroPage(pfn);
  return pfn * PAGE_SIZE;
}

/**
 * split_large_page(): replace a 2 MiB (or 1 GiB) leaf by a table of 512
 * smaller entries with the same protections (present or not). Returns false
 * when the table page cannot be allocated.
 */
function splitLarge(m: CpaKernel, leaf: Leaf, opts: CpaOptions): boolean {
  const t = allocTablePage(m, opts);
  if (t < 0) return false;
  const base = entryAddr(leaf.value);
  const flags = leaf.value & ~0x000ffffffffff000n;
  const childSize = leaf.level === 'PUD' ? PMD_SIZE : PAGE_SIZE;
  // 4K entries have no PSE bit; 2M entries keep it.
  const childFlags = leaf.level === 'PUD' ? flags : flags & ~_PAGE_PSE;
  for (let i = 0; i < 512; i++) writeEntry(m.mem, t, i, BigInt(base + i * childSize) | childFlags);
  writeEntry(m.mem, leaf.table, leaf.index, BigInt(t) | m.profile.paging.tableFlags);
  return true;
}

/** set_direct_map_invalid_noflush(page) — or, with `huge`, make the whole 2 MiB leaf around it not-present. */
export function setDirectMapInvalid(m: CpaKernel, pfn: number, huge = false, opts: CpaOptions = {}): boolean {
  const vaddr = m.ptov(pfn * PAGE_SIZE);
  for (;;) {
    const leaf = lookup(m, vaddr);
    if (!leaf) return false;
    if (leaf.level === 'PUD' && entryLarge(leaf.value)) {
      if (!splitLarge(m, leaf, opts)) return false;
      continue;
    }
    if (leaf.level === 'PMD' && entryLarge(leaf.value) && !huge) {
      if (!splitLarge(m, leaf, opts)) return false;
      continue;
    }
    writeEntry(m.mem, leaf.table, leaf.index, leaf.value & ~_PAGE_PRESENT);
    return true;
  }
}

/**
 * set_direct_map_default_noflush(page): make one page present again. A page
 * inside a not-present large mapping needs the split first; returns false
 * (-ENOMEM in the kernel) when that allocation fails.
 */
export function setDirectMapDefault(m: CpaKernel, pfn: number, opts: CpaOptions = {}): boolean {
  const vaddr = m.ptov(pfn * PAGE_SIZE);
  for (;;) {
    const leaf = lookup(m, vaddr);
    if (!leaf) return false;
    if (leaf.level !== 'PTE' && entryLarge(leaf.value)) {
      if ((leaf.value & _PAGE_PRESENT) !== 0n) return true;
      if (!splitLarge(m, leaf, opts)) return false;
      continue;
    }
    if (leaf.level !== 'PTE') return false;
    writeEntry(m.mem, leaf.table, leaf.index, leaf.value | _PAGE_PRESENT);
    return true;
  }
}
