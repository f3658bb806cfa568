/**
 * KernelMemory (issue 9 item 1): the booted kernel's memory read as bytes at
 * kernel virtual addresses, in each profile's struct layouts — checked
 * against the seed-000 crash session (../shared/seeds/000_*.txt) and against
 * the kernel's own invariants (a free list walked through struct page lru
 * links holds nr_free blocks, each PageBuddy with private = order).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type KernelMemory, KernelMemoryFault } from '../../src/machine/kernel-memory.js';
import { kernelMemoryOf } from '../../src/machine/kernel-memory-live.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import { fieldPath } from '../../src/profiles/struct-layout.js';
import { off, sizeOf } from '../../src/profiles/structs/define.js';
import type { RunResult } from '../../src/scenario/run.js';
import { runBuiltin } from '../engine/helpers.js';

/** Read `struct S.member` at `addr` as an unsigned little-endian integer of the member's size. */
function field(k: KernelMemory, structName: string, member: string, addr: bigint): bigint {
  const f = fieldPath(k.structs, structName, member);
  if (!f) throw new Error(`no ${structName}.${member}`);
  const b = k.read(addr + BigInt(f.offset), f.field.size);
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}
const s32 = (v: bigint) => Number(BigInt.asIntN(32, v));
function cstring(k: KernelMemory, addr: bigint): string {
  const b = k.read(addr, 32);
  return String.fromCharCode(...b.subarray(0, b.indexOf(0)));
}

describe('struct tables', () => {
  it('struct page in the profiles matches the tables (StructPageLayout is derived)', () => {
    expect(linux310.mm.structPage).toEqual({
      size: 64,
      flags: 0,
      mapping: 8,
      index: 16,
      mapcount: 24,
      refcount: 28,
      lru: 32,
      private: 48,
    });
    expect(linux612.mm.structPage).toMatchObject({ lru: 8, private: 40, mapcount: 48, refcount: 52 });
  });
  it('match the seed: zone is 0x800 bytes, swsusp_info.pages at 0x1a8, pglist_data rounds to 0x27000', () => {
    expect(sizeOf(linux310.structs, 'zone')).toBe(0x800);
    expect(off(linux310.structs, 'swsusp_info', 'pages')).toBe(0x1a8);
    expect(Math.ceil(sizeOf(linux310.structs, 'pglist_data') / 4096) * 4096).toBe(linux310.mm.nodeDataBytes);
    expect(sizeOf(linux612.structs, 'pglist_data')).toBe(linux612.mm.nodeDataBytes);
    // The bitmap code writes these layouts; the tables must agree with it.
    expect(sizeOf(linux310.structs, 'memory_bitmap')).toBe(40);
    expect(sizeOf(linux612.structs, 'memory_bitmap')).toBe(64);
    expect(fieldPath(linux612.structs, 'memory_bitmap', 'cur.node_bit')?.offset).toBe(56);
    expect(fieldPath(linux310.structs, 'memory_bitmap', 'cur.bit')?.offset).toBe(32);
  });
});

