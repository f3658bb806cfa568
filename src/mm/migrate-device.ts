/**
 * Device memory migration (mm/migrate_device.c, include/linux/migrate.h):
 * migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize and the
 * pfn-based migrate_device_range / _pages / _finalize used for eviction.
 *
 * src/dst entries are `(pfn << MIGRATE_PFN_SHIFT) | flags` with
 * MIGRATE_PFN_SHIFT 6, held in Float64Arrays (exact: pfn * 64 + flags < 2^53).
 * MIGRATE_PFN_VALID 1<<0, MIGRATE_PFN_MIGRATE 1<<1, MIGRATE_PFN_WRITE 1<<3
 * (bit 2, the old MIGRATE_PFN_LOCKED, is unused in 6.12).
 */
import { ModelError } from '../errors.js';
import type { MmContext } from './context.js';
import { HPAGE_PMD_SIZE, splitHugePage, splitHugePmd } from './huge-memory.js';
import { ownerName } from './memremap.js';
import { pmdIndex, pteIndex } from './mm-struct.js';
import { EBUSY, EINVAL } from './mmap.js';
import { mmuNotifierInvalidate } from './mmu-notifier.js';
import {
  PTE_ACCESSED,
  PTE_DIRTY,
  PTE_PRESENT,
  PTE_PSE,
  PTE_RW,
  PTE_SPECIAL,
  PTE_USER,
  pteFlags,
  pteNone,
  ptePfn,
  ptePresent,
  setPte,
  setSwapPte,
  swpOffset,
  swpType,
} from './pte.js';
import {
  pageAddNewAnonRmap,
  pageAddRmap,
  pageMapcount,
  pageRemoveRmap,
  rmapAnchor,
  rmapWalk,
} from './rmap.js';
import { VM_HUGETLB, VM_SPECIAL, VM_WRITE, type Vma } from './vma.js';

export const MIGRATE_PFN_VALID = 1;
export const MIGRATE_PFN_MIGRATE = 2;
export const MIGRATE_PFN_WRITE = 8;
export const MIGRATE_PFN_SHIFT = 6;

export const MIGRATE_VMA_SELECT_SYSTEM = 1;
export const MIGRATE_VMA_SELECT_DEVICE_PRIVATE = 2;
export const MIGRATE_VMA_SELECT_DEVICE_COHERENT = 4;

/** migrate_pfn(). */
export function migratePfn(pfn: number): number {
  return pfn * 64 + MIGRATE_PFN_VALID;
}
/**
 * The MIGRATE_PFN_* bits of an entry. `& 63` on the double is exact (ToInt32
 * keeps the low 32 bits of an integer below 2^53) and, unlike `% 64` on a
 * value past 2^31, needs no floating-point remainder: these run per page.
 */
export function migratePfnFlags(e: number): number {
  return e & 63;
}
/** migrate_pfn_to_page(): the pfn, or -1 unless VALID. */
export function migratePfnToPage(e: number): number {
  return e & MIGRATE_PFN_VALID ? Math.floor(e / 64) : -1;
}
function hasFlag(e: number, f: number): boolean {
  return (e & 63 & f) !== 0;
}
function clearFlag(e: number, f: number): number {
  return hasFlag(e, f) ? e - f : e;
}

/** struct migrate_vma. */
export interface MigrateVma {
  vma: Vma;
  start: number;
  end: number;
  src: Float64Array;
  dst: Float64Array;
  cpages: number;
  npages: number;
  pgmapOwner: unknown;
  flags: number;
  /** The device-private page migrate_to_ram was called for (pfn), or -1. */
  faultPage: number;
}

/** migrate_vma_check_page(): no references beyond the mappings and the expected extras. */
function checkPage(ctx: MmContext, pfn: number, faultPage: number): boolean {
  let extra = 1 + (pfn === faultPage ? 1 : 0);
  if (ctx.fields.order(ctx.fields.headOf(pfn)) || ctx.fields.headOf(pfn) !== pfn) return false;
  if (ctx.pgmapOf(pfn)) extra++;
  if (ctx.fields.mapping(pfn) > 0) extra++;
  return ctx.pages.ref(pfn) - extra <= pageMapcount(ctx, pfn);
}

