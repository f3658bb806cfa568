/**
 * The shared check of the "run form = per-page form" property tests over
 * random firmware-map changes: one story with a run form switched on, one
 * with it off, full and plan mode, 6.12 and 3.10; the same outcome and reason, console,
 * counts, oops, silent writes and verification, and the same resume machine
 * afterwards — every materialised (or synthesised) frame's bytes (they hold
 * the PBE chain, restore_pblist and the bitmaps) and every frame's content
 * descriptor.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { mapChangeStory } from './map-change-story.js';
import { applyChange, BASE_MAPS, type MapChange, mapChangeArb } from './map-changes.js';

type Story = Awaited<ReturnType<typeof mapChangeStory>>;

/** What the resume machine holds: frame bytes (an FNV hash per frame) and descriptors. */
export function machineState(s: Story): { frames: string[]; content: string[] } {
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

export interface RunFormSwitch {
  /** Turn the run form on (true) or off (the per-page form). */
  set(on: boolean): void;
  /** How many times the run form was taken so far (a counter it keeps). */
  taken(): number;
}

/**
 * Assert the property; returns how many times the run form was taken in the
 * stories with it on (the caller checks it is > 0: else nothing was compared).
 */
export async function expectRunFormSameStories(
  sw: RunFormSwitch,
  numRuns: number,
  seed: number,
): Promise<number> {
  const arb = fc.record({
    base: fc.constantFrom(...Object.keys(BASE_MAPS)),
    change: mapChangeArb,
    seed: fc.nat(1 << 20),
    plan: fc.boolean(),
  });
  let taken = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async ({ base, change, seed, plan }) => {
        const before = BASE_MAPS[base]!;
        const after = applyChange(before, change as MapChange);
        for (const profile of ['linux-6.12', 'linux-3.10']) {
          const story = async (on: boolean): Promise<Story | null> => {
            sw.set(on);
            try {
              return await mapChangeStory(profile, before, after, seed, 'lzo', plan);
            } catch (e) {
              if ((e as { code?: string }).code === 'NO_RAM') return null;
              throw e;
            }
          };
          const n0 = sw.taken();
          const fast = await story(true);
          taken += sw.taken() - n0;
          const slow = await story(false);
          if (!fast || !slow) {
            expect(fast).toBe(slow);
            return;
          }
          expect(fast.r.outcome).toBe(slow.r.outcome);
          expect(fast.r.reason).toBe(slow.r.reason);
          expect(fast.r.stats).toEqual(slow.r.stats);
          expect(fast.r.oops).toEqual(slow.r.oops);
          expect(fast.r.silentWrites).toEqual(slow.r.silentWrites);
          expect(fast.r.verify).toEqual(slow.r.verify);
          expect(fast.resumeConsole).toEqual(slow.resumeConsole);
          expect(machineState(fast)).toEqual(machineState(slow));
        }
      }),
      { numRuns, seed },
    );
  } finally {
    sw.set(true);
  }
  return taken;
}
