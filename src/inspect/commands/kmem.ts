/**
 * `kmem -p [ADDRESS…]`, `kmem -f`, `kmem -i`, `kmem -n`: crash's views of
 * the page allocator, read from kernel memory through the struct tables:
 *   -p  mem_map lines `PAGE PHYSICAL MAPPING INDEX CNT FLAGS` for a page
 *       pointer, physical or kernel virtual address — or every page of every
 *       present memory section (mem_section[] roots, SPARSEMEM_EXTREME);
 *   -f  per zone and order the free lists (zone.free_area[order].free_list[mt])
 *       walked and counted, checked against nr_free_pages;
 *   -i  TOTAL MEM (totalram_pages), FREE, USED with sizes and percentages
 *       (the model has no page cache, slab, hugetlb or swap accounting, so
 *       crash's other rows are not printed);
 *   -n  nodes (pglist_data), zones and memory sections with their P/M/O/E/D
 *       state bits.
 */
import type { KernelMemory } from '../../machine/kernel-memory.js';
import { type Command, type CommandContext, libAddress, parseArgs } from '../command.js';
import { parseType } from '../ctype.js';
import { InspectError } from '../errors.js';
import {
  formatPageLine,
  humanSize,
  layout,
  listLength,
  member,
  nodes,
  PAGE_HEADER,
  type PageInfo,
  pageFields,
  pageOffsetBase,
  pageToPfn,
  pfnToPage,
  readGlobal,
  readMember,
  readPage,
  requireLayout,
  requireMember,
  symbolAddr,
  vmemmapBase,
  type ZoneInfo,
  zones,
} from '../kernel.js';
import { hx, leUint, readBytes, readU64 } from '../mem.js';

// ---- memory sections -------------------------------------------------------

export interface SectionInfo {
  nr: number;
  /** Address of the struct mem_section. */
  addr: bigint;
  /** section_mem_map with the flag bits cleared: mem_map - section_nr_to_pfn(nr). */
  coded: bigint;
  memMap: bigint;
  flags: bigint;
}

/*
 * mm/sparse.c: section_mem_map holds the coded mem_map in its high bits and
 * SECTION_MARKED_PRESENT(0) HAS_MEM_MAP(1) IS_ONLINE(2) IS_EARLY(3)
 * TAINT_ZONE_DEVICE(4) in the low bits (3.10 has only the first two). The
 * coded map is vmemmap_base-aligned, so clearing 6 bits is right for both.
 */
const SECTION_FLAG_MASK = 0x3fn;
const SECTION_FLAG_NAMES: [bigint, string][] = [
  [1n, 'P'],
  [2n, 'M'],
  [4n, 'O'],
  [8n, 'E'],
  [16n, 'D'],
];

export function presentSections(km: KernelMemory): SectionInfo[] {
  const sym = km.symbol('mem_section');
  const l = layout(km, 'mem_section');
  const shift = BigInt(km.profile.mm.sectionSizeBits - 12);
  const pagesPerSection = 1n << shift;
  const pageSize = BigInt(pageFields(km).size);
  const maxPfn = readGlobal(km, 'max_pfn');
  const lastNr = maxPfn !== undefined ? Number((maxPfn - 1n) >> shift) : Number.MAX_SAFE_INTEGER;
  if (!sym || !l) {
    // No sparsemem description: present sections are those whose memmap reads.
    if (maxPfn === undefined)
      throw new InspectError('NO_SECTIONS', 'cannot find mem_section or max_pfn', { prefix: 'kmem' });
    const out: SectionInfo[] = [];
    for (let nr = 0; nr <= lastNr; nr++) {
      const memMap = pfnToPage(km, BigInt(nr) * pagesPerSection);
      if (km.translate(memMap) === null) continue;
      out.push({ nr, addr: 0n, coded: vmemmapBase(km), memMap, flags: 3n });
    }
    return out;
  }
  const perRoot = Math.floor(4096 / l.size);
  const t = parseType(sym.type, km.structs, sym.size);
  const nrRoots =
    t.kind === 'array'
      ? t.count
      : Math.ceil((1 << (km.profile.paging.maxPhysmemBits - km.profile.mm.sectionSizeBits)) / perRoot);
  const rootsAt = t.kind === 'array' ? sym.addr : readU64(km, sym.addr);
  const out: SectionInfo[] = [];
  for (let r = 0; r < nrRoots && r * perRoot <= lastNr; r++) {
    const root = readU64(km, rootsAt + BigInt(r * 8));
    if (root === 0n) continue;
    const bytes = readBytes(km, root, perRoot * l.size);
    for (let j = 0; j < perRoot; j++) {
      const nr = r * perRoot + j;
      if (nr > lastNr) break;
      const smm = leUint(bytes, j * l.size, 8);
      if ((smm & 1n) === 0n) continue;
      const coded = smm & ~SECTION_FLAG_MASK;
      out.push({
        nr,
        addr: root + BigInt(j * l.size),
        coded,
        memMap: BigInt.asUintN(64, coded + BigInt(nr) * pagesPerSection * pageSize),
        flags: smm & SECTION_FLAG_MASK,
      });
    }
  }
  return out;
}

