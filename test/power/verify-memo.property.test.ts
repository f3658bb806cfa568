/**
 * The post-resume verify's shortcuts (src/power/verify.ts verifyRestoreAsync):
 * a frame that still holds the very descriptor the writer digested for its
 * list entry (ImageManifest.digestSources) counts as matching without its
 * page being made again, and a zero page restored as "no contents" without
 * being read. Held to the per-page oracle verifyRestore() (every frame read
 * and digested from its bytes) and to verifyRestoreAsync() without the
 * digest sources, on random firmware-map changes (6.12 with zero pages, 3.10
 * without; LZO and nocompress images) and random damage done to the restored
 * machine afterwards: descriptors moved to another frame, another kind, seed
 * or source pfn, a flipped byte, a zeroed or emptied frame, a frame holding
 * the right page as bytes instead of its descriptor.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyRestore, verifyRestoreAsync } from '../../src/power/verify.js';
import { ContentKind, generatePage, pageDigest } from '../../src/workload/content.js';
import { mapChangeStory } from '../engine/map-change-story.js';
import { applyChange, BASE_MAPS, type MapChange, mapChangeArb } from '../engine/map-changes.js';

type Damage =
  | { kind: 'move'; a: number; b: number }
  | { kind: 'kind'; a: number; to: number }
  | { kind: 'seed'; a: number; by: number }
  | { kind: 'src'; a: number; by: number }
  | { kind: 'flip'; a: number; at: number }
  | { kind: 'zero'; a: number }
  | { kind: 'empty'; a: number }
  | { kind: 'bytes'; a: number };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('move' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({
    kind: fc.constant('kind' as const),
    a: fc.nat(),
    to: fc.constantFrom(ContentKind.ZERO, ContentKind.TEXT, ContentKind.POINTER, ContentKind.RANDOM),
  }),
  fc.record({ kind: fc.constant('seed' as const), a: fc.nat(), by: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('src' as const), a: fc.nat(), by: fc.integer({ min: -2, max: 2 }) }),
  fc.record({ kind: fc.constant('flip' as const), a: fc.nat(), at: fc.nat(4095) }),
  fc.record({ kind: fc.constant('zero' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('empty' as const), a: fc.nat() }),
  fc.record({ kind: fc.constant('bytes' as const), a: fc.nat() }),
);

describe('verify shortcuts = the per-page verify', () => {
  it('on random map changes and random damage after the restore', async () => {
    const arb = fc.record({
      base: fc.constantFrom(...Object.keys(BASE_MAPS)),
      change: mapChangeArb,
      seed: fc.nat(1 << 20),
      profile: fc.constantFrom('linux-6.12', 'linux-3.10'),
      compressor: fc.constantFrom('lzo' as const, 'none' as const),
      damage: fc.array(damageArb, { maxLength: 12 }),
    });
    let compared = 0;
    let memoised = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ base, change, seed, profile, compressor, damage }) => {
        const before = BASE_MAPS[base]!;
        const after = applyChange(before, change as MapChange);
        let s: Awaited<ReturnType<typeof mapChangeStory>>;
        try {
          s = await mapChangeStory(profile, before, after, seed, compressor);
        } catch (e) {
          if ((e as { code?: string }).code === 'NO_RAM') return;
          throw e;
        }
        const man = s.h.manifest;
        if (!s.r.verify || man.count === 0) return;
        const pfns = Array.from(man.pfns as Iterable<number>);
        const { m2, c2 } = s;
        const page = new Uint8Array(4096);
        for (const d of damage) {
          const a = pfns[d.a % pfns.length]!;
          // Generated descriptors only (a KDATA one names its provider, not a seed).
          const got = c2.get(a);
          const desc = got && got.kind !== ContentKind.KDATA ? got : undefined;
          switch (d.kind) {
            case 'move': {
              const b = pfns[d.b % pfns.length]!;
              const db = c2.get(b);
              if (db && !m2.mem.isMaterialised(b) && !m2.mem.isMaterialised(a)) c2.setDescriptor(a, db);
              break;
            }
            case 'kind':
              if (desc && !m2.mem.isMaterialised(a)) c2.set(a, d.to, desc.seed, desc.src);
              break;
            case 'seed':
              if (desc && !m2.mem.isMaterialised(a)) c2.set(a, desc.kind, desc.seed + d.by, desc.src);
              break;
            case 'src':
              if (desc && !m2.mem.isMaterialised(a))
                c2.set(a, desc.kind, desc.seed, Math.max(0, desc.src + d.by));
              break;
            case 'flip':
              m2.mem.frame(a)[d.at]! ^= 0x5a;
              break;
            case 'zero':
              m2.mem.zeroPage(a);
              break;
            case 'empty':
              m2.mem.discard(a);
              c2.clear(a);
              break;
            case 'bytes':
              // The same page, held as bytes: the shortcut must not apply, the bytes still match.
              m2.mem.readPageInto(a, page);
              m2.mem.frame(a).set(page);
              break;
          }
        }
        const oracle = verifyRestore(m2, man);
        const fast = await verifyRestoreAsync(m2, man);
        const noMemo = await verifyRestoreAsync(m2, { ...man, digestSources: null });
        expect(fast).toEqual(oracle);
        expect(noMemo).toEqual(oracle);
        compared++;
        // The shortcut is taken at all: entries the writer digested from their own pfn's descriptor.
        if (man.digestSources!.kind.some((k) => k > 0)) memoised++;
      }),
      { numRuns: 40 },
    );
    // Not every random map change resumes to a verify (about half do); the runs are random, so
    // the floor is one a fair coin passes all but ~1 in 10^5 times (20 of 40 made CI fail once).
    expect(compared).toBeGreaterThanOrEqual(8);
    expect(memoised).toBeGreaterThanOrEqual(4);
  }, 240_000);

  it('the digest sources name what the digests were made from', async () => {
    const map = BASE_MAPS[Object.keys(BASE_MAPS)[0]!]!;
    const s = await mapChangeStory('linux-6.12', map, map, 5, 'lzo');
    const man = s.h.manifest;
    const src = man.digestSources!;
    const page = new Uint8Array(4096);
    let i = 0;
    let checked = 0;
    for (const pfn of man.pfns as Iterable<number>) {
      const k = src.kind[i]!;
      if (k > 0) {
        // Made independently here: the digest of the page the sources name.
        generatePage(k, src.seed, pfn, 0, page);
        expect(pageDigest(page)).toBe(man.digest![i]);
        checked++;
      }
      i++;
    }
    expect(checked).toBeGreaterThan(500);
  });
});
