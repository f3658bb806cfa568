/**
 * Kernel facts the commands share, each read from kernel memory through the
 * struct table: the direct-map and vmemmap bases (page_offset_base,
 * vmemmap_base — or the fixed __PAGE_OFFSET / VMEMMAP_START when the kernel
 * has no such variable), struct page fields, node and zone descriptors
 * (node_data[] / contig_page_data, struct zone), the kernel PGD
 * (init_level4_pgt / init_top_pgt) and crash's `kmem -p` page line.
 */
import type { KernelMemory } from '../machine/kernel-memory.js';
import type { StructLayout } from '../profiles/struct-layout.js';
import { parseType, sizeOf } from './ctype.js';
import { InspectError } from './errors.js';
import { findMember } from './expr-eval.js';
import { leUint, readBytes, readCString, readU64 } from './mem.js';

export const PAGE_SHIFT = 12n;
export const PAGE_SIZE = 4096;

export function symbolAddr(km: KernelMemory, ...names: string[]): bigint | undefined {
  for (const n of names) {
    const s = km.symbol(n);
    if (s) return s.addr;
  }
  return undefined;
}

/** Value of an `unsigned long` global, or undefined without the symbol. */
export function readGlobal(km: KernelMemory, name: string): bigint | undefined {
  const a = symbolAddr(km, name);
  return a === undefined ? undefined : readU64(km, a);
}

/** __PAGE_OFFSET: page_offset_base with KASLR (arch/x86/include/asm/page_64_types.h). */
export const pageOffsetBase = (km: KernelMemory): bigint =>
  readGlobal(km, 'page_offset_base') ?? km.profile.paging.fixedPageOffset;

/** VMEMMAP_START: vmemmap_base with KASLR (arch/x86/include/asm/pgtable_64_types.h). */
export const vmemmapBase = (km: KernelMemory): bigint =>
  readGlobal(km, 'vmemmap_base') ?? km.profile.paging.fixedVmemmapBase;

/** The kernel's top-level page table (3.10 init_level4_pgt, 4.14+ init_top_pgt). */
export function pgdVirt(km: KernelMemory): bigint {
  const a = symbolAddr(km, 'init_level4_pgt', 'init_top_pgt', 'swapper_pg_dir');
  if (a === undefined)
    throw new InspectError(
      'NO_PGD',
      'cannot find the kernel page directory (init_level4_pgt / init_top_pgt)',
    );
  return a;
}

export function layout(km: KernelMemory, name: string): StructLayout | undefined {
  return km.structs.structs.get(name);
}

export function requireLayout(km: KernelMemory, name: string): StructLayout {
  const l = layout(km, name);
  if (!l) throw new InspectError('NO_TYPE', `no struct type named ${name} in ${km.structs.source}`);
  return l;
}

/** Offset (and size) of a member, descending into anonymous members. */
export function member(
  km: KernelMemory,
  struct: string,
  path: string,
): { offset: number; size: number } | undefined {
  let l = layout(km, struct);
  let offset = 0;
  let size = 0;
  for (const part of path.split('.')) {
    if (!l) return undefined;
    const m = findMember(km, l, part);
    if (!m) return undefined;
    offset += m.offset;
    size = m.field.size;
    l = m.type.kind === 'struct' ? m.type.layout : undefined;
  }
  return { offset, size };
}

export function requireMember(
  km: KernelMemory,
  struct: string,
  path: string,
): { offset: number; size: number } {
  const m = member(km, struct, path);
  if (!m)
    throw new InspectError('NO_MEMBER', `invalid structure member offset: ${struct}.${path}`, {
      prefix: 'crash',
    });
  return m;
}

/** Read `struct.path` of the object at addr as an unsigned integer. */
export function readMember(km: KernelMemory, addr: bigint, struct: string, path: string): bigint {
  const m = requireMember(km, struct, path);
  return leUint(readBytes(km, addr + BigInt(m.offset), Math.min(8, m.size)));
}

// ---- struct page ----------------------------------------------------------

