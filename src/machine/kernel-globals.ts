/**
 * The globals boot sets up, written as bytes into the kernel image's
 * .data/.bss at their symbols (./symbols.ts) when bootMachine() finishes:
 * max_pfn, page_offset_base / vmemmap_base / vmalloc_base
 * (kernel_randomize_memory), node_data[0] and node_states (NUMA node 0),
 * memblock with its init region arrays (mm/memblock.c; on x86 they survive
 * boot with CONFIG_MEMORY_HOTPLUG, which is why the seed's crash session can
 * print memblock_memory_init_regions), the mem_section roots, the
 * nosave_regions list head, zone_names[] and init_uts_ns. The objects these
 * point at in RAM (pglist_data, root pages, nosave_region entries) are
 * serialised on read by ./kernel-data.ts.
 */
import type { MemblockType } from '../mm/memblock.js';
import type { PhysMem } from '../mm/phys-mem.js';
import { off, sizeOf } from '../profiles/structs/define.js';
import type { KernelData } from './kernel-data.js';
import {
  INIT_MEMBLOCK_REGIONS,
  type KernelSymbol,
  nrSectionRoots,
  symbolPhys,
  symbolVirt,
  zoneNames,
} from './symbols.js';

function u64(mem: PhysMem, phys: number, v: bigint | number): void {
  mem.setU64(phys, BigInt.asUintN(64, BigInt(v)));
}

function cstr(mem: PhysMem, phys: number, s: string, max: number): void {
  const b = new Uint8Array(Math.min(s.length + 1, max));
  for (let i = 0; i < b.length - 1; i++) b[i] = s.charCodeAt(i) & 0x7f;
  mem.write(phys, b);
}

export function writeKernelGlobals(mem: PhysMem, kd: KernelData): void {
  const m = kd.st;
  const p = m.profile;
  const t = p.structs;
  const at = (s: KernelSymbol) => symbolPhys(m, s);
  u64(mem, at('max_pfn'), m.maxPfn);
  u64(mem, at('page_offset_base'), m.kaslr.pageOffsetBase);
  u64(mem, at('vmemmap_base'), m.kaslr.vmemmapBase);
  u64(mem, at('vmalloc_base'), m.kaslr.vmallocBase);
  // node_data[0] (NUMA: alloc_node_data / setup_node_data).
  if (kd.pgdatPhys) u64(mem, at('node_data'), kd.pgdatVirt);
  // node_states[]: node 0 is possible, online, has normal memory, memory and CPUs (not a generic initiator).
  for (let s = 0; s < Math.min(p.mm.nrNodeStates, 5); s++) u64(mem, at('node_states') + s * 128, 1n);

  // memblock and its static region arrays.
  const mb = at('memblock');
  const M = (f: string) => mb + off(t, 'memblock', f);
  u64(mem, M('current_limit'), m.memblock.currentLimit);
  const writeType = (typeAt: number, type: MemblockType, arr: KernelSymbol) => {
    const T = (f: string) => typeAt + off(t, 'memblock_type', f);
    const rs = type.regions.slice(0, INIT_MEMBLOCK_REGIONS);
    // An empty memblock type still holds one zero region (memblock's cnt = 1 convention).
    u64(mem, T('cnt'), Math.max(1, rs.length));
    u64(mem, T('max'), INIT_MEMBLOCK_REGIONS);
    u64(mem, T('total_size'), type.totalSize);
    u64(mem, T('regions'), symbolVirt(m, arr));
    const size = sizeOf(t, 'memblock_region');
    const R = (f: string) => off(t, 'memblock_region', f);
    rs.forEach((r, i) => {
      const e = at(arr) + i * size;
      u64(mem, e + R('base'), r.base);
      u64(mem, e + R('size'), r.size);
      mem.setU32(e + R('flags'), r.flags);
      mem.setU32(e + R('nid'), r.nid);
    });
  };
  writeType(M('memory'), m.memblock.memory, 'memblock_memory_init_regions');
  writeType(M('reserved'), m.memblock.reserved, 'memblock_reserved_init_regions');

  // mem_section roots: the static array (3.10) or the pointer to the root array (6.x).
  const rootsAt = at('mem_section_roots');
  if (p.mm.sectionRoots === 'pointer') u64(mem, at('mem_section'), symbolVirt(m, 'mem_section_roots'));
  for (const [r, phys] of kd.roots) {
    if (r < nrSectionRoots(p)) u64(mem, rootsAt + r * 8, kd.ptov(phys));
  }

  // LIST_HEAD(nosave_regions): first and last entry (or itself when empty).
  const head = symbolVirt(m, 'nosave_regions');
  const objs = kd.nosaveObjects;
  const lo = BigInt(off(t, 'nosave_region', 'list'));
  u64(mem, at('nosave_regions'), objs.length ? kd.ptov(objs[0]!) + lo : head);
  u64(mem, at('nosave_regions') + 8, objs.length ? kd.ptov(objs[objs.length - 1]!) + lo : head);

  // zone_names[] and the strings.
  let o = 0;
  zoneNames(p).forEach((name, i) => {
    u64(mem, at('zone_names') + i * 8, symbolVirt(m, 'zone_name_strings') + BigInt(o));
    cstr(mem, at('zone_name_strings') + o, name, 16);
    o += name.length + 1;
  });

  // init_uts_ns.name (what `uname` and an oops' banner print).
  const uts = at('init_uts_ns') + off(t, 'uts_namespace', 'name');
  const U = (f: string) => uts + off(t, 'new_utsname', f);
  cstr(mem, U('sysname'), 'Linux', 65);
  cstr(mem, U('nodename'), 'localhost', 65);
  cstr(mem, U('release'), p.hibernation.oops.release, 65);
  cstr(mem, U('version'), '#1 SMP', 65);
  cstr(mem, U('machine'), 'x86_64', 65);
  cstr(mem, U('domainname'), '(none)', 65);
}
