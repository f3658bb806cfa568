/**
 * Sections.onlinePageRunEnd() / pfnValidRunEnd() against the per-pfn tests
 * they stand for: over random RAM layouts (with a hot-added ZONE_DEVICE
 * range), every pfn of a run answers pfnToOnlinePageOk() / pfnValid() as the
 * run's first pfn does, and the run ends at `end` or at a pfn that answers
 * otherwise.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memblock } from '../../src/mm/memblock.js';
import { Sections } from '../../src/mm/sparse.js';
import { linux310, linux612 } from '../../src/profiles/index.js';

const PER = 32768;
const N = 4 * PER;

describe('Sections run ends equal the per-pfn answers', () => {
  for (const profile of [linux310, linux612]) {
    it(`${profile.id} (fast-check)`, () => {
      fc.assert(
        fc.property(
          // RAM ranges in 4 KiB pages (some cutting 2 MiB subsections), a ZONE_DEVICE hot-add, the walks.
          fc.array(fc.tuple(fc.nat(N - 1), fc.integer({ min: 1, max: 3000 })), {
            minLength: 1,
            maxLength: 6,
          }),
          fc.boolean(),
          fc.array(fc.tuple(fc.nat(N + 2 * PER - 1), fc.integer({ min: 1, max: 3 * PER })), {
            minLength: 1,
            maxLength: 8,
          }),
          (ram, device, walks) => {
            const mb = new Memblock();
            for (const [p, n] of ram) mb.add(p * 4096, n * 4096);
            const s = new Sections(profile, mb, N);
            if (device) s.hotAdd(N, N + PER, true);
            for (const [from, len] of walks) {
              const end = from + len;
              for (let p = from; p < end; ) {
                const q = s.onlinePageRunEnd(profile, p, end);
                expect(q).toBeGreaterThan(p);
                expect(q).toBeLessThanOrEqual(end);
                const want = s.pfnToOnlinePageOk(profile, p);
                for (let x = p; x < q; x++) {
                  if (s.pfnToOnlinePageOk(profile, x) !== want) expect([x, !want]).toEqual([x, want]);
                }
                if (q < end) expect(s.pfnToOnlinePageOk(profile, q)).toBe(!want);
                p = q;
              }
              for (let p = from; p < end; ) {
                const q = s.pfnValidRunEnd(p, end);
                expect(q).toBeGreaterThan(p);
                const want = s.pfnValid(p);
                for (let x = p; x < q; x++) if (s.pfnValid(x) !== want) expect([x, !want]).toEqual([x, want]);
                if (q < end) expect(s.pfnValid(q)).toBe(!want);
                p = q;
              }
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
