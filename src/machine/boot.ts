/**
 * bootMachine(): the x86-64 boot-time memory setup, in the kernel's order
 * (arch/x86/kernel/setup.c setup_arch() and mm_init()):
 *
 *   e820 → memblock.memory (memblock_x86_fill / e820__memblock_setup) + trim
 *   → early reservations (kernel image + brk, initrd, EBDA/BIOS, low memory,
 *     real-mode trampoline, 6.x setup_data) → max_pfn (e820_end_of_ram_pfn)
 *   → kernel_randomize_memory → init_mem_mapping (real page tables)
 *   → NODE_DATA, mem_section roots, usemap, vmemmap (struct pages, PMD-mapped)
 *   → nosave regions (e820_mark_nosave_regions / e820__register_nosave_regions)
 *   → zones → struct pages (memmap init, reserve_bootmem_region)
 *   → buddy (free_all_bootmem / memblock_free_all)
 *
 * The returned Machine is the typed state the hibernation engine works on.
 */

import { NosaveList, registerE820Nosave } from '../arch/x86/e820-nosave.js';
import { type DirectMap, initMemMapping } from '../arch/x86/init-mem-mapping.js';
import { type KaslrBases, type KaslrOptions, kernelRandomizeMemory } from '../arch/x86/kaslr.js';
import {
  entryAddr,
  PMD_SIZE,
  PUD_SIZE,
  readEntry,
  START_KERNEL_MAP,
  tableIndex,
  writeEntry,
} from '../arch/x86/pgtable.js';
import { translate, type WalkResult, walk } from '../arch/x86/walk.js';
import { ScenarioError } from '../errors.js';
import { E820_TYPE, type E820Entry, e820TypeNameFor } from '../firmware/e820-types.js';
import { Buddy } from '../mm/buddy.js';
import type { HostBudget } from '../mm/host-budget.js';
import { Memblock } from '../mm/memblock.js';
import { PAGE_SIZE, PhysMem } from '../mm/phys-mem.js';
import { Sections } from '../mm/sparse.js';
import { PG_INIT, StructPages } from '../mm/struct-page.js';
import { Zones, zoneEndPfn } from '../mm/zones.js';
import { sizeOf } from '../profiles/structs/define.js';
import type { KernelImageLayout, KernelProfile } from '../profiles/types.js';
import { flat } from '../util/flat.js';
import { KernelData } from './kernel-data.js';
import { writeKernelGlobals } from './kernel-globals.js';

/** What boot needs from the firmware layer (src/firmware KernelE820 fits this shape). */
export interface BootE820 {
  readonly firmware: readonly E820Entry[];
  /** The kernel's table after trim_bios_range, setup_data, memmap=/mem=. Sorted. */
  readonly kernel: readonly E820Entry[];
  /** 6.x: setup_data ranges to memblock_reserve. */
  readonly setupData?: readonly { addr: bigint; size: bigint }[];
  readonly userDefined?: boolean;
  /** Kernel log lines the firmware layer produced (e820: update/remove …). */
  readonly log?: readonly string[];
  /** nokaslr: the kernel stays at its link address even on non-RAM (no relocation). */
  readonly kernelFixed?: boolean;
  /** The command line this kernel parsed (pm_debug_messages, resume=, …). */
  readonly cmdline?: string;
}

export interface BootOptions {
  profile: KernelProfile;
  kaslr?: KaslrOptions;
  /** Kernel image placement (defaults: profile.kernelImage). */
  kernelImage?: Partial<KernelImageLayout>;
  /** Initial ramdisk, physical [addr, addr+size). */
  initrd?: { addr: number; size: number };
  cpu?: { pse?: boolean; gbpages?: boolean };
  /** The run's host-memory budget for per-page state (mm/host-budget.ts); none: unbounded. */
  budget?: HostBudget;
}

/** The kernel image as placed at boot. */
export interface KernelImage {
  textPhys: number;
  textVirt: bigint;
  endPhys: number;
  pgdPhys: number;
  pgdVirt: bigint;
  pgtBufPhys: number;
}

