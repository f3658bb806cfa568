/**
 * mprotect (mm/mprotect.c): mprotect_fixup splits the VMAs and sets the new
 * flags, change_protection() rewrites the entries (PROT_NONE keeps the page
 * with _PAGE_PROTNONE; removing write makes writable device-private and
 * device-exclusive entries readable), under one MMU_NOTIFY_PROTECTION_VMA
 * invalidation of the range.
 */
import type { MmContext } from './context.js';
import { HPAGE_PMD_SIZE, splitHugePmd } from './huge-memory.js';
import type { MmStruct } from './mm-struct.js';
import { pmdIndex } from './mm-struct.js';
import { EINVAL, ENOMEM, protToVmFlags, vmasIn } from './mmap.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import {
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_PROTNONE,
  PTE_PSE,
  PTE_RW,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  setPteFlags,
  setSwapPte,
  swpFlags,
  swpOffset,
  swpType,
} from './pte.js';
import { VM_ACCESS_FLAGS, VM_HUGETLB, VM_READ, VM_SHARED, VM_WRITE, type Vma } from './vma.js';

/** do_mprotect_pkey(). */
export function doMprotect(ctx: MmContext, mm: MmStruct, start: number, len: number, prot: number): number {
  if (start % 4096) return -EINVAL;
  const end = start + Math.ceil(len / 4096) * 4096;
  // Every page of the range must be mapped (-ENOMEM otherwise).
  let cur = start;
  for (const v of mm.vmas) {
    if (v.end <= cur) continue;
    if (v.start > cur) break;
    cur = v.end;
    if (cur >= end) break;
  }
  if (cur < end) return -ENOMEM;
  const newFlags = protToVmFlags(prot);
  for (const v of vmasIn(mm, start, end)) {
    v.flags = (v.flags & ~VM_ACCESS_FLAGS) | newFlags;
    mmuNotifierInvalidate(mm, v.start, v.end, 'MMU_NOTIFY_PROTECTION_VMA');
    changeProtection(ctx, v, v.start, v.end);
  }
  ctx.tlbGen++;
  return 0;
}

/** change_protection() → change_pmd_range / change_pte_range. */
function changeProtection(ctx: MmContext, vma: Vma, start: number, end: number): void {
  const none = !(vma.flags & (VM_READ | VM_WRITE));
  const write = (vma.flags & VM_WRITE) !== 0;
  const sw = ctx.hmm.swap;
  const fix = (t: Uint32Array, i: number, pmdLevel: boolean): void => {
    if (pteNone(t, i)) return;
    if (ptePresent(t, i)) {
      if (pmdLevel && !(t[2 * i]! & PTE_PSE)) return;
      if (none) {
        setPteFlags(t, i, PTE_PROTNONE, PTE_PRESENT | PTE_RW);
        return;
      }
      setPteFlags(t, i, PTE_PRESENT, PTE_PROTNONE);
      if (!write) setPteFlags(t, i, 0, PTE_RW);
      else if (vma.flags & VM_SHARED) setPteFlags(t, i, PTE_RW, 0);
      else {
        // can_change_pte_writable(): an exclusive, dirty anonymous page may become writable at once.
        const pfn = ptePfn(t, i);
        if (
          !pmdLevel &&
          pteFlags(t, i) & PTE_DIRTY &&
          !ctx.isZeroPfn(pfn) &&
          ctx.fields.mapping(pfn) < 0 &&
          ctx.pages.ref(ctx.fields.headOf(pfn)) === 1
        )
          setPteFlags(t, i, PTE_RW, 0);
        if (pmdLevel && pteFlags(t, i) & PTE_DIRTY && ctx.pages.ref(pfn) === 1) setPteFlags(t, i, PTE_RW, 0);
      }
      return;
    }
    if (write) return;
    const type = swpType(t, i);
    if (type === sw.deviceWrite) setSwapPte(t, i, sw.deviceRead, swpOffset(t, i), swpFlags(t, i));
    else if (type === sw.deviceExclusiveWrite)
      setSwapPte(t, i, sw.deviceExclusiveRead, swpOffset(t, i), swpFlags(t, i));
    else if (type === sw.migrationWrite) setSwapPte(t, i, sw.migrationRead, swpOffset(t, i), swpFlags(t, i));
  };
  const mm = vma.mm;
  for (let va = start; va < end; ) {
    const next = Math.min(end, va - (va % HPAGE_PMD_SIZE) + HPAGE_PMD_SIZE);
    const pmd = mm.pmdTable(va, false);
    if (!pmd) {
      va = next;
      continue;
    }
    const pi = pmdIndex(va);
    if (!pteNone(pmd, pi) && pmd[2 * pi]! & PTE_PSE) {
      if ((va % HPAGE_PMD_SIZE === 0 && next - va === HPAGE_PMD_SIZE) || vma.flags & VM_HUGETLB) {
        fix(pmd, pi, true);
        va = next;
        continue;
      }
      splitHugePmd(ctx, vma, va);
    }
    const t = mm.pteTable(va, false);
    if (t) for (let a = va; a < next; a += 4096) fix(t, Math.floor(a / 4096) % 512, false);
    va = next;
  }
}