export interface PageFieldOffsets {
  size: number;
  flags: number;
  mapping: number;
  index: number;
  /** page->_count (3.10) / _refcount (4.6+). */
  count: number;
}

const pageFieldCache = new WeakMap<KernelMemory, PageFieldOffsets>();

/** struct page field offsets from the struct table (the profile's StructPageLayout if the table lacks `page`). */
export function pageFields(km: KernelMemory): PageFieldOffsets {
  let f = pageFieldCache.get(km);
  if (!f) {
    f = computePageFields(km);
    pageFieldCache.set(km, f);
  }
  return f;
}

function computePageFields(km: KernelMemory): PageFieldOffsets {
  const l = layout(km, 'page');
  const sp = km.profile.mm.structPage;
  if (!l) return { size: sp.size, flags: sp.flags, mapping: sp.mapping, index: sp.index, count: sp.refcount };
  const off = (...names: string[]): number => {
    for (const n of names) {
      const m = member(km, 'page', n);
      if (m) return m.offset;
    }
    throw new InspectError('NO_MEMBER', `invalid structure member offset: page.${names[0]}`, {
      prefix: 'crash',
    });
  };
  return {
    size: l.size,
    flags: off('flags'),
    mapping: off('mapping'),
    index: off('index', '__folio_index'),
    count: off('_refcount', '_count'),
  };
}

export interface PageInfo {
  page: bigint;
  pfn: bigint;
  flags: bigint;
  mapping: bigint;
  index: bigint;
  count: number;
}

export function pfnToPage(km: KernelMemory, pfn: bigint): bigint {
  return vmemmapBase(km) + pfn * BigInt(pageFields(km).size);
}

/** A page pointer inside the vmemmap array → pfn, or undefined. */
export function pageToPfn(km: KernelMemory, page: bigint): bigint | undefined {
  const base = vmemmapBase(km);
  const size = BigInt(pageFields(km).size);
  if (page < base) return undefined;
  const off = page - base;
  if (off % size !== 0n) return undefined;
  const pfn = off / size;
  // vmemmap spans at most 2^(MAX_PHYSMEM_BITS - PAGE_SHIFT) pages.
  return pfn < 1n << BigInt(km.profile.paging.maxPhysmemBits - 12) ? pfn : undefined;
}

export function readPage(km: KernelMemory, pfn: bigint, f = pageFields(km)): PageInfo {
  const page = pfnToPage(km, pfn);
  const b = readBytes(km, page, f.size);
  return {
    page,
    pfn,
    flags: leUint(b, f.flags, 8),
    mapping: leUint(b, f.mapping, 8),
    index: leUint(b, f.index, 8),
    count: Number(BigInt.asIntN(32, leUint(b, f.count, 4))),
  };
}

/** Names of the page-flag bits set in `flags` (crash decodes enum pageflags), lowest bit first. */
export function pageFlagNames(km: KernelMemory, flags: bigint): string[] {
  let bits = flagBitCache.get(km);
  if (!bits) {
    bits = Object.entries(km.profile.mm.pageFlags.bits as Record<string, number>)
      .sort((a, b) => a[1] - b[1])
      .map(([n, b]) => [BigInt(b), n] as [bigint, string]);
    flagBitCache.set(km, bits);
  }
  const out: string[] = [];
  for (const [b, n] of bits) if ((flags >> b) & 1n) out.push(n);
  return out;
}

const flagBitCache = new WeakMap<KernelMemory, [bigint, string][]>();

/** crash `kmem -p` header (x86-64: 16-digit PAGE and MAPPING, 8-wide PHYSICAL). */
export const PAGE_HEADER = '      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS';

const flagTextCache = new WeakMap<KernelMemory, Map<bigint, string>>();

/** " name,name" for a flags value (cached per distinct value: a memmap has few). */
function flagText(km: KernelMemory, flags: bigint): string {
  let cache = flagTextCache.get(km);
  if (!cache) {
    cache = new Map();
    flagTextCache.set(km, cache);
  }
  let t = cache.get(flags);
  if (t === undefined) {
    const names = pageFlagNames(km, flags);
    t = `${flags.toString(16)}${names.length ? ` ${names.join(',')}` : ''}`;
    if (cache.size < 4096) cache.set(flags, t);
  }
  return t;
}

