/**
 * unpack_orig_pfns() taking entries that name the next pfns as one stretch
 * (SnapshotRestore, `unpackRuns`) against entry by entry, on random
 * firmware-map changes (pfns that left the map or lost pfn_valid: the
 * errors and the FW_BUG line), full and plan mode, 6.12 and 3.10: the same
 * outcome, console, counts, oops and verification, and the same resume
 * machine afterwards (bitmaps and positions are in its frames).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { unpackRuns } from '../../src/power/snapshot/restore.js';
import { mapChangeStory } from '../engine/map-change-story.js';
import { applyChange, BASE_MAPS, type MapChange, mapChangeArb } from '../engine/map-changes.js';

type Story = Awaited<ReturnType<typeof mapChangeStory>>;

/** The resume machine's frames (a hash of each materialised frame's bytes). */
function frames(s: Story): string[] {
  const buf = new Uint8Array(4096);
  const words = new Uint32Array(buf.buffer);
  return s.m2.mem.materialisedPfns().map((p) => {
    s.m2.mem.readPageInto(p, buf);
    let h = 0x811c9dc5;
    for (let i = 0; i < 1024; i++) h = Math.imul(h ^ words[i]!, 0x01000193) >>> 0;
    return `${p}:${h}`;
  });
}

describe('unpack_orig_pfns() stretches = entry by entry', () => {
  afterEach(() => {
    unpackRuns.on = true;
  });

  it('on random map changes (full and plan, 6.12 and 3.10)', async () => {
    const arb = fc.record({
      base: fc.constantFrom(...Object.keys(BASE_MAPS)),
      change: mapChangeArb,
      seed: fc.nat(1 << 20),
      plan: fc.boolean(),
    });
    let joined = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ base, change, seed, plan }) => {
        const before = BASE_MAPS[base]!;
        const after = applyChange(before, change as MapChange);
        for (const profile of ['linux-6.12', 'linux-3.10']) {
          const story = async (runs: boolean): Promise<Story | null> => {
            unpackRuns.on = runs;
            try {
              return await mapChangeStory(profile, before, after, seed, 'lzo', plan);
            } catch (e) {
              if ((e as { code?: string }).code === 'NO_RAM') return null;
              throw e;
            }
          };
          const n0 = unpackRuns.joined;
          const fast = await story(true);
          joined += unpackRuns.joined - n0;
          const slow = await story(false);
          if (!fast || !slow) {
            expect(fast).toBe(slow);
            return;
          }
          expect(fast.r.outcome).toBe(slow.r.outcome);
          expect(fast.r.stats).toEqual(slow.r.stats);
          expect(fast.r.oops).toEqual(slow.r.oops);
          expect(fast.r.verify).toEqual(slow.r.verify);
          expect(fast.resumeConsole).toEqual(slow.resumeConsole);
          expect(frames(fast)).toEqual(frames(slow));
        }
      }),
      { numRuns: Number(process.env.HIBLAB_UNPACK_RUNS_PROPERTY ?? 16), seed: 0x0a9c4 },
    );
    // The stories took the stretch path (else the comparison proves nothing).
    expect(joined).toBeGreaterThan(0);
  }, 300_000);
});
