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
import { uniformSourceFor } from '../../src/power/snapshot/bm-leaves.js';
import { ContentKind } from '../../src/workload/content.js';
import { planMachinePair } from './plan-machines.js';

const t = [
  { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
  { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
  { addr: 0x100000n, size: 0x7f00000n, type: E820_TYPE.RAM },
];

const frameArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ t: 'none' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('gen' as const), src: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('kdata' as const), src: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('bytes' as const), b: fc.integer({ min: 1, max: 255 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'uniform' as const }) },
);
const windowArb = fc.array(fc.tuple(frameArb, fc.integer({ min: 1, max: 30 })), {
  minLength: 1,
  maxLength: 10,
});

const IMG = 0x4000;

function setup(win: [{ t: string; src?: number; b?: number }, number][]) {
  const { m, img, budget, content, imgContent } = planMachinePair(t);
  const other = { covers: () => true, fill: () => {} };
  const ones = uniformSourceFor(new Uint8Array(4096).fill(0xff))!;
  let f = IMG;
  for (const [w, len] of win) {
    for (let j = 0; j < len; j++, f++) {
      if (w.t === 'gen') imgContent.set(f, ContentKind.TEXT, 1, w.src! + j);
      else if (w.t === 'kdata') imgContent.set(f, ContentKind.KDATA, 0, w.src! + j, other);
      else if (w.t === 'bytes') img.mem.frame(f).fill(w.b! + j);
      else if (w.t === 'uniform') img.mem.synthesise(f, ones);
    }
  }
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
          const look = (x: typeof a) => {
            const out: unknown[] = [];
            const buf = new Uint8Array(4096);
            for (let p = pfn - 1; p <= pfn + n; p++) {
              x.m.mem.readPageInto(p, buf);
              out.push([
                p,
                x.m.mem.isMaterialised(p),
                x.m.mem.sourceOf(p),
                buf[0],
                buf[4095],
                x.content.kind(p),
                x.content.get(p)?.src,
              ]);
            }
            return { out, size: x.content.size, used: x.budget.used, silent: x.store.silentWrites };
          };
          expect(look(a)).toEqual(look(b));
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
