import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import {
  BitWriter,
  BM_END_OF_MAP,
  createMemExtents,
  type MemoryBitmap,
  setRange,
} from '../../src/power/snapshot/bitmap.js';
import { BmBlockListBitmap } from '../../src/power/snapshot/bm-block-list.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';

const PAGE_OFFSET = 0xffff926340000000n;

function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
}

/** A bump allocator handing out frames upward from `first`. */
function bump(first: number): () => number {
  let next = first;
  return () => next++;
}

// Seed 000: zones DMA [1,0x1000), DMA32 [0x1000,0x100000), Normal [0x100000,0x140000).
const SEED_ZONES = [
  { start: 0x1, end: 0x1000 },
  { start: 0x1000, end: 0x100000 },
  { start: 0x100000, end: 0x140000 },
];

describe('create_mem_extents', () => {
  it('merges touching zone spans into one extent', () => {
    expect(createMemExtents(SEED_ZONES)).toEqual([{ start: 1, end: 0x140000 }]);
  });
  it('keeps disjoint spans apart and sorts them', () => {
    expect(
      createMemExtents([
        { start: 100, end: 200 },
        { start: 0, end: 50 },
        { start: 150, end: 300 },
      ]),
    ).toEqual([
      { start: 0, end: 50 },
      { start: 100, end: 300 },
    ]);
  });
});

describe('3.10 bm_block list', () => {
  it('lays out bm_blocks like the seed-000 crash dump (orig_bm)', () => {
    const h = heap();
    // orig_bm.p_list = 0xffff92646cb9e000 → the chain page is the first frame handed out.
    const chainPfn = 0x12cb9e;
    let first = true;
    let data = 0x200000;
    const alloc = () => {
      if (first) {
        first = false;
        return chainPfn;
      }
      return data++;
    };
    const structPhys = 0x1000 * 0x10; // where the global lives does not matter here
    const bm = new BmBlockListBitmap(h, structPhys, createMemExtents(SEED_ZONES), alloc);
    const blocks = bm.blocks();
    expect(blocks).toHaveLength(40);
    // Block 23 (start 0xb8001, end 0xc0001) sits at p_list + 0x288, its neighbours at 0x260 / 0x2b0.
    const b23 = blocks[23]!;
    expect(b23.start).toBe(0xb8001);
    expect(b23.end).toBe(0xc0001);
    expect(PAGE_OFFSET + BigInt(b23.phys)).toBe(0xffff92646cb9e288n);
    expect(h.phys.u64(b23.phys)).toBe(0xffff92646cb9e260n); // hook.next
    expect(h.phys.u64(b23.phys + 8)).toBe(0xffff92646cb9e2b0n); // hook.prev
    expect(h.phys.u64(b23.phys + 16)).toBe(753665n);
    // blocks.next = 0xffff92646cb9e620, blocks.prev = 0xffff92646cb9e008, p_list = …e000
    expect(h.phys.u64(structPhys)).toBe(0xffff92646cb9e620n);
    expect(h.phys.u64(structPhys + 8)).toBe(0xffff92646cb9e008n);
    expect(h.phys.u64(structPhys + 16)).toBe(0xffff92646cb9e000n);
    // Iterating to pfn 0xbe142 leaves cur = {block 23, bit 24898} (the seed's `p orig_bm`).
    bm.setBit(0xbe142);
    bm.setBit(0x5);
    bm.positionReset();
    expect(bm.nextPfn()).toBe(0x5);
    expect(bm.nextPfn()).toBe(0xbe142);
    bm.flush();
    expect(h.phys.u64(structPhys + 24)).toBe(0xffff92646cb9e288n);
    expect(h.phys.u32(structPhys + 32)).toBe(24898);
    // The data byte for 0xbe142: (0xbe142 - 0xb8001) / 8 = 3112, bit 1 → 0x02 as in the dump.
    expect(h.phys.u8(b23.dataPfn * 4096 + 3112)).toBe(0x02);
    // 3.10 resets the position at the end of the map.
    expect(bm.nextPfn()).toBe(BM_END_OF_MAP);
    expect(bm.position().bit).toBe(0);
  });

  it('test_bit moves the position (memory_bm_find_bit side effect)', () => {
    const h = heap();
    const bm = new BmBlockListBitmap(h, 0x1000, createMemExtents(SEED_ZONES), bump(0x2000));
    bm.testBit(0xbe142);
    bm.flush();
    expect(h.phys.u32(0x1000 + 32)).toBe(24898);
  });
});

