/**
 * StructPages' bulk reads against their per-page forms: readPages() (a range
 * of struct pages into columns, what kernel-data.ts serialises a vmemmap frame
 * from) must read for every page exactly what peek() reads, and say "uniform"
 * exactly when all pages read one record without a free-list node;
 * forEachStateRun() (palette runs in ARRAYS chunks) must give peek()'s states
 * pfn by pfn, merged, the absent section skipped. Random
 * memmaps in every form: UNIFORM / FREE_MAX sections, chunk tables with
 * UNIFORM, FREE_MAX and ARRAYS chunks (palettes with byte and 16-bit indices,
 * free block heads with nodes, holes in the node list).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memblock } from '../../src/mm/memblock.js';
import { Sections } from '../../src/mm/sparse.js';
import { type PageColumns, PG_INIT, StructPages } from '../../src/mm/struct-page.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import type { KernelProfile } from '../../src/profiles/types.js';

const PER = 32768; // pfns per 128 MiB section
const CHUNK = 1024;
const NSEC = 3; // sections 0 and 2 present, 1 absent
const N = NSEC * PER;

type Op =
  | { k: 'uniform'; sec: number; st: number }
  | { k: 'freeMax'; sec: number; base: number }
  | { k: 'set'; p: number; st: number }
  | { k: 'freeHead'; p: number; order: number; node: number }
  | { k: 'clearHead'; p: number }
  | { k: 'taken'; c: number; offs: number[] }
  | { k: 'heads'; c: number; offs: number[] }
  | { k: 'range'; a: number; n: number }
  | { k: 'palette'; c: number; distinct: number };

const STATES = [
  { flags: PG_INIT, refcount: 0, mapcount: -1, private: 0 },
  { flags: PG_INIT | (1 << 10), refcount: 1, mapcount: -1, private: 0 },
  { flags: 0, refcount: 0, mapcount: 0, private: 0 },
  { flags: PG_INIT, refcount: 0, mapcount: 0, private: 0 },
  { flags: PG_INIT | (1 << 3), refcount: 2, mapcount: 0, private: 7 },
];

/** A pfn in a present section, often at a chunk or frame boundary. */
const pfnArb = fc
  .oneof(
    fc.integer({ min: 0, max: PER - 1 }),
    fc.integer({ min: 0, max: PER / 64 - 1 }).map((f) => f * 64),
    fc.integer({ min: 0, max: PER / CHUNK - 1 }).map((c) => c * CHUNK),
  )
  .chain((p) => fc.constantFrom(p, 2 * PER + p));
const chunkArb = fc
  .constantFrom(0, 2)
  .chain((s) => fc.integer({ min: 0, max: PER / CHUNK - 1 }).map((c) => (s * PER) / CHUNK + c));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('uniform' as const), sec: fc.constantFrom(0, 2), st: fc.nat(4) }),
  fc.record({ k: fc.constant('freeMax' as const), sec: fc.constantFrom(0, 2), base: fc.nat(1000) }),
  fc.record({ k: fc.constant('set' as const), p: pfnArb, st: fc.nat(4) }),
  fc.record({
    k: fc.constant('freeHead' as const),
    p: pfnArb,
    order: fc.oneof(fc.constant(10), fc.nat(10)),
    node: fc.nat(5000),
  }),
  fc.record({ k: fc.constant('clearHead' as const), p: pfnArb }),
  fc.record({
    k: fc.constant('taken' as const),
    c: chunkArb,
    offs: fc.array(fc.nat(CHUNK - 1), { maxLength: 200 }),
  }),
  fc.record({
    k: fc.constant('heads' as const),
    c: chunkArb,
    offs: fc.array(fc.nat(CHUNK - 1), { maxLength: 200 }),
  }),
  fc.record({
    k: fc.constant('range' as const),
    a: pfnArb,
    n: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(CHUNK)),
  }),
  // Many distinct records in one chunk: past 256 the palette's index turns 16-bit.
  fc.record({ k: fc.constant('palette' as const), c: chunkArb, distinct: fc.constantFrom(20, 300) }),
);

function apply(sp: StructPages, op: Op): void {
  const buddy = sp.buddyMapcount;
  switch (op.k) {
    case 'uniform':
      sp.setSectionUniform(op.sec, STATES[op.st]!);
      return;
    case 'freeMax':
      sp.setSectionFreeMax(op.sec, op.base);
      return;
    case 'set':
      sp.set(op.p, { ...STATES[op.st]!, node: -1 });
      return;
    case 'freeHead':
      sp.setFreeHead(op.p, buddy, op.order, op.node, 0);
      return;
    case 'clearHead':
      sp.setBuddyFields(op.p, -1, 0, -1);
      return;
    case 'taken':
    case 'heads': {
      const list = [...new Set(op.offs)].sort((x, y) => x - y).map((x) => op.c * CHUNK + x);
      const pf = Float64Array.from(list);
      if (op.k === 'taken') sp.setTakenSorted(pf, 0, list.length);
      else {
        const ord = Int8Array.from(list, (p) => p % 11);
        const nodes = Int32Array.from(list, (p) => p % 5000);
        sp.setFreeHeads(pf, ord, nodes, 0, list.length, buddy);
      }
      return;
    }
    case 'range':
      sp.updateRange(op.a, Math.min(op.a + op.n, (Math.floor(op.a / PER) + 1) * PER), (st) => {
        st.refcount += 1;
      });
      return;
    case 'palette':
      for (let i = 0; i < op.distinct; i++)
        sp.set(op.c * CHUNK + ((i * 7) % CHUNK), {
          flags: PG_INIT | i,
          refcount: i,
          mapcount: 0,
          private: 0,
          node: -1,
        });
      return;
  }
}

