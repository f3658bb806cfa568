/**
 * translate() is walk()'s allocation-free fast path (the loader's memcpy
 * target): for every address it must give walk()'s physical address, or −1
 * exactly where walk() finds a not-present entry. Checked on the seed-000
 * resume boot (4K, 2M and 1G direct-map pages, the unmapped ACPI page
 * 0xbe142, holes) with pfns drawn at random and around every e820 edge.
 * TranslateCache (one cached upper walk per 2 MiB region) must answer as
 * translate() for any sequence of addresses, and drop its walk when a
 * page-table frame it read is rewritten.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TranslateCache, translate, walk } from '../../src/arch/x86/walk.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { linux310 } from '../../src/profiles/index.js';
import { seed000Resume } from '../machine/seed-tables.js';

const KASLR = { pageOffsetBase: 0xffff926340000000n, vmemmapBase: 0xffffe30300000000n };

describe('translate() agrees with walk()', () => {
  let m: Machine;
  const low48 = (v: bigint) => Number(BigInt.asUintN(48, v));
  const same = (pfn: number, off: number) => {
    const v = m.ptov(pfn * 4096 + off);
    const w = walk(m.mem, m.kernelImage.pgdPhys, v);
    expect(translate(m.mem, m.kernelImage.pgdPhys, low48(v))).toBe(w.paddr ?? -1);
  };
  beforeAll(() => {
    m = bootMachine(seed000Resume(), { profile: linux310, kaslr: KASLR });
  });

  it('the seed-000 page that faults (0xbe142) is unmapped in both, its neighbours mapped', () => {
    const v = m.ptov(0xbe142 * 4096);
    expect(walk(m.mem, m.kernelImage.pgdPhys, v).paddr).toBeUndefined();
    expect(translate(m.mem, m.kernelImage.pgdPhys, low48(v))).toBe(-1);
    expect(translate(m.mem, m.kernelImage.pgdPhys, low48(m.ptov(0xbe141 * 4096)))).toBe(0xbe141 * 4096);
  });

  it('around every e820 entry edge', () => {
    for (const e of m.e820.kernel) {
      for (const a of [e.addr, e.addr + e.size]) {
        const pfn = Number(a / 4096n);
        for (let d = -2; d <= 2; d++) if (pfn + d >= 0) same(pfn + d, 0x123);
      }
    }
  });

  it('random pfns up to 2^22 and random offsets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 22 }), fc.integer({ min: 0, max: 4095 }), (pfn, off) => {
        same(pfn, off);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('TranslateCache agrees with translate()', () => {
  let m: Machine;
  const low48 = (pfn: number, off: number) => Number(BigInt.asUintN(48, m.ptov(pfn * 4096 + off)));
  beforeAll(() => {
    m = bootMachine(seed000Resume(), { profile: linux310, kaslr: KASLR });
  });

  it('on runs of neighbouring pfns and random jumps (4K, 2M and 1G regions, the unmapped 0xbe142)', () => {
    const pgd = m.kernelImage.pgdPhys;
    const wc = new TranslateCache(m.mem, pgd);
    const check = (pfn: number, off: number) =>
      expect(wc.translate(low48(pfn, off))).toBe(translate(m.mem, pgd, low48(pfn, off)));
    for (let pfn = 0xbe000; pfn < 0xbe400; pfn++) check(pfn, 8);
    for (const e of m.e820.kernel)
      for (let d = -600; d <= 600; d += 7) check(Math.max(0, Number(e.addr / 4096n) + d), 0);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 22 }), fc.integer({ min: 0, max: 600 })), {
          minLength: 1,
          maxLength: 20,
        }),
        (runs) => {
          for (const [pfn, n] of runs) for (let p = pfn; p < pfn + n; p += 3) check(p, p & 4095);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('forgets its walk when a table frame it read is written', () => {
    const mm = bootMachine(seed000Resume(), { profile: linux310, kaslr: KASLR });
    const pgd = mm.kernelImage.pgdPhys;
    const wc = new TranslateCache(mm.mem, pgd);
    const a = Number(BigInt.asUintN(48, mm.ptov(0x100000 * 4096)));
    expect(wc.translate(a)).toBe(0x100000 * 4096);
    // Clear the PUD entry on the way (its table is the second frame the walk read).
    const pudTable = walk(mm.mem, pgd, mm.ptov(0x100000 * 4096)).steps[1]!.entryAddr;
    mm.mem.frame(Math.floor(pudTable / 4096)).fill(0, pudTable % 4096, (pudTable % 4096) + 8);
    expect(translate(mm.mem, pgd, a)).toBe(-1);
    wc.forgetFrame(Math.floor(pudTable / 4096));
    expect(wc.translate(a)).toBe(-1);
  });
});