/** MAX_DMA_ADDRESS (16 MiB): sparse buffers are allocated above it. */
const MAX_DMA_ADDRESS = 0x1000000;
/** Real-mode trampoline blob size (PAGE_ALIGN(real_mode_blob_end - real_mode_blob)); assumed 24 KiB. */
const REALMODE_SIZE = 0x6000;
/** BIOS_START_MIN / LOWMEM_CAP: EBDA floor used when the EBDA pointer is unknown (reserve_ebda_region). */
const LOWMEM_CAP = 0x9f000;
/** SMP_CACHE_BYTES on x86-64. */
const SMP_CACHE_BYTES = 64;
/** sizeof(struct nosave_region) = list_head + 2 longs. */
const NOSAVE_REGION_SIZE = 32;

export interface Machine {
  readonly profile: KernelProfile;
  readonly e820: BootE820;
  readonly memblock: Memblock;
  readonly maxPfn: number;
  readonly maxArchPfn: number;
  readonly kaslr: KaslrBases;
  readonly kernelImage: KernelImage;
  readonly directMap: DirectMap;
  readonly sections: Sections;
  readonly zones: Zones;
  readonly nosave: NosaveList;
  readonly mem: PhysMem;
  readonly pages: StructPages;
  readonly buddy: Buddy;
  /** Kernel-style boot log. */
  readonly log: string[];
  /** Physical address of the vmemmap buffer and its size. */
  readonly vmemmap: { phys: number; size: number };
  /** The kernel objects kept as typed state, serialised on read (struct pages, pglist_data, …). */
  readonly kdata: KernelData;
  ptov(paddr: number): bigint;
  /** __pa(): direct map or kernel image; undefined outside both. */
  virtToPhys(vaddr: bigint): number | undefined;
  vtop(vaddr: bigint): WalkResult;
  /** Is the pfn mapped in the direct map (real page-table walk)? */
  isDirectMapped(pfn: number): boolean;
  pfnToPage(pfn: number): bigint;
  pageToPfn(page: bigint): number | undefined;
  pfnValid(pfn: number): boolean;
}

/** printk %#018Lx. */
function h18(v: number | bigint): string {
  return `0x${BigInt(v).toString(16).padStart(16, '0')}`;
}
function hw(v: number | bigint, w: number): string {
  return `0x${BigInt(v).toString(16).padStart(w, '0')}`;
}

/** e820_end_of_ram_pfn() (arch/x86/kernel/e820.c): the end of the last RAM entry, capped at MAX_ARCH_PFN; 0 without RAM. */
export function e820EndOfRamPfn(table: readonly E820Entry[], profile: KernelProfile): number {
  const maxArchPfn = 2 ** (profile.paging.maxPhysmemBits - 12);
  let maxPfn = 0;
  for (const e of table) {
    if (e.type !== E820_TYPE.RAM) continue;
    const end = Math.min(Number((e.addr + e.size) / 4096n), maxArchPfn);
    if (end > maxPfn) maxPfn = end;
  }
  return maxPfn;
}

/**
 * What setup_arch() leaves behind before mm_init(): memblock, the direct map
 * (real page tables), sparsemem, nosave regions and zones — no struct pages,
 * no buddy. Enough for questions about which frames a kernel maps and owns
 * (hiblab diagnose); a fraction of bootMachine's cost on big maps.
 */
export interface SetupArch {
  readonly profile: KernelProfile;
  readonly e820: BootE820;
  readonly log: string[];
  readonly maxPfn: number;
  readonly maxArchPfn: number;
  readonly img: KernelImage;
  readonly mb: Memblock;
  readonly kaslr: KaslrBases;
  readonly mem: PhysMem;
  readonly directMap: DirectMap;
  readonly sections: Sections;
  readonly nosave: NosaveList;
  readonly zones: Zones;
  readonly vmemmapPhys: number;
  readonly vmemmapSize: number;
}

