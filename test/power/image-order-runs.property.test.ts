/**
 * The pieces of the loader's runs in image order (get_buffer() over the next
 * orig_bm pfns with gaps between them): imageRunOf() against the per-pfn
 * decision of get_buffer(), PbeChain.addList() against alloc() + set() per
 * PBE, PfnStack.peekInto()/popN() against pop(). Maps hold page-by-page
 * blocks and uniform (all-ones / all-zero) ones.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import type { MemoryBitmap } from '../../src/power/snapshot/bitmap.js';
import { BmBlockListBitmap } from '../../src/power/snapshot/bm-block-list.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';
import { PbeChain } from '../../src/power/snapshot/pbe-chain.js';
import { imageRunOf, RUN_FORBIDDEN, RUN_ZERO } from '../../src/power/snapshot/restore-runs.js';
import { PfnStack } from '../../src/util/pfn-stack.js';

const PAGE_OFFSET = 0xffff926340000000n;

function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
}

/** Extents that do not start on a word boundary, with a hole. */
const EXTENTS = [
  { start: 1, end: 0x1000 },
  { start: 0x1000, end: 0x12345 },
  { start: 0x20007, end: 0x31000 },
];
const SPAN = 0x31000;

function makeBitmap(kind: 'rtree' | 'list', h: KernelHeap, at: number, first: number): MemoryBitmap {
  let next = first;
  const alloc = () => next++;
  return kind === 'rtree'
    ? new RtreeBitmap(h, at, EXTENTS, alloc)
    : new BmBlockListBitmap(h, at, EXTENTS, alloc);
}

/** Random pfns: clusters (consecutive), scattered singles (stride), some outside the extents. */
const pfnSet = fc.array(
  fc.tuple(
    fc.integer({ min: 0, max: SPAN + 64 }),
    fc.integer({ min: 1, max: 3000 }),
    fc.constantFrom(1, 1, 2, 3, 7),
  ),
  { maxLength: 20 },
);

/** Blocks made uniform: [block index, all ones?]. */
const uniformArb = fc.array(fc.tuple(fc.nat(40), fc.boolean()), { maxLength: 4 });

function fill(bm: MemoryBitmap, runs: [number, number, number][], uniform: [number, boolean][]): void {
  for (const [a, n, step] of runs)
    for (let p = a; p < a + n * step && p < SPAN; p += step) if (bm.pfnPresent(p)) bm.setBitQuiet(p);
  const B = bm.blocks32();
  for (const [k, ones] of uniform) {
    const b = B[k % B.length]!;
    if (ones) b.setBits(0, b.end - b.start);
    else b.clearBits(0, b.end - b.start);
  }
}

describe('imageRunOf', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: = get_buffer()'s per-pfn decision over the next orig_bm pfns`, () => {
      fc.assert(
        fc.property(
          fc.tuple(pfnSet, uniformArb),
          fc.tuple(pfnSet, uniformArb),
          fc.tuple(pfnSet, uniformArb),
          fc.tuple(pfnSet, uniformArb),
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 0, max: SPAN + 10 }),
          fc.integer({ min: 0, max: 3000 }),
          fc.integer({ min: 0, max: 3000 }),
          fc.option(fc.nat(40)),
          (o, f, r, z, withZero, direct, from, max, maxData, hk) => {
            const h = heap();
            const [orig, forbidden, free] = [o, f, r].map((x, i) => {
              const bm = makeBitmap(kind, h, 0x100 * (i + 1), 0x40000 + i * 0x1000);
              fill(bm, x[0], x[1]);
              return bm;
            }) as [MemoryBitmap, MemoryBitmap, MemoryBitmap];
            const zero = withZero ? makeBitmap(kind, h, 0x500, 0x48000) : null;
            if (zero) fill(zero, z[0], z[1]);
            const out = new Float64Array(max + 1);
            const flags = new Uint8Array(max + 1);
            const n = imageRunOf(
              orig.blocks32(),
              forbidden.blocks32(),
              free.blocks32(),
              zero ? zero.blocks32() : null,
              from,
              max,
              maxData,
              direct,
              out,
              flags,
              hk === null ? undefined : { k: hk },
            );
            // memory_bm_next_pfn() from `from` on; each pfn's branch: in place iff forbidden &&
            // free; a zero page takes it too. At most max pfns and maxData data pages, cut after
            // the last data page.
            const want: number[] = [];
            const wantFlags: number[] = [];
            let data = 0;
            let end = 0;
            for (let p = from; p < SPAN; p++) {
              if (!orig.testBitQuiet(p)) continue;
              const inPlace = forbidden.testBitQuiet(p) && free.testBitQuiet(p);
              if (inPlace !== direct) break;
              const isZero = zero?.testBitQuiet(p) ?? false;
              if (want.length >= max || (!isZero && data >= maxData)) break;
              want.push(p);
              wantFlags.push((forbidden.testBitQuiet(p) ? RUN_FORBIDDEN : 0) | (isZero ? RUN_ZERO : 0));
              if (!isZero) {
                data++;
                end = want.length;
              }
            }
            expect(Array.from(out.subarray(0, n))).toEqual(want.slice(0, end));
            expect(Array.from(flags.subarray(0, n))).toEqual(wantFlags.slice(0, end));
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});

