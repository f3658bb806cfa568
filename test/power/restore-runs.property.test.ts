/**
 * The restore side's word/run helpers (src/power/snapshot/restore-runs.ts)
 * against the per-page loops they replace, on random maps and random buddy
 * states: the same bits (and which data pages got written), the same
 * positions in model memory, the same allocations in the same order, the same
 * free lists in the same order, the same safe_pages_list.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { PhysMem } from '../../src/mm/phys-mem.js';
import type { MemoryBitmap } from '../../src/power/snapshot/bitmap.js';
import { BmBlockListBitmap } from '../../src/power/snapshot/bm-block-list.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';
import {
  assignBits,
  forEachClearBit,
  lastSetIn,
  orBits,
  preallocateImagePages,
  runOfPbeLoads,
  runOfSetInAll,
} from '../../src/power/snapshot/restore-runs.js';
import { SwsuspMem } from '../../src/power/snapshot/swsusp-mem.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import type { KernelProfile } from '../../src/profiles/types.js';
import { ContentMap } from '../../src/workload/content-map.js';

const PAGE_OFFSET = 0xffff926340000000n;

function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
}

/** Extents that do not start on a word boundary (zone DMA starts at pfn 1), with a hole. */
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

/** Bits and written-ness of every block. */
function state(bm: MemoryBitmap): (number[] | null)[] {
  return bm.blocks32().map((b) => (b.words === null ? null : Array.from(b.words)));
}

/** Random sets of pfns as runs (clusters and singles), some outside the extents. */
const pfnSet = fc.array(fc.tuple(fc.integer({ min: 0, max: SPAN + 64 }), fc.integer({ min: 1, max: 300 })), {
  maxLength: 30,
});

function fill(bm: MemoryBitmap, runs: [number, number][]): void {
  for (const [a, n] of runs)
    for (let p = a; p < a + n && p < SPAN; p++) if (bm.pfnPresent(p)) bm.setBitQuiet(p);
}

describe('word-level bitmap copies', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: orBits / assignBits = the per-pfn copy loops`, () => {
      fc.assert(
        fc.property(pfnSet, pfnSet, (src, dst) => {
          const h = heap();
          const s = makeBitmap(kind, h, 0x100, 0x40000);
          fill(s, src);
          const a = makeBitmap(kind, h, 0x200, 0x50000);
          const b = makeBitmap(kind, h, 0x300, 0x60000);
          fill(a, dst);
          fill(b, dst);
          expect(orBits(a, s)).toBe(true);
          s.forEachSet((p) => b.setBitQuiet(p));
          expect(state(a)).toEqual(state(b));
          const c = makeBitmap(kind, h, 0x400, 0x70000);
          const d = makeBitmap(kind, h, 0x500, 0x80000);
          fill(c, dst);
          fill(d, dst);
          expect(assignBits(c, s)).toBe(true);
          d.clearAll();
          s.forEachSet((p) => d.setBitQuiet(p));
          expect(state(c)).toEqual(state(d));
        }),
        { numRuns: 150 },
      );
    });

    it(`${kind}: forEachClearBit = testBitQuiet per pfn`, () => {
      fc.assert(
        fc.property(
          pfnSet,
          fc.integer({ min: 0, max: SPAN + 100 }),
          fc.integer({ min: 0, max: 20000 }),
          (bits, from, len) => {
            const bm = makeBitmap(kind, heap(), 0x100, 0x40000);
            fill(bm, bits);
            const got: number[] = [];
            forEachClearBit(bm, from, from + len, (p) => got.push(p));
            const want: number[] = [];
            for (let p = from; p < from + len; p++) if (!bm.testBitQuiet(p)) want.push(p);
            expect(got).toEqual(want);
          },
        ),
        { numRuns: 150 },
      );
    });
  }
});

describe('get_buffer() in-place runs', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: runOfSetInAll = the per-pfn "set in all, clear in zero" test`, () => {
      // Dense clusters so runs are long and cross words and blocks.
      const dense = fc.array(
        fc.tuple(fc.integer({ min: 0, max: SPAN }), fc.integer({ min: 1, max: 40000 })),
        {
          maxLength: 6,
        },
      );
      fc.assert(
        fc.property(
          dense,
          dense,
          dense,
          pfnSet,
          fc.boolean(),
          fc.integer({ min: 0, max: SPAN + 10 }),
          fc.integer({ min: 0, max: 20000 }),
          fc.option(fc.nat(40)),
          (a, b, c, z, withZero, from, max, hk) => {
            const h = heap();
            const maps = [a, b, c].map((runs, i) => {
              const bm = makeBitmap(kind, h, 0x100 * (i + 1), 0x40000 + i * 0x1000);
              fill(bm, runs);
              // A shared core so the AND is not empty.
              fill(bm, [[from, 3000]]);
              return bm;
            });
            const zero = withZero ? makeBitmap(kind, h, 0x500, 0x48000) : null;
            if (zero) fill(zero, z);
            const got = runOfSetInAll(
              maps.map((m) => m.blocks32()),
              zero ? zero.blocks32() : null,
              from,
              max,
              // A hint left from any earlier block (or none): the same answer.
              hk === null ? undefined : { k: hk },
            );
            let want = 0;
            while (
              want < max &&
              maps.every((m) => m.testBitQuiet(from + want)) &&
              !(zero?.testBitQuiet(from + want) ?? false)
            )
              want++;
            expect(got).toBe(want);
          },
        ),
        { numRuns: 120 },
      );
    });
  }
});

