/**
 * The vmemmap frames the kernel-data provider serialises (src/machine/kernel-data.ts
 * fill(), a frame of 64 struct pages at a time) against StructPages.structPageBytes(),
 * the inspector's per-page serialiser: every struct page of every memmap frame has the
 * same flags, counts and private (lru aside: the provider links free block heads,
 * structPageBytes() leaves lru 0). Machines after a plan run (workload placed, image
 * pages allocated and freed), on both profiles' layouts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelData } from '../../src/machine/kernel-data.js';
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

  for (const name of ['seed-000', 'seed-000-6.12', 'same-map']) {
    it(`${name}: a free block head's lru links are lruOf() of its list neighbours (the BigInt form)`, async () => {
      const r = await planScenario(getBuiltin(name), { readFile: builtinReader, baseDir: '.' });
      for (const m of [r.suspend.machine!, r.resume!.machine]) {
        const L = m.profile.mm.structPage;
        const per = m.sections.pfnsPerSection;
        const kd = m.kdata as unknown as { lruOf(id: number, zone: number, order: number): bigint };
        const frame = new Uint8Array(4096);
        const dv = new DataView(frame.buffer);
        let heads = 0;
        for (const f of m.kdata.coveredPfns()) {
          const sec = m.kdata.vmemmapSectionOf(f);
          if (sec < 0) continue;
          // The provider's bytes (after a resume on the same map the frame itself holds the image's memmap).
          frame.fill(0);
          m.kdata.fill(f, frame);
          const first = sec * per + (f % 512) * (4096 / L.size);
          for (let i = 0; i < 4096 / L.size; i++) {
            const node = m.pages.peek(first + i).node;
            if (node < 0) continue;
            heads++;
            const z = m.buddy.nodeZone(node);
            const o = m.buddy.nodeOrder(node);
            const next = dv.getBigUint64(i * L.size + L.lru, true);
            const prev = dv.getBigUint64(i * L.size + L.lru + 8, true);
            if (
              next !== kd.lruOf(m.buddy.nodeNext(node), z, o) ||
              prev !== kd.lruOf(m.buddy.nodePrev(node), z, o)
            )
              expect({ pfn: first + i, next, prev }).toEqual({
                pfn: first + i,
                next: kd.lruOf(m.buddy.nodeNext(node), z, o),
                prev: kd.lruOf(m.buddy.nodePrev(node), z, o),
              });
          }
        }
        expect(heads).toBeGreaterThan(100);
      }
    }, 120_000);
  }

  it('property: the u32-halves lru address is vmemmap_base + pfn × size + offsetof(lru) mod 2^64, carries included', () => {
    const writeLru = (KernelData.prototype as unknown as Record<string, (...a: unknown[]) => void>).writeLru!;
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.nat({ max: 2 ** 40 }),
        fc.constantFrom(64, 80),
        fc.constantFrom(8, 24),
        (base, pfn, size, lru) => {
          const self = {
            lruBase: null,
            headLo: [],
            headHi: [],
            L: { lru, size },
            st: {
              pages: { pfnToPage: (p: number) => base + BigInt(p) * BigInt(size) },
              buddy: { nodePfn: (id: number) => id },
            },
          };
          const dv = new DataView(new ArrayBuffer(8));
          writeLru.call(self, dv, 0, pfn, 0, 0);
          expect(dv.getBigUint64(0, true)).toBe(
            BigInt.asUintN(64, base + BigInt(pfn) * BigInt(size) + BigInt(lru)),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
