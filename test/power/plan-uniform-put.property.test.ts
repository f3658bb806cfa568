/**
 * PlanPageStore.put() of a copy frame synthesised by a uniform bitmap leaf
 * source (all zero, or all ones below some bit: the hibernated kernel's
 * bitmap pages), which takes put()'s steps without reading the bytes, against
 * the per-page path (the copy frame's bytes read and handed to
 * ImagePageStore.put()): targets empty, with bytes, synthesised or with a
 * descriptor; copy frames uniform, other synthesised frames or bytes. The same
 * frames, bytes, sources, descriptors and budget charges afterwards.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import type { PlannedImage } from '../../src/power/plan/image.js';
import { PlanPageStore } from '../../src/power/plan/store.js';
import { uniformSourceFor } from '../../src/power/snapshot/bm-leaves.js';
import { setBitRange } from '../../src/util/bits.js';
import { ContentKind } from '../../src/workload/content.js';
import { planMachinePair } from './plan-machines.js';

const t = [
  { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
  { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
  { addr: 0x100000n, size: 0x7f00000n, type: E820_TYPE.RAM },
];

/** A uniform leaf's source for `nbits` ones (0: the zero source). */
function onesSource(nbits: number) {
  const w = new Uint32Array(1024);
  setBitRange(w, 0, nbits);
  return uniformSourceFor(new Uint8Array(w.buffer))!;
}

const copyArb = fc.oneof(
  fc.record({
    t: fc.constant('ones' as const),
    nbits: fc.oneof(fc.constant(0), fc.constant(32768), fc.nat(32768)),
  }),
  fc.record({ t: fc.constant('other' as const), b: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ t: fc.constant('bytes' as const), b: fc.integer({ min: 0, max: 255 }) }),
);
const targetArb = fc.constantFrom('none', 'bytes', 'synth', 'desc');

const BASE = 0x2000;
const IMG = 0x4000;

function setup(copies: { t: string; nbits?: number; b?: number }[], targets: string[], fast: boolean) {
  const { m, img, budget, content, imgContent } = planMachinePair(t);
  copies.forEach((c, i) => {
    const f = IMG + i;
    if (c.t === 'ones') img.mem.synthesise(f, onesSource(c.nbits!));
    else if (c.t === 'other') img.mem.synthesise(f, { fill: (_p, d) => d.fill(c.b!, 0, 8) });
    else img.mem.frame(f).fill(c.b!);
  });
  targets.forEach((k, i) => {
    const p = BASE + i;
    if (k === 'bytes') m.mem.frame(p).fill(7);
    else if (k === 'synth') m.mem.synthesise(p, onesSource(100));
    else if (k === 'desc') content.set(p, ContentKind.TEXT, 1, p);
  });
  const image = {
    machine: img,
    content: imgContent,
    copyFrameOf: (ip: number) => IMG + ip,
  } as unknown as PlannedImage;
  const store = new PlanPageStore(m, content, undefined, image);
  // The per-page path: no uniform shortcut.
  if (!fast) (store as unknown as { putUniform: () => boolean }).putUniform = () => false;
  return { m, content, budget, store };
}

describe('PlanPageStore.put of a uniform copy frame', () => {
  it('leaves what the per-page path (read the bytes, ImagePageStore.put) leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(copyArb, targetArb), { minLength: 1, maxLength: 20 }), (pairs) => {
        const copies = pairs.map((p) => p[0]);
        const targets = pairs.map((p) => p[1]);
        const a = setup(copies, targets, true);
        const b = setup(copies, targets, false);
        const page = new Uint8Array(4096);
        for (const x of [a, b]) {
          const put = (x.store as unknown as { put(p: number, ip: number, b: Uint8Array): void }).put.bind(
            x.store,
          );
          for (let i = 0; i < pairs.length; i++) put(BASE + i, i, page);
        }
        const look = (x: typeof a) => {
          const out: unknown[] = [];
          const buf = new Uint8Array(4096);
          for (let p = BASE - 1; p <= BASE + pairs.length; p++) {
            x.m.mem.readPageInto(p, buf);
            out.push([p, x.m.mem.isMaterialised(p), x.m.mem.sourceOf(p), Array.from(buf), x.content.kind(p)]);
          }
          return { out, size: x.content.size, used: x.budget.used, mat: x.m.mem.materialisedCount };
        };
        expect(look(a)).toEqual(look(b));
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
