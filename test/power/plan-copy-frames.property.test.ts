/**
 * PlannedImage.copyFrameRunAfter() (plan mode's store takes a run of loaded
 * pages at once) against copyFrameOf() page by page: after copyFrameOf(pfn)
 * = f, the next r pfns have frames f + 1 … f + r and pfn + r + 1 (within
 * `max`) does not continue it — on random pfn lists (data and zero runs) and
 * copy frames (runs of consecutive frames and jumps); addCopyFrames() of
 * stretches against addCopyFrame() frame by frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../src/machine/boot.js';
import { PfnRuns } from '../../src/power/image/pfn-runs.js';
import { PlannedImage } from '../../src/power/plan/image.js';
import type { ContentMap } from '../../src/workload/content-map.js';

describe('PlannedImage.copyFrameRunAfter', () => {
  it('= the stretch of copyFrameOf() answers that continue frame by frame', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 12 }), fc.boolean()), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 3 })), {
          maxLength: 12,
        }),
        fc.integer({ min: 0, max: 40 }),
        (runs, frames, max) => {
          const list = new PfnRuns();
          let pfn = 100;
          for (const [gap, n, zero] of runs) {
            pfn += gap;
            list.appendRun(pfn, n, zero);
            pfn += n;
          }
          list.trim();
          const img = new PlannedImage(
            {} as Machine,
            {} as ContentMap,
            list,
            new Uint8Array(4096),
            new Uint8Array(4096),
            1,
            1,
          );
          // Copy frames of the data pages: runs of consecutive frames with gaps (or going back).
          let f = 5000;
          let k = 0;
          for (const [n, jump] of frames) {
            for (let i = 0; i < n && k < list.dataCount; i++, k++) img.addCopyFrame(f++);
            f += jump === 0 ? -40 : jump;
          }
          while (k < list.dataCount) {
            img.addCopyFrame(f++);
            k++;
          }
          // addCopyFrames() of the same frames in stretches of consecutive frames (cut anywhere).
          const img2 = new PlannedImage(
            {} as Machine,
            {} as ContentMap,
            list,
            new Uint8Array(4096),
            new Uint8Array(4096),
            1,
            1,
          );
          const seq: number[] = [];
          for (let q = 0; q < list.dataCount; q++) seq.push(img.copyFrameCursor().at(q));
          for (let q = 0; q < seq.length; ) {
            let n = 1;
            while (q + n < seq.length && seq[q + n] === seq[q]! + n && (q + n) % 5 !== 0) n++;
            img2.addCopyFrames(seq[q]!, n);
            q += n;
          }
          for (let p = 98; p < pfn + 2; p++) expect(img2.copyFrameOf(p)).toBe(img.copyFrameOf(p));
          expect(img2.copyRuns).toBe(img.copyRuns);
          const end = pfn + 2;
          for (let p = 98; p < end; p++) {
            const want: number[] = [];
            for (let q = p; q <= p + max + 1; q++) want.push(img.copyFrameOf(q));
            const f0 = img.copyFrameOf(p);
            if (f0 < 0) continue;
            const r = img.copyFrameRunAfter(p, max);
            expect(r).toBeLessThanOrEqual(max);
            for (let j = 1; j <= r; j++) expect(want[j]).toBe(f0 + j);
            if (r < max) expect(want[r + 1]).not.toBe(f0 + r + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