export const sectionState = (flags: bigint): string =>
  SECTION_FLAG_NAMES.filter(([b]) => flags & b)
    .map(([, n]) => n)
    .join('');

// ---- kmem -p -----------------------------------------------------------------

/** pfn of a `kmem -p` argument: a page pointer, a kernel virtual address or a physical address. */
export function pfnOfAddress(km: KernelMemory, addr: bigint): bigint {
  const pfn = pageToPfn(km, addr);
  if (pfn !== undefined) return pfn;
  if (addr >= 0xffff800000000000n) {
    // Direct-map addresses translate arithmetically, as crash's kvtop does (the PTE may be gone).
    const pob = pageOffsetBase(km);
    if (addr >= pob && addr - pob < 1n << BigInt(km.profile.paging.maxPhysmemBits))
      return (addr - pob) >> 12n;
    const pa = km.translate(addr);
    if (pa === null)
      throw new InspectError('BAD_ADDRESS', `invalid address: ${hx(addr)}`, { prefix: 'kmem' });
    return BigInt(pa) >> 12n;
  }
  return addr >> 12n;
}

/** Every page of every present section, in pfn order. */
export function* allPages(km: KernelMemory): Generator<PageInfo> {
  const f = pageFields(km);
  const vmemmap = vmemmapBase(km);
  const stride = BigInt(f.size);
  const per = 1n << BigInt(km.profile.mm.sectionSizeBits - 12);
  const CHUNK = 512n;
  for (const s of presentSections(km)) {
    const first = BigInt(s.nr) * per;
    for (let base = first; base < first + per; base += CHUNK) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = readBytes(km, vmemmap + base * stride, Number(CHUNK) * f.size);
      } catch {
        bytes = undefined;
      }
      for (let i = 0n; i < CHUNK; i++) {
        const pfn = base + i;
        if (bytes) {
          const o = Number(i) * f.size;
          yield {
            page: vmemmap + pfn * stride,
            pfn,
            flags: leUint(bytes, o + f.flags, 8),
            mapping: leUint(bytes, o + f.mapping, 8),
            index: leUint(bytes, o + f.index, 8),
            count: Number(BigInt.asIntN(32, leUint(bytes, o + f.count, 4))),
          };
        } else {
          try {
            yield readPage(km, pfn, f);
          } catch {
            // an unbacked part of the memmap: crash skips it as well
          }
        }
      }
    }
  }
}

function* kmemP(ctx: CommandContext, addrs: bigint[]): Generator<string> {
  yield PAGE_HEADER;
  if (addrs.length === 0) {
    for (const p of allPages(ctx.km)) yield formatPageLine(ctx.km, p);
    return;
  }
  for (const a of addrs) yield formatPageLine(ctx.km, readPage(ctx.km, pfnOfAddress(ctx.km, a)));
}

// ---- kmem -f -------------------------------------------------------------------

export interface FreeList {
  order: number;
  migratetype: number;
  /** Address of free_area[order].free_list[migratetype]. */
  head: bigint;
  blocks: number;
}

export function zoneFreeLists(km: KernelMemory, zone: bigint): FreeList[] {
  const fa = requireMember(km, 'zone', 'free_area');
  const faSize = requireLayout(km, 'free_area').size;
  const fl = requireMember(km, 'free_area', 'free_list');
  const orders = Math.round(fa.size / faSize);
  const types = Math.round(fl.size / 16);
  const out: FreeList[] = [];
  for (let o = 0; o < orders; o++) {
    for (let mt = 0; mt < types; mt++) {
      const head = zone + BigInt(fa.offset + o * faSize + fl.offset + mt * 16);
      out.push({ order: o, migratetype: mt, head, blocks: listLength(km, head) });
    }
  }
  return out;
}

/** NR_FREE_PAGES of a zone (zone->vm_stat[0]), or undefined when the table lacks vm_stat. */
function zoneFreeCounter(km: KernelMemory, z: ZoneInfo): bigint | undefined {
  const m = member(km, 'zone', 'vm_stat');
  return m ? leUint(readBytes(km, z.addr + BigInt(m.offset), 8)) : undefined;
}

