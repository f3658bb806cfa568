/**
 * madvise (mm/madvise.c): MADV_HUGEPAGE / MADV_NOHUGEPAGE set the VMA's THP
 * hint (hugepage_madvise), MADV_DONTNEED zaps (zap_page_range_single under
 * MMU_NOTIFY_CLEAR), MADV_FREE is accepted (lazy free is not modelled: the
 * pages stay).
 */
import type { MmContext } from './context.js';
import type { MmStruct } from './mm-struct.js';
import { EINVAL, ENOMEM, vmasIn, zapRange } from './mmap.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import { VM_HUGEPAGE, VM_NOHUGEPAGE } from './vma.js';

export const MADV_DONTNEED = 4;
export const MADV_FREE = 8;
export const MADV_HUGEPAGE = 14;
export const MADV_NOHUGEPAGE = 15;

export function doMadvise(ctx: MmContext, mm: MmStruct, start: number, len: number, advice: number): number {
  if (start % 4096) return -EINVAL;
  const end = start + Math.ceil(len / 4096) * 4096;
  if (![MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE, MADV_NOHUGEPAGE].includes(advice)) return -EINVAL;
  const vmas = vmasIn(mm, start, end);
  if (!vmas.length) return -ENOMEM;
  for (const v of vmas) {
    if (advice === MADV_HUGEPAGE) v.flags = (v.flags | VM_HUGEPAGE) & ~VM_NOHUGEPAGE;
    else if (advice === MADV_NOHUGEPAGE) v.flags = (v.flags | VM_NOHUGEPAGE) & ~VM_HUGEPAGE;
    else if (advice === MADV_DONTNEED) {
      mmuNotifierInvalidate(mm, v.start, v.end, 'MMU_NOTIFY_CLEAR');
      zapRange(ctx, v, v.start, v.end);
    }
  }
  return 0;
}
