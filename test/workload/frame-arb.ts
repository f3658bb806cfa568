/**
 * What the ContentMap property tests put in a frame: nothing, a ZERO page, a
 * generated page (two kinds, two seeds, src below `srcMax`), or a copy of a
 * kernel frame naming provider 0, 1 or 2; and kernel-data providers over a range.
 */
import fc from 'fast-check';
import type { PageContentProvider } from '../../src/mm/phys-mem.js';
import { ContentKind } from '../../src/workload/content.js';

/** A kernel-data provider covering [lo, hi). */
export function provider(lo: number, hi: number): PageContentProvider {
  return { covers: (p) => p >= lo && p < hi, fill: () => {} };
}

/** provider(lo, hi) with the run form sameCoverRun() (covers() frame by frame: the run form's callers are under test). */
export function runProvider(lo: number, hi: number): PageContentProvider {
  const pr = provider(lo, hi);
  pr.sameCoverRun = (p, n) => {
    if (n <= 0) return 0;
    const want = pr.covers(p);
    let r = 1;
    while (r < n && pr.covers(p + r) === want) r++;
    return r;
  };
  return pr;
}

export function frameArb(srcMax: number) {
  return fc.oneof(
    fc.constant({ t: 'none' as const }),
    fc.constant({ t: 'zero' as const }),
    fc.record({
      t: fc.constant('gen' as const),
      kind: fc.constantFrom(ContentKind.TEXT, ContentKind.RANDOM),
      seed: fc.constantFrom(1, 2),
      src: fc.nat(srcMax),
    }),
    fc.record({ t: fc.constant('kdata' as const), prov: fc.nat(2), src: fc.nat(srcMax) }),
  );
}

export type Frame = ReturnType<typeof frameArb> extends fc.Arbitrary<infer T> ? T : never;
