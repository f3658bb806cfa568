/**
 * Plan mode against the full engine on random firmware-map changes (the
 * generator of map-changes.property.test.ts): 200 stories, each hibernated
 * and resumed twice on linux-6.12 and linux-3.10 — once for real, once as a
 * plan — must end in the same outcome with the same consoles (but the
 * estimated size line), load counts, oops, silent writes and verification.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapChangeStory } from './map-change-story.js';
import { applyChange, BASE_MAPS, type MapChange, mapChangeArb } from './map-changes.js';
import { SIZE_LINE } from './plan-compare.js';

const RUNS = Number(process.env.HIBLAB_PLAN_PROPERTY_RUNS ?? 200);

describe('plan mode on random firmware-map changes', () => {
  const arb = fc.record({
    base: fc.constantFrom(...Object.keys(BASE_MAPS)),
    change: mapChangeArb,
    seed: fc.nat(1 << 20),
    compressor: fc.constantFrom<'lzo' | 'none'>('lzo', 'none', 'none', 'none'),
  });

  it(`reaches the full run's outcome, consoles and counts (${RUNS} changes, 2 profiles)`, async () => {
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(arb, async ({ base, change, seed, compressor }) => {
        const before = BASE_MAPS[base]!;
        const after = applyChange(before, change as MapChange);
        for (const profile of ['linux-6.12', 'linux-3.10']) {
          let full: Awaited<ReturnType<typeof mapChangeStory>>;
          try {
            full = await mapChangeStory(profile, before, after, seed, compressor, false);
          } catch (e) {
            if ((e as { code?: string }).code === 'NO_RAM') return;
            throw e;
          }
          const plan = await mapChangeStory(profile, before, after, seed, compressor, true);
          seen[full.r.outcome] = (seen[full.r.outcome] ?? 0) + 1;
          expect(plan.r.outcome).toBe(full.r.outcome);
          expect(plan.r.reason).toBe(full.r.reason);
          expect(plan.r.stats).toEqual(full.r.stats);
          expect(plan.r.oops).toEqual(full.r.oops);
          expect(plan.r.silentWrites).toEqual(full.r.silentWrites);
          expect(plan.r.verify).toEqual(full.r.verify);
          expect(plan.h.save).toEqual(full.h.save);
          expect(plan.resumeConsole).toEqual(full.resumeConsole);
          expect(plan.suspendConsole.filter((l) => !SIZE_LINE.test(l))).toEqual(
            full.suspendConsole.filter((l) => !SIZE_LINE.test(l)),
          );
        }
      }),
      { numRuns: RUNS, seed: 0x91a4 },
    );
    // The changes reached more than one ending (so the comparison covered more than resumes).
    expect(Object.keys(seen).length).toBeGreaterThan(1);
  }, 600_000);
});
