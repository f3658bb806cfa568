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