/** The migration swap entry for a page (make_{writable,readable_exclusive,readable}_migration_entry). */
function setMigrationPte(ctx: MmContext, t: Uint32Array, i: number, pfn: number, writable: boolean): void {
  const sw = ctx.hmm.swap;
  setSwapPte(
    t,
    i,
    writable ? sw.migrationWrite : ctx.fields.mapping(pfn) < 0 ? sw.migrationReadExclusive : sw.migrationRead,
    pfn,
  );
  ctx.tlbGen++;
}

/** migrate_vma_collect() + migrate_vma_collect_pmd(). */
function collect(ctx: MmContext, m: MigrateVma): void {
  const vma = m.vma;
  const mm = vma.mm;
  mmuNotifierInvalidate(mm, m.start, m.end, 'MMU_NOTIFY_MIGRATE', m.pgmapOwner);
  const sw = ctx.hmm.swap;
  let k = 0;
  for (let va = m.start; va < m.end; va += 4096, k++) {
    m.src[k] = 0;
    m.dst[k] = 0;
    const pmd = mm.pmdTable(va, false);
    const pi = pmdIndex(va);
    if (!pmd || pteNone(pmd, pi)) {
      // migrate_vma_collect_hole(): only anonymous VMAs can get a new page there.
      if (vma.isAnonymous) {
        m.src[k] = MIGRATE_PFN_MIGRATE;
        m.cpages++;
      }
      continue;
    }
    if (pmd[2 * pi]! & PTE_PSE) {
      const hp = ptePfn(pmd, pi);
      splitHugePmd(ctx, vma, va);
      if (!ctx.isZeroPfn(hp) && !splitHugePage(ctx, hp)) {
        // The THP could not be split: skip its range.
        const next = va - (va % HPAGE_PMD_SIZE) + HPAGE_PMD_SIZE;
        while (va + 4096 < next && va + 4096 < m.end) {
          va += 4096;
          k++;
          m.src[k] = 0;
          m.dst[k] = 0;
        }
        continue;
      }
    }
    const t = mm.pteTable(va, false)!;
    const i = pteIndex(va);
    if (pteNone(t, i)) {
      if (vma.isAnonymous) {
        m.src[k] = MIGRATE_PFN_MIGRATE;
        m.cpages++;
      }
      continue;
    }
    let pfn: number;
    let entry: number;
    let writable: boolean;
    if (!ptePresent(t, i)) {
      const type = swpType(t, i);
      if (type !== sw.deviceWrite && type !== sw.deviceRead) continue;
      pfn = swpOffset(t, i);
      const pgmap = ctx.pgmapOf(pfn)!;
      if (!(m.flags & MIGRATE_VMA_SELECT_DEVICE_PRIVATE) || pgmap.owner !== m.pgmapOwner) {
        ctx.lastCollectSkip = !(m.flags & MIGRATE_VMA_SELECT_DEVICE_PRIVATE)
          ? `migrate_vma_setup flags lack MIGRATE_VMA_SELECT_DEVICE_PRIVATE`
          : `owner mismatch: the device page's pgmap->owner is ${ownerName(pgmap.owner)} (the owner the device migration placed it under), migrate_to_ram selects pgmap_owner ${ownerName(m.pgmapOwner)}`;
        continue;
      }
      writable = type === sw.deviceWrite;
      entry = migratePfn(pfn) + MIGRATE_PFN_MIGRATE;
    } else {
      pfn = ptePfn(t, i);
      if (pteFlags(t, i) & PTE_SPECIAL || ctx.isZeroPfn(pfn)) {
        if (m.flags & MIGRATE_VMA_SELECT_SYSTEM) {
          m.src[k] = MIGRATE_PFN_MIGRATE;
          m.cpages++;
        }
        continue;
      }
      const pgmap = ctx.pgmapOf(pfn);
      if (pgmap) {
        if (!(m.flags & MIGRATE_VMA_SELECT_DEVICE_COHERENT) || pgmap.owner !== m.pgmapOwner) continue;
      } else if (!(m.flags & MIGRATE_VMA_SELECT_SYSTEM)) continue;
      if (ctx.fields.headOf(pfn) !== pfn || ctx.fields.order(pfn)) continue;
      writable = (pteFlags(t, i) & PTE_RW) !== 0;
      entry = migratePfn(pfn) + MIGRATE_PFN_MIGRATE;
    }
    // Take a reference and the page lock (the fault page is held by the caller).
    ctx.getPage(pfn);
    if (pfn !== m.faultPage && !ctx.trylockPage(pfn)) {
      ctx.putPage(pfn);
      continue;
    }
    // folio_try_share_anon_rmap_pte(): a maybe-DMA-pinned page stays.
    if (ctx.pages.ref(pfn) >= ctx.hmm.gupPinBias) {
      if (pfn !== m.faultPage) ctx.unlockPage(pfn);
      ctx.putPage(pfn);
      continue;
    }
    if (writable) entry += MIGRATE_PFN_WRITE;
    setMigrationPte(ctx, t, i, pfn, writable);
    pageRemoveRmap(ctx, pfn);
    ctx.putPage(pfn);
    m.src[k] = entry;
    m.cpages++;
  }
  m.npages = k;
  m.end = m.start + k * 4096;
}

