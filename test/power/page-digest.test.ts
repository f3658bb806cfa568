/**
 * pageDigest() (the manifest's per-page check of a resume): a restored page
 * that differs from the hibernated one in any single bit must not pass, and
 * neither may one whose words were moved around.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentKind, generatePage, pageDigest } from '../../src/workload/content.js';

describe('pageDigest', () => {
  it('changes with any single flipped bit', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ContentKind.TEXT,
          ContentKind.POINTER,
          ContentKind.RANDOM,
          ContentKind.CALIBRATED + 33,
        ),
        fc.nat(1 << 20),
        fc.integer({ min: 0, max: 4096 * 8 - 1 }),
        (kind, src, bit) => {
          const page = new Uint8Array(4096);
          generatePage(kind, 7, src, 0, page);
          const before = pageDigest(page);
          page[bit >>> 3]! ^= 1 << (bit & 7);
          expect(pageDigest(page)).not.toBe(before);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('changes when two different words trade places (same lane or not), and with the zero page', () => {
    const page = new Uint8Array(4096);
    generatePage(ContentKind.RANDOM, 1, 2, 0, page);
    const w = new Uint32Array(page.buffer);
    const d0 = pageDigest(page);
    for (const [i, j] of [
      [0, 1],
      [0, 4],
      [5, 1023],
      [512, 513],
    ] as const) {
      const c = new Uint32Array(w);
      [c[i], c[j]] = [c[j]!, c[i]!];
      expect(pageDigest(new Uint8Array(c.buffer))).not.toBe(d0);
    }
    expect(pageDigest(new Uint8Array(4096))).not.toBe(d0);
  });
});
