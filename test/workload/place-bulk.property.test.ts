/**
 * The two-step scattered placement (draws against a free bitmap, then the
 * takes block by block in pfn order, claims a chunk at a time) against the
 * per-page path it stands for (one take_page_off_buddy() per draw, then the
 * claim): random workloads on a small machine, some filling memory so draws
 * fail and fall back to alloc(). Both must leave the same placed frames, the
 * same free lists in the same order, the same struct pages and the same
 * content descriptors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../src/machine/boot.js';
import { ContentMap } from '../../src/workload/content-map.js';
import { WorkloadPlacer } from '../../src/workload/place.js';
import type { WorkloadGroup, WorkloadKind, WorkloadZone } from '../../src/workload/types.js';
import { bootTiny } from '../mm/take-page-helper.js';

function place(perPage: boolean, groups: WorkloadGroup[], seed: number) {
  const m = bootTiny();
  const content = new ContentMap();
  m.mem.setProvider(content);
  const p = new WorkloadPlacer(m, content, seed, { perPage });
  p.placeFixed({ groups });
  return { m, content, p };
}

function state(m: Machine, content: ContentMap, p: WorkloadPlacer) {
  const lists: number[][] = [];
  for (let z = 0; z < m.zones.zones.length; z++)
    for (let o = 0; o <= m.buddy.maxOrder; o++) {
      const l: number[] = [];
      for (let id = m.buddy.listFirst(z, o); id !== -1; id = m.buddy.nodeNext(id))
        l.push(m.buddy.nodePfn(id));
      lists.push(l);
    }
  const runs: number[][] = [];
  m.pages.forEachStateRun(0, m.maxPfn, (f, r, mc, pv, n) => runs.push([f, r, mc, pv, n]));
  const desc: string[] = [];
  for (let pfn = 0; pfn < m.maxPfn; pfn++) {
    const d = content.get(pfn);
    if (d) desc.push(`${pfn}:${d.kind}:${d.seed}:${d.src}`);
  }
  const placed = p.placed.groups.map((g) => Array.from(g.pfns.subarray(0, g.count)));
  return { lists, runs, desc, placed, free: [...m.buddy.nrFreePages] };
}

const groupArb = fc.record({
  kind: fc.constantFrom<WorkloadKind>('anon', 'pagecache', 'slab', 'kernel'),
  pages: fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 20000, max: 60000 })),
  zone: fc.constantFrom<WorkloadZone | undefined>(undefined, 'any', 'DMA32', 'DMA'),
  placement: fc.constantFrom<'scattered' | 'compact' | undefined>(undefined, 'scattered', 'compact'),
});

describe('scattered placement in bulk equals one take per draw', () => {
  it('same frames, free lists, struct pages and descriptors (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(groupArb, { minLength: 1, maxLength: 4 }), fc.nat(2 ** 31), (gs, seed) => {
        // DMA holds ~4000 pages: a big DMA group would only run out of memory.
        const groups: WorkloadGroup[] = gs.map((g) => ({
          ...g,
          pages: g.zone === 'DMA' ? Math.min(g.pages, 3500) : g.pages,
        }));
        const run = (perPage: boolean) => {
          try {
            const r = place(perPage, groups, seed);
            return state(r.m, r.content, r.p);
          } catch (e) {
            return { error: (e as Error).message };
          }
        };
        const bulk = run(false);
        const ref = run(true);
        expect(bulk).toEqual(ref);
      }),
      { numRuns: 12 },
    );
  });
});