/**
 * Replace the migration entries for `old` by mappings of `neu`
 * (remove_migration_ptes → rmap_walk → remove_migration_pte). The walk is
 * inlined (no callback per page): nothing here changes the anon_vma's VMAs,
 * which the kernel's walk holds the anon_vma lock for.
 */
function removeMigrationPtes(ctx: MmContext, old: number, neu: number): void {
  const anchor = rmapAnchor(ctx, old);
  if (!anchor) return;
  const index = ctx.fields.index(old);
  const toPrivate = ctx.isDevicePrivate(neu);
  for (const vma of anchor.vmas) {
    const va = vma.addressOf(index);
    if (va >= 0) removeMigrationPte(ctx, vma, va, old, neu, toPrivate);
  }
}

/** remove_migration_pte(): one migration entry for `old` at va becomes a mapping of `neu`. */
function removeMigrationPte(
  ctx: MmContext,
  vma: Vma,
  va: number,
  old: number,
  neu: number,
  toPrivate: boolean,
): void {
  const sw = ctx.hmm.swap;
  const t = vma.mm.pteTable(va, false);
  if (!t) return;
  const i = pteIndex(va);
  if (ptePresent(t, i) || pteNone(t, i)) return;
  const type = swpType(t, i);
  if (type !== sw.migrationRead && type !== sw.migrationReadExclusive && type !== sw.migrationWrite) return;
  if (swpOffset(t, i) !== old) return;
  const writable = type === sw.migrationWrite;
  if (toPrivate) setSwapPte(t, i, writable ? sw.deviceWrite : sw.deviceRead, neu);
  else {
    let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED;
    if (writable && vma.flags & VM_WRITE) f |= PTE_RW | PTE_DIRTY;
    setPte(t, i, neu, f);
  }
  ctx.getPage(neu);
  pageAddRmap(ctx, neu);
  ctx.tlbGen++;
}

