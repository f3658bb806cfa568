/**
 * The page-fault handler (mm/memory.c): handle_mm_fault → __handle_mm_fault
 * → handle_pte_fault → do_anonymous_page / do_fault / do_swap_page /
 * do_wp_page, with the huge-PMD and hugetlb branches. Returns vm_fault_t
 * bits (include/linux/mm_types.h).
 */
import type { MmContext } from './context.js';
import { doHugePmdAnonymousPage, doHugePmdWpPage, thpEligible } from './huge-memory.js';
import { hugetlbFault } from './hugetlb.js';
import { pmdIndex, pteIndex } from './mm-struct.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import {
  clearPte,
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_PROTNONE,
  PTE_PSE,
  PTE_RW,
  PTE_SPECIAL,
  PTE_USER,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  setPte,
  setPteFlags,
  swpOffset,
  swpType,
} from './pte.js';
import { pageAddNewAnonRmap, pageAddRmap, pageRemoveRmap } from './rmap.js';
import { VM_HUGETLB, VM_READ, VM_SHARED, VM_WRITE, type Vma } from './vma.js';

export const VM_FAULT_OOM = 0x1;
export const VM_FAULT_SIGBUS = 0x2;
export const VM_FAULT_SIGSEGV = 0x40;
export const VM_FAULT_NOPAGE = 0x100;
export const VM_FAULT_RETRY = 0x400;
export const VM_FAULT_FALLBACK = 0x800;
export const VM_FAULT_ERROR = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV;

export const FAULT_FLAG_WRITE = 0x1;
export const FAULT_FLAG_REMOTE = 0x80;
export const FAULT_FLAG_VMA_LOCK = 0x1000;

/** struct vm_fault. */
export interface VmFault {
  readonly ctx: MmContext;
  readonly vma: Vma;
  /** vmf->address (page aligned). */
  readonly address: number;
  readonly flags: number;
  /** vmf->page: the device-private page for migrate_to_ram (pfn). */
  page: number;
  readonly pte: Uint32Array;
  readonly pteIdx: number;
}

/** vm_get_page_prot() low PTE bits for a VMA (private writable maps read-only: COW). */
export function vmaPteFlags(vma: Vma): number {
  if (!(vma.flags & (VM_READ | VM_WRITE))) return PTE_PROTNONE | PTE_USER | PTE_ACCESSED;
  let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED;
  if (vma.flags & VM_SHARED && vma.flags & VM_WRITE) f |= PTE_RW;
  return f;
}

/** handle_mm_fault(): called with the VMA already found and access-checked. */
export function handleMmFault(ctx: MmContext, vma: Vma, address: number, flags: number): number {
  return ctx.frame('handle_mm_fault', () =>
    ctx.frame('__handle_mm_fault', () => handleFault(ctx, vma, address, flags)),
  );
}

function handleFault(ctx: MmContext, vma: Vma, address: number, flags: number): number {
  const va = address - (address % 4096);
  if (vma.flags & VM_HUGETLB) return hugetlbFault(ctx, vma, va, flags);
  const mm = vma.mm;
  const pmd = mm.pmdTable(va, true)!;
  const pi = pmdIndex(va);
  const write = (flags & FAULT_FLAG_WRITE) !== 0;
  if (pteNone(pmd, pi) && thpEligible(vma, va)) {
    const r = doHugePmdAnonymousPage(ctx, vma, va, write, pmd, pi);
    if (!(r & VM_FAULT_FALLBACK)) return r;
  } else if (!pteNone(pmd, pi) && (pmd[2 * pi]! & PTE_PSE) !== 0) {
    if (write && (pmd[2 * pi]! & PTE_RW) === 0) {
      const r = doHugePmdWpPage(ctx, vma, va, pmd, pi);
      if (!(r & VM_FAULT_FALLBACK)) return r;
    } else {
      setPteFlags(pmd, pi, PTE_ACCESSED | (write ? PTE_DIRTY : 0), 0);
      return 0;
    }
  }
  const t = mm.pteTable(va, true);
  if (!t) return VM_FAULT_OOM;
  const vmf: VmFault = { ctx, vma, address: va, flags, page: -1, pte: t, pteIdx: pteIndex(va) };
  return handlePteFault(vmf);
}

