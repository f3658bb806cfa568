/**
 * set_up_temporary_mappings() (src/arch/x86/power/hibernate.ts) with its
 * PGD/PUD walk cached and PMD entries stored as u32 halves, against the loop
 * it replaced (kept here as the reference: a BigInt address, three table
 * indices and a u64 store per 2 MiB): random direct-map bases (KASLR's
 * page_offset_base, 1 GiB aligned) and pfn_mapped ranges, crossing PUD and
 * PGD boundaries — the same tables from the same get_safe_page() calls, the
 * same bytes in every table.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryAddr, PMD_SIZE, readEntry, tableIndex, writeEntry } from '../../src/arch/x86/pgtable.js';
import { type ArchRestoreKernel, setUpTemporaryMappings } from '../../src/arch/x86/power/hibernate.js';
import { PhysMem } from '../../src/mm/phys-mem.js';
import { linux612 } from '../../src/profiles/index.js';

const PAGE_SIZE = 4096;

function reference(k: ArchRestoreKernel): number {
  const page = () => k.getSafePage() * PAGE_SIZE;
  const pgd = page();
  const next = (table: number, idx: number): number => {
    const e = readEntry(k.mem, table, idx);
    if (e !== 0n) return entryAddr(e);
    const t = page();
    writeEntry(k.mem, table, idx, BigInt(t) | k.tableFlags);
    return t;
  };
  for (const [spfn, epfn] of k.pfnMapped) {
    const start = Math.floor((spfn * PAGE_SIZE) / PMD_SIZE) * PMD_SIZE;
    const end = epfn * PAGE_SIZE;
    for (let a = start; a < end; a += PMD_SIZE) {
      const va = k.ptov(a);
      const pud = next(pgd, tableIndex(va, 'PGD'));
      const pmd = next(pud, tableIndex(va, 'PUD'));
      writeEntry(k.mem, pmd, tableIndex(va, 'PMD'), BigInt(a) | k.largeLeafFlags);
    }
  }
  return pgd;
}

function kernel(base: bigint, ranges: [number, number][], taken: number[]): ArchRestoreKernel {
  let safe = 0x10;
  return {
    mem: new PhysMem(),
    pgdPhys: 0,
    tableFlags: linux612.paging.tableFlags,
    largeLeafFlags: linux612.paging.largeLeafFlags,
    pfnMapped: ranges,
    ptov: (p) => base + BigInt(p),
    virtToPhys: () => undefined,
    getSafePage: () => {
      taken.push(safe);
      return safe++;
    },
    copyPage: () => {},
  };
}

function tables(k: ArchRestoreKernel): [number, number[]][] {
  const buf = new Uint8Array(PAGE_SIZE);
  return k.mem.materialisedPfns().map((p) => {
    k.mem.readPageInto(p, buf);
    return [p, Array.from(new Uint32Array(buf.buffer))];
  });
}

describe('set_up_temporary_mappings()', () => {
  it('builds the tables the per-entry BigInt loop builds', () => {
    // page_offset_base: 0xffff888000000000 plus a 1 GiB-aligned KASLR offset (up to 64 TiB).
    const base = fc.integer({ min: 0, max: 65535 }).map((g) => 0xffff888000000000n + BigInt(g) * 2n ** 30n);
    // Ranges up to a few TiB apart (pfns below 2^36), some near PUD/PGD boundaries of the address.
    const range = fc.tuple(fc.integer({ min: 0, max: 2 ** 34 }), fc.integer({ min: 1, max: 3 * 262144 }));
    fc.assert(
      fc.property(base, fc.array(range, { minLength: 1, maxLength: 5 }), (b, rs) => {
        const ranges = rs.map(([s, n]) => [s, s + n] as [number, number]);
        const t1: number[] = [];
        const t2: number[] = [];
        const k1 = kernel(b, ranges, t1);
        const k2 = kernel(b, ranges, t2);
        expect(setUpTemporaryMappings(k1)).toBe(reference(k2));
        expect(t1).toEqual(t2);
        expect(tables(k1)).toEqual(tables(k2));
      }),
      { numRuns: 60 },
    );
  });
});
