/**
 * SetBitCursor.runAfter() / skip() (swsusp_save()'s copy loop takes a run of
 * consecutive orig_bm / copy_bm bits at once) against next() bit by bit, on
 * rtree and bm_block-list maps with random runs (whole bit pages set too: the
 * all-ones form): runAfter(max) counts exactly the next() calls that return
 * current + 1, current + 2, … (capped by max, inside the bit page), and after
 * skip() the cursor goes on as the per-bit one does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import { BM_END_OF_MAP, type MemoryBitmap, SetBitCursor, setRange } from '../../src/power/snapshot/bitmap.js';
import { BmBlockListBitmap } from '../../src/power/snapshot/bm-block-list.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';

const PAGE_OFFSET = 0xffff926340000000n;
const EXTENTS = [
  { start: 1, end: 0x1000 },
  { start: 0x1000, end: 0x12345 },
  { start: 0x20007, end: 0x31000 },
];
const SPAN = 0x31000;

function makeBitmap(kind: 'rtree' | 'list'): MemoryBitmap {
  const h: KernelHeap = {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
  let next = 0x40000;
  const alloc = () => next++;
  return kind === 'rtree'
    ? new RtreeBitmap(h, 0x3ffff, EXTENTS, alloc)
    : new BmBlockListBitmap(h, 0x3ffff, EXTENTS, alloc);
}

describe('SetBitCursor runs', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: runAfter / skip = next() bit by bit`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: SPAN }), fc.integer({ min: 1, max: 40000 })), {
            maxLength: 6,
          }),
          fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 40 }),
          (runs, maxes) => {
            const bm = makeBitmap(kind);
            for (const [a, n] of runs) {
              // setRange() within each extent (whole bit pages take the all-ones form).
              for (const e of EXTENTS) {
                const lo = Math.max(a, e.start);
                const hi = Math.min(a + n, e.end);
                if (lo < hi) setRange(bm, lo, hi);
              }
            }
            const a = new SetBitCursor(bm);
            const b = new SetBitCursor(bm);
            a.next();
            b.next();
            for (let i = 0; a.current !== BM_END_OF_MAP; i++) {
              const max = maxes[i % maxes.length]!;
              const r = a.runAfter(max);
              if (r > max) expect(r).toBeLessThanOrEqual(max);
              const cur = b.current;
              let ok = true;
              for (let j = 1; j <= r; j++) if (b.next() !== cur + j) ok = false;
              if (!ok) expect(`run of ${r} after ${cur}`).toBe('next() bit by bit');
              if (r < max && b.current !== BM_END_OF_MAP) {
                // Not continuing: the next bit is not current + 1, or it is in the next bit page.
                const nx = b.next();
                // Inside the bit page, a shorter count than max means the bit after the run is clear.
                const blk = bm.blocks32().find((k) => cur >= k.start && cur < k.end)!;
                if (cur + r + 1 < blk.end && nx === cur + r + 1)
                  expect(`run of ${r} after ${cur}`).toBe('maximal');
                a.skip(r);
                expect(a.next()).toBe(nx);
              } else {
                a.skip(r);
                expect(a.next()).toBe(b.next());
              }
              if (a.current !== b.current || a.last !== b.last)
                expect([a.current, a.last]).toEqual([b.current, b.last]);
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
