/**
 * Uniform bit pages (src/power/snapshot/bm-leaves.ts) against the bitmaps as
 * they were before them (./oracle/: one Uint32Array view per written page,
 * kept verbatim as the reference). Random sequences of every bitmap
 * operation — per-bit set/clear/test/next, ranges, clearAll, the word-level
 * copies and walks of bitmap.ts and restore-runs.ts, the two bit writers —
 * run on three maps of each kind on extents that end mid-page (and mid-byte),
 * with range ends drawn near page boundaries. After every step both sides
 * must agree on what each operation returned, on every page's words (and
 * whether it was ever written), on the struct bytes (positions), and on the
 * BYTES and materialised-ness of every frame the maps own, as PhysMem reads
 * them; the new side must hold no more host buffers, and the shared
 * read-only markers must be intact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import * as NB from '../../src/power/snapshot/bitmap.js';
import { BmBlockListBitmap } from '../../src/power/snapshot/bm-block-list.js';
import { sharedLeafWordsIntact, uniformSourceFor } from '../../src/power/snapshot/bm-leaves.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';
import * as NR from '../../src/power/snapshot/restore-runs.js';
import * as OB from './oracle/bitmap.js';
import { BmBlockListBitmap as OldList } from './oracle/bm-block-list.js';
import { RtreeBitmap as OldRtree } from './oracle/bm-rtree.js';
import * as OR from './oracle/restore-runs.js';

const PAGE_OFFSET = 0xffff926340000000n;
const LEAF = NB.BM_BITS_PER_BLOCK;

/**
 * A zone span of one partial page (4095 bits: not a whole byte), a hole-free
 * neighbour of 3 whole pages + 4933 bits, a hole, then 4 whole pages + 32766 bits.
 */
const EXTENTS = [
  { start: 1, end: 0x1000 },
  { start: 0x1000, end: 0x1a345 },
  { start: 0x20007, end: 0x48005 },
];
const SPAN = 0x48005;

/** Pfns where something changes: extent ends, page boundaries, and their neighbours. */
const POINTS: number[] = [0];
for (const e of EXTENTS) {
  for (let p = e.start; p < e.end; p += LEAF) POINTS.push(p);
  POINTS.push(e.end);
}

const pfnArb = fc.oneof(
  fc.tuple(fc.constantFrom(...POINTS), fc.integer({ min: -40, max: 40 })).map(([p, d]) => Math.max(0, p + d)),
  fc.constantFrom(...POINTS),
  fc.integer({ min: 0, max: SPAN + 64 }),
);
const rangeArb = fc.tuple(pfnArb, pfnArb).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);
const mapArb = fc.integer({ min: 0, max: 2 });

