/**
 * The model kernel's symbol table (System.map): where the globals a crash
 * user asks for (`p orig_bm`, `p nr_copy_pages`, `p node_data[0]`, `list
 * nosave_region.list -H nosave_regions`, …) live, with their C type and size,
 * plus the text symbols of the profile's oops layout.
 *
 * Data/bss globals sit at fixed offsets from the PGD page (init_level4_pgt /
 * init_top_pgt), which both profiles place inside [_text, _end), so they are
 * ordinary bytes in model memory: the hibernation code writes them, boot
 * writes the ones it sets up (./kernel-globals.ts), and an image saves them
 * like any kernel page. `nosave_regions` is at the seed-000 address
 * (0xffffffff8be5da50 = PGD + 0x4da50 with the RHEL 7 default placement); the
 * zone-name strings put "DMA32" at the seed's 0xffffffff8bc8e57a.
 *
 * Layout of the PGD-relative area (bytes):
 *   0x8000  .bss of kernel/power/snapshot.c (orig_bm, copy_bm, zero_bm, counters, pointers)
 *   0x9000  .data..nosave (in_suspend) up to __nosave_end 0xa000
 *   0xa010  mm globals (max_pfn, page_offset_base, vmemmap_base, vmalloc_base, mem_section)
 *   0xa100  memblock, 0xa200 node_states, 0xa600 init_uts_ns
 *   0xb000  node_data[MAX_NUMNODES]; 0xd000 / 0xe000 the memblock init region arrays
 *   0x10000 the mem_section root array (3.10: the static array itself; 6.x: what the
 *           `mem_section` pointer points at — 6.x memblock-allocates it, the model keeps it
 *           in the image so the boot allocation sequence stays that of the boot model)
 *   0x4da50 nosave_regions
 */

import { sizeOf } from '../profiles/structs/define.js';
import type { KernelProfile } from '../profiles/types.js';
import type { KernelSymbolInfo } from './kernel-memory.js';

const PAGE = 4096;

/** MAX_NUMNODES (NODES_SHIFT 10 in both distro configs). */
export const MAX_NUMNODES = 1024;
/** INIT_MEMBLOCK_REGIONS. */
export const INIT_MEMBLOCK_REGIONS = 128;
/** NR_SECTION_ROOTS = NR_MEM_SECTIONS / SECTIONS_PER_ROOT with MAX_PHYSMEM_BITS 46 (computed per profile below). */

/** PGD-relative offsets of the data/bss globals. */
const LAYOUT = {
  orig_bm: 0x8000,
  copy_bm: 0x8040,
  zero_bm: 0x8080,
  nr_copy_pages: 0x80c0,
  nr_meta_pages: 0x80c8,
  nr_zero_pages: 0x80d0,
  restore_pblist: 0x80d8,
  safe_pages_list: 0x80e0,
  alloc_normal: 0x80e8,
  forbidden_pages_map: 0x80f0,
  free_pages_map: 0x80f8,
  /** __nosave_begin: the page-aligned .data..nosave section (in_suspend lives here). */
  __nosave_begin: 0x9000,
  in_suspend: 0x9000,
  __nosave_end: 0xa000,
  max_pfn: 0xa010,
  page_offset_base: 0xa018,
  vmemmap_base: 0xa020,
  vmalloc_base: 0xa028,
  mem_section: 0xa030,
  memblock: 0xa100,
  node_states: 0xa200,
  init_uts_ns: 0xa600,
  node_data: 0xb000,
  memblock_memory_init_regions: 0xd000,
  memblock_reserved_init_regions: 0xe000,
  /** The section root array (see the header). */
  mem_section_roots: 0x10000,
  nosave_regions: 0x4da50,
  /** static char * const zone_names[MAX_NR_ZONES] (.rodata) and the strings after it. */
  zone_names: -0x181ac0,
  zone_name_strings: -0x181a8a,
} as const;

export type KernelSymbol = keyof typeof LAYOUT;