export function setupArch(e820: BootE820, opts: BootOptions): SetupArch {
  const profile = opts.profile;
  const log: string[] = [];
  // e820__memory_setup() prints the firmware map once; a table built by
  // buildKernelE820() carries that block (and the kernel's edits) in its log.
  if (e820.log) log.push(...e820.log);
  else {
    log.push(`${profile.bootLog.e820Prefix}BIOS-provided physical RAM map:`);
    for (const e of e820.firmware) {
      log.push(
        `BIOS-e820: [mem ${h18(e.addr)}-${h18(e.addr + e.size - 1n)}] ${e820TypeNameFor(e.type, profile.e820.knownTypes)}`,
      );
    }
  }

  // ---- max_pfn ----
  const maxArchPfn = 2 ** (profile.paging.maxPhysmemBits - 12);
  const maxPfn = e820EndOfRamPfn(e820.kernel, profile);
  if (maxPfn === 0) throw new ScenarioError('NO_RAM', 'the kernel e820 table has no usable RAM');
  log.push(`${profile.bootLog.lastPfnPrefix}last_pfn = ${hw(maxPfn, 0)} max_arch_pfn = ${hw(maxArchPfn, 0)}`);

  // ---- kernel image ----
  const L = { ...profile.kernelImage, ...opts.kernelImage };
  // A nokaslr kernel runs where it was linked; e820_add_kernel_range() already made that RAM.
  if (!e820.kernelFixed) L.textPhys = placeKernel(e820.kernel, L.textPhys, L.endOffset, log);
  const img: KernelImage = {
    textPhys: L.textPhys,
    textVirt: L.textVirt,
    endPhys: L.textPhys + L.endOffset,
    pgdPhys: L.textPhys + L.pgdOffset,
    pgdVirt: L.textVirt + BigInt(L.pgdOffset),
    pgtBufPhys: L.textPhys + L.pgtBufOffset,
  };

  // ---- memblock ----
  const mb = new Memblock();
  // early reservations in setup order: kernel image incl. brk, initrd, EBDA/BIOS.
  mb.reserve(img.textPhys, img.endPhys - img.textPhys, 'kernel image [_text, _end) incl. brk');
  if (opts.initrd) mb.reserve(opts.initrd.addr, opts.initrd.size, 'initrd');
  if (profile.e820.setupData === 'memblock-reserve') {
    for (const sd of e820.setupData ?? []) mb.reserve(Number(sd.addr), Number(sd.size), 'setup_data');
  }
  // reserve_ebda_region() / reserve_bios_regions(): [min(EBDA, LOWMEM_CAP), 1 MiB).
  let lowRamEnd = LOWMEM_CAP;
  for (const e of e820.kernel) {
    if (e.type === E820_TYPE.RAM && e.addr < 0x100000n && e.addr + e.size > 0x1000n) {
      lowRamEnd = Math.min(lowRamEnd, Math.floor(Number(e.addr + e.size) / PAGE_SIZE) * PAGE_SIZE);
    }
  }
  mb.reserve(lowRamEnd, 0x100000 - lowRamEnd, 'BIOS/EBDA region');
  // memblock_x86_fill() / e820__memblock_setup(): memory = profile's types.
  for (const e of e820.kernel) {
    if (profile.memblock.memoryTypes.includes(e.type)) mb.add(Number(e.addr), Number(e.size));
    else if (
      e.type === E820_TYPE.SOFT_RESERVED &&
      profile.e820.knownTypes.includes(E820_TYPE.SOFT_RESERVED)
    ) {
      mb.reserve(Number(e.addr), Number(e.size));
    }
  }
  mb.trimMemory(PAGE_SIZE);
  // trim_low_memory_range(): X86_RESERVE_LOW (3.10) / 6.x reserve_real_mode reserves all of 1 MiB.
  const tramp = mb.findInRange(0, 0x100000, REALMODE_SIZE, PAGE_SIZE);
  mb.reserve(0, profile.memblock.reserveLowBytes, 'low memory');
  if (tramp) mb.reserve(tramp, REALMODE_SIZE, 'real-mode trampoline');

  // ---- KASLR ----
  const kaslr = kernelRandomizeMemory(profile, maxPfn, opts.kaslr);

  // ---- init_mem_mapping ----
  const mem = new PhysMem(opts.budget ?? null);
  const directMap = initMemMapping({
    profile,
    mem,
    memblock: mb,
    pgdPhys: img.pgdPhys,
    pgtBufPhys: img.pgtBufPhys,
    pageOffsetBase: kaslr.pageOffsetBase,
    maxPfn,
    pse: opts.cpu?.pse,
    gbpages: opts.cpu?.gbpages,
  });
  log.push(...directMap.log);
  mb.currentLimit = directMap.maxPfnMapped * PAGE_SIZE;

  // ---- NODE_DATA (initmem_init → setup_node_data / alloc_node_data) ----
  const nd = mb.alloc(profile.mm.nodeDataBytes, profile.mm.nodeDataAlign, 'NODE_DATA(0) pglist_data');
  if (profile.build.numa) {
    log.push(`NODE_DATA(0) allocated [mem ${hw(nd, 8)}-${hw(nd + profile.mm.nodeDataBytes - 1, 8)}]`);
  }

  // ---- sparse: mem_section roots, usemap, vmemmap buffer + its page tables ----
  const sections = new Sections(profile, mb, maxPfn);
  // SECTIONS_PER_ROOT = PAGE_SIZE / sizeof(struct mem_section) (3.10 with MEMCG: 32 bytes; 6.x: 16).
  const perRoot = PAGE_SIZE / sizeOf(profile.structs, 'mem_section');
  const roots = new Set<number>();
  for (let s = 0; s < sections.count; s++) if (sections.present[s]) roots.add(Math.floor(s / perRoot));
  for (const r of [...roots].sort((a, b) => a - b))
    mb.alloc(PAGE_SIZE, SMP_CACHE_BYTES, `mem_section root ${r}`);
  const pageblocksPerSection = sections.pfnsPerSection / 512;
  const usemapBytes = Math.ceil((pageblocksPerSection * 4) / 64) * 8;
  mb.alloc(usemapBytes * sections.presentCount, SMP_CACHE_BYTES, 'usemap (pageblock flags)');
  const sectionMapBytes = sections.pfnsPerSection * profile.mm.structPage.size;
  const vmemmapSize = sectionMapBytes * sections.presentCount;
  // sparse_buffer_init(): one PMD-aligned buffer above MAX_DMA_ADDRESS; when that
  // fails the kernel allocates per section (vmemmap_alloc_block_buf fallback).
  const vmemmapPhys = mb.findInRange(MAX_DMA_ADDRESS, mb.currentLimit, vmemmapSize, PMD_SIZE);
  if (vmemmapPhys) mb.reserve(vmemmapPhys, vmemmapSize, 'vmemmap (struct pages)');
  populateVmemmap(profile, mem, mb, img.pgdPhys, kaslr.vmemmapBase, sections, vmemmapPhys, sectionMapBytes);

  // ---- nosave regions ----
  const nosave = new NosaveList(profile, () => {
    mb.alloc(NOSAVE_REGION_SIZE, SMP_CACHE_BYTES, 'nosave_region');
  });
  registerE820Nosave(profile, e820.kernel, maxPfn, nosave);
  log.push(...nosave.log);

  // ---- zones ----
  const zones = new Zones(mb, maxPfn);
  const w = profile.bootLog.zoneRangeWidth;
  log.push('Zone ranges:');
  for (const z of zones.zones) {
    const name = z.name.padEnd(8);
    if (!z.spannedPages) log.push(`  ${name} empty`);
    else log.push(`  ${name} [mem ${hw(z.startPfn * PAGE_SIZE, w)}-${hw(zoneEndPfn(z) * PAGE_SIZE - 1, w)}]`);
  }
  log.push('Movable zone start for each node');
  log.push('Early memory node ranges');
  for (const r of mb.memory.regions) {
    log.push(flat(`  node   0: [mem ${hw(r.base, w)}-${hw(r.base + r.size - 1, w)}]`));
  }
  log.push(`On node 0 totalpages: ${zones.totalPresent}`);
  return {
    profile,
    e820,
    log,
    maxPfn,
    maxArchPfn,
    img,
    mb,
    kaslr,
    mem,
    directMap,
    sections,
    nosave,
    zones,
    vmemmapPhys,
    vmemmapSize,
  };
}

