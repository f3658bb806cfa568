/**
 * ProgressPrinter.tickN(k) (the loader's and the plan writer's runs of pages)
 * against tick() k times: the same lines, the same progress reports (count
 * and total), the same count, over random totals and random run lengths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProgressPrinter } from '../../src/power/image/log.js';

describe('ProgressPrinter.tickN', () => {
  it('= tick() k times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        (total, runs, withLog, withSink) => {
          const run = (bulk: boolean) => {
            const out: unknown[] = [];
            const p = new ProgressPrinter(
              total,
              'loading',
              withLog ? (l) => out.push(l) : undefined,
              withSink ? (d, t) => out.push([d, t]) : undefined,
            );
            for (const k of runs) {
              if (bulk) p.tickN(k);
              else for (let i = 0; i < k; i++) p.tick();
              out.push(p.count);
            }
            return out;
          };
          expect(run(true)).toEqual(run(false));
        },
      ),
      { numRuns: 300 },
    );
  });
});
