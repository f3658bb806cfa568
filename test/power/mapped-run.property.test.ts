/**
 * ImagePageStore.mappedRun() (the loader's check before a run of PBE stores:
 * how many of frames c, c + step, … the direct map translates to themselves)
 * skips the rest of a 2 MiB large leaf's region after one walk. It must answer
 * as a walk per frame does, on the seed-000 resume boot (4 KiB, 2 MiB and 1 GiB
 * direct-map pages, the unmapped ACPI page 0xbe142, holes), for runs going up,
 * down and strided, starting anywhere and around every e820 edge.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { walk } from '../../src/arch/x86/walk.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { ImagePageStore } from '../../src/power/page-store.js';
import { linux310 } from '../../src/profiles/index.js';
import { ContentMap } from '../../src/workload/content-map.js';
import { seed000Resume } from '../machine/seed-tables.js';

const KASLR = { pageOffsetBase: 0xffff926340000000n, vmemmapBase: 0xffffe30300000000n };

/** The per-frame form: a walk of each frame's direct-map address. */
function walkedRun(m: Machine, c: number, step: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const f = c + i * step;
    if (walk(m.mem, m.kernelImage.pgdPhys, m.ptov(f * 4096)).paddr !== f * 4096) return i;
  }
  return n;
}

describe('ImagePageStore.mappedRun = a walk per frame', () => {
  let m: Machine;
  let store: ImagePageStore;
  let edges: number[];
  beforeAll(() => {
    m = bootMachine(seed000Resume(), { profile: linux310, kaslr: KASLR });
    store = new ImagePageStore(m, new ContentMap(), undefined);
    edges = [0xbe142];
    for (const e of m.e820.kernel) {
      edges.push(Number(e.addr / 4096n), Number((e.addr + e.size) / 4096n));
    }
  });

  it('runs up, down and strided, from anywhere and from every e820 edge', () => {
    const max = () => m.maxPfn;
    const start = fc.oneof(
      fc.nat(0x140000),
      fc
        .tuple(fc.nat(1000), fc.integer({ min: -600, max: 600 }))
        .map(([i, d]) => edges[i % edges.length]! + d),
    );
    fc.assert(
      fc.property(
        start,
        fc.constantFrom(1, -1, 1, -1, 2, -3),
        fc.integer({ min: 1, max: 5000 }),
        (c0, step, n0) => {
          const c = Math.min(Math.max(0, c0), max() - 1);
          // Keep every frame of the run inside 0 … max_pfn − 1.
          const room = step > 0 ? Math.floor((max() - 1 - c) / step) + 1 : Math.floor(c / -step) + 1;
          const n = Math.min(n0, room);
          expect(store.mappedRun(c, step, n)).toBe(walkedRun(m, c, step, n));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the unmapped ACPI page stops a run from either side, and a run of 2 MiB leaves goes through', () => {
    expect(store.mappedRun(0xbe000, 1, 0x200)).toBe(0x142);
    expect(store.mappedRun(0xbe1ff, -1, 0x200)).toBe(walkedRun(m, 0xbe1ff, -1, 0x200));
    expect(store.mappedRun(0xbe143, 1, 0x200)).toBe(walkedRun(m, 0xbe143, 1, 0x200));
    // 16 MiB from 1 GiB: large leaves on this boot (walk() says so), all in place.
    expect(walk(m.mem, m.kernelImage.pgdPhys, m.ptov(0x40000 * 4096)).pageSize).toBeGreaterThanOrEqual(
      2 ** 21,
    );
    expect(store.mappedRun(0x40000, 1, 4096)).toBe(4096);
  });
});