/** migrate_vma_setup(): 0 or -EINVAL. */
export function migrateVmaSetup(ctx: MmContext, m: MigrateVma): number {
  return ctx.frame('migrate_vma_setup', () => {
    m.start -= m.start % 4096;
    m.end -= m.end % 4096;
    const n = (m.end - m.start) / 4096;
    const v = m.vma;
    if (!v || v.flags & VM_HUGETLB || v.flags & VM_SPECIAL) return -EINVAL;
    if (n <= 0 || m.start < v.start || m.start >= v.end || m.end <= v.start || m.end > v.end) return -EINVAL;
    if (!m.src || !m.dst) return -EINVAL;
    // The kernel trusts the caller's arrays to hold npages entries; here a short one is a model bug.
    if (m.src.length < n || m.dst.length < n) {
      throw new ModelError(
        'HMM_MIGRATE_ARRAYS',
        `migrate_vma_setup: src/dst hold fewer than the ${n} pages of the range`,
      );
    }
    if (m.faultPage >= 0 && !ctx.isDevicePrivate(m.faultPage)) return -EINVAL;
    m.src.fill(0, 0, n);
    m.cpages = 0;
    m.npages = 0;
    collect(ctx, m);
    if (m.cpages) unmap(ctx, m.src, m.npages, m.faultPage);
    return 0;
  });
}

/** migrate_device_unmap(): check every collected page; failures are restored at once. */
function unmap(ctx: MmContext, src: Float64Array, n: number, faultPage: number): number {
  let unmapped = 0;
  for (let k = 0; k < n; k++) {
    const pfn = migratePfnToPage(src[k]!);
    if (pfn < 0) {
      if (hasFlag(src[k]!, MIGRATE_PFN_MIGRATE)) unmapped++;
      continue;
    }
    if (!hasFlag(src[k]!, MIGRATE_PFN_MIGRATE)) continue;
    // try_to_migrate(): other mappings (e.g. a forked child) get migration entries too.
    if (pageMapcount(ctx, pfn) > 0) tryToMigrate(ctx, pfn);
    if (pageMapcount(ctx, pfn) > 0 || !checkPage(ctx, pfn, faultPage)) {
      removeMigrationPtes(ctx, pfn, pfn);
      if (pfn !== faultPage) ctx.unlockPage(pfn);
      ctx.putPage(pfn);
      src[k] = 0;
      continue;
    }
    unmapped++;
  }
  return unmapped;
}

/** try_to_migrate(): every remaining PTE of the page becomes a migration entry. */
function tryToMigrate(ctx: MmContext, pfn: number): void {
  const sw = ctx.hmm.swap;
  rmapWalk(ctx, pfn, (vma, va) => {
    const t = vma.mm.pteTable(va, false);
    if (!t) return;
    const i = pteIndex(va);
    if (pteNone(t, i)) return;
    let writable: boolean;
    if (ptePresent(t, i)) {
      if (ptePfn(t, i) !== pfn) return;
      writable = (pteFlags(t, i) & PTE_RW) !== 0;
    } else {
      const type = swpType(t, i);
      if ((type !== sw.deviceWrite && type !== sw.deviceRead) || swpOffset(t, i) !== pfn) return;
      writable = type === sw.deviceWrite;
    }
    mmuNotifierInvalidate(vma.mm, va, va + 4096, 'MMU_NOTIFY_CLEAR');
    setMigrationPte(ctx, t, i, pfn, writable);
    pageRemoveRmap(ctx, pfn);
    ctx.putPage(pfn);
  });
}

/** migrate_vma_insert_page(): a new page where there was a hole or the zero page. */
function insertPage(ctx: MmContext, m: MigrateVma, va: number, page: number): boolean {
  const vma = m.vma;
  if (!vma.isAnonymous) return false;
  const pmd = vma.mm.pmdTable(va, true)!;
  const pi = pmdIndex(va);
  if (!pteNone(pmd, pi) && pmd[2 * pi]! & PTE_PSE) return false;
  const t = vma.mm.pteTable(va, true)!;
  const i = pteIndex(va);
  if (!pteNone(t, i)) {
    if (!ptePresent(t, i) || !ctx.isZeroPfn(ptePfn(t, i))) return false;
    ctx.tlbGen++;
  }
  const sw = ctx.hmm.swap;
  const pgmap = ctx.pgmapOf(page);
  if (pgmap?.type === 'private')
    setSwapPte(t, i, vma.flags & VM_WRITE ? sw.deviceWrite : sw.deviceRead, page);
  else {
    let f = PTE_PRESENT | PTE_USER | PTE_ACCESSED;
    if (vma.flags & VM_WRITE) f |= PTE_RW | PTE_DIRTY;
    setPte(t, i, page, f);
  }
  pageAddNewAnonRmap(ctx, vma, va, page);
  ctx.getPage(page);
  return true;
}