function handlePteFault(vmf: VmFault): number {
  const { pte: t, pteIdx: i } = vmf;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  if (pteNone(t, i)) return vmf.vma.isAnonymous ? doAnonymousPage(vmf) : doFault(vmf);
  if (!ptePresent(t, i)) return vmf.ctx.frame('do_swap_page', () => doSwapPage(vmf));
  if (write && !(pteFlags(t, i) & PTE_RW)) return doWpPage(vmf);
  setPteFlags(t, i, PTE_ACCESSED | (write ? PTE_DIRTY : 0), 0);
  return 0;
}

/** do_anonymous_page(): the shared zero page for reads, a zeroed page for writes. */
function doAnonymousPage(vmf: VmFault): number {
  const { ctx, vma, pte: t, pteIdx: i } = vmf;
  if (!(vmf.flags & FAULT_FLAG_WRITE)) {
    setPte(t, i, ctx.zeroPfn, PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_SPECIAL);
    return 0;
  }
  const pfn = ctx.allocPages(0, true);
  if (pfn < 0) return VM_FAULT_OOM;
  pageAddNewAnonRmap(ctx, vma, vmf.address, pfn);
  let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED;
  if (vma.flags & VM_WRITE) f |= PTE_RW | PTE_DIRTY;
  setPte(t, i, pfn, f);
  return 0;
}

/** do_fault(): do_read_fault / do_cow_fault / do_shared_fault on a page-cache page. */
function doFault(vmf: VmFault): number {
  const { ctx, vma, pte: t, pteIdx: i } = vmf;
  if (!vma.ops?.fault) return VM_FAULT_SIGBUS;
  const index = vma.linearIndex(vmf.address);
  const page = vma.ops.fault(index);
  if (page < 0) return VM_FAULT_SIGBUS;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  if (write && !(vma.flags & VM_SHARED)) {
    // do_cow_fault(): a private anonymous copy of the page-cache page.
    const pfn = ctx.allocPages(0, false);
    if (pfn < 0) return VM_FAULT_OOM;
    ctx.copyPage(pfn, page);
    pageAddNewAnonRmap(ctx, vma, vmf.address, pfn);
    setPte(t, i, pfn, PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_RW | PTE_DIRTY);
    return 0;
  }
  ctx.getPage(page);
  pageAddRmap(ctx, page);
  setPte(t, i, page, vmaPteFlags(vma) | (write ? PTE_DIRTY : 0));
  return 0;
}

/** do_wp_page(): write to a present read-only PTE — reuse, make shared writable, or copy (COW). */
function doWpPage(vmf: VmFault): number {
  const { ctx, vma, pte: t, pteIdx: i } = vmf;
  const pfn = ptePfn(t, i);
  if (vma.flags & VM_SHARED) {
    // wp_page_shared(): the shared mapping becomes writable.
    setPteFlags(t, i, PTE_RW | PTE_DIRTY | PTE_ACCESSED, 0);
    ctx.tlbGen++;
    return 0;
  }
  const special = (pteFlags(t, i) & PTE_SPECIAL) !== 0 || ctx.isZeroPfn(pfn);
  const anon = !special && ctx.fields.mapping(ctx.fields.headOf(pfn)) < 0;
  if (anon && ctx.fields.headOf(pfn) === pfn && ctx.fields.order(pfn) === 0 && ctx.pages.ref(pfn) === 1) {
    // wp_page_reuse(): the only reference — keep the page, make it writable.
    setPteFlags(t, i, PTE_RW | PTE_DIRTY | PTE_ACCESSED, 0);
    ctx.tlbGen++;
    return 0;
  }
  return wpPageCopy(vmf, special ? -1 : pfn);
}

