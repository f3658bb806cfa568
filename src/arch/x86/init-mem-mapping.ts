/**
 * The boot direct map, built as real page-table pages in model physical memory.
 *
 * Mirrors init_mem_mapping() / memory_map_top_down() / init_range_memory_mapping()
 * / init_memory_mapping() / split_mem_range() / adjust_range_page_size_mask() /
 * alloc_low_pages() in arch/x86/mm/init.c and kernel_physical_mapping_init() /
 * phys_pud_init() / phys_pmd_init() / phys_pte_init() in arch/x86/mm/init_64.c
 * (RHEL 7.9 backport and 6.x share the top-down walk; 3.10 upstream grows the
 * step by << 5 instead of << 8 — profile.paging.stepping).
 *
 * Only [0, 1 MiB) (always) and memblock.memory are mapped: a firmware hole
 * inside a 2 MiB block forces 4K pages around it and stays unmapped.
 *
 * Simplifications (documented): entries past a requested end are left alone
 * (the kernel clears them only when e820 has no RAM there, i.e. they are zero
 * anyway at boot); an existing 1G/2M leaf met by a request without that page
 * size is kept (the kernel would split it; this does not happen at boot).
 */
import { ModelError, ScenarioError } from '../../errors.js';
import type { Memblock } from '../../mm/memblock.js';
import { roundDown, roundUp } from '../../mm/memblock.js';
import type { PhysMem } from '../../mm/phys-mem.js';
import type { KernelProfile } from '../../profiles/types.js';
import { flat } from '../../util/flat.js';
import {
  entryAddr,
  entryLarge,
  ISA_END_ADDRESS,
  PAGE_SIZE,
  PGDIR_SIZE,
  PMD_SIZE,
  PUD_SIZE,
  readEntry,
  tableIndex,
  writeEntry,
} from './pgtable.js';

export const PG_LEVEL_4K = 1;
export const PG_LEVEL_2M = 2;
export const PG_LEVEL_1G = 3;
const MASK_2M = 1 << PG_LEVEL_2M;
const MASK_1G = 1 << PG_LEVEL_1G;

export interface MapRange {
  start: number;
  end: number;
  /** Bit mask of (1 << PG_LEVEL_2M) | (1 << PG_LEVEL_1G). */
  pageSizeMask: number;
}

export type PageSizeName = '4k' | '2M' | '1G';

export function pageSizeName(mask: number): PageSizeName {
  return mask & MASK_1G ? '1G' : mask & MASK_2M ? '2M' : '4k';
}

export interface PgtPageAlloc {
  /** Physical address of the page-table page. */
  addr: number;
  source: 'brk' | 'memblock';
  /** What it became: 'PUD' | 'PMD' | 'PTE'. */
  level: 'PUD' | 'PMD' | 'PTE';
}

export interface DirectMapOptions {
  profile: KernelProfile;
  mem: PhysMem;
  memblock: Memblock;
  /** Physical address of the PGD (init_level4_pgt / init_top_pgt) in the kernel image. */
  pgdPhys: number;
  /** Physical address of the brk pgt_buf (profile.paging.pgtBufPages pages). */
  pgtBufPhys: number;
  pageOffsetBase: bigint;
  maxPfn: number;
  /** CPU has PSE (2M pages). Default true. */
  pse?: boolean;
  /** CPU has GBPAGES and direct_gbpages (1G pages). Default profile.paging.directGbpages. */
  gbpages?: boolean;
}