describe('seed-000 (linux-3.10): the crashed resume kernel and the hibernating one', () => {
  let r: RunResult;
  let k: KernelMemory;
  let ks: KernelMemory;
  beforeAll(async () => {
    r = await runBuiltin('seed-000');
    k = kernelMemoryOf(r.resume!.machine);
    ks = kernelMemoryOf(r.suspend.machine!);
  }, 300_000);

  it("reads the ACPI-data page's struct page at vmemmap_base + 0xbe142 * 64 as crash's kmem -p shows it", () => {
    const vmemmap = k.u64(k.symbol('vmemmap_base')!.addr);
    expect(vmemmap).toBe(0xffffe30300000000n);
    const page = vmemmap + 0xbe142n * 64n;
    expect(page).toBe(0xffffe30302f85080n);
    // kmem -p: PAGE ffffe30302f85080, MAPPING 0, INDEX 0, CNT 1, FLAGS 1fffff00000000
    expect(field(k, 'page', 'flags', page)).toBe(0x1fffff00000000n);
    expect(field(k, 'page', '_count', page)).toBe(1n);
    expect(s32(field(k, 'page', '_mapcount', page))).toBe(-1);
    expect(field(k, 'page', 'mapping', page)).toBe(0n);
    expect(field(k, 'page', 'index', page)).toBe(0n);
    // The vmemmap is reached by a real walk: the bytes come from the frame the PMD maps.
    const pa = k.translate(page)!;
    expect(k.readPhys(pa, 8)).toEqual(k.read(page, 8));
  });

  it('reads nr_copy_pages = 229023 and nr_meta_pages = 448 at their symbols', () => {
    expect(ks.u32(ks.symbol('nr_copy_pages')!.addr)).toBe(229023);
    expect(ks.u32(ks.symbol('nr_meta_pages')!.addr)).toBe(448);
    // The resume kernel set them in load_header() (the seed's `p nr_copy_pages` is from it).
    expect(k.u32(k.symbol('nr_copy_pages')!.addr)).toBe(229023);
    expect(k.u32(k.symbol('nr_meta_pages')!.addr)).toBe(448);
  });

  it('node_data[0] and its zones read as in the crash session', () => {
    const pgdat = k.u64(k.symbol('node_data')!.addr);
    expect(pgdat).toBe(0xffff92647ffd7000n);
    expect(k.read(k.symbol('node_states')!.addr + 128n, 8)).toEqual(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]));
    const zone = (i: number) => pgdat + BigInt(i * sizeOf(k.structs, 'zone'));
    expect(zone(1)).toBe(0xffff92647ffd7800n);
    expect([0, 1, 2].map((i) => field(k, 'zone', 'zone_start_pfn', zone(i)))).toEqual([
      0x1n,
      0x1000n,
      0x100000n,
    ]);
    expect([0, 1, 2].map((i) => field(k, 'zone', 'spanned_pages', zone(i)))).toEqual([
      0xfffn,
      0xff000n,
      0x40000n,
    ]);
    expect([0, 1, 2].map((i) => field(k, 'zone', 'present_pages', zone(i)))).toEqual([
      0xea6n,
      0xbe75en,
      0x40000n,
    ]);
    const name = field(k, 'zone', 'name', zone(1));
    expect(name).toBe(0xffffffff8bc8e57an);
    expect(cstring(k, name)).toBe('DMA32');
    expect(cstring(k, field(k, 'zone', 'name', zone(3)))).toBe('Movable');
    expect(field(k, 'zone', 'zone_pgdat', zone(2))).toBe(pgdat);
    expect(field(k, 'pglist_data', 'node_present_pages', pgdat)).toBe(0xea6n + 0xbe75en + 0x40000n);
  });

  it('memblock_memory_init_regions holds the RAM around the ACPI page (base, size, flags, nid)', () => {
    const arr = k.symbol('memblock_memory_init_regions')!.addr;
    const size = BigInt(sizeOf(k.structs, 'memblock_region'));
    const mb = k.symbol('memblock')!.addr;
    const cnt = Number(field(k, 'memblock', 'memory.cnt', mb));
    expect(field(k, 'memblock', 'memory.regions', mb)).toBe(arr);
    const regions = Array.from({ length: cnt }, (_, i) => ({
      base: field(k, 'memblock_region', 'base', arr + BigInt(i) * size),
      size: field(k, 'memblock_region', 'size', arr + BigInt(i) * size),
      nid: field(k, 'memblock_region', 'nid', arr + BigInt(i) * size),
    }));
    expect(regions).toContainEqual({ base: 0x900000n, size: 0xbd842000n, nid: 0n });
    expect(regions).toContainEqual({ base: 0xbe143000n, size: 0xa5000n, nid: 0n });
  });

  it('the nosave_regions list walks as `list nosave_region.list -H nosave_regions` did', () => {
    const head = k.symbol('nosave_regions')!.addr;
    expect(head).toBe(0xffffffff8be5da50n);
    const out: [bigint, bigint][] = [];
    for (let e = k.u64(head); e !== head && out.length < 100; e = k.u64(e)) {
      out.push([field(k, 'nosave_region', 'start_pfn', e), field(k, 'nosave_region', 'end_pfn', e)]);
    }
    expect(out).toEqual([
      [0xa0n, 0x100n],
      [0x800n, 0x808n],
      [0x80bn, 0x80cn],
      [0x810n, 0x900n],
      [0xbd85dn, 0xbd85en],
      [0xbd866n, 0xbd867n],
      [0xbe142n, 0xbe143n],
      [0xbe1e8n, 0xbe1e9n],
      [0xbe675n, 0xbe6ben],
      [0xbeb8an, 0xbebcbn],
      [0xbf0edn, 0xbf3ffn],
      [0xbfafcn, 0x100000n],
    ]);
    // prev links close the ring
    expect(k.u64(head + 8n)).not.toBe(head);
  });

  it('p orig_bm / forbidden_pages_map read the bitmap structs the resume built', () => {
    const fpm = k.u64(k.symbol('forbidden_pages_map')!.addr);
    expect(fpm).not.toBe(0n);
    const blocks = field(k, 'memory_bitmap', 'blocks.next', fpm);
    // bm_block.start_pfn of the first block: the first populated zone's start (pfn 1)
    expect(field(k, 'bm_block', 'start_pfn', blocks)).toBe(1n);
  });

  it('an unmapped address faults at the level the walk stopped', () => {
    // The seed's faulting address: PTE 0.
    let err: unknown;
    try {
      k.read(0xffff9263fe142000n, 8);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelMemoryFault);
    expect((err as KernelMemoryFault).level).toBe('PTE');
    expect((err as KernelMemoryFault).address).toBe(0xffff9263fe142000n);
  });
});