/** wp_page_copy(): a new anonymous page replaces the old mapping. */
function wpPageCopy(vmf: VmFault, old: number): number {
  const { ctx, vma, pte: t, pteIdx: i } = vmf;
  const pfn = ctx.allocPages(0, old < 0);
  if (pfn < 0) return VM_FAULT_OOM;
  if (old >= 0) ctx.copyPage(pfn, old);
  mmuNotifierInvalidate(vma.mm, vmf.address, vmf.address + 4096, 'MMU_NOTIFY_CLEAR');
  pageAddNewAnonRmap(ctx, vma, vmf.address, pfn);
  setPte(t, i, pfn, PTE_PRESENT | PTE_USER | PTE_ACCESSED | PTE_RW | PTE_DIRTY);
  ctx.tlbGen++;
  if (old >= 0) {
    pageRemoveRmap(ctx, old);
    ctx.putPage(old);
  }
  return 0;
}

/**
 * do_swap_page() on a non-present entry. The model has no swap device; the
 * special entries are: device-private (→ pgmap->ops->migrate_to_ram),
 * device-exclusive (→ remove_device_exclusive_entry), migration (wait).
 */
function doSwapPage(vmf: VmFault): number {
  const { ctx, pte: t, pteIdx: i } = vmf;
  const sw = ctx.hmm.swap;
  const type = swpType(t, i);
  const pfn = swpOffset(t, i);
  if (type === sw.deviceWrite || type === sw.deviceRead) {
    // 6.12: under the per-VMA lock the fault is retried with mmap_lock held.
    if (vmf.flags & FAULT_FLAG_VMA_LOCK) return VM_FAULT_RETRY;
    vmf.page = pfn;
    const pgmap = ctx.pgmapOf(pfn);
    if (!pgmap?.ops.migrateToRam) return VM_FAULT_SIGBUS;
    // Get a page reference while we know the page can't be freed.
    ctx.getPage(pfn);
    let locked = false;
    if (ctx.hmm.doSwapPageLocksDevicePage) {
      if (!ctx.trylockPage(pfn)) {
        ctx.putPage(pfn);
        return 0;
      }
      locked = true;
    }
    const name = pgmap.ops.migrateToRamName ?? 'migrate_to_ram';
    ctx.lastCollectSkip = null;
    const ret = ctx.frame(name, () => pgmap.ops.migrateToRam!(vmf));
    ctx.lastDeviceFault = {
      trace: [...ctx.stack, name],
      reason: ctx.lastCollectSkip ?? `${name} returned ${ret} without migrating the page`,
    };
    if (locked) ctx.unlockPage(pfn);
    ctx.putPage(pfn);
    return ret;
  }
  if (type === sw.deviceExclusiveWrite || type === sw.deviceExclusiveRead) {
    return ctx.frame('remove_device_exclusive_entry', () => removeDeviceExclusiveEntry(vmf, pfn, type));
  }
  if (type === sw.migrationRead || type === sw.migrationReadExclusive || type === sw.migrationWrite) {
    // migration_entry_wait(): single-threaded model — nobody else holds it; retry.
    return 0;
  }
  return VM_FAULT_SIGBUS;
}

/**
 * remove_device_exclusive_entry() + restore_exclusive_pte(): the CPU takes
 * the page back; MMU_NOTIFY_EXCLUSIVE (owner NULL) tells the device.
 */
function removeDeviceExclusiveEntry(vmf: VmFault, pfn: number, type: number): number {
  const { ctx, vma, pte: t, pteIdx: i } = vmf;
  mmuNotifierInvalidate(vma.mm, vmf.address, vmf.address + 4096, 'MMU_NOTIFY_EXCLUSIVE');
  restoreExclusivePte(ctx, vma, t, i, pfn, type === ctx.hmm.swap.deviceExclusiveWrite);
  return 0;
}

/** restore_exclusive_pte(). */
export function restoreExclusivePte(
  ctx: MmContext,
  vma: Vma,
  t: Uint32Array,
  i: number,
  pfn: number,
  writable: boolean,
): void {
  let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED;
  if (writable && vma.flags & VM_WRITE) f |= PTE_RW | PTE_DIRTY;
  setPte(t, i, pfn, f);
  pageAddRmap(ctx, pfn);
  ctx.tlbGen++;
}

/** Clear a PTE (for zap and migration code). */
export function ptepClear(ctx: MmContext, t: Uint32Array, i: number): void {
  clearPte(t, i);
  ctx.tlbGen++;
}
