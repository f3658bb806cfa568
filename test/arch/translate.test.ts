/**
 * translate() is walk()'s allocation-free fast path (the loader's memcpy
 * target): for every address it must give walk()'s physical address, or −1
 * exactly where walk() finds a not-present entry. Checked on the seed-000
 * resume boot (4K, 2M and 1G direct-map pages, the unmapped ACPI page
 * 0xbe142, holes) with pfns drawn at random and around every e820 edge.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { translate, walk } from '../../src/arch/x86/walk.js';
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