/** The result of init_mem_mapping(): mapped pfn ranges, log and page-table pages used. */
export class DirectMap {
  /** pfn_mapped[] as [startPfn, endPfn) pairs, sorted and merged. */
  pfnMapped: Array<[number, number]> = [];
  minPfnMapped = 0;
  maxPfnMapped = 0;
  /** Every mapped range with its page size, in the order init_memory_mapping() created them. */
  readonly ranges: Array<MapRange & { pageSize: PageSizeName }> = [];
  /** Leaf entries written per page size (update_page_count: DirectMap4k/2M/1G). */
  readonly leafCount = { '4k': 0, '2M': 0, '1G': 0 };
  readonly pgtPages: PgtPageAlloc[] = [];
  readonly log: string[] = [];
  /** brk pgt_buf pointers, in pfns. */
  pgtBufStart = 0;
  pgtBufEnd = 0;
  pgtBufTop = 0;
  canUseBrkPgt = true;
  pageSizeMask = 0;

  constructor(readonly o: DirectMapOptions) {}

  /** __va(paddr) for the direct map. */
  va(paddr: number): bigint {
    return this.o.pageOffsetBase + BigInt(paddr);
  }

  /** Is [paddr] inside pfn_mapped? */
  isPfnMapped(pfn: number): boolean {
    for (const [s, e] of this.pfnMapped) if (pfn >= s && pfn < e) return true;
    return false;
  }

  // ---- alloc_low_pages() ----
  private allocLowPage(level: PgtPageAlloc['level']): number {
    let addr: number;
    let source: PgtPageAlloc['source'];
    if (this.pgtBufEnd + 1 > this.pgtBufTop || !this.canUseBrkPgt) {
      if (this.minPfnMapped >= this.maxPfnMapped) {
        throw new ScenarioError('PGT_ALLOC_FAILED', 'alloc_low_pages: ran out of memory');
      }
      addr = this.o.memblock.findInRange(
        this.minPfnMapped * PAGE_SIZE,
        this.maxPfnMapped * PAGE_SIZE,
        PAGE_SIZE,
        PAGE_SIZE,
      );
      if (!addr) throw new ScenarioError('PGT_ALLOC_FAILED', 'alloc_low_pages: can not alloc memory');
      this.o.memblock.reserve(addr, PAGE_SIZE);
      source = 'memblock';
    } else {
      addr = this.pgtBufEnd * PAGE_SIZE;
      this.pgtBufEnd++;
      source = 'brk';
      this.log.push(flat(`BRK [${h10(addr)}, ${h10(addr + PAGE_SIZE - 1)}] PGTABLE`));
    }
    // clear_page(__va(addr))
    this.o.mem.zeroPage(addr / PAGE_SIZE);
    this.pgtPages.push({ addr, source, level });
    return addr;
  }

  private tableFlags(): bigint {
    return this.o.profile.paging.tableFlags;
  }

  // ---- phys_pte_init / phys_pmd_init / phys_pud_init ----
  private physPteInit(ptePage: number, paddr: number, paddrEnd: number): void {
    const leaf = this.o.profile.paging.pteLeafFlags;
    for (let i = tableIndex(this.va(paddr), 'PTE'); i < 512 && paddr < paddrEnd; i++) {
      const next = roundDown(paddr, PAGE_SIZE) + PAGE_SIZE;
      if (readEntry(this.o.mem, ptePage, i) === 0n) {
        writeEntry(this.o.mem, ptePage, i, BigInt(roundDown(paddr, PAGE_SIZE)) | leaf);
        this.leafCount['4k']++;
      }
      paddr = next;
    }
  }

  private physPmdInit(pmdPage: number, paddr: number, paddrEnd: number, mask: number): void {
    const large = this.o.profile.paging.largeLeafFlags;
    for (let i = tableIndex(this.va(paddr), 'PMD'); i < 512 && paddr < paddrEnd; i++) {
      const next = roundDown(paddr, PMD_SIZE) + PMD_SIZE;
      const e = readEntry(this.o.mem, pmdPage, i);
      if (e !== 0n) {
        if (!entryLarge(e)) this.physPteInit(entryAddr(e), paddr, paddrEnd);
        paddr = next;
        continue;
      }
      if (mask & MASK_2M) {
        writeEntry(this.o.mem, pmdPage, i, BigInt(roundDown(paddr, PMD_SIZE)) | large);
        this.leafCount['2M']++;
        paddr = next;
        continue;
      }
      const pte = this.allocLowPage('PTE');
      this.physPteInit(pte, paddr, paddrEnd);
      writeEntry(this.o.mem, pmdPage, i, BigInt(pte) | this.tableFlags());
      paddr = next;
    }
  }

