/**
 * Reverse mapping (mm/rmap.c): page->mapping names the anon_vma (anonymous
 * pages) or address_space (page cache) and page->index the page offset, so
 * every PTE that may map a page is found from the VMAs of that anon_vma /
 * i_mmap at vma_address(). Mapcounts are _mapcount (−1 = unmapped); a
 * PMD-mapped folio counts in the entire mapcount, kept where the kernel keeps
 * folio->_entire_mapcount: the first tail page's _mapcount slot.
 */
import type { MmContext } from './context.js';
import { type AddressSpace, AnonVma, type Vma } from './vma.js';

/** anon_vma_prepare(). */
export function anonVmaPrepare(ctx: MmContext, vma: Vma): AnonVma {
  if (!vma.anonVma) {
    const av = new AnonVma(ctx.newMappingId());
    ctx.mappings.set(av.id, av);
    av.vmas.add(vma);
    vma.anonVma = av;
    vma.anonChain.push(av);
  }
  return vma.anonVma;
}

/** folio_add_new_anon_rmap(): first PTE mapping of a new anonymous page. */
export function pageAddNewAnonRmap(ctx: MmContext, vma: Vma, va: number, pfn: number): void {
  const av = anonVmaPrepare(ctx, vma);
  ctx.fields.setMapping(pfn, -av.id);
  ctx.fields.setIndex(pfn, vma.linearIndex(va));
  ctx.pages.setBit(pfn, ctx.pgSwapbacked, true);
  ctx.pages.setMapRaw(pfn, 0);
}

/** folio_add_anon_rmap_pte / folio_add_file_rmap_pte: one more PTE maps the page. */
export function pageAddRmap(ctx: MmContext, pfn: number): void {
  ctx.pages.mapAdd(pfn, 1);
}

/** folio_remove_rmap_pte(). */
export function pageRemoveRmap(ctx: MmContext, pfn: number): void {
  ctx.pages.mapAdd(pfn, -1);
}

/** folio_mapcount() of a small page: _mapcount + 1. */
export function pageMapcount(ctx: MmContext, pfn: number): number {
  return ctx.pages.mapRaw(pfn) + 1;
}

/** PageAnon(). */
export function pageAnon(ctx: MmContext, pfn: number): boolean {
  return ctx.fields.mapping(pfn) < 0;
}

/** The anon_vma / address_space page->mapping names (folio_anon_vma / folio_mapping), or undefined. */
export function rmapAnchor(ctx: MmContext, pfn: number): AnonVma | AddressSpace | undefined {
  const m = ctx.fields.mapping(pfn);
  return m === 0 ? undefined : ctx.mappings.get(Math.abs(m));
}

/** rmap_walk(): call fn(vma, va) for every VMA/address that may map pfn. */
export function rmapWalk(ctx: MmContext, pfn: number, fn: (vma: Vma, va: number) => void): void {
  const owner = rmapAnchor(ctx, pfn);
  if (!owner) return;
  const index = ctx.fields.index(pfn);
  for (const vma of [...owner.vmas]) {
    const va = vma.addressOf(index);
    if (va >= 0) fn(vma, va);
  }
}