function setup(profile: KernelProfile): StructPages {
  const mb = new Memblock();
  mb.add(0, PER * 4096);
  mb.add(2 * PER * 4096, PER * 4096);
  const sections = new Sections(profile, mb, N);
  return new StructPages(profile, sections, 0xffffea0000000000n, (pfn) => (pfn < PER ? 1 : 2));
}

function columns(n: number): PageColumns {
  return {
    f: new Uint32Array(n),
    r: new Int32Array(n),
    m: new Int32Array(n),
    p: new Int32Array(n),
    nd: new Int32Array(n),
  };
}

type Run = [number, number, number, number, number];

function runs(sp: StructPages, a: number, b: number): Run[] {
  const out: Run[] = [];
  sp.forEachStateRun(a, b, (f, r, m, p, n) => out.push([f, r, m, p, n]));
  return out;
}

/** The reference: peek() pfn by pfn over the present sections (0 and 2; 1 and 3+ absent), equal neighbours merged. */
function peekRuns(sp: StructPages, a: number, b: number): Run[] {
  const out: Run[] = [];
  for (let q = a; q < b; q++) {
    const sec = Math.floor(q / PER);
    if (sec !== 0 && sec !== 2) continue;
    const w = sp.peek(q);
    const last = out.at(-1);
    if (
      last &&
      last[0] === w.flags &&
      last[1] === w.refcount &&
      last[2] === w.mapcount &&
      last[3] === w.private
    )
      last[4]++;
    else out.push([w.flags, w.refcount, w.mapcount, w.private, 1]);
  }
  return out;
}

describe('StructPages bulk reads', () => {
  for (const profile of [linux310, linux612]) {
    it(`${profile.id}: readPages() and forEachStateRun() read what peek() reads`, () => {
      const cols = columns(PER);
      fc.assert(
        fc.property(
          fc.array(opArb, { minLength: 1, maxLength: 25 }),
          fc.array(fc.tuple(pfnArb, fc.oneof(fc.constant(64), fc.integer({ min: 1, max: 3 * CHUNK }))), {
            minLength: 1,
            maxLength: 8,
          }),
          (ops, reads) => {
            const sp = setup(profile);
            for (const op of ops) apply(sp, op);
            // every vmemmap frame (64 struct pages), then random ranges inside a section
            const ranges: [number, number][] = [];
            for (const s of [0, 2]) for (let p = s * PER; p < (s + 1) * PER; p += 64) ranges.push([p, 64]);
            for (const [p, n] of reads) ranges.push([p, Math.min(n, (Math.floor(p / PER) + 1) * PER - p)]);
            for (const [p, n] of ranges) {
              const uniform = sp.readPages(p, n, cols);
              const first = { ...sp.peek(p) };
              let same = true;
              for (let i = 0; i < n; i++) {
                const w = sp.peek(p + i);
                if (
                  cols.f[i] !== w.flags ||
                  cols.r[i] !== w.refcount ||
                  cols.m[i] !== w.mapcount ||
                  cols.p[i] !== w.private ||
                  cols.nd[i] !== w.node
                ) {
                  expect({
                    pfn: p + i,
                    f: cols.f[i],
                    r: cols.r[i],
                    m: cols.m[i],
                    p: cols.p[i],
                    nd: cols.nd[i],
                  }).toEqual({
                    pfn: p + i,
                    f: w.flags,
                    r: w.refcount,
                    m: w.mapcount,
                    p: w.private,
                    nd: w.node,
                  });
                }
                if (
                  w.flags !== first.flags ||
                  w.refcount !== first.refcount ||
                  w.mapcount !== first.mapcount ||
                  w.private !== first.private ||
                  w.node !== -1
                )
                  same = false;
              }
              if (uniform !== same) expect([p, n, uniform]).toEqual([p, n, same]);
            }
            // the state runs over the whole space (the absent section skipped) and random spans
            expect(runs(sp, 0, N)).toEqual(peekRuns(sp, 0, N));
            for (const [p, n] of reads) expect(runs(sp, p, p + n)).toEqual(peekRuns(sp, p, p + n));
          },
        ),
        { numRuns: 60 },
      );
    }, 120_000);
  }
});