export function formatPageLine(km: KernelMemory, p: PageInfo): string {
  // Values here are unsigned (read from memory), so toString(16) is the hex crash prints.
  return (
    `${p.page.toString(16).padStart(16, '0')} ${(p.pfn << PAGE_SHIFT).toString(16).padStart(8)} ` +
    `${p.mapping.toString(16).padStart(16)} ${p.index.toString(16).padStart(8)} ${String(p.count).padStart(2)} ${flagText(km, p.flags)}`
  );
}

// ---- nodes and zones -------------------------------------------------------

export interface ZoneInfo {
  addr: bigint;
  index: number;
  name: string;
  startPfn: bigint;
  spanned: bigint;
  present: bigint;
  managed: bigint;
}

/** Online nodes' pglist_data (node_data[] with CONFIG_NUMA, else &contig_page_data). */
export function nodes(km: KernelMemory): { nid: number; pgdat: bigint }[] {
  const nd = km.symbol('node_data');
  if (nd) {
    const t = parseType(nd.type, km.structs, nd.size);
    const count = t.kind === 'array' ? t.count : 1;
    const out: { nid: number; pgdat: bigint }[] = [];
    for (let i = 0; i < Math.min(count, 1024); i++) {
      const p = readU64(km, nd.addr + BigInt(i * 8));
      if (p !== 0n) out.push({ nid: i, pgdat: p });
    }
    return out;
  }
  const cp = symbolAddr(km, 'contig_page_data');
  if (cp !== undefined) return [{ nid: 0, pgdat: cp }];
  throw new InspectError('NO_NODES', 'cannot find node_data or contig_page_data');
}

export function zones(km: KernelMemory, pgdat: bigint): ZoneInfo[] {
  const nz = requireMember(km, 'pglist_data', 'node_zones');
  const zsize = requireLayout(km, 'zone').size;
  const count = Math.round(nz.size / zsize);
  const out: ZoneInfo[] = [];
  for (let i = 0; i < count; i++) {
    const z = pgdat + BigInt(nz.offset + i * zsize);
    const namePtr = readMember(km, z, 'zone', 'name');
    const name = namePtr === 0n ? '' : String.fromCharCode(...readCString(km, namePtr, 32).bytes);
    out.push({
      addr: z,
      index: i,
      name,
      startPfn: readMember(km, z, 'zone', 'zone_start_pfn'),
      spanned: readMember(km, z, 'zone', 'spanned_pages'),
      present: readMember(km, z, 'zone', 'present_pages'),
      managed: member(km, 'zone', 'managed_pages') ? readMember(km, z, 'zone', 'managed_pages') : 0n,
    });
  }
  return out;
}

/** Length of a circular list whose head is at `head` (bounded; a corrupt list stops at `limit`). */
export function listLength(km: KernelMemory, head: bigint, limit = 1 << 22): number {
  let n = 0;
  let p = readU64(km, head);
  while (p !== head && p !== 0n && n < limit) {
    n++;
    p = readU64(km, p);
  }
  return n;
}

/** Bytes as crash's pages_to_size / eval suffix: "7.5 GB", "816.3 MB", "2 GB". */
export function humanSize(bytes: bigint): string {
  if (bytes === 0n) return '0';
  const units: [bigint, string][] = [
    [1n << 40n, 'TB'],
    [1n << 30n, 'GB'],
    [1n << 20n, 'MB'],
    [1n << 10n, 'KB'],
  ];
  for (const [u, name] of units) {
    if (bytes >= u) {
      const tenths = (bytes * 10n) / u;
      return tenths % 10n === 0n ? `${tenths / 10n} ${name}` : `${tenths / 10n}.${tenths % 10n} ${name}`;
    }
  }
  return `${bytes} bytes`;
}

export { sizeOf };