export function bootMachine(e820: BootE820, opts: BootOptions): Machine {
  const sa = setupArch(e820, opts);
  const { profile, log, maxPfn, maxArchPfn, img, mb, kaslr, mem, directMap, sections, nosave, zones } = sa;
  const { vmemmapPhys, vmemmapSize } = sa;

  // ---- struct pages ----
  const zoneIdx = (pfn: number): number => zones.zoneIndexOf(pfn);
  const pages = new StructPages(profile, sections, kaslr.vmemmapBase, zoneIdx, opts.budget ?? null);
  initMemmap(profile, pages, sections, zones, mb, maxPfn);

  // ---- zonelists ----
  let totalPages = zones.totalPresent;
  if (profile.bootLog.totalPages === 'present-minus-memmap') {
    totalPages = 0;
    for (const z of zones.zones) {
      if (!z.spannedPages) continue;
      // calc_memmap_size(): present pages when the span is mostly holes (SPARSEMEM)
      const basis = z.spannedPages > z.presentPages + (z.presentPages >> 4) ? z.presentPages : z.spannedPages;
      const memmapPages = Math.ceil((basis * profile.mm.structPage.size) / PAGE_SIZE);
      totalPages += Math.max(0, z.presentPages - memmapPages);
    }
  }
  log.push(`Built 1 zonelists, mobility grouping on.  Total pages: ${totalPages}`);

  // ---- buddy: free_all_bootmem / memblock_free_all ----
  const buddy = new Buddy(profile, pages, zones);
  for (const [s, e] of mb.freeRanges()) {
    const spfn = Math.ceil(s / PAGE_SIZE);
    const epfn = Math.min(Math.floor(e / PAGE_SIZE), maxPfn);
    if (spfn < epfn) buddy.freeBootRange(spfn, epfn);
  }
  const kb = (pgs: number): number => pgs * 4;
  log.push(
    `Memory: ${kb(buddy.totalFreePages)}K/${kb(zones.totalPresent)}K available (${kb(
      zones.totalPresent - zones.totalManaged,
    )}K reserved)`,
  );

  // The build's sections describe its own layout only, not a caller's kernelImage override.
  if (!opts.kernelImage) freeInitmem(profile, img, buddy, pages, zones, mb);
  const vmemmap = { phys: vmemmapPhys, size: vmemmapSize };
  const kdata = new KernelData({
    profile,
    kernelImage: img,
    kaslr,
    sections,
    zones,
    pages,
    buddy,
    memblock: mb,
    nosave,
    maxPfn,
    vmemmap,
  });
  mem.setKernelProvider(kdata);
  writeKernelGlobals(mem, kdata);

  const pageOffsetLow48 = Number(BigInt.asUintN(48, kaslr.pageOffsetBase));
  const machine: Machine = {
    profile,
    e820,
    memblock: mb,
    maxPfn,
    maxArchPfn,
    kaslr,
    kernelImage: img,
    directMap,
    sections,
    zones,
    nosave,
    mem,
    pages,
    buddy,
    log,
    vmemmap,
    kdata,
    ptov: (paddr) => kaslr.pageOffsetBase + BigInt(paddr),
    virtToPhys: (vaddr) => {
      const d = vaddr - kaslr.pageOffsetBase;
      if (d >= 0n && d < BigInt(kaslr.sizesTb[0]) << 40n) return Number(d);
      if (vaddr >= img.textVirt && vaddr < img.textVirt + BigInt(img.endPhys - img.textPhys)) {
        // __pa_symbol(): x - __START_KERNEL_map + phys_base
        return Number(vaddr - START_KERNEL_MAP) + (img.textPhys - Number(img.textVirt - START_KERNEL_MAP));
      }
      return undefined;
    },
    vtop: (vaddr) => walk(mem, img.pgdPhys, vaddr),
    // The walk's answer without its record: translate() reads the same entries, allocating nothing
    // (saveable_page()'s kernel_page_present() asks this for every reserved page).
    isDirectMapped: (pfn) => translate(mem, img.pgdPhys, (pageOffsetLow48 + pfn * 4096) % 2 ** 48) >= 0,
    pfnToPage: (pfn) => pages.pfnToPage(pfn),
    pageToPfn: (page) => pages.pageToPfn(page),
    pfnValid: (pfn) => sections.pfnValid(pfn),
  };
  return machine;
}

