/**
 * PlanPageStore.copyFrameRun() (restore_image's copies of a PBE run in plan
 * mode, ArchRestoreKernel.copyPages) against copyFrame() page by page in the
 * same order: sources holding generated pages, copies of kernel data, the
 * machine's own memmap frames, nothing, or bytes; targets with or without
 * descriptors or bytes; steps ±1 each way; the run's dsts never among its srcs
 * (what restore_image guarantees). The same frames, bytes, descriptors and
 * budget charges afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine } from '../../src/machine/boot.js';
import type { PlannedImage } from '../../src/power/plan/image.js';
import { PlanPageStore } from '../../src/power/plan/store.js';
import { linux612 } from '../../src/profiles/index.js';
import { ContentKind } from '../../src/workload/content.js';
import { planMachine } from './plan-machines.js';

const t = [
  { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
  { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
  { addr: 0x100000n, size: 0x7f00000n, type: E820_TYPE.RAM },
];

/** What a frame of the window holds before the copies. */
const frameArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ t: 'none' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'zero' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('gen' as const), seed: fc.constantFrom(1, 2), src: fc.nat(1000) }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('kdata' as const), src: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('bytes' as const), b: fc.integer({ min: 1, max: 255 }) }),
  },
);

/** Runs of 1–40 frames: descriptors with consecutive src (what copies leave). */
const windowArb = fc.array(fc.tuple(frameArb, fc.integer({ min: 1, max: 40 })), {
  minLength: 1,
  maxLength: 12,
});

function setup(win: [typeof frameArb extends fc.Arbitrary<infer T> ? T : never, number][], base: number) {
  const { m, budget, content } = planMachine(t);
  const other = { covers: () => true, fill: () => {} };
  let p = base;
  for (const [f, len] of win) {
    for (let j = 0; j < len; j++, p++) {
      if (f.t === 'zero') content.set(p, ContentKind.ZERO, 0, p);
      else if (f.t === 'gen') content.set(p, ContentKind.TEXT, f.seed, f.src + j);
      else if (f.t === 'kdata') content.set(p, ContentKind.KDATA, 0, f.src + j, other);
      else if (f.t === 'bytes') m.mem.frame(p).fill(f.b + j);
    }
  }
  const store = new PlanPageStore(m, content, undefined, {} as PlannedImage);
  return { m, content, budget, store };
}

describe('PlanPageStore.copyFrameRun', () => {
  it('leaves what copyFrame() page by page leaves', () => {
    // The window: the machine's own memmap frames (kernel data) and ordinary frames.
    const probe = bootMachine({ firmware: t, kernel: t }, { profile: linux612, kaslr: { nokaslr: true } });
    const covered: number[] = [];
    for (let p = 0; p < 0x8000; p++) if (probe.mem.isGenerated(p)) covered.push(p);
    const memmap = covered.length > 0 ? covered[0]! : 0x1000;
    fc.assert(
      fc.property(
        windowArb,
        fc.constantFrom(memmap - 100, 0x3000),
        fc.integer({ min: 1, max: 120 }),
        fc.constantFrom(1, -1),
        fc.constantFrom(1, -1),
        fc.nat(150),
        fc.nat(150),
        (win, base, n, ds, ss, s0, d0) => {
          const src = base + s0 + (ss < 0 ? n - 1 : 0);
          // dsts after or before the srcs, never among them.
          const sLo = src - (ss < 0 ? n - 1 : 0);
          const dLo = d0 % 2 === 0 ? sLo + n + (d0 >> 1) : sLo - n - (d0 >> 1);
          if (dLo < 1) return;
          const dst = dLo + (ds < 0 ? n - 1 : 0);
          const a = setup(win, base);
          const b = setup(win, base);
          a.store.copyFrameRun(dst, ds, src, ss, n);
          for (let i = 0; i < n; i++) b.store.copyFrame(dst + i * ds, src + i * ss);
          const lo = Math.min(sLo, dLo) - 2;
          const hi = Math.max(sLo, dLo) + n + 2;
          const look = (x: typeof a) => {
            const out: unknown[] = [];
            const buf = new Uint8Array(4096);
            for (let p = lo; p < hi; p++) {
              x.m.mem.readPageInto(p, buf);
              out.push([
                p,
                x.m.mem.isMaterialised(p),
                buf[0],
                buf[4095],
                x.content.kind(p),
                x.content.get(p)?.src,
              ]);
            }
            return { out, size: x.content.size, used: x.budget.used };
          };
          expect(look(a)).toEqual(look(b));
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);
});
