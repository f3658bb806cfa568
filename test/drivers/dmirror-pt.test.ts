/**
 * The dmirror device page table (typed radix) behaves as the xarray it
 * models: checked against a Map under random store / erase / range-erase
 * sequences (fast-check), with indices near each other (one leaf), far apart
 * (user pfns up to 2^36) and whole-address-space erasures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DmirrorPt } from '../../src/drivers/dmirror-pt.js';

type Op = { k: 'set'; i: number; v: number } | { k: 'del'; i: number } | { k: 'erase'; a: number; b: number };

const index = fc.oneof(
  fc.integer({ min: 0, max: 2047 }),
  fc.integer({ min: 2 ** 36 - 2048, max: 2 ** 36 - 1 }),
  fc.integer({ min: 0, max: 2 ** 36 - 1 }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('set' as const), i: index, v: fc.integer({ min: 0, max: 2 ** 40 }) }),
  fc.record({ k: fc.constant('del' as const), i: index }),
  fc.record({ k: fc.constant('erase' as const), a: index, b: index }),
);

describe('DmirrorPt', () => {
  it('matches a Map of entries under any sequence of stores and erasures (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const pt = new DmirrorPt();
        const ref = new Map<number, number>();
        for (const o of ops) {
          if (o.k === 'set') {
            pt.set(o.i, o.v);
            ref.set(o.i, o.v);
          } else if (o.k === 'del') {
            pt.delete(o.i);
            ref.delete(o.i);
          } else {
            pt.eraseRange(o.a, o.b);
            for (const k of [...ref.keys()]) if (k >= o.a && k <= o.b) ref.delete(k);
          }
          expect(pt.size).toBe(ref.size);
        }
        expect(pt.keys()).toEqual([...ref.keys()].sort((x, y) => x - y));
        for (const [k, v] of ref) expect(pt.get(k)).toBe(v);
        for (const o of ops) if (o.k !== 'erase' && !ref.has(o.i)) expect(pt.get(o.i)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('an entry of value 0 (page pfn 0, read-only) is an entry, not a hole', () => {
    const pt = new DmirrorPt();
    pt.set(5, 0);
    expect(pt.has(5)).toBe(true);
    expect(pt.get(5)).toBe(0);
    expect(pt.size).toBe(1);
    pt.eraseRange(0, 2 ** 52);
    expect(pt.has(5)).toBe(false);
    expect(pt.size).toBe(0);
  });
});
