/**
 * get_user_pages / pin_user_pages (mm/gup.c): follow_page_pte() and, when
 * the page is missing or not writable for FOLL_WRITE, faultin_page() →
 * handle_mm_fault(); FOLL_GET takes a reference, FOLL_PIN adds
 * GUP_PIN_COUNTING_BIAS. Device-private entries are not present, so GUP
 * faults them back through migrate_to_ram. FOLL_LONGTERM pins may not stay
 * on device-coherent pages (folio_is_longterm_pinnable): those are migrated
 * to system memory first (check_and_migrate_movable_pages →
 * migrate_device_coherent_folio). Flags the caller may not pass
 * (INTERNAL_GUP_FLAGS) make is_valid_gup_args() refuse with -EINVAL.
 */
import type { MmContext } from './context.js';
import { FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE, handleMmFault, VM_FAULT_ERROR } from './fault.js';
import { migrateDeviceCoherentFolio } from './migrate-device.js';
import type { MmStruct } from './mm-struct.js';
import { pmdIndex, pteIndex } from './mm-struct.js';
import { EBUSY, EFAULT, EINVAL } from './mmap.js';
import { PTE_PSE, PTE_RW, PTE_SPECIAL, pteFlags, pteNone, ptePfn } from './pte.js';
import { VM_ACCESS_FLAGS, VM_WRITE } from './vma.js';

/**
 * The frame user address `va` maps to now, without faulting: the PMD leaf
 * (THP / hugetlb) or the PTE, -1 when not present or, for a write, not
 * writable. What the MMU resolves; follow_page and the CPU model share it.
 */
export function userPfn(mm: MmStruct, va: number, write: boolean): number {
  const pmd = mm.pmdTable(va, false);
  if (!pmd) return -1;
  const pi = pmdIndex(va);
  if (!pteNone(pmd, pi) && pmd[2 * pi]! & PTE_PSE) {
    if (!(pmd[2 * pi]! & 1) || (write && !(pmd[2 * pi]! & PTE_RW))) return -1;
    return ptePfn(pmd, pi) + (Math.floor(va / 4096) & 511);
  }
  const t = mm.pteTable(va, false);
  if (!t) return -1;
  const i = pteIndex(va);
  if (!(t[2 * i]! & 1) || (write && !(t[2 * i]! & PTE_RW))) return -1;
  return ptePfn(t, i);
}

/** follow_page_pte(): the page if mapped (writable when `write`), else -1; special PTEs (vm_normal_page() NULL) except the zero page are -1. */
export function followPage(ctx: MmContext, mm: MmStruct, va: number, write: boolean): number {
  const pfn = userPfn(mm, va, write);
  if (pfn < 0) return -1;
  const pmd = mm.pmdTable(va, false)!;
  if (pmd[2 * pmdIndex(va)]! & PTE_PSE) return pfn;
  const t = mm.pteTable(va, false)!;
  const i = pteIndex(va);
  if (pteFlags(t, i) & PTE_SPECIAL && !ctx.isZeroPfn(pfn)) return -1;
  return pfn;
}

/** __get_user_pages() for one page: fault until follow_page succeeds; -errno on failure. */
export function faultinPage(ctx: MmContext, mm: MmStruct, va: number, write: boolean): number {
  for (let tries = 0; tries <= ctx.livelockThreshold; tries++) {
    const p = followPage(ctx, mm, va, write);
    if (p >= 0) return p;
    const vma = mm.vmaLookup(va);
    if (!vma || (write ? !(vma.flags & VM_WRITE) : !(vma.flags & VM_ACCESS_FLAGS))) return -EFAULT;
    const r = handleMmFault(ctx, vma, va, (write ? FAULT_FLAG_WRITE : 0) | FAULT_FLAG_REMOTE);
    if (r & VM_FAULT_ERROR) return -EFAULT;
  }
  return -EFAULT;
}

export interface GupResult {
  pages: number[];
  error: number;
}

/**
 * get_user_pages / pin_user_pages(_fast): returns the pages taken (with a
 * reference or a pin) or the error. `pin` selects FOLL_PIN.
 */
export function getUserPages(
  ctx: MmContext,
  mm: MmStruct,
  start: number,
  n: number,
  gupFlags: number,
  pin: boolean,
): GupResult {
  const F = ctx.hmm.foll;
  if (gupFlags & F.internalMask) {
    ctx.pr('WARNING: is_valid_gup_args: internal FOLL_ flag passed by a caller');
    return { pages: [], error: -EINVAL };
  }
  const write = (gupFlags & F.write) !== 0;
  const longterm = (gupFlags & F.longterm) !== 0;
  const pages: number[] = [];
  for (let k = 0; k < n; k++) {
    const va = start + k * 4096;
    let p = faultinPage(ctx, mm, va, write);
    if (p < 0) return { pages, error: pages.length ? 0 : p };
    if (longterm && ctx.isDeviceCoherent(p)) {
      // check_and_migrate_movable_pages → migrate_longterm_unpinnable_folios():
      // folio_is_longterm_pinnable() is false for device-coherent memory, so the
      // page moves to system RAM (migrate_device_coherent_folio) and GUP retries.
      if (migrateDeviceCoherentFolio(ctx, p)) return { pages, error: pages.length ? 0 : -EBUSY };
      p = faultinPage(ctx, mm, va, write);
      if (p < 0) return { pages, error: p };
    }
    ctx.pages.refAdd(ctx.fields.headOf(p), pin ? ctx.hmm.gupPinBias : 1);
    pages.push(p);
  }
  return { pages, error: 0 };
}

/** unpin_user_pages() / put_page() for GUP references. */
export function putUserPages(ctx: MmContext, pages: number[], pin: boolean): void {
  for (const p of pages) {
    if (pin) {
      ctx.pages.refAdd(ctx.fields.headOf(p), -(ctx.hmm.gupPinBias - 1));
      ctx.putPage(p);
    } else ctx.putPage(p);
  }
}
