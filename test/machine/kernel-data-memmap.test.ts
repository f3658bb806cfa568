/**
 * The vmemmap frames the kernel-data provider serialises (src/machine/kernel-data.ts
 * fill(), a frame of 64 struct pages at a time) against StructPages.structPageBytes(),
 * the inspector's per-page serialiser: every struct page of every memmap frame has the
 * same flags, counts and private (lru aside: the provider links free block heads,
 * structPageBytes() leaves lru 0). Machines after a plan run (workload placed, image
 * pages allocated and freed), on both profiles' layouts.
 */
import { describe, expect, it } from 'vitest';
import { builtinReader, getBuiltin } from '../../src/scenario/index.js';
import { planScenario } from '../../src/scenario/run.js';

describe('kernel-data memmap frames', () => {
  for (const name of ['seed-000', 'seed-000-6.12']) {
    it(`${name}: every struct page of every memmap frame matches structPageBytes()`, async () => {
      const r = await planScenario(getBuiltin(name), { readFile: builtinReader, baseDir: '.' });
      for (const m of [r.suspend.machine!, r.resume!.machine]) {
        const L = m.profile.mm.structPage;
        const per = m.sections.pfnsPerSection;
        const frame = new Uint8Array(4096);
        let frames = 0;
        let heads = 0;
        for (const f of m.kdata.coveredPfns()) {
          const sec = m.kdata.vmemmapSectionOf(f);
          if (sec < 0) continue;
          frames++;
          m.mem.readPageInto(f, frame);
          const first = sec * per + (f % 512) * (4096 / L.size);
          for (let i = 0; i < 4096 / L.size; i++) {
            const got = frame.slice(i * L.size, (i + 1) * L.size);
            const want = m.pages.structPageBytes(first + i);
            if (m.pages.peek(first + i).node >= 0) {
              heads++;
              got.fill(0, L.lru, L.lru + 16);
            }
            if (Buffer.compare(got, want) !== 0) {
              expect({ pfn: (first + i).toString(16), got: [...got] }).toEqual({
                pfn: (first + i).toString(16),
                got: [...want],
              });
            }
          }
        }
        expect(frames).toBeGreaterThan(100);
        expect(heads).toBeGreaterThan(0);
      }
    }, 120_000);
  }
});
