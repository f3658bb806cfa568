/**
 * hugetlbfs (mm/hugetlb.c) with the default 2 MiB huge page size: a pool of
 * pre-allocated order-9 folios (nr_hugepages), MAP_HUGETLB mappings that
 * reserve from it at mmap time, and hugetlb_fault() mapping a whole pool
 * page at PMD level. COW of a shared hugetlb page is not modelled (SIGBUS).
 */
import type { MmContext } from './context.js';
import { VM_FAULT_OOM, VM_FAULT_SIGBUS } from './fault.js';
import { pmdIndex } from './mm-struct.js';
import {
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_PSE,
  PTE_RW,
  PTE_USER,
  pteNone,
  ptePfn,
  setPte,
  setPteFlags,
} from './pte.js';
import { anonVmaPrepare } from './rmap.js';
import { VM_WRITE, type Vma } from './vma.js';

export const HUGETLB_PAGE_SIZE = 0x200000;

/** echo n > /proc/sys/vm/nr_hugepages: fill the pool from the buddy allocator. */
export function hugetlbSetPool(ctx: MmContext, n: number): number {
  while (ctx.hugetlbPages.size < n) {
    const pfn = ctx.allocPages(9, true);
    if (pfn < 0) break;
    ctx.pages.setRef(pfn, 0);
    ctx.hugetlbPages.add(pfn);
    ctx.hugetlbFree.push(pfn);
  }
  return ctx.hugetlbPages.size;
}

/** hugetlb_reserve_pages(): enough free pool pages for `len` bytes (the model reserves without holding them). */
export function hugetlbCanReserve(ctx: MmContext, len: number): boolean {
  return ctx.hugetlbFree.length >= Math.ceil(len / HUGETLB_PAGE_SIZE);
}

/** hugetlb_fault() → hugetlb_no_page / hugetlb_wp. */
export function hugetlbFault(ctx: MmContext, vma: Vma, va: number, flags: number): number {
  const h = va - (va % HUGETLB_PAGE_SIZE);
  const pmd = vma.mm.pmdTable(h, true);
  if (!pmd) return VM_FAULT_OOM;
  const pi = pmdIndex(h);
  const write = (flags & 1) !== 0;
  if (pteNone(pmd, pi)) {
    const pfn = ctx.hugetlbFree.pop();
    if (pfn === undefined) return VM_FAULT_SIGBUS;
    for (let i = 0; i < 512; i++) ctx.clearPage(pfn + i);
    ctx.pages.setRef(pfn, 1);
    const av = anonVmaPrepare(ctx, vma);
    ctx.fields.setMapping(pfn, -av.id);
    ctx.fields.setIndex(pfn, vma.linearIndex(h));
    ctx.entireMapcount.set(pfn, 1);
    let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_PSE;
    if (write && vma.flags & VM_WRITE) f |= PTE_RW | PTE_DIRTY;
    setPte(pmd, pi, pfn, f);
    ctx.pgtGen++;
    return 0;
  }
  if (write && !(pmd[2 * pi]! & PTE_RW)) {
    if (ctx.pages.ref(ptePfn(pmd, pi)) !== 1) return VM_FAULT_SIGBUS;
    setPteFlags(pmd, pi, PTE_RW | PTE_DIRTY, 0);
    ctx.tlbGen++;
  }
  return 0;
}
