/**
 * ContentMap.sameDescriptor() against the descriptor comparison it replaced in
 * plan mode's verification (get()/kind() objects): random frames of two maps
 * holding none, ZERO, generated pages (two seeds, own or foreign src) and
 * kernel-data frames — a map's own kernel source, or copies naming another
 * machine's provider.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentKind } from '../../src/workload/content.js';
import { ContentMap } from '../../src/workload/content-map.js';
import { frameArb, provider } from './frame-arb.js';

const SPAN = 64;

/** The old test: kinds via kind(), then get() descriptors field by field. */
function oracle(A: ContentMap, a: number, B: ContentMap, b: number): boolean {
  const ka = A.kind(a);
  const kb = B.kind(b);
  const zeroA = ka === ContentKind.NONE || ka === ContentKind.ZERO;
  const zeroB = kb === ContentKind.NONE || kb === ContentKind.ZERO;
  if (zeroA && zeroB) return true;
  if (ka !== kb || zeroA) return false;
  const da = A.get(a)!;
  const db = B.get(b)!;
  return da.src === db.src && (ka === ContentKind.KDATA ? da.source === db.source : da.seed === db.seed);
}

// kdata: a copy of a kernel frame of provider 0 (A's own), 1 (B's own) or 2 (a third machine's).
const frame = frameArb(SPAN - 1);

describe('ContentMap.sameDescriptor', () => {
  it('agrees with the get()-based comparison', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: SPAN, maxLength: SPAN }),
        fc.array(frame, { minLength: SPAN, maxLength: SPAN }),
        fc.array(fc.tuple(fc.nat(SPAN - 1), fc.nat(SPAN - 1)), { minLength: 1, maxLength: 80 }),
        (fa, fb, pairs) => {
          // Each map's own kernel source covers the upper half of its frames.
          const provs = [provider(SPAN / 2, SPAN), provider(SPAN / 2, SPAN), provider(0, SPAN)];
          const maps = [new ContentMap(), new ContentMap()];
          maps[0]!.setKernelSource(provs[0]!);
          maps[1]!.setKernelSource(provs[1]!);
          // Helper maps whose kernel frames the kdata frames copy.
          const srcMaps = provs.map((p) => {
            const m = new ContentMap();
            m.setKernelSource(p);
            return m;
          });
          [fa, fb].forEach((frames, mi) => {
            const m = maps[mi]!;
            frames.forEach((f, pfn) => {
              if (f.t === 'zero') m.set(pfn, ContentKind.ZERO, 0, pfn);
              else if (f.t === 'gen') m.set(pfn, f.kind, f.seed, f.src);
              else if (f.t === 'kdata') {
                // Only a frame the provider covers is a kernel frame (else: no descriptor, as copyFromMap).
                if (!m.copyFromMap(srcMaps[f.prov]!, Math.max(f.src, f.prov === 2 ? 0 : SPAN / 2), pfn))
                  m.clear(pfn);
              }
            });
          });
          for (const [a, b] of pairs) {
            for (const [x, y, p, q] of [
              [0, 1, a, b],
              [1, 0, a, b],
              [0, 0, a, b],
            ] as const) {
              expect(maps[x]!.sameDescriptor(p, maps[y]!, q)).toBe(oracle(maps[x]!, p, maps[y]!, q));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
