/**
 * make_device_exclusive_range() (mm/rmap.c, 6.12): fault each page in for
 * writing (GUP FOLL_WRITE), lock it and replace its PTE by a device-exclusive
 * swap entry (write or read), under an MMU_NOTIFY_EXCLUSIVE invalidation
 * carrying the caller's owner. The entry keeps the page reference but not
 * the mapcount; the CPU's next access restores the PTE (do_swap_page →
 * remove_device_exclusive_entry). Returns the locked pages (each with the
 * GUP reference) or a negative errno.
 */
import type { MmContext } from './context.js';
import { faultinPage } from './gup.js';
import type { MmStruct } from './mm-struct.js';
import { pteIndex } from './mm-struct.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import { PTE_RW, pteFlags, setSwapPte } from './pte.js';
import { pageRemoveRmap } from './rmap.js';

export function makeDeviceExclusiveRange(
  ctx: MmContext,
  mm: MmStruct,
  start: number,
  end: number,
  owner: unknown,
): number[] | number {
  const pages: number[] = [];
  for (let va = start; va < end; va += 4096) {
    const p = faultinPage(ctx, mm, va, true);
    if (p < 0) return pages.length ? pages : p;
    ctx.getPage(p);
    ctx.lockPage(p);
    pages.push(p);
  }
  const sw = ctx.hmm.swap;
  for (let k = 0; k < pages.length; k++) {
    const va = start + k * 4096;
    const p = pages[k]!;
    mmuNotifierInvalidate(mm, va, va + 4096, 'MMU_NOTIFY_EXCLUSIVE', owner);
    const t = mm.pteTable(va, false);
    if (!t) continue;
    const i = pteIndex(va);
    const writable = (pteFlags(t, i) & PTE_RW) !== 0;
    setSwapPte(t, i, writable ? sw.deviceExclusiveWrite : sw.deviceExclusiveRead, p);
    pageRemoveRmap(ctx, p);
    ctx.tlbGen++;
  }
  return pages;
}
