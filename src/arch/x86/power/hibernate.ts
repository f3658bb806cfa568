/**
 * swsusp_arch_resume() (arch/x86/power/hibernate.c, hibernate_64.c) and the
 * copy loop of core_restore_code (hibernate_asm_64.S) on model memory:
 * set_up_temporary_mappings() builds page tables from safe pages, then
 * restore_image follows restore_pblist and copies every PBE's page into its
 * original frame with those tables in CR3.
 *
 * Layering: arch/ sits below machine/ and power/, so what this code needs of
 * the boot kernel comes through ArchRestoreKernel (physical memory, the
 * paging flags, pfn_mapped, __va/__pa, get_safe_page() and the page copy),
 * which src/power/resume.ts fills from the Machine and the hibernation
 * allocator. The console lines and the verdict stay with the caller.
 */
import type { PhysMem } from '../../../mm/phys-mem.js';
import { entryAddr, PAGE_SIZE, PMD_SIZE, readEntry, tableIndex, writeEntry } from '../pgtable.js';
import { translate, walk } from '../walk.js';

const LOW48 = 0xffffffffffffn;

/** struct pbe { void *address; void *orig_address; struct pbe *next; } (include/linux/suspend.h). */
const PBE_ADDRESS = 0;
const PBE_ORIG_ADDRESS = 8;
const PBE_NEXT = 16;

export interface ArchRestoreKernel {
  mem: PhysMem;
  /** The boot kernel's own top-level page table (physical). */
  pgdPhys: number;
  /** Flags of a non-leaf entry and of a 2 MiB leaf (the profile's paging flags). */
  tableFlags: bigint;
  largeLeafFlags: bigint;
  /** pfn_mapped[]: the [start, end) pfn ranges of the direct map. */
  pfnMapped: readonly (readonly [number, number])[];
  /** __va() of a physical address. */
  ptov(paddr: number): bigint;
  /** __pa() of a direct-map address, undefined outside the direct map. */
  virtToPhys(vaddr: bigint): number | undefined;
  /** get_safe_page(GFP_ATOMIC): a zeroed frame no image page is copied over (a pfn); throws when none is left. */
  getSafePage(): number;
  /** The rep movsq of one page: frame `src` into frame `dst`. */
  copyPage(dst: number, src: number): void;
}

/**
 * set_up_temporary_mappings(): a PGD and PUD/PMD pages from get_safe_page()
 * mapping every pfn_mapped range with 2 MiB pages at its direct-map address
 * (kernel_ident_mapping_init() with the direct-map offset). Returns the PGD.
 */
export function setUpTemporaryMappings(k: ArchRestoreKernel): number {
  const page = () => k.getSafePage() * PAGE_SIZE;
  const pgd = page();
  /** The next-level table of entry `idx` of `table`, made from a safe page when empty. */
  const next = (table: number, idx: number): number => {
    const e = readEntry(k.mem, table, idx);
    if (e !== 0n) return entryAddr(e);
    const t = page();
    writeEntry(k.mem, table, idx, BigInt(t) | k.tableFlags);
    return t;
  };
  for (const [spfn, epfn] of k.pfnMapped) {
    const start = Math.floor((spfn * PAGE_SIZE) / PMD_SIZE) * PMD_SIZE;
    const end = epfn * PAGE_SIZE;
    for (let a = start; a < end; a += PMD_SIZE) {
      const va = k.ptov(a);
      const pud = next(pgd, tableIndex(va, 'PGD'));
      const pmd = next(pud, tableIndex(va, 'PUD'));
      writeEntry(k.mem, pmd, tableIndex(va, 'PMD'), BigInt(a) | k.largeLeafFlags);
    }
  }
  return pgd;
}

