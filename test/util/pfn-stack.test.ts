/** PfnStack: LIFO order through its growth, 32-bit and wide pfns, clear(). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PfnStack } from '../../src/util/pfn-stack.js';

describe('PfnStack', () => {
  it('pops what was pushed, last first, as a number[] would (fast-check)', () => {
    for (const limit of [2 ** 32, 2 ** 40]) {
      const pfn = fc.integer({ min: 0, max: limit - 1 });
      const op = fc.oneof(fc.record({ push: pfn }), fc.constant({ pop: true as const }));
      fc.assert(
        fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
          const s = new PfnStack(limit, 2);
          const ref: number[] = [];
          for (const o of ops) {
            if ('push' in o) {
              s.push(o.push);
              ref.push(o.push);
            } else expect(s.pop()).toBe(ref.pop());
            expect(s.length).toBe(ref.length);
          }
        }),
        { numRuns: 50 },
      );
    }
  });

  it('clear() empties it', () => {
    const s = new PfnStack(2 ** 32, 1);
    for (let i = 0; i < 10; i++) s.push(0xfffffff0 + i);
    s.clear();
    expect(s.length).toBe(0);
    expect(s.pop()).toBeUndefined();
    s.push(5);
    expect(s.pop()).toBe(5);
  });
});
