/**
 * dup_mmap() (kernel/fork.c) and copy_page_range() (mm/memory.c): the child
 * gets a copy of every VMA (anon_vma_fork links it into the parent's
 * anon_vmas and gives it its own), and the page tables of VMAs with an
 * anon_vma (or hugetlb / VM_MIXEDMAP) are copied. In a COW mapping writable
 * PTEs are write-protected in parent and child (under one
 * MMU_NOTIFY_PROTECTION_PAGE invalidation of the parent), writable
 * device-private entries become readable in both (copy_nonpresent_pte) and
 * device-exclusive entries are restored in the parent first
 * (try_restore_exclusive_pte) and copied as present PTEs.
 */
import type { MmContext } from './context.js';
import { restoreExclusivePte } from './fault.js';
import { HPAGE_PMD_SIZE } from './huge-memory.js';
import { MmStruct, pmdIndex } from './mm-struct.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import {
  PTE_PSE,
  PTE_RW,
  PTE_SPECIAL,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  setSwapPte,
  swpFlags,
  swpOffset,
  swpType,
} from './pte.js';
import { AnonVma, VM_DONTCOPY, VM_HUGETLB, VM_MIXEDMAP, Vma } from './vma.js';

export function dupMmap(ctx: MmContext, parent: MmStruct, childId: number): MmStruct {
  const child = new MmStruct(ctx, childId);
  child.mmapBase = parent.mmapBase;
  for (const v of parent.vmas) {
    if (v.flags & VM_DONTCOPY) continue;
    const n = new Vma(child, v.start, v.end, v.flags, v.pgoff, v.file, v.ops);
    if (v.anonVma) {
      // anon_vma_fork(): the child VMA joins every anon_vma of the parent and gets its own.
      n.anonChain = [...v.anonChain];
      for (const av of n.anonChain) av.vmas.add(n);
      const own = new AnonVma(ctx.newMappingId());
      ctx.mappings.set(own.id, own);
      own.vmas.add(n);
      n.anonChain.push(own);
      n.anonVma = own;
    }
    child.insertVma(n);
    v.file?.vmas.add(n);
    if (v.anonVma || v.flags & (VM_HUGETLB | VM_MIXEDMAP)) copyPageRange(ctx, v, n);
  }
  return child;
}

function copyPageRange(ctx: MmContext, src: Vma, dst: Vma): void {
  const cow = src.isCow;
  if (cow) mmuNotifierInvalidate(src.mm, src.start, src.end, 'MMU_NOTIFY_PROTECTION_PAGE');
  const sw = ctx.hmm.swap;
  for (let va = src.start; va < src.end; ) {
    const next = Math.min(src.end, va - (va % HPAGE_PMD_SIZE) + HPAGE_PMD_SIZE);
    const spmd = src.mm.pmdTable(va, false);
    if (!spmd || pteNone(spmd, pmdIndex(va))) {
      va = next;
      continue;
    }
    const pi = pmdIndex(va);
    if (spmd[2 * pi]! & PTE_PSE) {
      // copy_huge_pmd() / copy_hugetlb_page_range().
      const pfn = ptePfn(spmd, pi);
      if (cow) spmd[2 * pi] = (spmd[2 * pi]! & ~PTE_RW) >>> 0;
      const dpmd = dst.mm.pmdTable(va, true)!;
      dpmd[2 * pi] = spmd[2 * pi]!;
      dpmd[2 * pi + 1] = spmd[2 * pi + 1]!;
      if (!ctx.isZeroPfn(pfn)) {
        ctx.getPage(pfn);
        ctx.entireMapcount.set(pfn, (ctx.entireMapcount.get(pfn) ?? 0) + 1);
      }
      ctx.pgtGen++;
      va = next;
      continue;
    }
    const st = src.mm.pteTable(va, false)!;
    const dt = dst.mm.pteTable(va, true)!;
    for (let a = va; a < next; a += 4096) {
      const i = Math.floor(a / 4096) % 512;
      if (pteNone(st, i)) continue;
      if (!ptePresent(st, i)) {
        const type = swpType(st, i);
        const pfn = swpOffset(st, i);
        if (type === sw.deviceExclusiveWrite || type === sw.deviceExclusiveRead) {
          // copy_nonpresent_pte() → try_restore_exclusive_pte(): the entry's page
          // reference becomes the restored PTE's; then copied as a present PTE.
          restoreExclusivePte(ctx, src, st, i, pfn, type === sw.deviceExclusiveWrite);
        } else {
          if (type === sw.deviceWrite || type === sw.deviceRead) {
            ctx.getPage(pfn);
            ctx.pages.mapAdd(pfn, 1);
            if (type === sw.deviceWrite && cow) setSwapPte(st, i, sw.deviceRead, pfn, swpFlags(st, i));
          }
          dt[2 * i] = st[2 * i]!;
          dt[2 * i + 1] = st[2 * i + 1]!;
          continue;
        }
      }
      const pfn = ptePfn(st, i);
      if (!(pteFlags(st, i) & PTE_SPECIAL) && !ctx.isZeroPfn(pfn)) {
        ctx.getPage(pfn);
        ctx.pages.mapAdd(pfn, 1);
      }
      if (cow) st[2 * i] = (st[2 * i]! & ~PTE_RW) >>> 0;
      dt[2 * i] = st[2 * i]!;
      dt[2 * i + 1] = st[2 * i + 1]!;
    }
    va = next;
  }
  ctx.tlbGen++;
}
