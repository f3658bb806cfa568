/**
 * PagedIndex (src/util/paged-index.ts) answers as the Map it replaced in the
 * frame table and the content map: any sequence of sets and gets, keys from
 * small integers to values past its array range, negatives, fractions and NaN.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PagedIndex } from '../../src/util/paged-index.js';

const key = fc.oneof(
  fc.nat(5000),
  fc.integer({ min: 0, max: 2 ** 26 + 5 }),
  fc.integer({ min: -5, max: -1 }),
  fc.constantFrom(Number.NaN, -0, 0.5, 2 ** 26 - 1, 2 ** 26, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER),
);

describe('PagedIndex = Map (fast-check)', () => {
  it('the same answers after the same sets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key), { maxLength: 200 }), (ops) => {
        const p = new PagedIndex<number>();
        const m = new Map<number, number>();
        ops.forEach(([isSet, k], i) => {
          if (isSet) {
            p.set(k, i);
            m.set(k, i);
          }
          expect(p.get(k)).toBe(m.get(k));
        });
        for (const [, k] of ops) expect(p.get(k)).toBe(m.get(k));
        for (const k of m.keys()) expect(p.get(k)).toBe(m.get(k));
      }),
      { numRuns: 200 },
    );
  });
});
