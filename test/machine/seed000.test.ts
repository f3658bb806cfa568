/**
 * Seed 000 acceptance: the RHEL 7.9 resume boot whose crash dump the seed
 * shows. Every expected value below is copied from the seed's crash output
 * (zones, memblock_memory_init_regions, nosave_regions list, vtop, kmem -p).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { linux310 } from '../../src/profiles/index.js';
import { seed000Resume, seed000Suspend } from './seed-tables.js';

const KASLR = { pageOffsetBase: 0xffff926340000000n, vmemmapBase: 0xffffe30300000000n };

describe('seed 000 resume boot (linux-3.10)', () => {
  let m: Machine;
  beforeAll(() => {
    m = bootMachine(seed000Resume(), { profile: linux310, kaslr: KASLR });
  });

  test('zones match the crash dump', () => {
    const z = m.zones.zones.map((x) => [x.name, x.startPfn, x.spannedPages, x.presentPages]);
    expect(z).toEqual([
      ['DMA', 0x1, 0xfff, 0xea6],
      ['DMA32', 0x1000, 0xff000, 0xbe75e],
      ['Normal', 0x100000, 0x40000, 0x40000],
    ]);
  });

  test('memblock.memory holds the two regions around the ACPI page', () => {
    const regs = m.memblock.memory.regions.map((r) => [r.base, r.size]);
    expect(regs).toContainEqual([0x900000, 0xbd842000]);
    expect(regs).toContainEqual([0xbe143000, 0xa5000]);
    // adjacent to each other in the array, as memblock_memory_init_regions shows
    const i = regs.findIndex((r) => r[0] === 0x900000);
    expect(regs[i + 1]).toEqual([0xbe143000, 0xa5000]);
    m.memblock.check();
  });

  test('nosave regions are exactly the 12 of the seed', () => {
    expect(m.nosave.regions.map((r) => [r.startPfn, r.endPfn])).toEqual([
      [0xa0, 0x100],
      [0x800, 0x808],
      [0x80b, 0x80c],
      [0x810, 0x900],
      [0xbd85d, 0xbd85e],
      [0xbd866, 0xbd867],
      [0xbe142, 0xbe143],
      [0xbe1e8, 0xbe1e9],
      [0xbe675, 0xbe6be],
      [0xbeb8a, 0xbebcb],
      [0xbf0ed, 0xbf3ff],
      [0xbfafc, 0x100000],
    ]);
  });

  test('max_pfn, ptov and pfn_to_page', () => {
    expect(m.maxPfn).toBe(0x140000);
    expect(m.ptov(0xbe142000)).toBe(0xffff9263fe142000n);
    expect(m.pfnToPage(0xbe142)).toBe(0xffffe30302f85080n);
    expect(m.pageToPfn(0xffffe30302f85080n)).toBe(0xbe142);
    // kmem -p neighbours
    expect(m.pfnToPage(0xbe141)).toBe(0xffffe30302f85040n);
    expect(m.pfnToPage(0xbe1e8)).toBe(0xffffe30302f87a00n);
  });

  test('vtop of the faulting address walks the seed page tables and ends at PTE 0', () => {
    const w = m.vtop(0xffff9263fe142000n);
    expect(m.kernelImage.pgdVirt).toBe(0xffffffff8be10000n);
    const [pgd, pud, pmd, pte] = w.steps;
    expect(pgd!.value).toBe(0x1fe74067n);
    expect(pud!.index).toBe(0x18f);
    expect(pud!.entryAddr).toBe(0x1fe74c78);
    expect(pud!.value).toBe(0x13ffff067n);
    expect(pmd!.index).toBe(0x1f0);
    expect(pmd!.entryAddr).toBe(0x13fffff80);
    expect(pmd!.value).toBe(0x13fffe067n);
    expect(pte!.index).toBe(0x142);
    expect(pte!.entryAddr).toBe(0x13fffea10);
    expect(pte!.value).toBe(0n);
    expect(w.notMappedAt).toBe('PTE');
    expect(w.paddr).toBeUndefined();
  });

  test('neighbouring pfns are mapped by 4K PTEs with the seed values', () => {
    const a = m.vtop(m.ptov(0xbe141000));
    expect(a.steps[3]!.entryAddr).toBe(0x13fffea08);
    expect(a.steps[3]!.value).toBe(0x80000000be141063n);
    expect(a.paddr).toBe(0xbe141000);
    const b = m.vtop(m.ptov(0xbe143000));
    expect(b.steps[3]!.entryAddr).toBe(0x13fffea18);
    expect(b.steps[3]!.value).toBe(0x80000000be143063n);
    const c = m.vtop(m.ptov(0xbe1e8000));
    expect(c.steps[3]!.entryAddr).toBe(0x13fffef40);
    expect(c.steps[3]!.value).toBe(0n);
  });

  test('page-table pages: PUD from brk, GiB-2 PMD and the 0xbe000000 PTE page from memblock top-down', () => {
    const pt = m.directMap.pgtPages;
    expect(pt[0]).toEqual({ addr: 0x1fe74000, source: 'brk', level: 'PUD' });
    expect(pt).toContainEqual({ addr: 0x13ffff000, source: 'memblock', level: 'PMD' });
    expect(pt).toContainEqual({ addr: 0x13fffe000, source: 'memblock', level: 'PTE' });
    // GiB 1 is one 1G leaf: no PMD page for it
    const g1 = m.vtop(m.ptov(0x40000000));
    expect(g1.steps).toHaveLength(2);
    expect(g1.pageSize).toBe(0x40000000);
  });

  test('every ACPI data/NVS page above 1 MiB is unmapped; all of [0, 1 MiB) is mapped', () => {
    for (const e of seed000Resume().kernel) {
      if (e.type !== E820_TYPE.ACPI && e.type !== E820_TYPE.NVS) continue;
      if (e.addr < 0x100000n) continue;
      for (let a = Number(e.addr); a < Number(e.addr + e.size); a += 4096) {
        expect(m.isDirectMapped(a / 4096), `pfn 0x${(a / 4096).toString(16)}`).toBe(false);
      }
    }
    for (let pfn = 0; pfn < 0x100; pfn++) expect(m.isDirectMapped(pfn)).toBe(true);
  });

  test('struct page of the ACPI page reads like kmem -p: flags 0x1fffff00000000, count 1', () => {
    expect(m.pfnValid(0xbe142)).toBe(true);
    expect(m.pages.flagsWord(0xbe142)).toBe(0x1fffff00000000n);
    expect(m.pages.refcount(0xbe142)).toBe(1);
    // NVS pages in the DMA zone: 0xfffff00000000
    expect(m.pages.flagsWord(0x800)).toBe(0xfffff00000000n);
    expect(m.pages.refcount(0x800)).toBe(1);
    const bytes = m.pages.structPageBytes(0xbe142);
    const dv = new DataView(bytes.buffer);
    expect(dv.getBigUint64(0, true)).toBe(0x1fffff00000000n);
    expect(dv.getInt32(28, true)).toBe(1); // _count at 28 in 3.10
    expect(dv.getInt32(24, true)).toBe(-1); // _mapcount
    // the vmemmap reader agrees
    expect(m.pages.readVmemmap(0xffffe30302f85080n, 64)).toEqual(bytes);
  });

  test('kernel image pages are PageReserved; free RAM is in the buddy allocator', () => {
    expect(m.pages.isReserved(0x1f000)).toBe(true);
    expect(m.buddy.isFree(0x1f000)).toBe(false);
    expect(m.buddy.isFree(0x50000)).toBe(true);
    expect(m.pages.isReserved(0x50000)).toBe(false);
    // managed = present - reserved RAM pages
    let managed = 0;
    for (const z of m.zones.zones) managed += z.managedPages;
    expect(m.buddy.totalFreePages).toBe(managed);
    expect(managed).toBeLessThan(m.zones.totalPresent);
  });

  test('boot log has the kernel lines', () => {
    const log = m.log.join('\n');
    expect(log).toContain('e820: last_pfn = 0x140000 max_arch_pfn = 0x400000000');
    expect(log).toContain('PM: Registered nosave memory: [mem 0xbe142000-0xbe142fff]');
    expect(log).toContain('  DMA32    [mem 0x01000000-0xffffffff]');
    expect(log).toContain(' [mem 0x40000000-0x7fffffff] page 1G');
  });
});

describe('seed 000 suspend boot (linux-3.10)', () => {
  test('pfn 0xbe142 was RAM and mapped; 0xbe129 was ACPI data and not mapped', () => {
    const m = bootMachine(seed000Suspend(), { profile: linux310, kaslr: KASLR });
    expect(m.isDirectMapped(0xbe142)).toBe(true);
    expect(m.isDirectMapped(0xbe129)).toBe(false);
    expect(m.nosave.contains(0xbe129)).toBe(true);
    expect(m.nosave.contains(0xbe142)).toBe(false);
  });
});
