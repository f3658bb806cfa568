/**
 * PlanPageStore.cpuDirectRun() (the loader's run of in-place loads in plan
 * mode) against ImagePageStore.cpuDirectRun() page by page (directFrame(),
 * put(), the nosave record): runs across the e820 hole below 1 MiB (nosave,
 * not direct-mapped: the store faults there) and across copy frames holding
 * descriptors, kernel data, bytes, uniform bitmap sources or nothing. The same
 * count stored, frames, bytes, descriptors, silent writes and budget charges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { ImagePageStore } from '../../src/power/page-store.js';
import type { PlannedImage } from '../../src/power/plan/image.js';
import { PlanPageStore } from '../../src/power/plan/store.js';
import {
  type FrameWindow,
  fillImageWindow,
  planMachinePair,
  storeState,
  windowArb,
} from './plan-machines.js';

const t = [
  { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
  { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
  { addr: 0x100000n, size: 0x7f00000n, type: E820_TYPE.RAM },
];

const IMG = 0x4000;

function setup(win: FrameWindow) {
  const { m, img, budget, content, imgContent } = planMachinePair(t);
  fillImageWindow(img, imgContent, win, IMG);
  // Image pfn p's data page is copy frame IMG + (p − 0x80): consecutive pfns, consecutive frames.
  const image = {
    machine: img,
    content: imgContent,
    copyFrameOf: (ip: number) => IMG + ip - 0x80,
    copyFrameRunAfter: (_ip: number, max: number) => max,
  } as unknown as PlannedImage;
  return { m, content, budget, store: new PlanPageStore(m, content, undefined, image) };
}

describe('PlanPageStore.cpuDirectRun', () => {
  it('leaves what ImagePageStore.cpuDirectRun() page by page leaves', () => {
    fc.assert(
      fc.property(
        windowArb,
        fc.integer({ min: 0x80, max: 0x110 }),
        fc.integer({ min: 1, max: 120 }),
        (win, pfn, n) => {
          const a = setup(win);
          const b = setup(win);
          const data = new Uint8Array(130 * 4096);
          const ra = a.store.cpuDirectRun(pfn, n, data, 3, 10);
          const rb = ImagePageStore.prototype.cpuDirectRun.call(b.store, pfn, n, data, 3, 10);
          expect(ra).toBe(rb);
          const frames = Array.from({ length: n + 2 }, (_, i) => pfn - 1 + i);
          expect(storeState(a, frames)).toEqual(storeState(b, frames));
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