/** Global NR_FREE_PAGES (vm_stat / vm_zone_stat [0]). */
function globalFree(km: KernelMemory): bigint | undefined {
  const a = symbolAddr(km, 'vm_zone_stat', 'vm_stat');
  return a === undefined ? undefined : BigInt.asIntN(64, readU64(km, a));
}

const center = (s: string, w: number): string => {
  const left = Math.floor((w - s.length) / 2);
  return `${' '.repeat(Math.max(0, left))}${s}`.padEnd(w);
};

function zoneLine(km: KernelMemory, z: ZoneInfo, free: bigint): string {
  const empty = z.spanned === 0n;
  const memMap = empty ? '0' : hx(pfnToPage(km, z.startPfn));
  return (
    `${String(z.index).padStart(3)}   ${z.name.padEnd(10)}${String(z.spanned).padStart(7)} ${String(free).padStart(7)}  ` +
    `${memMap.padStart(16)}  ${center(empty ? '0' : hx(z.startPfn << 12n), 11)}  ${center(String(z.startPfn), 11)}`
  ).trimEnd();
}

function* kmemF(km: KernelMemory): Generator<string> {
  const ns = nodes(km);
  let counted = 0n;
  let counters = 0n;
  let haveCounters = true;
  for (const n of ns) {
    yield 'NODE';
    yield `${String(n.nid).padStart(3)}`;
    for (const z of zones(km, n.pgdat)) {
      const lists = z.spanned === 0n ? [] : zoneFreeLists(km, z.addr);
      const listed = lists.reduce((s, l) => s + (BigInt(l.blocks) << BigInt(l.order)), 0n);
      const c = zoneFreeCounter(km, z);
      if (c === undefined) haveCounters = false;
      else counters += c;
      counted += listed;
      yield 'ZONE  NAME        SIZE    FREE      MEM_MAP       START_PADDR  START_MAPNR';
      yield zoneLine(km, z, c ?? listed);
      if (z.spanned === 0n) {
        yield '';
        continue;
      }
      yield 'AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES';
      for (const l of lists) {
        yield `${String(l.order).padStart(3)}${`${4 << l.order}k`.padStart(9)}  ${hx(l.head).padStart(16, '0')}${String(l.blocks).padStart(8)}${String(BigInt(l.blocks) << BigInt(l.order)).padStart(7)}`;
      }
      yield '';
    }
  }
  const total = globalFree(km) ?? (haveCounters ? counters : counted);
  yield `nr_free_pages: ${total}  (${total === counted ? 'verified' : `found ${counted}`})`;
}

// ---- kmem -i -------------------------------------------------------------------

export interface MemInfo {
  totalPages: bigint;
  freePages: bigint;
}

export function memInfo(km: KernelMemory): MemInfo {
  const allZones = nodes(km).flatMap((n) => zones(km, n.pgdat));
  const total =
    readGlobal(km, 'totalram_pages') ??
    readGlobal(km, '_totalram_pages') ??
    allZones.reduce((s, z) => s + z.managed, 0n);
  const free =
    globalFree(km) ??
    allZones.reduce(
      (s, z) =>
        s +
        (z.spanned === 0n
          ? 0n
          : zoneFreeLists(km, z.addr).reduce((a, l) => a + (BigInt(l.blocks) << BigInt(l.order)), 0n)),
      0n,
    );
  return { totalPages: total, freePages: free };
}

function* kmemI(km: KernelMemory): Generator<string> {
  const { totalPages, freePages } = memInfo(km);
  const row = (label: string, pages: bigint, pct: string): string =>
    `${label.padStart(13)}${String(pages).padStart(9)}${humanSize(pages * 4096n).padStart(13)}${pct}`;
  const pct = (n: bigint, of: string): string =>
    `${`${totalPages === 0n ? 0n : (n * 100n) / totalPages}%`.padStart(6)} of ${of}`;
  yield '                 PAGES        TOTAL      PERCENTAGE';
  yield row('TOTAL MEM', totalPages, '         ----');
  yield row('FREE', freePages, pct(freePages, 'TOTAL MEM'));
  yield row('USED', totalPages - freePages, pct(totalPages - freePages, 'TOTAL MEM'));
}

// ---- kmem -n -------------------------------------------------------------------

