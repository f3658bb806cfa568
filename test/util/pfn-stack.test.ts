/**
 * PfnStack (a stack of runs): LIFO order through its growth, 32-bit and wide
 * pfns, clear(); runs that grow up or down; memory per run.
 */
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

  it('runs up, down and broken: the same pops as a number[] (fast-check)', () => {
    // Pushes mostly continue the last pfn pushed (+1 / −1, as get_safe_page() frees and
    // allocations walk a free block), sometimes jump; pops in between cut runs anywhere.
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ step: 1 }) },
      { weight: 3, arbitrary: fc.constant({ step: -1 }) },
      { weight: 1, arbitrary: fc.record({ jump: fc.integer({ min: 0, max: 2 ** 40 - 1 }) }) },
      // Near the last pfn but not next to it (before a run's start, past its end).
      { weight: 2, arbitrary: fc.integer({ min: -6, max: 6 }).map((step) => ({ step })) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((k) => ({ jump: 2 ** 32 - 2 + k })) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }).map((pops) => ({ pops })) },
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 400, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        (ops, cap) => {
          const s = new PfnStack(2 ** 40, cap);
          const ref: number[] = [];
          let last = 1000;
          for (const o of ops) {
            if ('pops' in o) {
              for (let k = 0; k < o.pops; k++) expect(s.pop()).toBe(ref.pop());
            } else {
              const p = 'jump' in o ? o.jump : last + o.step;
              if (p < 0) continue;
              s.push(p);
              ref.push(p);
              last = p;
            }
            expect(s.length).toBe(ref.length);
          }
          // Never more runs than pfns; drained in the same order.
          expect(s.runs).toBeLessThanOrEqual(ref.length);
          while (ref.length) expect(s.pop()).toBe(ref.pop());
          expect(s.pop()).toBeUndefined();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('peek, topLength/topStep and popRun agree with pops of a number[] (fast-check)', () => {
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.constant({ step: 1 }) },
      { weight: 3, arbitrary: fc.constant({ step: -1 }) },
      { weight: 1, arbitrary: fc.record({ jump: fc.integer({ min: 0, max: 2 ** 33 }) }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }).map((take) => ({ take })) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300, size: 'max' }), (ops) => {
        const s = new PfnStack(2 ** 40, 2);
        const ref: number[] = [];
        let last = 500;
        for (const o of ops) {
          if ('take' in o) {
            // The top run: the pops it promises are the array's next pops, one step apart.
            const len = s.topLength;
            expect(s.peek()).toBe(ref[ref.length - 1]);
            if (len === 0) {
              expect(ref.length).toBe(0);
              continue;
            }
            const first = s.peek()!;
            const k = Math.min(o.take, len);
            for (let i = 0; i < k; i++) expect(ref.pop()).toBe(first + i * s.topStep);
            s.popRun(k);
            expect(() => s.popRun(s.topLength + 1)).toThrow();
          } else {
            const p = 'jump' in o ? o.jump : last + o.step;
            if (p < 0) continue;
            s.push(p);
            ref.push(p);
            last = p;
          }
          expect(s.length).toBe(ref.length);
        }
        while (ref.length) expect(s.pop()).toBe(ref.pop());
      }),
      { numRuns: 200 },
    );
  });

  it('a million consecutive pfns, pushed up or down, are one run', () => {
    for (const dir of [1, -1]) {
      const s = new PfnStack(2 ** 32);
      for (let i = 0; i < 1_000_000; i++) s.push(0x200000 + dir * i);
      expect(s.length).toBe(1_000_000);
      expect(s.runs).toBe(1);
      expect(s.pop()).toBe(0x200000 + dir * 999_999);
      s.push(7);
      expect(s.runs).toBe(2);
      expect(s.pop()).toBe(7);
      expect(s.pop()).toBe(0x200000 + dir * 999_998);
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