/**
 * Where the decompressor put the kernel: the profile default when [_text, _end)
 * lies in one RAM entry, else the lowest 2 MiB-aligned (CONFIG_PHYSICAL_ALIGN)
 * address ≥ 16 MiB (else ≥ 1 MiB) where it fits.
 */
function placeKernel(table: readonly E820Entry[], text: number, size: number, log: string[]): number {
  // RAM entries by start; fits() is a binary search, so a 100k-entry table of
  // alternating 4 KiB usable/reserved pieces costs n log n, not n^2.
  const ram = table
    .filter((e) => e.type === E820_TYPE.RAM)
    .map((e) => [Number(e.addr), Number(e.addr + e.size)] as const)
    .sort((x, y) => x[0] - y[0]);
  // Longest end among entries up to i: entries may overlap (an unsanitized table).
  const maxEnd = new Float64Array(ram.length);
  for (let i = 0; i < ram.length; i++) maxEnd[i] = Math.max(ram[i]![1], i > 0 ? maxEnd[i - 1]! : 0);
  const fits = (a: number): boolean => {
    let lo = 0;
    let hi = ram.length - 1;
    let last = -1; // last entry starting at or below a
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ram[mid]![0] <= a) {
        last = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return last >= 0 && a + size <= maxEnd[last]!;
  };
  if (fits(text)) return text;
  for (const floor of [0x1000000, 0x100000]) {
    for (const e of table) {
      if (e.type !== E820_TYPE.RAM) continue;
      const a = Math.max(floor, Math.ceil(Number(e.addr) / PMD_SIZE) * PMD_SIZE);
      if (fits(a)) {
        log.push(`hiblab: kernel image placed at ${hw(a, 8)} (default ${hw(text, 8)} is not RAM)`);
        return a;
      }
    }
  }
  throw new ScenarioError('KERNEL_NO_ROOM', `no RAM range holds the ${size}-byte kernel image`);
}

