/**
 * KernelData.nonZeroRun() (snapshot save's 6.6+ zero test for a run of memmap
 * frames) against isZeroFrame() frame by frame: on the machines of plan runs
 * (workload placed, image pages allocated and freed: sections of one record,
 * free max-order sections, sections broken into chunks), from any covered or
 * uncovered frame, for any length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../src/machine/boot.js';
import { builtinReader, getBuiltin } from '../../src/scenario/index.js';
import { planScenario } from '../../src/scenario/run.js';

describe('KernelData.nonZeroRun', () => {
  for (const name of ['seed-000-6.12', 'same-map']) {
    it(`${name}: = the isZeroFrame() === false stretch frame by frame`, async () => {
      const r = await planScenario(getBuiltin(name), { readFile: builtinReader, baseDir: '.' });
      const ms: Machine[] = [r.suspend.machine!, r.resume!.machine];
      for (const m of ms) {
        const covered = m.kdata.coveredPfns();
        const kd = m.kdata;
        let nonZero = 0;
        fc.assert(
          fc.property(
            fc.nat(covered.length - 1),
            fc.integer({ min: -3, max: 3 }),
            fc.nat(1200),
            (at, off, n) => {
              const pfn = covered[at]! + off;
              let want = 0;
              while (want < n && kd.isZeroFrame(pfn + want) === false) want++;
              if (want > 0) nonZero++;
              expect(kd.nonZeroRun(pfn, n)).toBe(want);
            },
          ),
          { numRuns: 400 },
        );
        expect(nonZero).toBeGreaterThan(20);
      }
    }, 120_000);
  }
});

describe('KernelData.sameCoverRun', () => {
  it('seed-000-6.12: = the stretch of equal covers() answers frame by frame', async () => {
    const r = await planScenario(getBuiltin('seed-000-6.12'), { readFile: builtinReader, baseDir: '.' });
    const kd = r.suspend.machine!.kdata;
    const covered = kd.coveredPfns();
    fc.assert(
      fc.property(
        fc.nat(covered.length - 1),
        fc.integer({ min: -600, max: 600 }),
        fc.nat(2000),
        (at, off, n) => {
          const pfn = Math.max(0, covered[at]! + off);
          const want0 = kd.covers(pfn);
          let want = n > 0 ? 1 : 0;
          while (want < n && kd.covers(pfn + want) === want0) want++;
          expect(kd.sameCoverRun(pfn, n)).toBe(want);
        },
      ),
      { numRuns: 600 },
    );
  }, 120_000);
});
