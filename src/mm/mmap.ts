/**
 * mmap / munmap (mm/mmap.c, mm/vma.c) and unmap_page_range / zap_pte_range
 * (mm/memory.c). Addresses are chosen top-down below mm->mmap_base
 * (arch_get_unmapped_area_topdown). Returns are syscall-shaped: an address or
 * a negative errno.
 */
import type { MmContext } from './context.js';
import { HPAGE_PMD_SIZE, splitHugePmd } from './huge-memory.js';
import { HUGETLB_PAGE_SIZE, hugetlbCanReserve } from './hugetlb.js';
import type { MmStruct } from './mm-struct.js';
import { pmdIndex } from './mm-struct.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import {
  clearPte,
  PTE_PSE,
  PTE_SPECIAL,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  swpOffset,
  swpType,
} from './pte.js';
import { pageRemoveRmap } from './rmap.js';
import { shmemFileSetup, shmemVmOps } from './shmem.js';
import {
  type AddressSpace,
  VM_DONTEXPAND,
  VM_EXEC,
  VM_HUGETLB,
  VM_MAYEXEC,
  VM_MAYREAD,
  VM_MAYSHARE,
  VM_MAYWRITE,
  VM_READ,
  VM_SHARED,
  VM_WRITE,
  Vma,
  type VmOps,
} from './vma.js';

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 0x1;
export const MAP_PRIVATE = 0x2;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_HUGETLB = 0x40000;

export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EBADF = 9;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const EINVAL = 22;
export const ENODEV = 19;

/** What a file hands to mmap: its page cache and vm_ops, or a driver mmap hook. */
export interface MmapTarget {
  readonly mapping: AddressSpace | null;
  readonly ops: VmOps | null;
  /** f_op->mmap for device files (may set VM_MIXEDMAP and insert pages). */
  mmapHook?(vma: Vma): number;
}

/** calc_vm_prot_bits() | calc_vm_flag_bits() | VM_MAY*. */
export function protToVmFlags(prot: number): number {
  let f = 0;
  if (prot & PROT_READ) f |= VM_READ;
  if (prot & PROT_WRITE) f |= VM_WRITE;
  if (prot & PROT_EXEC) f |= VM_EXEC;
  return f;
}

const PAGE = 4096;

/** arch_get_unmapped_area_topdown(): the highest gap of `len` (aligned) below mmap_base. */
function getUnmappedArea(mm: MmStruct, len: number, align: number): number {
  let top = mm.mmapBase;
  for (let i = mm.vmas.length - 1; i >= -1; i--) {
    const v = mm.vmas[i];
    const floor = v ? v.end : 0x10000;
    if (v && v.start >= top) continue;
    const start = Math.floor((top - len) / align) * align;
    if (start >= floor) return start;
    if (v) top = Math.min(top, v.start);
  }
  return -ENOMEM;
}

