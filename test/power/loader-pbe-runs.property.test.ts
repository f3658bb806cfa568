/**
 * The compressed loader's PBE runs (get_buffer() for a run of PBE loads at
 * once, then their stores: swap-read.ts loadCompressedImage(),
 * SnapshotRestore.peekPbeRun()/takePbeRun(), PbeChain.addRun()) against the
 * per-page loop, on random firmware-map changes, full and plan mode, 6.12 and
 * 3.10: the same outcome, console, counts, oops, silent writes and
 * verification, and the same resume machine afterwards — every materialised
 * (or synthesised) frame's bytes, which hold the PBE chain, restore_pblist
 * and the bitmaps, and every frame's content descriptor.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loaderRuns } from '../../src/power/swap-read.js';
import { mapChangeStory } from '../engine/map-change-story.js';
import { applyChange, BASE_MAPS, type MapChange, mapChangeArb } from '../engine/map-changes.js';

type Story = Awaited<ReturnType<typeof mapChangeStory>>;

/** What the resume machine holds: frame bytes (as u32 sums per frame) and descriptors. */
function machineState(s: Story): { frames: string[]; content: string[] } {
  const buf = new Uint8Array(4096);
  const words = new Uint32Array(buf.buffer);
  const frames = s.m2.mem.materialisedPfns().map((p) => {
    s.m2.mem.readPageInto(p, buf);
    let h = 0x811c9dc5;
    for (let i = 0; i < 1024; i++) h = Math.imul(h ^ words[i]!, 0x01000193) >>> 0;
    return `${p}:${h}`;
  });
  const content: string[] = [];
  for (let p = 0; p < s.m2.maxPfn; p++) {
    const d = s.c2.get(p);
    if (d) content.push(`${p}:${d.kind}:${d.seed}:${d.src}`);
  }
  return { frames, content };
}

describe('loader PBE runs = per-page loads', () => {
  afterEach(() => {
    loaderRuns.pbe = true;
  });

  it('on random map changes (full and plan, 6.12 and 3.10)', async () => {
    const arb = fc.record({
      base: fc.constantFrom(...Object.keys(BASE_MAPS)),
      change: mapChangeArb,
      seed: fc.nat(1 << 20),
      plan: fc.boolean(),
    });
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(arb, async ({ base, change, seed, plan }) => {
        const before = BASE_MAPS[base]!;
        const after = applyChange(before, change as MapChange);
        for (const profile of ['linux-6.12', 'linux-3.10']) {
          const story = async (runs: boolean): Promise<Story | null> => {
            loaderRuns.pbe = runs;
            try {
              return await mapChangeStory(profile, before, after, seed, 'lzo', plan);
            } catch (e) {
              if ((e as { code?: string }).code === 'NO_RAM') return null;
              throw e;
            }
          };
          const n0 = loaderRuns.pbeRuns;
          const fast = await story(true);
          taken += loaderRuns.pbeRuns - n0;
          const slow = await story(false);
          if (!fast || !slow) {
            expect(fast).toBe(slow);
            return;
          }
          expect(fast.r.outcome).toBe(slow.r.outcome);
          expect(fast.r.stats).toEqual(slow.r.stats);
          expect(fast.r.oops).toEqual(slow.r.oops);
          expect(fast.r.silentWrites).toEqual(slow.r.silentWrites);
          expect(fast.r.verify).toEqual(slow.r.verify);
          expect(fast.resumeConsole).toEqual(slow.resumeConsole);
          expect(machineState(fast)).toEqual(machineState(slow));
        }
      }),
      { numRuns: Number(process.env.HIBLAB_LOADER_RUNS_PROPERTY ?? 24), seed: 0x5eed7 },
    );
    // The stories took the run path (else the comparison proves nothing).
    expect(taken).toBeGreaterThan(0);
  }, 300_000);
});
