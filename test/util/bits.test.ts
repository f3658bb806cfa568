/** setBitRange() against a bit-by-bit oracle, on bitmaps with bits already set. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setBitRange } from '../../src/util/bits.js';

describe('setBitRange', () => {
  it('sets exactly bits [from, to) and keeps the others', () => {
    fc.assert(
      fc.property(
        fc.uint32Array({ minLength: 1, maxLength: 8 }),
        fc.nat(255),
        fc.integer({ min: 1, max: 256 }),
        (init, a, n) => {
          const bits = init.length * 32;
          const from = a % bits;
          const to = Math.min(bits, from + n);
          const w = Uint32Array.from(init);
          setBitRange(w, from, to);
          for (let i = 0; i < bits; i++) {
            const was = (init[i >>> 5]! >>> (i & 31)) & 1;
            const want = i >= from && i < to ? 1 : was;
            if (((w[i >>> 5]! >>> (i & 31)) & 1) !== want) expect([i, 1 - want]).toEqual([i, want]);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
