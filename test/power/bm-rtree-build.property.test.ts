/**
 * RtreeBitmap's construction (create_zone_bm_rtree() + add_rtree_block(),
 * walking a kept path instead of reading each slot back) against the oracle
 * (./oracle/bm-rtree.ts, which reads the slots): on extents of up to two and
 * three tree levels, with an allocator handing out scattered frames, both
 * must take the same frames in the same order and leave the same bytes in
 * every frame they wrote, and the same shape — with the allocator's bulk form
 * too (the frames taken up front: exactly as many as the calls), and when
 * the allocator runs out part way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import type { MemExtent } from '../../src/power/snapshot/bitmap.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap, PageAllocator } from '../../src/power/snapshot/kernel-heap.js';
import { RtreeBitmap as OldRtree } from './oracle/bm-rtree.js';

const PAGE_OFFSET = 0xffff926340000000n;
const LEAF = 32768;

function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
}

/**
 * Frames from 2^40 on, upward with gaps (`gap` decides them), recorded in
 * `taken`; after `cap` frames it fails (the bitmap code's ENOMEM). With
 * `bulk`, also the allocator's bulk form: n calls at once.
 */
function alloc(taken: number[], gap: number, cap: number, bulk: boolean): PageAllocator {
  let next = 2 ** 40 / 4096 + 7;
  const one = (): number => {
    if (taken.length >= cap) throw new Error('ENOMEM');
    next += 1 + (taken.length % gap === 0 ? 3 : 0);
    taken.push(next);
    return next;
  };
  const a: PageAllocator = one;
  if (bulk)
    a.bulk = (n, out) => {
      let k = 0;
      for (; k < n && taken.length < cap; k++) out[k] = one();
      return k;
    };
  return a;
}

function build(make: (h: KernelHeap, a: PageAllocator) => unknown, gap: number, cap: number, bulk: boolean) {
  const h = heap();
  const taken: number[] = [];
  let err = '';
  let shape: unknown = null;
  try {
    const bm = make(h, alloc(taken, gap, cap, bulk)) as { shape(): unknown; flush(): void };
    bm.flush();
    shape = bm.shape();
  } catch (e) {
    err = String(e);
  }
  const pfns = h.phys.materialisedPfns();
  const bytes = pfns.map((p) => Buffer.from(h.phys.frame(p)).toString('hex'));
  return { err, taken, pfns, bytes, shape };
}

function same(ext: MemExtent[], gap: number, cap = Number.POSITIVE_INFINITY): void {
  const b = build((h, al) => new OldRtree(h, 0x1000, ext, al), gap, cap, false);
  for (const bulk of [false, true]) {
    const a = build((h, al) => new RtreeBitmap(h, 0x1000, ext, al), gap, cap, bulk);
    expect(a).toEqual(b);
  }
}

describe('RtreeBitmap construction = the oracle that reads the slots back', () => {
  it('extents of one and two levels (up to ~1100 blocks), several zones', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 1100 * LEAF }), fc.nat(3 * LEAF)), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 2, max: 9 }),
        fc.option(fc.nat(2500)),
        (spans, gap, cap) => {
          const ext: MemExtent[] = [];
          let at = 0;
          for (const [len, hole] of spans) {
            ext.push({ start: at + hole + 1, end: at + hole + 1 + len });
            at += hole + 1 + len;
          }
          same(ext, gap, cap ?? Number.POSITIVE_INFINITY);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);

  it('three levels (262,145 blocks and a bit)', () => {
    same([{ start: 5, end: 5 + 262_145 * LEAF + 77 }], 5);
  }, 120_000);
});
