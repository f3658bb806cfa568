/**
 * Plan mode's verification by stretches (planVerify(): consecutive frames
 * without bytes on both sides compared by ContentMap.sameDescriptorRun())
 * against the per-page loop it replaced (sameContent() of every image pfn
 * and its copy frame, readsZero() of every zero page): the same counts and
 * first bad pfn, on random pfn lists (data and zero runs), copy frames (runs
 * and jumps, fewer than the list's data pages too), and frames that hold
 * none, ZERO, generated pages, kernel-data frames or bytes — the restored
 * side a copy of its frame's side or not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../src/machine/boot.js';
import { type PageContentProvider, PhysMem } from '../../src/mm/phys-mem.js';
import type { ImageManifest } from '../../src/power/hibernate.js';
import { PfnRuns } from '../../src/power/image/pfn-runs.js';
import { PlannedImage } from '../../src/power/plan/image.js';
import { planVerify, sameContent } from '../../src/power/plan/verify.js';
import type { VerifyResult } from '../../src/power/verify.js';
import { ContentKind, isZeroPage } from '../../src/workload/content.js';
import { ContentMap } from '../../src/workload/content-map.js';

const prov: PageContentProvider = { covers: (p) => p >= 300 && p < 340, fill: (p, d) => d.fill(p & 1, 0, 8) };

const frameArb = fc.oneof(
  fc.constant({ t: 'none' as const, v: 0 }),
  fc.constant({ t: 'zero' as const, v: 0 }),
  fc.record({ t: fc.constant('gen' as const), v: fc.nat(3) }),
  fc.record({ t: fc.constant('kdata' as const), v: fc.nat(3) }),
  fc.record({ t: fc.constant('bytes' as const), v: fc.nat(2) }),
);
type F = typeof frameArb extends fc.Arbitrary<infer T> ? T : never;

function put(mem: PhysMem, c: ContentMap, pfn: number, f: F): void {
  if (f.t === 'zero') c.set(pfn, ContentKind.ZERO, 0, pfn);
  else if (f.t === 'gen') c.set(pfn, ContentKind.TEXT + (f.v & 1), 1 + (f.v >> 1), 1000 + (f.v & 1));
  else if (f.t === 'kdata') c.set(pfn, ContentKind.KDATA, 0, 300 + f.v, prov);
  else if (f.t === 'bytes') mem.frame(pfn)[5] = f.v;
}

/** The per-page loop planVerify() had. */
function perPage(
  mem: PhysMem,
  content: ContentMap,
  L: PfnRuns,
  frames: number[],
  img: PlannedImage,
): VerifyResult {
  const r: VerifyResult = { checked: 0, ok: 0, bad: 0 };
  let k = 0;
  const buf = new Uint8Array(4096);
  for (let run = 0; run < L.runs; run++) {
    const zero = L.runIsZero(run);
    for (let pfn = L.runStart(run), e = pfn + L.runLength(run); pfn < e; pfn++) {
      let good: boolean;
      if (zero) {
        mem.readPageInto(pfn, buf);
        good = isZeroPage(buf);
      } else {
        const f = k < frames.length ? frames[k++]! : -1;
        const src = f < 0 ? (undefined as unknown as number) : f;
        good = sameContent(mem, content, pfn, img.machine.mem, img.content, src);
      }
      r.checked++;
      if (good) r.ok++;
      else {
        r.bad++;
        if (r.firstBad === undefined) r.firstBad = pfn;
      }
    }
  }
  return r;
}

describe('planVerify by stretches', () => {
  it('counts what the per-page loop counts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(2), fc.integer({ min: 1, max: 10 }), fc.boolean()), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.nat(3)), { maxLength: 8 }),
        fc.array(frameArb, { minLength: 120, maxLength: 120 }),
        fc.array(fc.option(frameArb, { freq: 2 }), { minLength: 120, maxLength: 120 }),
        fc.integer({ min: -3, max: 0 }),
        (runs, copyRuns, imgFrames, bootFrames, short) => {
          const L = new PfnRuns();
          let pfn = 10;
          for (const [gap, n, zero] of runs) {
            pfn += gap;
            L.appendRun(pfn, n, zero);
            pfn += n;
          }
          L.trim();
          // Copy frames from 200 on, runs with jumps; possibly fewer than the data pages.
          const frames: number[] = [];
          let f = 200;
          const want = Math.max(0, L.dataCount + short);
          for (const [n, jump] of copyRuns) {
            for (let i = 0; i < n && frames.length < want; i++) frames.push(f++);
            f += jump;
          }
          while (frames.length < want) frames.push(f++);
          const hibMem = new PhysMem();
          const hibContent = new ContentMap();
          const bootMem = new PhysMem();
          const bootContent = new ContentMap();
          // Frames without bytes read as their descriptors' pages (the byte comparisons' view).
          hibMem.setProvider(hibContent);
          bootMem.setProvider(bootContent);
          const img = new PlannedImage(
            { mem: hibMem } as unknown as Machine,
            hibContent,
            L,
            new Uint8Array(4096),
            new Uint8Array(4096),
            1,
            1,
          );
          for (const x of frames) img.addCopyFrame(x);
          // The copy frames' contents, and the restored frames: a copy of theirs or something else.
          let k = 0;
          for (let run = 0; run < L.runs; run++) {
            for (let p = L.runStart(run), e = p + L.runLength(run); p < e; p++) {
              const b = bootFrames[p % 120];
              if (L.runIsZero(run)) {
                if (b) put(bootMem, bootContent, p, b);
                continue;
              }
              const fr = frames[k++];
              const a = imgFrames[(fr ?? 0) % 120]!;
              if (fr !== undefined) put(hibMem, hibContent, fr, a);
              put(bootMem, bootContent, p, b ?? a);
            }
          }
          const got = planVerify(
            { mem: bootMem } as unknown as Machine,
            bootContent,
            { pfns: L } as unknown as ImageManifest,
            img,
          );
          expect(got).toEqual(perPage(bootMem, bootContent, L, frames, img));
        },
      ),
      { numRuns: 400 },
    );
  });
});