/** Walk every zone's free lists through lru links; each block is PageBuddy with private = order. */
function checkFreeLists(k: KernelMemory, maxOrder: number, buddyMarker: number): number {
  const pgdat = k.u64(k.symbol('node_data')!.addr);
  const zsz = BigInt(sizeOf(k.structs, 'zone'));
  const fasz = BigInt(sizeOf(k.structs, 'free_area'));
  const lru = BigInt(off(k.structs, 'page', 'lru'));
  const faOff = BigInt(off(k.structs, 'zone', 'free_area'));
  const types = k.structs.structs.get('free_area')!.fields[0]!.count!;
  let blocks = 0;
  for (let z = 0n; z < 3n; z++) {
    for (let o = 0; o <= maxOrder; o++) {
      const fa = pgdat + z * zsz + faOff + BigInt(o) * fasz;
      const nrFree = Number(field(k, 'free_area', 'nr_free', fa));
      let n = 0;
      for (let t = 0; t < types; t++) {
        const head = fa + BigInt(t * 16);
        let prev = head;
        for (let e = k.u64(head); e !== head; e = k.u64(e)) {
          expect(k.u64(e + 8n)).toBe(prev); // lru.prev points back
          const page = e - lru;
          expect(field(k, 'page', 'private', page)).toBe(BigInt(o));
          expect(s32(field(k, 'page', '_mapcount', page))).toBe(buddyMarker);
          prev = e;
          n++;
          if (n > nrFree) break;
        }
      }
      expect(n).toBe(nrFree);
      blocks += n;
    }
  }
  return blocks;
}

describe('free lists agree with the buddy allocator', () => {
  it('linux-3.10 (seed-000 resume kernel) and linux-6.12 (seed-000-6.12)', async () => {
    for (const [name, p] of [
      ['seed-000', linux310],
      ['seed-000-6.12', linux612],
    ] as const) {
      const r = await runBuiltin(name);
      const m = r.resume!.machine;
      const k = kernelMemoryOf(m);
      let total = 0;
      for (let z = 0; z < 3; z++) for (let o = 0; o <= 10; o++) total += m.buddy.freeBlocks(z, o);
      expect(total).toBeGreaterThan(10);
      expect(checkFreeLists(k, p.mm.maxOrder, p.mm.buddyMapcount)).toBe(total);
    }
  }, 600_000);
});

describe('seed-000-6.12: the same in the 6.12 layout', () => {
  let r: RunResult;
  let k: KernelMemory;
  beforeAll(async () => {
    r = await runBuiltin('seed-000-6.12');
    k = kernelMemoryOf(r.resume!.machine);
  }, 300_000);

  it('struct page of the ACPI-data pfn 0xbe142: reserved (init_unavailable_range), DMA32, one reference', () => {
    const vmemmap = k.u64(k.symbol('vmemmap_base')!.addr);
    expect(vmemmap).toBe(r.resume!.machine.kaslr.vmemmapBase);
    const page = vmemmap + 0xbe142n * 64n;
    const flags = field(k, 'page', 'flags', page);
    expect((flags >> 12n) & 1n).toBe(1n); // PG_reserved (6.12 bit 12)
    expect((flags >> 51n) & 7n).toBe(1n); // ZONES_PGOFF 51: ZONE_DMA32
    expect(field(k, 'page', '_refcount', page)).toBe(1n);
    expect(s32(field(k, 'page', '_mapcount', page))).toBe(-1);
  });

  it('nr_copy_pages at its symbol is what the hibernating kernel copied', () => {
    const ks = kernelMemoryOf(r.suspend.machine!);
    const h = r.suspend.hibernate!;
    expect(ks.u32(ks.symbol('nr_copy_pages')!.addr)).toBe(h.save.nrCopyPages);
    expect(ks.u32(ks.symbol('nr_zero_pages')!.addr)).toBe(h.save.nrZeroPages);
    expect(h.save.nrCopyPages).toBeGreaterThan(150000);
  });

  it('zones, mem_section and init_uts_ns in the 6.12 layout', () => {
    const pgdat = k.u64(k.symbol('node_data')!.addr);
    const zone1 = pgdat + BigInt(sizeOf(k.structs, 'zone'));
    expect(field(k, 'zone', 'zone_start_pfn', zone1)).toBe(0x1000n);
    expect(cstring(k, field(k, 'zone', 'name', zone1))).toBe('DMA32');
    expect(Number(field(k, 'zone', 'managed_pages', zone1))).toBe(
      r.resume!.machine.zones.zones[1]!.managedPages,
    );
    // mem_section -> root 0 -> section 0: vmemmap_base | PRESENT | HAS_MEM_MAP | ONLINE | EARLY
    const roots = k.u64(k.symbol('mem_section')!.addr);
    const root0 = k.u64(roots);
    expect(field(k, 'mem_section', 'section_mem_map', root0)).toBe(
      r.resume!.machine.kaslr.vmemmapBase | 0xfn,
    );
    const uts = k.symbol('init_uts_ns')!.addr + BigInt(off(k.structs, 'uts_namespace', 'name'));
    expect(cstring(k, uts + BigInt(off(k.structs, 'new_utsname', 'release')))).toBe('6.12.117+deb12-amd64');
  });
});
