/**
 * /proc/PID/pagemap (fs/proc/task_mmu.c pagemap_read → pte_to_pagemap_entry,
 * pagemap_pmd_range): one little-endian u64 per virtual page.
 *
 *   bits 0-54  frame: the pfn of a present page, or for a swap-format entry
 *              swp_type | (offset << MAX_SWAPFILES_SHIFT) (the offset is the
 *              pfn for migration/device entries) — 0 unless the reader has
 *              CAP_SYS_ADMIN (pm->show_pfn), and 0 for none entries
 *   bit 55     PM_SOFT_DIRTY      bit 56  PM_MMAP_EXCLUSIVE (present, mapcount 1)
 *   bit 57     PM_UFFD_WP         bit 61  PM_FILE (page not anonymous)
 *   bit 62     PM_SWAP            bit 63  PM_PRESENT
 */
import type { MmContext } from './context.js';
import type { MmStruct } from './mm-struct.js';
import { pmdIndex, pteIndex } from './mm-struct.js';
import {
  PTE_PSE,
  PTE_SOFT_DIRTY,
  PTE_SPECIAL,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  swpOffset,
  swpType,
} from './pte.js';

export const PM_SOFT_DIRTY = 1n << 55n;
export const PM_MMAP_EXCLUSIVE = 1n << 56n;
export const PM_UFFD_WP = 1n << 57n;
export const PM_FILE = 1n << 61n;
export const PM_SWAP = 1n << 62n;
export const PM_PRESENT = 1n << 63n;
export const PM_PFRAME_MASK = (1n << 55n) - 1n;
const MAX_SWAPFILES_SHIFT = 5;

/** The pagemap entry of one page of `mm` as a reader with (or without) CAP_SYS_ADMIN sees it. */
export function pagemapEntry(ctx: MmContext, mm: MmStruct, va: number, showPfn: boolean): bigint {
  const pmd = mm.pmdTable(va, false);
  if (!pmd) return 0n;
  const pi = pmdIndex(va);
  if (pteNone(pmd, pi)) return 0n;
  let t = pmd;
  let i = pi;
  let off = 0;
  if (!(pmd[2 * pi]! & PTE_PSE)) {
    const pt = mm.pteTable(va, false);
    if (!pt) return 0n;
    t = pt;
    i = pteIndex(va);
  } else off = Math.floor(va / 4096) % 512;
  if (pteNone(t, i)) return 0n;
  let flags = 0n;
  let frame = 0n;
  let page = -1;
  if (ptePresent(t, i)) {
    const pfn = ptePfn(t, i) + off;
    if (showPfn) frame = BigInt(pfn);
    flags |= PM_PRESENT;
    if (pteFlags(t, i) & PTE_SOFT_DIRTY) flags |= PM_SOFT_DIRTY;
    if (!(pteFlags(t, i) & PTE_SPECIAL) && !ctx.isZeroPfn(pfn)) page = pfn;
  } else {
    const type = swpType(t, i);
    const offset = swpOffset(t, i);
    if (showPfn) frame = BigInt(type) | (BigInt(offset) << BigInt(MAX_SWAPFILES_SHIFT));
    flags |= PM_SWAP;
    if (t[2 * i]! & 0x2) flags |= PM_SOFT_DIRTY;
    if (type > ctx.hmm.swap.hwpoison && type < ctx.hmm.swap.pteMarker) page = offset;
  }
  if (page >= 0) {
    const head = ctx.fields.headOf(page);
    if (ctx.fields.mapping(head) >= 0) flags |= PM_FILE;
    if (flags & PM_PRESENT && ctx.pages.mapRaw(page) + 1 + (ctx.entireMapcount.get(head) ?? 0) === 1)
      flags |= PM_MMAP_EXCLUSIVE;
  }
  return flags | (frame & PM_PFRAME_MASK);
}