export interface RestoreImageResult {
  /** PBEs whose page was copied. */
  pbesCopied: number;
  /** The loop stopped at an address the tables in CR3 do not map: reading the PBE, or copying its page. */
  fault?: { address: bigint; index: number; what: 'reading' | 'copying' };
  /** restore_pblist went on past `expected` PBEs: the chain was overwritten. */
  overrun?: boolean;
}

/**
 * core_restore_code with CR3 = `pgd`: from `pblist` (the value of
 * restore_pblist, newest PBE first) copy 4096 bytes from pbe->address to
 * pbe->orig_address, then pbe = pbe->next — loaded after the copy, as the
 * assembly does. The chain is read where get_buffer() wrote it, so whatever
 * happened to those frames in between is what the loop sees.
 *
 * `freshWalks`: without temporary tables the loop walks the boot kernel's own
 * tables, which a copy may overwrite, so every PBE is read through a new
 * walk (as the CPU's loads after the overwrite would see it); with them one
 * walk per PBE page is enough. `onMisplaced(dst, origPfn)` is called when a
 * page lands in a frame that is not __pa(orig_address).
 */
export function restoreImage(
  k: ArchRestoreKernel,
  pgd: number,
  pblist: bigint,
  expected: number,
  freshWalks: boolean,
  onMisplaced: (dst: number, origPfn: number) => void,
): RestoreImageResult {
  const r: RestoreImageResult = { pbesCopied: 0 };
  let pbeV = pblist;
  let pbePageV = -1n;
  let pbePagePhys = 0;
  for (let i = 0; pbeV !== 0n; i++) {
    if (i >= expected) {
      r.overrun = true;
      return r;
    }
    const pv = pbeV - (pbeV % BigInt(PAGE_SIZE));
    if (pv !== pbePageV || freshWalks) {
      const w = walk(k.mem, pgd, pv);
      if (w.paddr === undefined) {
        r.fault = { address: pbeV, index: i, what: 'reading' };
        return r;
      }
      pbePageV = pv;
      pbePagePhys = w.paddr;
    }
    const pa = pbePagePhys + Number(pbeV - pv);
    const srcV = k.mem.u64(pa + PBE_ADDRESS);
    const dstV = k.mem.u64(pa + PBE_ORIG_ADDRESS);
    // The same walks as walk(), without a record per page (translate() allocates nothing).
    const dPa = translate(k.mem, pgd, Number(dstV & LOW48));
    const sPa = dPa < 0 ? -1 : translate(k.mem, pgd, Number(srcV & LOW48));
    if (dPa < 0 || sPa < 0) {
      r.fault = { address: dPa < 0 ? dstV : srcV, index: i, what: 'copying' };
      return r;
    }
    const dst = Math.floor(dPa / PAGE_SIZE);
    k.copyPage(dst, Math.floor(sPa / PAGE_SIZE));
    r.pbesCopied++;
    pbeV = k.mem.u64(pa + PBE_NEXT);
    const origPfn = Math.floor((k.virtToPhys(dstV) ?? dPa) / PAGE_SIZE);
    if (dst !== origPfn) onMisplaced(dst, origPfn);
  }
  return r;
}

/**
 * swsusp_arch_resume(): set_up_temporary_mappings() (unless `noTempPageTables`,
 * the pre-2.6.14 behaviour a scenario can select: the copy then runs on the
 * boot kernel's own tables), relocate_restore_code() (one more safe page for
 * core_restore_code), then restore_image from the restore_pblist variable at
 * physical address `pblistPhys`.
 */
export function swsuspArchResume(
  k: ArchRestoreKernel,
  pblistPhys: number,
  expected: number,
  noTempPageTables: boolean,
  onMisplaced: (dst: number, origPfn: number) => void,
): RestoreImageResult {
  const pgd = noTempPageTables ? k.pgdPhys : setUpTemporaryMappings(k);
  k.getSafePage(); // relocate_restore_code()
  return restoreImage(k, pgd, k.mem.u64(pblistPhys), expected, noTempPageTables, onMisplaced);
}
