/**
 * PageChunk (a chunk's struct pages as a record palette + index per page)
 * against the form it replaced: five plain 32-bit columns per page. Random
 * writes with few distinct values (records reused, dead ones recycled) and
 * with many (the table grows, the index widens past 256 records); every
 * read must answer what the columns say, and the bytes it charged must be
 * what it gives back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostBudget } from '../../src/mm/host-budget.js';
import { PageChunk } from '../../src/mm/page-chunk.js';
import { PageChunkV1 } from './page-chunk-v1.js';

/** The replaced form: flags, _refcount, _mapcount, private, node, one Int32Array each. */
class Columns {
  f: Uint32Array;
  r: Int32Array;
  m: Int32Array;
  p: Int32Array;
  nd: Int32Array;
  constructor(n: number, f: number, r: number, m: number, p: number) {
    this.f = new Uint32Array(n).fill(f >>> 0);
    this.r = new Int32Array(n).fill(r);
    this.m = new Int32Array(n).fill(m);
    this.p = new Int32Array(n).fill(p);
    this.nd = new Int32Array(n).fill(-1);
  }
}

type Op =
  | { k: 'put'; i: number; f: number; r: number; m: number; p: number }
  | { k: 'node'; i: number; v: number }
  | { k: 'ref'; i: number; v: number }
  | { k: 'map'; i: number; v: number }
  | { k: 'flags'; i: number; v: number };

function ops(n: number, spread: number, lo = -2): fc.Arbitrary<Op[]> {
  const i = fc.integer({ min: 0, max: n - 1 });
  const v = fc.integer({ min: lo, max: spread });
  const flags =
    spread < 2
      ? fc.constantFrom(0, 0x80000000)
      : fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(0x80000000), fc.constant(0xffffffff));
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ k: fc.constant('put' as const), i, f: flags, r: v, m: v, p: v }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('node' as const), i, v }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('ref' as const), i, v }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('map' as const), i, v }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('flags' as const), i, v: flags }) },
    ),
    { minLength: 100, maxLength: 3000, size: 'max' },
  );
}

function check(n: number, seq: Op[]): void {
  const budget = new HostBudget(2 ** 40);
  const c = new PageChunk(n, 0x80000000, 0, -1, 0, budget);
  const o = new Columns(n, 0x80000000, 0, -1, 0);
  for (const op of seq) {
    const i = op.i;
    if (op.k === 'put') {
      c.put(i, op.f, op.r, op.m, op.p);
      o.f[i] = op.f >>> 0;
      o.r[i] = op.r;
      o.m[i] = op.m;
      o.p[i] = op.p;
    } else if (op.k === 'node') {
      c.setNode(i, op.v);
      o.nd[i] = op.v;
    } else if (op.k === 'ref') {
      c.setR(i, op.v);
      o.r[i] = op.v;
    } else if (op.k === 'map') {
      c.setM(i, op.v);
      o.m[i] = op.v;
    } else {
      c.setF(i, op.v);
      o.f[i] = op.v >>> 0;
    }
  }
  for (let i = 0; i < n; i++) {
    expect([c.f(i), c.r(i), c.m(i), c.p(i), c.nd(i)]).toEqual([o.f[i], o.r[i], o.m[i], o.p[i], o.nd[i]]);
  }
  expect(budget.heldBy('struct pages')).toBe(c.bytes);
  c.release();
  expect(budget.used).toBe(0);
}

describe('PageChunk against five columns', () => {
  it('few distinct records (reuse, recounts)', () => {
    fc.assert(
      fc.property(ops(64, 6), (seq) => check(64, seq)),
      { numRuns: 200 },
    );
  });
  it('records die and come back (16 possible records: dead ones matched again)', () => {
    fc.assert(
      fc.property(ops(16, 1, 0), (seq) => check(16, seq)),
      { numRuns: 300 },
    );
  });
  it('many distinct records (growth, 16-bit index)', () => {
    fc.assert(
      fc.property(ops(1024, 100000), (seq) => check(1024, seq)),
      { numRuns: 40 },
    );
  });
  it('a chunk whose every page has its own record widens its index and stays exact', () => {
    const n = 1024;
    const c = new PageChunk(n, 0, 0, -1, 0, null);
    for (let i = 0; i < n; i++) c.put(i, i, i * 3, 1 - i, i & 7);
    expect(c.idx).toBeInstanceOf(Uint16Array);
    for (let i = 0; i < n; i++) expect([c.f(i), c.r(i), c.m(i), c.p(i)]).toEqual([i, i * 3, 1 - i, i & 7]);
    // Back to one record: the dead ones are reused, the table does not grow past what it had.
    const cap = c.dead.length;
    for (let i = 0; i < n; i++) c.put(i, 5, 1, -1, 0);
    for (let i = 0; i < n; i++) c.put(i, i + 7, 0, 0, 0);
    expect(c.dead.length).toBe(cap);
    for (let i = 0; i < n; i++) expect(c.f(i)).toBe(i + 7);
  });
  it('a charge past the budget throws MODEL_HOST_MEMORY before allocating', () => {
    // Room for a new chunk and a little more, not for its first node list (two typed arrays).
    const fresh = new PageChunk(1024, 0, 0, -1, 0, null).bytes;
    const budget = new HostBudget(fresh + 500, 'x');
    const c = new PageChunk(1024, 0, 0, -1, 0, budget);
    expect(budget.used).toBe(fresh);
    expect(() => c.setNode(3, 7)).toThrow(/host memory/);
    expect(c.nN).toBe(0);
    expect(c.nd(3)).toBe(-1);
    expect(budget.used).toBe(c.bytes);
  });
});