describe('PfnStack.peekInto / popN', () => {
  it('= pop() k times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(1 << 20), fc.integer({ min: 1, max: 50 }), fc.constantFrom(-1, 1, 3)), {
          maxLength: 12,
        }),
        fc.array(fc.nat(200), { maxLength: 6 }),
        (pushes, takes) => {
          const a = new PfnStack(1 << 22);
          const b = new PfnStack(1 << 22);
          for (const [p0, n, d] of pushes)
            for (let i = 0; i < n; i++) {
              a.push(p0 + i * d);
              b.push(p0 + i * d);
            }
          for (const t of takes) {
            const k = Math.min(t, a.length);
            const got = new Float64Array(k);
            a.peekInto(got, k);
            a.popN(k);
            const want: number[] = [];
            for (let i = 0; i < k; i++) want.push(b.pop()!);
            expect(Array.from(got)).toEqual(want);
            expect(a.length).toBe(b.length);
            expect(a.peek()).toBe(b.peek());
            expect(a.topLength).toBe(b.topLength);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('PbeChain.addList', () => {
  it('= alloc() + set() per PBE', () => {
    // A list: progressions (any step) and scattered values, broken at any position.
    const listArb = fc.record({
      n: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 200 })),
      copy: fc.nat(1 << 20),
      dc: fc.constantFrom(-1, 0, 1, 2),
      orig: fc.nat(1 << 20),
      dorig: fc.constantFrom(1, 2, 5),
      scatter: fc.option(fc.nat(1 << 16)),
      materialise: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(listArb, { minLength: 1, maxLength: 14 }), (lists) => {
        const ha = heap();
        const hb = heap();
        let na = 0;
        let nb = 0;
        const a = new PbeChain(ha, () => 0x100000 + 3 * na++);
        const b = new PbeChain(hb, () => 0x100000 + 3 * nb++);
        let total = 0;
        for (const l of lists) {
          const copies = new Float64Array(l.n);
          const origs = new Float64Array(l.n);
          for (let i = 0; i < l.n; i++) {
            copies[i] =
              l.copy + 200 + i * l.dc + (l.scatter !== null && i % 3 === 2 ? (l.scatter + i) % 977 : 0);
            origs[i] = l.orig + i * l.dorig;
          }
          // A chain page written by something else: its PBEs go into its bytes (both chains).
          if (l.materialise && na > 0) {
            ha.phys.frame(a.page(na - 1))[4095] = 1;
            hb.phys.frame(b.page(nb - 1))[4095] = 1;
          }
          let i = 0;
          while (i < l.n) {
            let n = Math.min(l.n - i, a.roomInPage);
            if (n === 0) {
              a.set(a.alloc(), copies[i]!, origs[i]!);
              n = 1;
            } else a.addList(n, copies.subarray(i), origs.subarray(i));
            for (let j = i; j < i + n; j++) b.set(b.alloc(), copies[j]!, origs[j]!);
            i += n;
          }
          total += l.n;
        }
        const fa: number[] = [];
        const fbv: number[] = [];
        for (let j = 0; j < total; j++) {
          fa.push(a.copyOf(j), a.origOf(j));
          fbv.push(b.copyOf(j), b.origOf(j));
        }
        expect(fa).toEqual(fbv);
        expect(na).toBe(nb);
        const explicit = (c: PbeChain) => (c as unknown as { explicit: unknown[] }).explicit.length;
        expect(explicit(a)).toBe(explicit(b));
        const buf = new Uint8Array(4096);
        const bytes = (h: KernelHeap, n: number) => {
          const out: number[] = [];
          for (let k = 0; k < n; k++) {
            h.phys.readPageInto(0x100000 + 3 * k, buf);
            out.push(...new Uint32Array(buf.buffer));
          }
          return out;
        };
        expect(bytes(ha, na)).toEqual(bytes(hb, nb));
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