/**
 * vmemmap_populate() with PMD (2 MiB) mappings: each present section's 2 MiB
 * of struct pages comes from the sparse buffer; PUD/PMD table pages from
 * memblock (vmemmap_alloc_block_zero), mirrors vmemmap_populate_hugepages()
 * in arch/x86/mm/init_64.c.
 */
function populateVmemmap(
  profile: KernelProfile,
  mem: PhysMem,
  mb: Memblock,
  pgdPhys: number,
  vmemmapBase: bigint,
  sections: Sections,
  bufPhys: number,
  sectionMapBytes: number,
): void {
  const table = profile.paging.tableFlags;
  const large = profile.paging.largeLeafFlags;
  const allocTable = (): number => {
    const a = mb.alloc(PAGE_SIZE, PAGE_SIZE, 'vmemmap page table');
    mem.zeroPage(a / PAGE_SIZE);
    return a;
  };
  let buf = bufPhys;
  const nextBlock = (): number => {
    if (bufPhys) {
      const b = buf;
      buf += PMD_SIZE;
      return b;
    }
    return mb.alloc(PMD_SIZE, PMD_SIZE, 'vmemmap block (struct pages)');
  };
  for (let s = 0; s < sections.count; s++) {
    if (!sections.present[s]) continue;
    for (let off = 0; off < sectionMapBytes; off += PMD_SIZE) {
      const va = vmemmapBase + BigInt(s) * BigInt(sectionMapBytes) + BigInt(off);
      let e = readEntry(mem, pgdPhys, tableIndex(va, 'PGD'));
      if (e === 0n) {
        const t = allocTable();
        e = BigInt(t) | table;
        writeEntry(mem, pgdPhys, tableIndex(va, 'PGD'), e);
      }
      const pud = entryAddr(e);
      let pe = readEntry(mem, pud, tableIndex(va, 'PUD'));
      if (pe === 0n) {
        const t = allocTable();
        pe = BigInt(t) | table;
        writeEntry(mem, pud, tableIndex(va, 'PUD'), pe);
      }
      const pmd = entryAddr(pe);
      if (readEntry(mem, pmd, tableIndex(va, 'PMD')) === 0n) {
        writeEntry(mem, pmd, tableIndex(va, 'PMD'), BigInt(nextBlock()) | large);
      }
    }
  }
  void PUD_SIZE;
}

/**
 * memmap init: every pfn of a present section inside a zone span gets
 * __init_single_page() (zone/node links, refcount 1, mapcount -1, cpupid
 * reset); non-RAM pfns are PageReserved per profile.mm.holePagesReserved;
 * 6.x also initialises the out-of-span pfns of present sections
 * (init_unavailable_range). Then reserve_bootmem_region() /
 * memmap_init_reserved_pages() sets PageReserved on memblock.reserved.
 */