/** do_mmap(). */
export function doMmap(
  ctx: MmContext,
  mm: MmStruct,
  addr: number,
  length: number,
  prot: number,
  flags: number,
  target: MmapTarget | null,
  pgoff = 0,
): number {
  if (length <= 0) return -EINVAL;
  const huge = (flags & MAP_HUGETLB) !== 0;
  const unit = huge ? HUGETLB_PAGE_SIZE : PAGE;
  const len = Math.ceil(length / unit) * unit;
  const shared = (flags & MAP_SHARED) !== 0;
  if (!shared && !(flags & MAP_PRIVATE)) return -EINVAL;
  if (huge && !hugetlbCanReserve(ctx, len)) return -ENOMEM;
  let start: number;
  if (flags & MAP_FIXED) {
    if (addr % PAGE) return -EINVAL;
    start = addr;
    doMunmap(ctx, mm, start, len);
  } else {
    start = getUnmappedArea(mm, len, unit);
    if (start < 0) return start;
  }
  let vmFlags = protToVmFlags(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (shared) vmFlags |= VM_SHARED | VM_MAYSHARE;
  let mapping: AddressSpace | null = null;
  let ops: VmOps | null = null;
  if (huge) vmFlags |= VM_HUGETLB | VM_DONTEXPAND;
  if (target) {
    mapping = target.mapping;
    ops = target.ops;
  } else if (shared && !huge) {
    // shmem_zero_setup(): MAP_SHARED|MAP_ANONYMOUS is a shmem file.
    mapping = shmemFileSetup(ctx, 'dev/zero', len);
    ops = shmemVmOps(ctx, mapping);
  }
  const vma = new Vma(
    mm,
    start,
    start + len,
    vmFlags,
    mapping || target ? pgoff : start / PAGE,
    mapping,
    ops,
  );
  if (huge && !ops) {
    // hugetlbfs VMAs have vm_ops (hugetlb_vm_ops): not vma_is_anonymous().
    (vma as { ops: VmOps | null }).ops = { name: 'hugetlb_vm_ops' };
  }
  mm.insertVma(vma);
  if (mapping) mapping.vmas.add(vma);
  if (target?.mmapHook) {
    const r = target.mmapHook(vma);
    if (r) {
      doMunmap(ctx, mm, start, len);
      return r;
    }
  }
  return start;
}

/** __split_vma(): cut a VMA at `at`; returns the upper part. */
export function splitVma(vma: Vma, at: number): Vma {
  const n = new Vma(vma.mm, at, vma.end, vma.flags, vma.pgoff + (at - vma.start) / PAGE, vma.file, vma.ops);
  n.anonVma = vma.anonVma;
  n.anonChain = [...vma.anonChain];
  for (const av of n.anonChain) av.vmas.add(n);
  vma.file?.vmas.add(n);
  vma.end = at;
  vma.mm.insertVma(n);
  return n;
}

/** The VMAs overlapping [start, end), split so that they lie inside it. */
export function vmasIn(mm: MmStruct, start: number, end: number): Vma[] {
  const out: Vma[] = [];
  for (const v of [...mm.vmas]) {
    if (v.end <= start || v.start >= end) continue;
    let cur = v;
    if (cur.start < start) cur = splitVma(cur, start);
    if (cur.end > end) splitVma(cur, end);
    out.push(cur);
  }
  return out;
}

/** Remove a VMA from its mm and reverse maps (remove_vma / unlink_anon_vmas / unlink_file_vma). */
function removeVma(mm: MmStruct, vma: Vma): void {
  mm.removeVma(vma);
  for (const av of vma.anonChain) av.vmas.delete(vma);
  vma.file?.vmas.delete(vma);
}

/** do_vmi_munmap(). */
export function doMunmap(ctx: MmContext, mm: MmStruct, start: number, length: number): number {
  if (start % PAGE) return -EINVAL;
  const end = start + Math.ceil(length / PAGE) * PAGE;
  for (const v of vmasIn(mm, start, end)) {
    mmuNotifierInvalidate(mm, v.start, v.end, 'MMU_NOTIFY_UNMAP');
    zapRange(ctx, v, v.start, v.end);
    removeVma(mm, v);
  }
  return 0;
}

/** exit_mmap(): unmap everything and free the page tables. */
export function exitMmap(ctx: MmContext, mm: MmStruct): void {
  for (const v of [...mm.vmas]) {
    mmuNotifierInvalidate(mm, v.start, v.end, 'MMU_NOTIFY_UNMAP');
    zapRange(ctx, v, v.start, v.end);
    removeVma(mm, v);
  }
  mm.freeTables();
}

/** Drop the page an entry maps (zap_present_ptes / the non-present cases of zap_pte_range). */
function zapEntry(ctx: MmContext, t: Uint32Array, i: number): void {
  if (pteNone(t, i)) return;
  if (ptePresent(t, i)) {
    const pfn = ptePfn(t, i);
    if (!(pteFlags(t, i) & PTE_SPECIAL) && !ctx.isZeroPfn(pfn)) {
      pageRemoveRmap(ctx, pfn);
      ctx.putPage(pfn);
    }
  } else {
    const sw = ctx.hmm.swap;
    const type = swpType(t, i);
    const pfn = swpOffset(t, i);
    if (type === sw.deviceWrite || type === sw.deviceRead) {
      pageRemoveRmap(ctx, pfn);
      ctx.putPage(pfn);
    } else if (type === sw.deviceExclusiveWrite || type === sw.deviceExclusiveRead) {
      ctx.putPage(pfn);
    }
  }
  clearPte(t, i);
}

/** unmap_page_range() over [start, end) of one VMA. */
export function zapRange(ctx: MmContext, vma: Vma, start: number, end: number): void {
  const mm = vma.mm;
  let va = start;
  while (va < end) {
    const next = Math.min(end, va - (va % HPAGE_PMD_SIZE) + HPAGE_PMD_SIZE);
    const pmd = mm.pmdTable(va, false);
    if (!pmd) {
      va = next;
      continue;
    }
    const pi = pmdIndex(va);
    if (!pteNone(pmd, pi) && pmd[2 * pi]! & PTE_PSE) {
      if (va % HPAGE_PMD_SIZE === 0 && next - va === HPAGE_PMD_SIZE) {
        // zap_huge_pmd()
        const pfn = ptePfn(pmd, pi);
        if (!ctx.isZeroPfn(pfn)) {
          ctx.entireMapcount.set(pfn, (ctx.entireMapcount.get(pfn) ?? 1) - 1);
          ctx.putPage(pfn);
        }
        clearPte(pmd, pi);
        ctx.tlbGen++;
        ctx.pgtGen++;
        va = next;
        continue;
      }
      splitHugePmd(ctx, vma, va);
    }
    const t = mm.pteTable(va, false);
    if (t) {
      for (let a = va; a < next; a += PAGE) zapEntry(ctx, t, Math.floor(a / PAGE) % 512);
      ctx.tlbGen++;
    }
    va = next;
  }
}