  private physPudInit(pudPage: number, paddr: number, paddrEnd: number, mask: number): void {
    const large = this.o.profile.paging.largeLeafFlags;
    for (let i = tableIndex(this.va(paddr), 'PUD'); i < 512 && paddr < paddrEnd; i++) {
      const next = roundDown(paddr, PUD_SIZE) + PUD_SIZE;
      const e = readEntry(this.o.mem, pudPage, i);
      if (e !== 0n) {
        if (!entryLarge(e)) this.physPmdInit(entryAddr(e), paddr, paddrEnd, mask);
        paddr = next;
        continue;
      }
      if (mask & MASK_1G) {
        writeEntry(this.o.mem, pudPage, i, BigInt(roundDown(paddr, PUD_SIZE)) | large);
        this.leafCount['1G']++;
        paddr = next;
        continue;
      }
      const pmd = this.allocLowPage('PMD');
      this.physPmdInit(pmd, paddr, paddrEnd, mask);
      writeEntry(this.o.mem, pudPage, i, BigInt(pmd) | this.tableFlags());
      paddr = next;
    }
  }

  /** kernel_physical_mapping_init(): walk PGD entries of __va(start)..__va(end). */
  private kernelPhysicalMappingInit(start: number, end: number, mask: number): void {
    let paddr = start;
    while (paddr < end) {
      const vaddr = this.va(paddr);
      const pgdIdx = tableIndex(vaddr, 'PGD');
      // next PGD boundary in virtual space, expressed as a physical address
      const vOff = Number(vaddr % BigInt(PGDIR_SIZE));
      const paddrNext = Math.min(end, paddr - vOff + PGDIR_SIZE);
      const e = readEntry(this.o.mem, this.o.pgdPhys, pgdIdx);
      if (e !== 0n) {
        this.physPudInit(entryAddr(e), paddr, end, mask);
      } else {
        const pud = this.allocLowPage('PUD');
        this.physPudInit(pud, paddr, end, mask);
        writeEntry(this.o.mem, this.o.pgdPhys, pgdIdx, BigInt(pud) | this.tableFlags());
      }
      paddr = paddrNext;
    }
  }

  /** split_mem_range() + adjust_range_page_size_mask() + merge. */
  splitMemRange(start: number, end: number): MapRange[] {
    const mask = this.pageSizeMask;
    const mr: MapRange[] = [];
    const save = (s: number, e: number, m: number): void => {
      if (s < e) mr.push({ start: s, end: e, pageSizeMask: m });
    };
    let pos = start;
    const limit = end;
    // head: 4K up to the first 2M boundary
    let e = Math.min(roundUp(pos, PMD_SIZE), limit);
    if (pos < e) {
      save(pos, e, 0);
      pos = e;
    }
    // 2M up to a 1G boundary
    let s = roundUp(pos, PMD_SIZE);
    e = Math.min(roundUp(pos, PUD_SIZE), roundDown(limit, PMD_SIZE));
    if (s < e) {
      save(s, e, mask & MASK_2M);
      pos = e;
    }
    // 1G run
    s = roundUp(pos, PUD_SIZE);
    e = roundDown(limit, PUD_SIZE);
    if (s < e) {
      save(s, e, mask & (MASK_2M | MASK_1G));
      pos = e;
    }
    // 2M tail
    s = roundUp(pos, PMD_SIZE);
    e = roundDown(limit, PMD_SIZE);
    if (s < e) {
      save(s, e, mask & MASK_2M);
      pos = e;
    }
    // 4K tail
    save(pos, limit, 0);

    // adjust_range_page_size_mask(): upgrade only when the whole aligned block is memblock memory.
    for (const r of mr) {
      if (mask & MASK_2M && !(r.pageSizeMask & MASK_2M)) {
        const bs = roundDown(r.start, PMD_SIZE);
        const be = roundUp(r.end, PMD_SIZE);
        if (this.o.memblock.isRegionMemory(bs, be - bs)) r.pageSizeMask |= MASK_2M;
      }
      if (mask & MASK_1G && !(r.pageSizeMask & MASK_1G)) {
        const bs = roundDown(r.start, PUD_SIZE);
        const be = roundUp(r.end, PUD_SIZE);
        if (this.o.memblock.isRegionMemory(bs, be - bs)) r.pageSizeMask |= MASK_1G;
      }
    }
    // merge contiguous ranges of the same page size
    const out: MapRange[] = [];
    for (const r of mr) {
      const last = out[out.length - 1];
      if (last && last.end === r.start && last.pageSizeMask === r.pageSizeMask) last.end = r.end;
      else out.push({ start: r.start, end: r.end, pageSizeMask: r.pageSizeMask });
    }
    return out;
  }

