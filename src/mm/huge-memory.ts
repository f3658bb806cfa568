/**
 * Anonymous transparent huge pages at PMD level (mm/huge_memory.c): a
 * MADV_HUGEPAGE VMA faults whole 2 MiB folios (do_huge_pmd_anonymous_page),
 * reads map the huge zero folio, and __split_huge_pmd / split_huge_page turn
 * a PMD mapping into 512 PTEs and the folio into small pages. THP mode is
 * "madvise" (only VM_HUGEPAGE VMAs). The entire mapcount of a PMD-mapped
 * folio (folio->_entire_mapcount) is kept in MmContext.entireMapcount.
 */
import type { MmContext } from './context.js';
import { VM_FAULT_FALLBACK } from './fault.js';
import { pmdIndex } from './mm-struct.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import {
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_PSE,
  PTE_RW,
  PTE_SPECIAL,
  PTE_TABLE,
  PTE_USER,
  pteFlags,
  ptePfn,
  setPte,
  setPteFlags,
} from './pte.js';
import { anonVmaPrepare } from './rmap.js';
import { VM_HUGEPAGE, VM_NOHUGEPAGE, VM_WRITE, type Vma } from './vma.js';

export const HPAGE_PMD_SIZE = 0x200000;
export const HPAGE_PMD_NR = 512;

/** thp_vma_allowable_order() for the PMD order in "madvise" mode. */
export function thpEligible(vma: Vma, va: number): boolean {
  if (!vma.isAnonymous || !(vma.flags & VM_HUGEPAGE) || vma.flags & VM_NOHUGEPAGE) return false;
  const h = va - (va % HPAGE_PMD_SIZE);
  return h >= vma.start && h + HPAGE_PMD_SIZE <= vma.end;
}

/** do_huge_pmd_anonymous_page(). */
export function doHugePmdAnonymousPage(
  ctx: MmContext,
  vma: Vma,
  va: number,
  write: boolean,
  pmd: Uint32Array,
  pi: number,
): number {
  const h = va - (va % HPAGE_PMD_SIZE);
  if (!write) {
    const z = ctx.hugeZeroPfn;
    if (z < 0) return VM_FAULT_FALLBACK;
    setPte(pmd, pi, z, PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_PSE | PTE_SPECIAL);
    ctx.pgtGen++;
    return 0;
  }
  const pfn = ctx.allocPages(9, true);
  if (pfn < 0) return VM_FAULT_FALLBACK;
  const av = anonVmaPrepare(ctx, vma);
  ctx.fields.setMapping(pfn, -av.id);
  ctx.fields.setIndex(pfn, vma.linearIndex(h));
  ctx.entireMapcount.set(pfn, 1);
  let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_PSE;
  if (vma.flags & VM_WRITE) f |= PTE_RW | PTE_DIRTY;
  setPte(pmd, pi, pfn, f);
  ctx.pgtGen++;
  return 0;
}

/** do_huge_pmd_wp_page(): reuse an exclusive THP, else split and let the PTE path copy. */
export function doHugePmdWpPage(ctx: MmContext, vma: Vma, va: number, pmd: Uint32Array, pi: number): number {
  const pfn = ptePfn(pmd, pi);
  if (!ctx.isZeroPfn(pfn) && ctx.pages.ref(pfn) === 1) {
    setPteFlags(pmd, pi, PTE_RW | PTE_DIRTY | PTE_ACCESSED, 0);
    ctx.tlbGen++;
    return 0;
  }
  splitHugePmd(ctx, vma, va);
  return VM_FAULT_FALLBACK;
}

/**
 * __split_huge_pmd(): the PMD leaf becomes a table of 512 PTEs. The huge zero
 * page is remapped with the small zero page (__split_huge_zero_page_pmd); a
 * THP stays one (PTE-mapped) folio: the entire mapcount moves to the 512
 * subpage mapcounts and each PTE holds a folio reference.
 */
export function splitHugePmd(ctx: MmContext, vma: Vma, va: number): void {
  const mm = vma.mm;
  const h = va - (va % HPAGE_PMD_SIZE);
  const pmd = mm.pmdTable(h, false);
  if (!pmd) return;
  const pi = pmdIndex(h);
  if (!(pmd[2 * pi]! & PTE_PSE)) return;
  mmuNotifierInvalidate(mm, h, h + HPAGE_PMD_SIZE, 'MMU_NOTIFY_CLEAR');
  const pfn = ptePfn(pmd, pi);
  const flags = pteFlags(pmd, pi) & ~PTE_PSE;
  const tpfn = ctx.allocTable();
  mm.tablePfns.push(tpfn);
  const t = ctx.table(tpfn);
  if (ctx.isZeroPfn(pfn)) {
    for (let i = 0; i < 512; i++)
      setPte(t, i, ctx.zeroPfn, PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_SPECIAL);
  } else {
    for (let i = 0; i < 512; i++) {
      setPte(t, i, pfn + i, flags);
      ctx.pages.mapAdd(pfn + i, 1);
    }
    ctx.entireMapcount.set(pfn, (ctx.entireMapcount.get(pfn) ?? 1) - 1);
    ctx.pages.refAdd(pfn, 511);
  }
  setPte(pmd, pi, tpfn, PTE_TABLE, false);
  ctx.tlbGen++;
  ctx.pgtGen++;
}

/**
 * split_huge_page(): a PTE-mapped THP with no references beyond its mappings
 * becomes 512 small pages (each keeps its mapping and index). Returns false
 * when extra references (pins) prevent the split, as the kernel's
 * can_split_folio() does.
 */
export function splitHugePage(ctx: MmContext, head: number): boolean {
  const order = ctx.fields.order(head);
  if (!order) return true;
  let maps = 0;
  for (let i = 0; i < 2 ** order; i++) maps += ctx.pages.mapRaw(head + i) + 1;
  if ((ctx.entireMapcount.get(head) ?? 0) !== 0 || ctx.pages.ref(head) !== maps) return false;
  const mapping = ctx.fields.mapping(head);
  const index = ctx.fields.index(head);
  ctx.fields.clearCompound(head, order);
  ctx.entireMapcount.delete(head);
  for (let i = 0; i < 2 ** order; i++) {
    ctx.pages.setRef(head + i, ctx.pages.mapRaw(head + i) + 1);
    ctx.fields.setMapping(head + i, mapping);
    ctx.fields.setIndex(head + i, index + i);
    ctx.pages.setBit(head + i, ctx.pgSwapbacked, true);
  }
  return true;
}