describe('get_buffer() PBE runs', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: runOfPbeLoads = the per-pfn "orig, not (forbidden and free), not zero" test`, () => {
      const dense = fc.array(
        fc.tuple(fc.integer({ min: 0, max: SPAN }), fc.integer({ min: 1, max: 40000 })),
        {
          maxLength: 6,
        },
      );
      fc.assert(
        fc.property(
          dense,
          pfnSet,
          pfnSet,
          pfnSet,
          fc.boolean(),
          fc.integer({ min: 0, max: SPAN + 10 }),
          fc.integer({ min: 0, max: 20000 }),
          fc.option(fc.nat(40)),
          (o, f, r, z, withZero, from, max, hk) => {
            const h = heap();
            const [orig, forbidden, free] = [o, f, r].map((runs, i) => {
              const bm = makeBitmap(kind, h, 0x100 * (i + 1), 0x40000 + i * 0x1000);
              fill(bm, runs);
              return bm;
            }) as [MemoryBitmap, MemoryBitmap, MemoryBitmap];
            // Runs of orig_bm through the start point; forbidden and free overlapping it in part.
            fill(orig, [[from, 3000]]);
            fill(forbidden, [[from + 700, 400]]);
            fill(free, [[from + 900, 400]]);
            const zero = withZero ? makeBitmap(kind, h, 0x500, 0x48000) : null;
            if (zero) fill(zero, z);
            const got = runOfPbeLoads(
              orig.blocks32(),
              forbidden.blocks32(),
              free.blocks32(),
              zero ? zero.blocks32() : null,
              from,
              max,
              hk === null ? undefined : { k: hk },
            );
            let want = 0;
            for (; want < max; want++) {
              const p = from + want;
              if (!orig.testBitQuiet(p)) break;
              if (forbidden.testBitQuiet(p) && free.testBitQuiet(p)) break;
              if (zero?.testBitQuiet(p)) break;
            }
            expect(got).toBe(want);
          },
        ),
        { numRuns: 120 },
      );
    });
  }
});

describe('lastSetIn', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: the highest set pfn of a range = a testBitQuiet scan down`, () => {
      fc.assert(
        fc.property(
          pfnSet,
          fc.integer({ min: 0, max: SPAN + 10 }),
          fc.integer({ min: 0, max: 5000 }),
          (runs, lo, len) => {
            const bm = makeBitmap(kind, heap(), 0x100, 0x40000);
            fill(bm, runs);
            let want = -1;
            for (let p = lo + len - 1; p >= lo; p--) {
              if (bm.pfnPresent(p) && bm.testBitQuiet(p)) {
                want = p;
                break;
              }
            }
            expect(lastSetIn(bm.blocks32(), lo, lo + len)).toBe(want);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

/** 128 MiB of RAM with a firmware hole at 96 MiB (as test/mm/buddy.test.ts). */
function smallMachine(profile: KernelProfile): Machine {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x5f00000n, type: E820_TYPE.RAM },
    { addr: 0x6000000n, size: 0x3000n, type: E820_TYPE.ACPI },
    { addr: 0x6003000n, size: 0x1ffd000n, type: E820_TYPE.RAM },
  ];
  return bootMachine({ firmware: t, kernel: t }, { profile, kaslr: { nokaslr: true } });
}

/** Free lists in list order, per zone and order. */
function freeLists(m: Machine): number[][] {
  const out: number[][] = [];
  for (let z = 0; z < m.zones.zones.length; z++)
    for (let o = 0; o <= m.buddy.maxOrder; o++) {
      const l: number[] = [];
      for (let id = m.buddy.listFirst(z, o); id >= 0; id = m.buddy.nodeNext(id)) l.push(m.buddy.nodePfn(id));
      out.push(l);
    }
  return out;
}

/** Every materialised frame of the machine, as (pfn, bytes). */
function frames(m: Machine): [number, number[]][] {
  const buf = new Uint8Array(4096);
  return m.mem.materialisedPfns().map((p) => {
    m.mem.readPageInto(p, buf);
    return [p, Array.from(new Uint32Array(buf.buffer))];
  });
}

interface Setup {
  /** Orders of blocks to allocate, then which of them to free again (fragmentation). */
  allocs: number[];
  frees: number[];
  /** Image pfns (the free bit after mark_unsafe_pages). */
  unsafe: [number, number][];
  /** Frames with generated contents (cleared by get_zeroed_page). */
  content: [number, number][];
  nr: number;
}

const setupArb = fc.record({
  allocs: fc.array(fc.integer({ min: 0, max: 10 }), { maxLength: 40 }),
  frees: fc.array(fc.nat(), { maxLength: 30 }),
  unsafe: fc.array(fc.tuple(fc.integer({ min: 0, max: 0x8000 }), fc.integer({ min: 1, max: 2000 })), {
    maxLength: 12,
  }),
  content: fc.array(fc.tuple(fc.integer({ min: 0, max: 0x8000 }), fc.integer({ min: 1, max: 500 })), {
    maxLength: 6,
  }),
  nr: fc.integer({ min: 0, max: 20000 }),
});

function prepared(profile: KernelProfile, st: Setup): SwsuspMem {
  const m = smallMachine(profile);
  const content = new ContentMap();
  const taken: [number, number][] = [];
  for (const o of st.allocs) {
    const p = m.buddy.alloc(o);
    if (p >= 0) taken.push([p, o]);
  }
  for (const i of st.frees) {
    if (taken.length === 0) break;
    const [p, o] = taken.splice(i % taken.length, 1)[0]!;
    m.buddy.free(p, o);
  }
  for (const [a, n] of st.content) for (let p = a; p < a + n; p++) content.set(p, 1, 7, p);
  const s = new SwsuspMem(m, content);
  s.createBasicMemoryBitmaps(() => {});
  for (const [a, n] of st.unsafe)
    for (let p = a; p < a + n; p++) if (s.free!.pfnPresent(p)) s.free!.setBitQuiet(p);
  return s;
}

/** prepare_image()'s loop as the kernel runs it: one get_zeroed_page() at a time. */
function perPage(s: SwsuspMem, nr: number): number {
  let got = 0;
  while (nr-- > 0) {
    const p = s.getZeroedPage();
    if (p < 0) break;
    got++;
    if (!s.free!.testBitQuiet(p)) s.pushSafePage(p);
    s.setForbidden(p);
    s.setFree(p);
  }
  return got;
}

describe('prepare_image() preallocation in runs', () => {
  for (const profile of [linux612, linux310]) {
    it(`${profile.id}: the same frames, lists, bits, positions and safe pages as per page`, () => {
      fc.assert(
        fc.property(setupArb, (st) => {
          const a = prepared(profile, st);
          const b = prepared(profile, st);
          // More than the machine has, now and then: the failure path keeps what it took.
          const nr = st.nr % 7 === 0 ? 40000 : st.nr;
          expect(preallocateImagePages(a, nr)).toBe(perPage(b, nr));
          a.forbidden!.flush();
          a.free!.flush();
          b.forbidden!.flush();
          b.free!.flush();
          expect(a.allocations).toBe(b.allocations);
          expect(freeLists(a.machine)).toEqual(freeLists(b.machine));
          const sa: number[] = [];
          const sb: number[] = [];
          while (a.safePages.length) sa.push(a.safePages.pop()!);
          while (b.safePages.length) sb.push(b.safePages.pop()!);
          expect(sa).toEqual(sb);
          expect(state(a.forbidden!)).toEqual(state(b.forbidden!));
          expect(state(a.free!)).toEqual(state(b.free!));
          expect(a.content.runs()).toEqual(b.content.runs());
          expect(frames(a.machine)).toEqual(frames(b.machine));
        }),
        { numRuns: 25 },
      );
    }, 120_000);
  }
});
