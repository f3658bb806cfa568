/**
 * Where the model's kernel keeps the globals a crash user asks for
 * (`p orig_bm`, `p nr_copy_pages`, …): fixed offsets inside the kernel
 * image's data/bss, so they are ordinary bytes in model memory that the
 * hibernation code writes and the image saves like any kernel page.
 * Offsets are relative to the PGD page (init_level4_pgt / init_top_pgt),
 * which both profiles place inside [_text, _end).
 */
import type { Machine } from './boot.js';

const PAGE = 4096;

/** Byte offsets from the PGD page of each global (one bss page + the .data..nosave page). */
const LAYOUT = {
  orig_bm: 0x8000,
  copy_bm: 0x8040,
  zero_bm: 0x8080,
  nr_copy_pages: 0x80c0,
  nr_meta_pages: 0x80c8,
  nr_zero_pages: 0x80d0,
  restore_pblist: 0x80d8,
  safe_pages_list: 0x80e0,
  alloc_normal: 0x80e8,
  /** __nosave_begin: the page-aligned .data..nosave section (in_suspend lives here). */
  __nosave_begin: 0x9000,
  in_suspend: 0x9000,
  __nosave_end: 0xa000,
} as const;

export type KernelSymbol = keyof typeof LAYOUT;

export function symbolPhys(m: Machine, name: KernelSymbol): number {
  return m.kernelImage.pgdPhys + LAYOUT[name];
}

export function symbolVirt(m: Machine, name: KernelSymbol): bigint {
  return m.kernelImage.pgdVirt + BigInt(LAYOUT[name]);
}

/** pfn_is_nosave(): [__pa_symbol(__nosave_begin) >> PAGE_SHIFT, PAGE_ALIGN(__pa_symbol(__nosave_end)) >> PAGE_SHIFT). */
export function pfnIsNosave(m: Machine, pfn: number): boolean {
  const b = Math.floor(symbolPhys(m, '__nosave_begin') / PAGE);
  const e = Math.ceil(symbolPhys(m, '__nosave_end') / PAGE);
  return pfn >= b && pfn < e;
}

export function allSymbols(m: Machine): { name: KernelSymbol; phys: number; virt: bigint }[] {
  return (Object.keys(LAYOUT) as KernelSymbol[]).map((name) => ({
    name,
    phys: symbolPhys(m, name),
    virt: symbolVirt(m, name),
  }));
}