/** migrate_vma_pages() / migrate_device_pages() (vma-less when m is null). */
function pages(ctx: MmContext, src: Float64Array, dst: Float64Array, n: number, m: MigrateVma | null): void {
  let notified = false;
  for (let k = 0; k < n; k++) {
    const newpage = migratePfnToPage(dst[k]!);
    const page = migratePfnToPage(src[k]!);
    if (newpage < 0) {
      src[k] = clearFlag(src[k]!, MIGRATE_PFN_MIGRATE);
      continue;
    }
    if (page < 0) {
      if (!hasFlag(src[k]!, MIGRATE_PFN_MIGRATE)) continue;
      if (!m) {
        src[k] = clearFlag(src[k]!, MIGRATE_PFN_MIGRATE);
        continue;
      }
      if (!notified) {
        mmuNotifierInvalidate(m.vma.mm, m.start + k * 4096, m.end, 'MMU_NOTIFY_MIGRATE', m.pgmapOwner);
        notified = true;
      }
      if (!insertPage(ctx, m, m.start + k * 4096, newpage)) src[k] = clearFlag(src[k]!, MIGRATE_PFN_MIGRATE);
      continue;
    }
    if (!hasFlag(src[k]!, MIGRATE_PFN_MIGRATE)) continue;
    const dstPgmap = ctx.pgmapOf(newpage);
    if (dstPgmap && ctx.fields.mapping(page) > 0) {
      // Only anonymous memory migrates to device private or coherent memory.
      src[k] = clearFlag(src[k]!, MIGRATE_PFN_MIGRATE);
      continue;
    }
    // folio_migrate_mapping() + folio_migrate_flags(): the new page takes mapping and index.
    ctx.fields.setMapping(newpage, ctx.fields.mapping(page));
    ctx.fields.setIndex(newpage, ctx.fields.index(page));
    ctx.pages.setBit(newpage, ctx.pgSwapbacked, ctx.pages.bit(page, ctx.pgSwapbacked));
  }
}

export function migrateVmaPages(ctx: MmContext, m: MigrateVma): void {
  ctx.frame('migrate_vma_pages', () => pages(ctx, m.src, m.dst, m.npages, m));
}

/** migrate_vma_finalize() / migrate_device_finalize(). */
function finalize(ctx: MmContext, src: Float64Array, dst: Float64Array, n: number, faultPage: number): void {
  for (let k = 0; k < n; k++) {
    let newpage = migratePfnToPage(dst[k]!);
    const page = migratePfnToPage(src[k]!);
    if (page < 0) {
      if (newpage >= 0) {
        ctx.unlockPage(newpage);
        ctx.putPage(newpage);
      }
      continue;
    }
    if (!hasFlag(src[k]!, MIGRATE_PFN_MIGRATE) || newpage < 0) {
      if (newpage >= 0) {
        ctx.unlockPage(newpage);
        ctx.putPage(newpage);
      }
      newpage = page;
    }
    removeMigrationPtes(ctx, page, newpage);
    if (page !== faultPage) ctx.unlockPage(page);
    ctx.putPage(page);
    if (newpage !== page) {
      ctx.unlockPage(newpage);
      ctx.putPage(newpage);
    }
  }
}

export function migrateVmaFinalize(ctx: MmContext, m: MigrateVma): void {
  ctx.frame('migrate_vma_finalize', () => finalize(ctx, m.src, m.dst, m.npages, m.faultPage));
}

/**
 * migrate_device_range(): collect device pfns [start, start+n) without
 * knowing their addresses; every mapping is unmapped through rmap.
 */