function initMemmap(
  profile: KernelProfile,
  pages: StructPages,
  sections: Sections,
  zones: Zones,
  mb: Memblock,
  maxPfn: number,
): void {
  const R = 1 << profile.mm.pageFlags.bits.reserved;
  const ram = { flags: PG_INIT, refcount: 1, mapcount: -1, private: 0 };
  const hole = {
    flags: PG_INIT | (profile.mm.holePagesReserved ? R : 0),
    refcount: 1,
    mapcount: -1,
    private: 0,
  };
  const outside = profile.mm.memmapInitWholeSection
    ? { flags: PG_INIT | R, refcount: 1, mapcount: -1, private: 0 }
    : { flags: 0, refcount: 0, mapcount: 0, private: 0 };
  const per = sections.pfnsPerSection;
  const spans = zones.zones.filter((z) => z.spannedPages).map((z) => [z.startPfn, zoneEndPfn(z)] as const);
  const memPfns = mb.memory.regions
    .map(
      (r) =>
        [Math.ceil(r.base / PAGE_SIZE), Math.min(Math.floor((r.base + r.size) / PAGE_SIZE), maxPfn)] as const,
    )
    .filter(([s, e]) => s < e);
  let mi = 0;
  for (let s = 0; s < sections.count; s++) {
    if (!sections.present[s]) continue;
    const ss = s * per;
    const se = ss + per;
    // fast path: whole section is RAM inside one span
    while (mi < memPfns.length && memPfns[mi]![1] <= ss) mi++;
    const m = memPfns[mi];
    const inSpan = spans.some(([a, b]) => a <= ss && se <= b);
    if (m && m[0] <= ss && m[1] >= se && inSpan) {
      pages.setSectionUniform(s, ram);
      continue;
    }
    pages.setSectionUniform(s, outside);
    for (const [a, b] of spans) {
      const x = Math.max(a, ss);
      const y = Math.min(b, se);
      if (x < y) pages.updateRange(x, y, (st) => Object.assign(st, hole));
    }
    for (let k = mi; k < memPfns.length && memPfns[k]![0] < se; k++) {
      const x = Math.max(memPfns[k]![0], ss);
      const y = Math.min(memPfns[k]![1], se);
      if (x < y) pages.updateRange(x, y, (st) => Object.assign(st, ram));
    }
  }
  for (const r of mb.reserved.regions) {
    const spfn = Math.floor(r.base / PAGE_SIZE);
    const epfn = Math.ceil((r.base + r.size) / PAGE_SIZE);
    pages.updateRange(spfn, epfn, (st) => {
      st.flags |= R;
    });
  }
}

/**
 * free_initmem() + free_kernel_image_pages() (arch/x86/mm/init.c, init_64.c):
 * at the end of boot the pages of [_text, brk) outside the build's kept
 * sections (init text/data, the rodata/data alignment gaps) go back to the
 * buddy allocator page by page (free_reserved_area → __free_page: PageReserved
 * cleared, the list head, managed pages +1); the brk area after .bss stays
 * reserved. The model's memblock.reserved drops them too, so it keeps naming
 * what the kernel still owns.
 */
function freeInitmem(
  profile: KernelProfile,
  img: KernelImage,
  buddy: Buddy,
  pages: StructPages,
  zones: Zones,
  mb: Memblock,
): void {
  const kept = profile.build.keptSections;
  if (!kept) return;
  const R = 1 << profile.mm.pageFlags.bits.reserved;
  const base = img.textPhys / PAGE_SIZE;
  const end = base + (img.pgtBufPhys - img.textPhys) / PAGE_SIZE;
  const give = (a: number, b: number): void => {
    if (a >= b) return;
    mb.reserved.removeRange(a * PAGE_SIZE, (b - a) * PAGE_SIZE);
    pages.updateRange(a, b, (st) => {
      st.flags &= ~R;
      st.refcount = 1;
    });
    // free_reserved_area(): __free_page() of each page, ascending (Buddy.freeBulk: the same frees).
    buddy.freeBulk(a, b - a);
    for (let pfn = a; pfn < b; pfn++) zones.zones[zones.zoneIndexOf(pfn)]!.managedPages++;
  };
  let at = base;
  for (const sec of [...kept].sort((x, y) => x.start - y.start)) {
    give(at, Math.min(base + sec.start / PAGE_SIZE, end));
    at = Math.max(at, base + sec.end / PAGE_SIZE);
  }
  give(at, end);
}