/**
 * The free-list node writes in bulk (setNodesSorted, clearNodesIn,
 * clearNodesSorted) and one at a time (setNode, whose removals leave holes)
 * against the previous form, PageChunkV1, doing every write as a setNode():
 * after each step every page's node reads the same, and the bytes charged
 * (the list's growth) are the same.
 */
type NodeOp =
  | { k: 'one'; i: number; v: number }
  | { k: 'sorted'; pages: number[]; vals: number[] }
  | { k: 'clearIn'; lo: number; n: number }
  | { k: 'clearSorted'; pages: number[] };

function nodeOps(n: number): fc.Arbitrary<NodeOp[]> {
  const i = fc.integer({ min: 0, max: n - 1 });
  const pages = fc.uniqueArray(i, { minLength: 1, maxLength: n }).map((a) => a.sort((x, y) => x - y));
  const v = fc.oneof({ weight: 1, arbitrary: fc.constant(-1) }, { weight: 5, arbitrary: fc.nat(1 << 30) });
  return fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ k: fc.constant('one' as const), i, v }) },
      {
        weight: 3,
        arbitrary: pages.chain((ps) =>
          fc.record({
            k: fc.constant('sorted' as const),
            pages: fc.constant(ps),
            vals: fc.array(v, { minLength: ps.length, maxLength: ps.length }),
          }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          k: fc.constant('clearIn' as const),
          lo: i,
          n: fc.integer({ min: 0, max: 64 }),
        }),
      },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('clearSorted' as const), pages }) },
    ),
    { minLength: 1, maxLength: 60 },
  );
}

function checkNodes(n: number, seq: NodeOp[], base: number): void {
  const b1 = new HostBudget(2 ** 40);
  const b0 = new HostBudget(2 ** 40);
  const c = new PageChunk(n, 0x80000000, 0, -1, 0, b1);
  const old = new PageChunkV1(n, 0x80000000, 0, -1, 0, b0);
  for (const op of seq) {
    if (op.k === 'one') {
      c.setNode(op.i, op.v);
      old.setNode(op.i, op.v);
    } else if (op.k === 'sorted') {
      // Pages as pfns of a chunk at `base` (the struct-page callers pass pfns and the chunk start).
      const pf = Float64Array.from(op.pages, (p) => base + p);
      const nd = Int32Array.from(op.vals);
      c.setNodesSorted(pf, nd, 0, pf.length, base);
      for (let k = 0; k < op.pages.length; k++) old.setNode(op.pages[k]!, op.vals[k]!);
    } else if (op.k === 'clearIn') {
      const hi = Math.min(n, op.lo + op.n);
      c.clearNodesIn(op.lo, hi);
      for (let p = op.lo; p < hi; p++) old.setNode(p, -1);
    } else {
      const pf = Float64Array.from(op.pages, (p) => base + p);
      c.clearNodesSorted(pf, 0, pf.length, base);
      for (const p of op.pages) old.setNode(p, -1);
    }
    for (let p = 0; p < n; p++)
      if (c.nd(p) !== old.nd(p)) expect([op.k, p, c.nd(p)]).toEqual([op.k, p, old.nd(p)]);
    expect(c.bytes).toBe(old.bytes);
    expect(b1.used).toBe(b0.used);
  }
  c.release();
  expect(b1.used).toBe(0);
}

describe('PageChunk free-list nodes against the one-insert-at-a-time list', () => {
  it('bulk merges, range and sorted clears, holes refilled and squeezed (fast-check)', () => {
    fc.assert(
      fc.property(nodeOps(64), fc.constantFrom(0, 1024, 2 ** 33), (seq, base) => checkNodes(64, seq, base)),
      { numRuns: 300 },
    );
  });
  it('a full chunk: lists past 256 entries, growth in one merge', () => {
    fc.assert(
      fc.property(nodeOps(1024), (seq) => checkNodes(1024, seq, 7 * 1024)),
      { numRuns: 40 },
    );
  });
});