export function migrateDeviceRange(ctx: MmContext, src: Float64Array, startPfn: number, n: number): number {
  for (let k = 0; k < n; k++) {
    const pfn = startPfn + k;
    src[k] = 0;
    if (ctx.pages.ref(pfn) === 0) continue; // get_page_unless_zero
    ctx.getPage(pfn);
    if (!ctx.trylockPage(pfn)) {
      ctx.putPage(pfn);
      continue;
    }
    src[k] = migratePfn(pfn) + MIGRATE_PFN_MIGRATE;
  }
  unmapDevice(ctx, src, n);
  return 0;
}

/** migrate_device_unmap() for migrate_device_range: try_to_migrate every mapping, then check. */
function unmapDevice(ctx: MmContext, src: Float64Array, n: number): void {
  for (let k = 0; k < n; k++) {
    const pfn = migratePfnToPage(src[k]!);
    if (pfn < 0) continue;
    if (pageMapcount(ctx, pfn) > 0) tryToMigrate(ctx, pfn);
    if (pageMapcount(ctx, pfn) > 0 || !checkPage(ctx, pfn, -1)) {
      removeMigrationPtes(ctx, pfn, pfn);
      ctx.unlockPage(pfn);
      ctx.putPage(pfn);
      src[k] = 0;
    }
  }
}

export function migrateDevicePages(ctx: MmContext, src: Float64Array, dst: Float64Array, n: number): void {
  pages(ctx, src, dst, n, null);
}

export function migrateDeviceFinalize(ctx: MmContext, src: Float64Array, dst: Float64Array, n: number): void {
  finalize(ctx, src, dst, n, -1);
}

/**
 * migrate_device_coherent_folio() (mm/migrate_device.c): move one
 * device-coherent page to a new system page without knowing its mappings —
 * what check_and_migrate_movable_pages() does before a FOLL_LONGTERM pin.
 * The caller's reference (its folio_get) is the one migrate_vma_collect
 * would have taken; finalize drops it. 0, or -EBUSY when the page could not
 * be unmapped (extra references) or no system page was free.
 */
export function migrateDeviceCoherentFolio(ctx: MmContext, pfn: number): number {
  const src = new Float64Array(1);
  const dst = new Float64Array(1);
  ctx.getPage(pfn);
  ctx.lockPage(pfn);
  src[0] = migratePfn(pfn) + MIGRATE_PFN_MIGRATE;
  unmapDevice(ctx, src, 1);
  if (!hasFlag(src[0]!, MIGRATE_PFN_MIGRATE)) return -EBUSY;
  const dpage = ctx.allocPages(0, false);
  if (dpage >= 0) {
    ctx.lockPage(dpage);
    dst[0] = migratePfn(dpage);
  }
  migrateDevicePages(ctx, src, dst, 1);
  if (hasFlag(src[0]!, MIGRATE_PFN_MIGRATE)) ctx.copyPage(dpage, pfn);
  migrateDeviceFinalize(ctx, src, dst, 1);
  return hasFlag(src[0]!, MIGRATE_PFN_MIGRATE) ? 0 : -EBUSY;
}

/**
 * A fresh struct migrate_vma for [start, end) of vma. `src`/`dst` are the
 * caller's pfn arrays (a driver's on-stack `src_pfns[64]`, reused for every
 * step of one ioctl); new ones of the range's size when omitted.
 */
export function newMigrateVma(
  vma: Vma,
  start: number,
  end: number,
  owner: unknown,
  flags: number,
  src?: Float64Array,
  dst?: Float64Array,
): MigrateVma {
  const n = Math.max(0, (end - start) / 4096);
  return {
    vma,
    start,
    end,
    src: src ?? new Float64Array(n),
    dst: dst ?? new Float64Array(n),
    cpages: 0,
    npages: 0,
    pgmapOwner: owner,
    flags,
    faultPage: -1,
  };
}