/** What symbolPhys/Virt need of a machine. */
export interface ImagePlacement {
  readonly profile: KernelProfile;
  readonly kernelImage: {
    readonly pgdPhys: number;
    readonly pgdVirt: bigint;
    readonly textPhys: number;
    readonly textVirt: bigint;
    readonly endPhys: number;
  };
}

export function symbolPhys(m: ImagePlacement, name: KernelSymbol): number {
  return m.kernelImage.pgdPhys + LAYOUT[name];
}

export function symbolVirt(m: ImagePlacement, name: KernelSymbol): bigint {
  return m.kernelImage.pgdVirt + BigInt(LAYOUT[name]);
}

/**
 * Frames of the model kernel's .data/.bss globals area ([PGD + 0x8000, the page
 * after nosave_regions)), as [first, end) pfns. A real kernel's .bss is zeroed
 * at boot (clear_bss() in arch/x86/kernel/head64.c): bytes no code has written
 * read as zero, unlike the text around them.
 */
export function globalsPfnRange(m: ImagePlacement): [number, number] {
  const first = Math.floor((m.kernelImage.pgdPhys + LAYOUT.orig_bm) / PAGE);
  const end = Math.ceil((m.kernelImage.pgdPhys + LAYOUT.nosave_regions + 1) / PAGE);
  return [first, end];
}

/** pfn_is_nosave(): [__pa_symbol(__nosave_begin) >> PAGE_SHIFT, PAGE_ALIGN(__pa_symbol(__nosave_end)) >> PAGE_SHIFT). */
export function pfnIsNosave(m: ImagePlacement, pfn: number): boolean {
  const b = Math.floor(symbolPhys(m, '__nosave_begin') / PAGE);
  const e = Math.ceil(symbolPhys(m, '__nosave_end') / PAGE);
  return pfn >= b && pfn < e;
}

/** NR_SECTION_ROOTS of the profile: 2^(MAX_PHYSMEM_BITS - SECTION_SIZE_BITS) / (PAGE_SIZE / sizeof(struct mem_section)). */
export function nrSectionRoots(p: KernelProfile): number {
  const sections = 2 ** (p.paging.maxPhysmemBits - p.mm.sectionSizeBits);
  return sections / (PAGE / sizeOf(p.structs, 'mem_section'));
}

/** MAX_NR_ZONES of the profile (the length of pglist_data.node_zones). */
export function maxNrZones(p: KernelProfile): number {
  const f = p.structs.structs.get('pglist_data')?.fields.find((x) => x.name === 'node_zones');
  return f?.count ?? 3;
}

/** NR_NODE_STATES: 3.10 possible, online, normal, memory, cpu; 6.x adds generic_initiator. */
export function nrNodeStates(p: KernelProfile): number {
  return p.mm.nrNodeStates;
}

/** Zone names (mm/page_alloc.c zone_names[]). */
export function zoneNames(p: KernelProfile): string[] {
  return ['DMA', 'DMA32', 'Normal', 'Movable', 'Device'].slice(0, maxNrZones(p));
}