  /** init_memory_mapping(start, end). */
  initMemoryMapping(start: number, end: number): void {
    this.log.push(flat(`init_memory_mapping: [mem ${h10(start)}-${h10(end - 1)}]`));
    const mr = this.splitMemRange(start, end);
    for (const r of mr)
      this.log.push(flat(` [mem ${h10(r.start)}-${h10(r.end - 1)}] page ${pageSizeName(r.pageSizeMask)}`));
    for (const r of mr) {
      this.kernelPhysicalMappingInit(r.start, r.end, r.pageSizeMask);
      // Spelled out, not `{ ...r, … }`: a spread copy gets a hidden class of its own in V8
      // (100k of them for a 100k-entry e820 table).
      this.ranges.push({
        start: r.start,
        end: r.end,
        pageSizeMask: r.pageSizeMask,
        pageSize: pageSizeName(r.pageSizeMask),
      });
    }
    this.addPfnRangeMapped(start / PAGE_SIZE, end / PAGE_SIZE);
  }

  /** add_pfn_range_mapped(): merge into pfn_mapped[], track max_pfn_mapped. */
  private addPfnRangeMapped(s: number, e: number): void {
    this.maxPfnMapped = Math.max(this.maxPfnMapped, e);
    // Ranges come in ascending order but for the first ones: append without re-sorting.
    const last = this.pfnMapped[this.pfnMapped.length - 1];
    if (!last || s > last[1]) {
      this.pfnMapped.push([s, e]);
      return;
    }
    if (s >= last[0]) {
      last[1] = Math.max(last[1], e);
      return;
    }
    // memory_map_top_down() adds them descending: insert at the binary-searched place and
    // merge with the neighbours only (no re-sort of the whole list per range).
    const P = this.pfnMapped;
    let lo = 0;
    let hi = P.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (P[mid]![0] < s) lo = mid + 1;
      else hi = mid;
    }
    const a = Math.max(0, lo - 1);
    let b = lo;
    while (b < P.length && P[b]![0] <= e) b++;
    const window = [...P.slice(a, b), [s, e] as [number, number]].sort((x, y) => x[0] - y[0]);
    const out: Array<[number, number]> = [];
    for (const r of window) {
      const l = out[out.length - 1];
      if (l && r[0] <= l[1]) l[1] = Math.max(l[1], r[1]);
      else out.push([r[0], r[1]]);
    }
    P.splice(a, b - a, ...out);
  }

  /** init_range_memory_mapping(): each memblock.memory range clipped to [rStart, rEnd). */
  private initRangeMemoryMapping(rStart: number, rEnd: number): number {
    let mapped = 0;
    const regions = this.o.memblock.memory.regions.map((r) => [
      Math.ceil(r.base / PAGE_SIZE) * PAGE_SIZE,
      Math.floor((r.base + r.size) / PAGE_SIZE) * PAGE_SIZE,
    ]);
    for (const [ms, me] of regions) {
      const start = Math.min(Math.max(ms!, rStart), rEnd);
      const end = Math.min(Math.max(me!, rStart), rEnd);
      if (start >= end) continue;
      // If the range overlaps the brk page-table buffer, its own page tables
      // must come from memblock instead.
      this.canUseBrkPgt =
        Math.max(start, this.pgtBufEnd * PAGE_SIZE) >= Math.min(end, this.pgtBufTop * PAGE_SIZE);
      this.initMemoryMapping(start, end);
      mapped += end - start;
      this.canUseBrkPgt = true;
    }
    return mapped;
  }

  /** memory_map_top_down(map_start, map_end). */
  private memoryMapTopDown(mapStart: number, mapEnd: number): void {
    const addr = this.o.memblock.findInRange(mapStart, mapEnd, PMD_SIZE, PMD_SIZE);
    if (!addr)
      throw new ScenarioError('NO_PMD_BLOCK', 'memory_map_top_down: no free 2 MiB block to start mapping');
    const realEnd = addr + PMD_SIZE;
    let stepSize = PMD_SIZE;
    this.maxPfnMapped = 0;
    this.minPfnMapped = realEnd / PAGE_SIZE;
    let lastStart = realEnd;
    let mappedRamSize = 0;
    const shift8 = this.o.profile.paging.stepping === 'top-down-step-shift-8';
    while (lastStart > mapStart) {
      let start: number;
      if (lastStart > stepSize) {
        start = roundDown(lastStart - 1, stepSize);
        if (start < mapStart) start = mapStart;
      } else start = mapStart;
      const newMapped = this.initRangeMemoryMapping(start, lastStart);
      lastStart = start;
      this.minPfnMapped = lastStart / PAGE_SIZE;
      if (shift8) {
        mappedRamSize += newMapped;
        // get_new_step_size(): << (PMD_SHIFT - PAGE_SHIFT - 1)
        if (mappedRamSize >= stepSize) stepSize *= 2 ** 8;
      } else {
        // 3.10: only grow after a bigger range got mapped (STEP_SIZE_SHIFT 5)
        if (newMapped > mappedRamSize) stepSize *= 2 ** 5;
        mappedRamSize += newMapped;
      }
    }
    if (realEnd < mapEnd) this.initRangeMemoryMapping(realEnd, mapEnd);
  }

  /** init_mem_mapping(): probe page sizes, map the ISA range, then RAM top-down. */
  run(): void {
    const p = this.o.profile.paging;
    // probe_page_size_mask()
    this.pageSizeMask = 0;
    if (this.o.pse ?? true) this.pageSizeMask |= MASK_2M;
    if ((this.o.gbpages ?? p.directGbpages) && (this.o.pse ?? true)) this.pageSizeMask |= MASK_1G;
    if (this.pageSizeMask & MASK_1G) this.log.push('Using GB pages for direct mapping');
    this.pgtBufStart = this.o.pgtBufPhys / PAGE_SIZE;
    this.pgtBufEnd = this.pgtBufStart;
    this.pgtBufTop = this.pgtBufStart + p.pgtBufPages;
    const end = this.o.maxPfn * PAGE_SIZE;
    this.initMemoryMapping(0, ISA_END_ADDRESS);
    if (this.o.memblock.bottomUp) {
      throw new ModelError('BOTTOM_UP_UNSUPPORTED', 'memory_map_bottom_up is not modelled');
    }
    this.memoryMapTopDown(ISA_END_ADDRESS, end);
  }
}

/** printk %#010lx. */
export function h10(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

/** Build the direct map (init_mem_mapping) and return its record. */
export function initMemMapping(o: DirectMapOptions): DirectMap {
  const dm = new DirectMap(o);
  dm.run();
  return dm;
}