function* kmemN(km: KernelMemory): Generator<string> {
  for (const n of nodes(km)) {
    const zs = zones(km, n.pgdat);
    const start = readMember(km, n.pgdat, 'pglist_data', 'node_start_pfn');
    const present = readMember(km, n.pgdat, 'pglist_data', 'node_present_pages');
    yield 'NODE    SIZE      PGLIST_DATA       BOOTMEM_DATA       NODE_ZONES';
    yield `${String(n.nid).padStart(3)}${String(present).padStart(10)}   ${hx(n.pgdat).padStart(16, '0')}        ----        ${hx(zs[0]?.addr ?? 0n)}`;
    for (const z of zs.slice(1)) yield `${' '.repeat(52)}${hx(z.addr)}`;
    yield '    MEM_MAP          START_PADDR    START_MAPNR';
    yield `${hx(pfnToPage(km, start))}${hx(start << 12n).padStart(12)}${String(start).padStart(14)}`;
    yield '';
    yield 'ZONE  NAME         SIZE       MEM_MAP      START_PADDR  START_MAPNR';
    for (const z of zs) {
      const empty = z.spanned === 0n;
      yield `${String(z.index).padStart(3)}   ${z.name.padEnd(7)}${String(z.spanned).padStart(10)}  ${(empty ? '0' : hx(pfnToPage(km, z.startPfn))).padStart(16)}${(empty ? '0' : hx(z.startPfn << 12n)).padStart(13)}${String(z.startPfn).padStart(13)}`;
    }
    yield '';
  }
  yield '-------------------------------------------------------------------';
  yield '';
  yield 'NR      SECTION        CODED_MEM_MAP        MEM_MAP       STATE PFN';
  const per = 1n << BigInt(km.profile.mm.sectionSizeBits - 12);
  for (const s of presentSections(km)) {
    yield `${String(s.nr).padStart(2)}  ${hx(s.addr).padStart(16, '0')}  ${hx(s.coded).padStart(16, '0')}  ${hx(s.memMap).padStart(16, '0')}   ${sectionState(s.flags).padEnd(4)} ${BigInt(s.nr) * per}`;
  }
}

export const command: Command = {
  name: 'kmem',
  summary: 'kernel memory',
  help: [
    'kmem [-f|-i|-n] | -p [address ...]',
    '',
    '    -p  mem_map lines (PAGE PHYSICAL MAPPING INDEX CNT FLAGS) of every page,',
    '        or of the pages given as page pointers, physical or kernel virtual',
    '        addresses (hexadecimal).',
    '    -f  the free lists of each zone, per order and migrate type, counted and',
    '        checked against nr_free_pages.',
    '    -i  total, free and used memory.',
    '    -n  memory nodes, zones and memory sections.',
  ],
  run(ctx, args) {
    const a = parseArgs('kmem', args, 'pfinP');
    if (a.flags.has('p')) {
      const addrs = a.positional.map((t) => {
        if (!/^(0[xX])?[0-9a-fA-F]+$/.test(t))
          throw new InspectError('BAD_ADDRESS', `invalid address: ${t}`, { prefix: 'kmem' });
        return BigInt(/^0x/i.test(t) ? t : `0x${t}`);
      });
      return kmemP(ctx, addrs);
    }
    if (a.flags.has('f')) return kmemF(ctx.km);
    if (a.flags.has('i')) return kmemI(ctx.km);
    if (a.flags.has('n')) return kmemN(ctx.km);
    throw new InspectError('USAGE', 'supported options: -p [address...], -f, -i, -n', { prefix: 'kmem' });
  },
  lib(args) {
    const a = parseArgs('kmem', args, 'pfinP');
    if (a.flags.has('p')) {
      if (a.positional.length === 0)
        return [
          'console.log(PAGE_HEADER);',
          'for (const p of allPages(km)) console.log(formatPageLine(km, p));',
        ];
      return [
        'console.log(PAGE_HEADER);',
        ...a.positional.map(
          (t) =>
            `console.log(formatPageLine(km, readPage(km, pfnOfAddress(km, ${libAddress(/^0x/i.test(t) ? t : `0x${t}`)}))));`,
        ),
      ];
    }
    if (a.flags.has('f'))
      return [
        'for (const n of nodes(km)) for (const z of zones(km, n.pgdat))',
        '  if (z.spanned > 0n) for (const l of zoneFreeLists(km, z.addr)) console.log(z.name, l.order, l.migratetype, l.blocks);',
      ];
    if (a.flags.has('i'))
      return ['const { totalPages, freePages } = memInfo(km);', 'console.log(totalPages, freePages);'];
    return [
      'for (const s of presentSections(km)) console.log(s.nr, s.memMap.toString(16), sectionState(s.flags));',
    ];
  },
};