/** Data/bss symbols of the profile with C types and sizes (System.map order is by address). */
export function dataSymbols(m: ImagePlacement): KernelSymbolInfo[] {
  const p = m.profile;
  const t = p.structs;
  const bm = sizeOf(t, 'memory_bitmap');
  const roots = nrSectionRoots(p);
  const zones = maxNrZones(p);
  const list: [KernelSymbol, string, number, KernelSymbolInfo['section']][] = [
    ['orig_bm', 'struct memory_bitmap', bm, 'b'],
    ['copy_bm', 'struct memory_bitmap', bm, 'b'],
    ['nr_copy_pages', 'unsigned int', 4, 'b'],
    ['nr_meta_pages', 'unsigned int', 4, 'b'],
    ['restore_pblist', 'struct pbe *', 8, 'b'],
    ['safe_pages_list', 'struct linked_page *', 8, 'b'],
    ['alloc_normal', 'unsigned long', 8, 'b'],
    ['forbidden_pages_map', 'struct memory_bitmap *', 8, 'b'],
    ['free_pages_map', 'struct memory_bitmap *', 8, 'b'],
    ['__nosave_begin', 'char', 0, 'd'],
    ['in_suspend', 'int', 4, 'd'],
    ['__nosave_end', 'char', 0, 'd'],
    ['max_pfn', 'unsigned long', 8, 'b'],
    ['page_offset_base', 'unsigned long', 8, 'd'],
    ['vmemmap_base', 'unsigned long', 8, 'd'],
    ['vmalloc_base', 'unsigned long', 8, 'd'],
    ['memblock', 'struct memblock', sizeOf(t, 'memblock'), 'd'],
    ['node_states', `nodemask_t [${nrNodeStates(p)}]`, 128 * nrNodeStates(p), 'd'],
    ['init_uts_ns', 'struct uts_namespace', sizeOf(t, 'uts_namespace'), 'd'],
    ['node_data', `struct pglist_data *[${MAX_NUMNODES}]`, 8 * MAX_NUMNODES, 'b'],
    [
      'memblock_memory_init_regions',
      `struct memblock_region [${INIT_MEMBLOCK_REGIONS}]`,
      INIT_MEMBLOCK_REGIONS * sizeOf(t, 'memblock_region'),
      'd',
    ],
    [
      'memblock_reserved_init_regions',
      `struct memblock_region [${INIT_MEMBLOCK_REGIONS}]`,
      INIT_MEMBLOCK_REGIONS * sizeOf(t, 'memblock_region'),
      'd',
    ],
    ['nosave_regions', 'struct list_head', 16, 'd'],
    ['zone_names', `char * const [${zones}]`, 8 * zones, 'r'],
  ];
  if (p.hibernation.zeroPages) {
    list.push(['zero_bm', 'struct memory_bitmap', bm, 'b']);
    list.push(['nr_zero_pages', 'unsigned int', 4, 'b']);
  }
  if (p.mm.sectionRoots === 'pointer') {
    list.push(['mem_section', 'struct mem_section **', 8, 'b']);
  } else {
    // 3.10 SPARSEMEM_EXTREME: struct mem_section *mem_section[NR_SECTION_ROOTS] in .bss.
    list.push(['mem_section_roots', `struct mem_section *[${roots}]`, 8 * roots, 'b']);
  }
  return list
    .map(([name, type, size, section]) => ({
      name: name === 'mem_section_roots' ? 'mem_section' : name,
      addr: symbolVirt(m, name),
      type,
      size,
      section,
    }))
    .sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
}

/** Text symbols: _text, the profile's oops functions, and the PGD (init_level4_pgt / init_top_pgt). */
export function textSymbols(m: ImagePlacement): KernelSymbolInfo[] {
  const img = m.kernelImage;
  const out: KernelSymbolInfo[] = [
    { name: '_text', addr: img.textVirt, type: 'char', size: 0, section: 't' },
  ];
  for (const [name, s] of Object.entries(m.profile.hibernation.oops.symbols)) {
    out.push({ name, addr: img.textVirt + BigInt(s.offset), type: 'function', size: s.size, section: 't' });
  }
  out.push({
    name: m.profile.kernelImage.pgdSymbol,
    addr: img.pgdVirt,
    type: 'pgd_t [512]',
    size: PAGE,
    section: 'd',
  });
  out.push({
    name: '_end',
    addr: img.textVirt + BigInt(img.endPhys - img.textPhys),
    type: 'char',
    size: 0,
    section: 'b',
  });
  return out;
}

/** Every symbol, ascending by address. */
export function kernelSymbols(m: ImagePlacement): KernelSymbolInfo[] {
  return [...textSymbols(m), ...dataSymbols(m)].sort((a, b) =>
    a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0,
  );
}

/** The data symbols as {name, phys, virt} (the v1 dump and the library API). */
export function allSymbols(m: ImagePlacement): { name: string; phys: number; virt: bigint }[] {
  return dataSymbols(m).map((s) => ({
    name: s.name,
    phys: Number(s.addr - m.kernelImage.pgdVirt) + m.kernelImage.pgdPhys,
    virt: s.addr,
  }));
}