describe('6.x radix tree', () => {
  it('one block: the root is the leaf, levels 0', () => {
    const bm = new RtreeBitmap(heap(), 0x1000, [{ start: 0, end: 1000 }], bump(0x2000));
    expect(bm.shape()).toEqual([expect.objectContaining({ levels: 0, leaves: 1, inner: 0 })]);
  });
  it('grows levels by 9-bit digits of the block number', () => {
    // 513 blocks → block 512 needs 2 digits → 2 levels.
    const bm = new RtreeBitmap(heap(), 0x1000, [{ start: 0, end: 513 * 32768 }], bump(0x2000));
    const s = bm.shape()[0]!;
    expect(s.levels).toBe(2);
    expect(s.leaves).toBe(513);
    // root + two level-1 nodes.
    expect(s.inner).toBe(3);
  });
  it('find_bit does not move node_bit; next_pfn does not reset at the end', () => {
    const bm = new RtreeBitmap(heap(), 0x1000, [{ start: 0, end: 100000 }], bump(0x2000));
    bm.setBit(10);
    bm.setBit(40000);
    bm.positionReset();
    expect(bm.nextPfn()).toBe(10);
    expect(bm.nextPfn()).toBe(40000);
    expect(bm.nextPfn()).toBe(BM_END_OF_MAP);
    expect(bm.nextPfn()).toBe(BM_END_OF_MAP);
    expect(bm.current()).toBe(BM_END_OF_MAP);
  });
});

function naiveCheck(make: (ext: { start: number; end: number }[]) => MemoryBitmap) {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ start: fc.integer({ min: 0, max: 300000 }), len: fc.integer({ min: 1, max: 80000 }) }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      fc.array(fc.tuple(fc.constantFrom('set', 'clear'), fc.integer({ min: 0, max: 400000 })), {
        maxLength: 200,
      }),
      (spans, ops) => {
        const ext = createMemExtents(spans.map((s) => ({ start: s.start, end: s.start + s.len })));
        const bm = make(ext);
        const inMap = (p: number) => ext.some((e) => p >= e.start && p < e.end);
        const model = new Set<number>();
        for (const [op, pfn] of ops) {
          if (!inMap(pfn)) {
            expect(bm.pfnPresent(pfn)).toBe(false);
            expect(bm.setBitCheck(pfn)).toBe(false);
            continue;
          }
          if (op === 'set') {
            bm.setBit(pfn);
            model.add(pfn);
          } else {
            bm.clearBit(pfn);
            model.delete(pfn);
          }
        }
        const expected = [...model].sort((a, b) => a - b);
        bm.positionReset();
        const got: number[] = [];
        for (let p = bm.nextPfn(); p !== BM_END_OF_MAP; p = bm.nextPfn()) got.push(p);
        expect(got).toEqual(expected);
        expect(bm.count()).toBe(expected.length);
        const each: number[] = [];
        bm.forEachSet((p) => each.push(p));
        expect(each).toEqual(expected);
        for (const p of expected) expect(bm.testBitQuiet(p)).toBe(true);
      },
    ),
    { numRuns: 60 },
  );
}

describe('bitmaps against a naive set (fast-check)', () => {
  it('bm_block list', () => naiveCheck((ext) => new BmBlockListBitmap(heap(), 0x1000, ext, bump(0x2000))));
  it('rtree', () => naiveCheck((ext) => new RtreeBitmap(heap(), 0x1000, ext, bump(0x2000))));
});

describe('BitWriter.setRange() sets what setRange() sets (fast-check)', () => {
  // Extents that do not start on a 32768-pfn boundary (seed 000's DMA starts at pfn 1), a gap
  // between extents, and ranges that cross block edges or leave the bitmap.
  const ext = [
    { start: 1, end: 70000 },
    { start: 100000, end: 140000 },
  ];
  const range = fc.tuple(fc.integer({ min: 0, max: 150000 }), fc.integer({ min: 1, max: 1024 }));
  for (const [label, make] of [
    ['bm_block list', () => new BmBlockListBitmap(heap(), 0x1000, ext, bump(0x2000))],
    ['rtree', () => new RtreeBitmap(heap(), 0x1000, ext, bump(0x2000))],
  ] as const) {
    it(label, () => {
      fc.assert(
        fc.property(fc.array(range, { maxLength: 60 }), (ranges) => {
          const a = make();
          const b = make();
          const w = new BitWriter(a);
          for (const [from, n] of ranges) {
            w.setRange(from, from + n);
            setRange(b, from, from + n);
          }
          const bits = (bm: MemoryBitmap) => {
            const out: number[] = [];
            bm.forEachSet((p) => out.push(p));
            return out;
          };
          expect(bits(a)).toEqual(bits(b));
        }),
        { numRuns: 200 },
      );
    });
  }
});