type Op =
  | {
      t: 'bit';
      f: 'set' | 'setCheck' | 'clear' | 'test' | 'setQ' | 'clearQ' | 'testQ' | 'after';
      m: number;
      p: number;
    }
  | { t: 'pos'; f: 'next' | 'reset' | 'clearCurrent' | 'count' | 'clearAll'; m: number; n: number }
  | { t: 'range'; f: 'set' | 'clear' | 'writer' | 'setter'; m: number; r: [number, number] }
  | { t: 'bits'; f: 'writer' | 'setter' | 'setterOnly'; m: number; ps: number[] }
  | {
      t: 'two';
      f: 'and' | 'or' | 'assign' | 'take' | 'clearRuns' | 'clearBoth';
      m: number;
      o: number;
      r: [number, number];
    }
  | {
      t: 'walk';
      f: 'setRun' | 'setRunClear' | 'clearBit' | 'cursor';
      m: number;
      r: [number, number];
      stop: number;
    }
  | { t: 'inAll'; m: number; o: number; z: number; from: number; max: number }
  | { t: 'sorted'; m: number; ps: number[]; size: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('bit' as const),
      f: fc.constantFrom('set', 'setCheck', 'clear', 'test', 'setQ', 'clearQ', 'testQ', 'after'),
      m: mapArb,
      p: pfnArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('pos' as const),
      f: fc.constantFrom('next', 'reset', 'clearCurrent', 'count', 'clearAll'),
      m: mapArb,
      n: fc.integer({ min: 1, max: 40 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('range' as const),
      f: fc.constantFrom('set', 'clear', 'writer', 'setter'),
      m: mapArb,
      r: rangeArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('bits' as const),
      f: fc.constantFrom('writer', 'setter', 'setterOnly'),
      m: mapArb,
      ps: fc.array(pfnArb, { maxLength: 40 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('two' as const),
      f: fc.constantFrom('and', 'or', 'assign', 'take', 'clearRuns', 'clearBoth'),
      m: mapArb,
      o: mapArb,
      r: rangeArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('walk' as const),
      f: fc.constantFrom('setRun', 'setRunClear', 'clearBit', 'cursor'),
      m: mapArb,
      r: rangeArb,
      stop: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('inAll' as const),
      m: mapArb,
      o: mapArb,
      z: fc.integer({ min: -1, max: 2 }),
      from: pfnArb,
      max: fc.integer({ min: 0, max: 3 * LEAF }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('sorted' as const),
      m: mapArb,
      ps: fc.array(pfnArb, { maxLength: 300 }),
      size: fc.constantFrom(1, 1, 2, 8, 1024),
    }),
  },
);

/** What one side offers: the new code, or the oracle (same shapes, older block type). */
interface Side {
  B: typeof NB;
  R: Pick<typeof NR, 'orBits' | 'assignBits' | 'forEachClearBit' | 'runOfSetInAll'>;
  make(kind: 'rtree' | 'list', h: KernelHeap, at: number, first: number): NB.MemoryBitmap;
}

const NEW: Side = {
  B: NB,
  R: NR,
  make: (kind, h, at, first) => {
    let next = first;
    const alloc = () => next++;
    return kind === 'rtree'
      ? new RtreeBitmap(h, at, EXTENTS, alloc)
      : new BmBlockListBitmap(h, at, EXTENTS, alloc);
  },
};

const OLD = {
  B: OB,
  R: OR,
  make: (kind: 'rtree' | 'list', h: KernelHeap, at: number, first: number) => {
    let next = first;
    const alloc = () => next++;
    return kind === 'rtree' ? new OldRtree(h, at, EXTENTS, alloc) : new OldList(h, at, EXTENTS, alloc);
  },
} as unknown as Side;

function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
}

interface World {
  h: KernelHeap;
  maps: NB.MemoryBitmap[];
}

function world(side: Side, kind: 'rtree' | 'list'): World {
  const h = heap();
  const maps = [0, 1, 2].map((i) => side.make(kind, h, 0x100 + i * 0x80, 0x60000 + i * 0x100));
  return { h, maps };
}

/** Run one op; returns what it reported (thrown errors included). */
function run(side: Side, w: World, op: Op): unknown {
  const B = side.B;
  const a = w.maps[op.m]!;
  const out: unknown[] = [];
  try {
    switch (op.t) {
      case 'bit':
        switch (op.f) {
          case 'set':
            a.setBit(op.p);
            break;
          case 'setCheck':
            return a.setBitCheck(op.p);
          case 'clear':
            a.clearBit(op.p);
            break;
          case 'test':
            return a.testBit(op.p);
          case 'setQ':
            a.setBitQuiet(op.p);
            break;
          case 'clearQ':
            a.clearBitQuiet(op.p);
            break;
          case 'testQ':
            return a.testBitQuiet(op.p);
          case 'after':
            a.positionAfter(op.p);
            break;
        }
        return null;
      case 'pos':
        switch (op.f) {
          case 'next':
            for (let i = 0; i < op.n; i++) out.push(a.nextPfn());
            return out;
          case 'reset':
            a.positionReset();
            return null;
          case 'clearCurrent':
            (a as unknown as { clearCurrent?: () => void }).clearCurrent?.();
            return null;
          case 'count': {
            const set: number[] = [];
            a.forEachSet((p) => set.push(p));
            return [a.count(), set.length, set.slice(0, 50), set.slice(-50)];
          }
          case 'clearAll':
            a.clearAll();
            return null;
        }
        return null;
      case 'range': {
        const [from, to] = op.r;
        if (op.f === 'set') B.setRange(a, from, to);
        else if (op.f === 'clear') B.clearRange(a, from, to);
        // (BitWriter.setRange() is never given an empty range; the old one set bits for it.)
        else if (op.f === 'writer') {
          if (from < to) new B.BitWriter(a).setRange(from, to);
        } else new B.PfnBitSetter(a).setRange(from, to);
        return null;
      }
      case 'bits': {
        // One writer for all: its cached page must survive the others' writes.
        if (op.f === 'writer') {
          const bw = new B.BitWriter(a);
          for (const p of op.ps) {
            bw.set(p);
            B.setRange(a, p + 3, p + 5);
            bw.setRange(p, p + 40);
          }
        } else if (op.f === 'setterOnly') {
          // Single bits only (mark_free_pages() of order-0 blocks): nothing else covers them.
          const ps = new B.PfnBitSetter(a);
          for (const p of op.ps) ps.set(p);
        } else {
          const ps = new B.PfnBitSetter(a);
          for (const p of op.ps) {
            ps.set(p);
            B.clearRange(a, p + 1, p + 3);
            ps.setRange(p, p + 2000);
          }
        }
        return null;
      }
      case 'sorted': {
        // Buddy.allocBulkSorted()'s blocks (aligned, distinct, ascending): PfnBitSetter.setSorted()
        // against setRange() block by block in the same order (the oracle has no setSorted()).
        const starts = [...new Set(op.ps.map((p) => p - (p % op.size)))].sort((x, y) => x - y);
        const ps = new B.PfnBitSetter(a);
        if (side === NEW) {
          const f = new Float64Array(starts.length + 2);
          f.set(starts, 1);
          ps.setSorted(f, 1, starts.length + 1, op.size);
        } else for (const p of starts) ps.setRange(p, p + op.size);
        return null;
      }
      case 'two': {
        const b = w.maps[op.o]!;
        const [from, to] = op.r;
        switch (op.f) {
          case 'and':
            B.andRange(a, b, from, to);
            return null;
          case 'or':
            return side.R.orBits(a, b);
          case 'assign':
            return side.R.assignBits(a, b);
          case 'take':
            if (a === b) return null; // both maps are one: not a use
            out.push(B.takeSetRunsInBoth(a, b, (s, n) => out.push([s, n])));
            return out;
          case 'clearRuns':
            B.forEachClearRunInBoth(a, b, from, to, (s, n) => out.push([s, n]));
            return out.slice(0, 200);
          case 'clearBoth': {
            let n = 0;
            let first = -1;
            let last = -1;
            B.forEachClearInBoth(a, b, from, to, (p) => {
              if (first < 0) first = p;
              last = p;
              n++;
            });
            return [n, first, last];
          }
        }
        return null;
      }
      case 'walk': {
        const [from, to] = op.r;
        if (op.f === 'setRun') {
          B.forEachSetRun(a, from, (s, n) => {
            out.push([s, n]);
            return out.length < op.stop;
          });
          return out;
        }
        if (op.f === 'setRunClear') {
          // free_unnecessary_pages(): each run cleared in the walked map and the two others while walking.
          const [b, c] = [w.maps[(op.m + 1) % 3]!, w.maps[(op.m + 2) % 3]!];
          B.forEachSetRun(a, from, (s, n) => {
            const len = Math.min(n, to - from + 1);
            out.push([s, n]);
            B.clearRange(a, s, s + len);
            B.clearRange(b, s, s + len);
            B.clearRange(c, s - 7, s + len);
            return out.length < op.stop * 3;
          });
          return out;
        }
        if (op.f === 'clearBit') {
          let n = 0;
          let sum = 0;
          side.R.forEachClearBit(a, from, Math.min(to, from + 70000), (p) => {
            n++;
            sum = (sum + p) % 1000000007;
          });
          return [n, sum];
        }
        const c = new B.SetBitCursor(a);
        for (let i = 0; i < op.stop * 7; i++) out.push(c.next());
        B.positionAsCursor(a, c);
        return out;
      }
      case 'inAll': {
        const b = w.maps[op.o]!;
        const z = op.z < 0 ? null : w.maps[op.z]!;
        return side.R.runOfSetInAll([a.blocks32(), b.blocks32()], z ? z.blocks32() : null, op.from, op.max);
      }
    }
  } catch (e) {
    return `throws ${(e as Error).message}`;
  }
}

/** The bytes of an all-ones leaf of `nbits` bits (the reference: bit i = byte i >> 3, bit i & 7). */
function onesPage(nbits: number): Uint8Array {
  const b = new Uint8Array(4096);
  for (let i = 0; i < nbits; i++) b[i >>> 3]! |= 1 << (i & 7);
  return b;
}

const page = new Uint8Array(4096);
const page2 = new Uint8Array(4096);

/** Both worlds hold the same bits, positions and frames. */
function expectSame(nw: World, ow: World, step: string): void {
  for (let i = 0; i < 3; i++) {
    const n = nw.maps[i]!;
    const o = ow.maps[i]!;
    n.flush();
    o.flush();
    const nb = n.blocks32();
    const ob = o.blocks32();
    expect(nb.length, step).toBe(ob.length);
    for (let k = 0; k < nb.length; k++) {
      const x = nb[k]!.words;
      const y = ob[k]!.words;
      if (x === null || y === null) expect([k, x === null], step).toEqual([k, y === null]);
      else
        for (let j = 0; j < 1024; j++)
          if (x[j] !== y[j]) expect([step, i, k, j, x[j]], step).toEqual([step, i, k, j, y[j]]);
    }
    // The struct (positions) and every frame the map owns, byte for byte, as PhysMem reads them.
    expect(nw.h.phys.read(n.structPhys, 64), step).toEqual(ow.h.phys.read(o.structPhys, 64));
    for (const p of [...n.dataPfns, ...n.metaPfns]) {
      expect([p, nw.h.phys.isMaterialised(p)], step).toEqual([p, ow.h.phys.isMaterialised(p)]);
      nw.h.phys.readPageInto(p, page);
      ow.h.phys.readPageInto(p, page2);
      for (let j = 0; j < 4096; j++)
        if (page[j] !== page2[j]) expect([step, i, p, j, page[j]]).toEqual([step, i, p, j, page2[j]]);
    }
  }
  expect(nw.h.phys.bufferCount, step).toBeLessThanOrEqual(ow.h.phys.bufferCount);
  expect(sharedLeafWordsIntact(), step).toBe(true);
}

describe('uniform bit pages = one view per written page (fast-check, the old code as oracle)', () => {
  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: every operation, step by step`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
          const nw = world(NEW, kind);
          const ow = world(OLD, kind);
          for (let s = 0; s < ops.length; s++) {
            const op = ops[s]!;
            const step = `${s}: ${JSON.stringify(op)}`;
            expect(run(NEW, nw, op), step).toEqual(run(OLD, ow, op));
            expectSame(nw, ow, step);
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: setSorted() completing a bit page (its first or last bit among the holes) settles it as setRange() does`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: POINTS.length - 2 }),
          fc.uniqueArray(fc.integer({ min: 0, max: LEAF - 1 }), { minLength: 1, maxLength: 40 }),
          fc.constantFrom(0, 1, 2),
          (pi, offs, edge) => {
            // A bit page of the map, all set but the holes (with its first and/or last bit).
            // Both worlds run this code: setSorted() against setRange() per pfn, forms included.
            const nw = world(NEW, kind);
            const ow = world(NEW, kind);
            const bm = nw.maps[0]!;
            const blk = bm.blocks32().find((b) => b.end > POINTS[pi]!) ?? bm.blocks32()[0]!;
            const n = blk.end - blk.start;
            const holes = [...new Set(offs.map((o) => o % n))];
            if (edge !== 1) holes.push(0);
            if (edge !== 0) holes.push(n - 1);
            const hs = [...new Set(holes)].sort((x, y) => x - y).map((o) => blk.start + o);
            for (const w of [nw, ow]) {
              const a = w.maps[0]!;
              let from = blk.start;
              for (const h of hs) {
                if (from < h) NB.setRange(a, from, h);
                from = h + 1;
              }
              if (from < blk.end) NB.setRange(a, from, blk.end);
              const ps = new NB.PfnBitSetter(a);
              if (w === nw) ps.setSorted(Float64Array.from(hs), 0, hs.length, 1);
              else for (const h of hs) ps.setRange(h, h + 1);
            }
            expectSame(nw, ow, 'filled');
            expect(bm.blocks32().map((b) => b.form)).toEqual(ow.maps[0]!.blocks32().map((b) => b.form));
            expect(nw.h.phys.bufferCount).toBe(ow.h.phys.bufferCount);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  for (const kind of ['rtree', 'list'] as const) {
    it(`${kind}: the walkers on maps of ranges (uniform pages next to mixed ones)`, () => {
      const fillArb = fc.array(fc.tuple(fc.boolean(), rangeArb), { minLength: 1, maxLength: 8 });
      fc.assert(
        fc.property(
          fc.tuple(fillArb, fillArb, fillArb),
          fc.array(
            opArb.filter(
              (o) => o.t === 'inAll' || o.t === 'walk' || (o.t === 'two' && o.f.startsWith('clear')),
            ),
            {
              maxLength: 12,
            },
          ),
          fc.array(fc.tuple(pfnArb, fc.integer({ min: 0, max: 3 * LEAF })), { minLength: 1, maxLength: 8 }),
          (fills, ops, queries) => {
            const nw = world(NEW, kind);
            const ow = world(OLD, kind);
            for (const [side, w] of [
              [NEW, nw],
              [OLD, ow],
            ] as const)
              for (let i = 0; i < 3; i++)
                for (const [set, [a, b]] of fills[i]!)
                  (set ? side.B.setRange : side.B.clearRange)(w.maps[i]!, a, b);
            expectSame(nw, ow, 'fill');
            for (const op of ops) expect(run(NEW, nw, op), JSON.stringify(op)).toEqual(run(OLD, ow, op));
            // get_buffer()'s in-place run from every query point, every map combination.
            for (const [from, max] of queries)
              for (const [a, b, z] of [
                [0, 1, -1],
                [0, 1, 2],
                [2, 0, 1],
                [1, 2, 0],
              ] as const) {
                const op: Op = { t: 'inAll', m: a, o: b, z, from, max };
                expect(run(NEW, nw, op), JSON.stringify(op)).toEqual(run(OLD, ow, op));
              }
          },
        ),
        { numRuns: 120 },
      );
    });
  }

  it('uniformSourceFor(): a source for exactly the pages of ones-then-zeros (or all zero)', () => {
    const pageArb = fc.oneof(
      // ones below nbits, zero above: as an all-ones page of a leaf of nbits bits
      fc.integer({ min: 0, max: LEAF }).map((nbits) => ({ bytes: onesPage(nbits), uniform: true })),
      // one byte changed: anywhere, or next to the last ones
      fc
        .tuple(
          fc.integer({ min: 0, max: LEAF }),
          fc.oneof(
            fc.nat(4095),
            fc.integer({ min: -2, max: 2 }).map((d) => -1000 + d),
          ),
          fc.integer({ min: 1, max: 255 }),
        )
        .map(([nbits, at, x]) => {
          const bytes = onesPage(nbits);
          const i = at >= 0 ? at : Math.min(4095, Math.max(0, (nbits >>> 3) + at + 1000));
          bytes[i]! ^= x;
          return { bytes, uniform: null };
        }),
    );
    fc.assert(
      fc.property(pageArb, ({ bytes, uniform }) => {
        const src = uniformSourceFor(bytes);
        // The reference: ones then at most one partial byte then zeros.
        let i = 0;
        while (i < 4096 && bytes[i] === 0xff) i++;
        let ok = true;
        if (i < 4096 && ![0, 1, 3, 7, 15, 31, 63, 127].includes(bytes[i]!)) ok = false;
        for (let j = i + 1; j < 4096 && ok; j++) if (bytes[j] !== 0) ok = false;
        if (uniform) expect(ok).toBe(true);
        expect(src !== null).toBe(ok);
        if (src) {
          const got = new Uint8Array(4096);
          src.fill(0, got);
          expect(got).toEqual(bytes);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a whole-page fill costs no host buffer; a partial clear materialises it, a full one drops it', () => {
    const w = world(NEW, 'rtree');
    const bm = w.maps[0]!;
    const phys = w.h.phys;
    const before = phys.bufferCount;
    // Free blocks of 1024 pages, ascending, as mark_free_pages() hands them over.
    const ps = new NB.PfnBitSetter(bm);
    for (let p = 0x20007; p < 0x48005; p += 1024) ps.setRange(p, Math.min(p + 1024, 0x48005));
    expect(phys.bufferCount).toBe(before);
    expect(bm.count()).toBe(0x48005 - 0x20007);
    // The last page (32766 bits = 4095 bytes + 6 bits) reads ones exactly to its end.
    const last = bm.dataPfns[bm.dataPfns.length - 1]!;
    phys.readPageInto(last, page);
    expect([page[0], page[4094], page[4095]]).toEqual([0xff, 0xff, 0x3f]);
    NB.clearRange(bm, 0x20007 + 5, 0x20007 + 6);
    expect(phys.bufferCount).toBe(before + 1);
    NB.clearRange(bm, 0x20007, 0x48005);
    expect(phys.bufferCount).toBe(before);
    expect(bm.count()).toBe(0);
  });
});
