/**
 * Plan mode against the full engine on random firmware-map changes (the
 * generator of map-changes.property.test.ts): 200 stories, each hibernated
 * and resumed twice on linux-6.12 and linux-3.10 — once for real, once as a
 * plan — must end in the same outcome with the same consoles (but the
 * estimated size line), load counts, oops, silent writes and verification.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { E820Entry, ParsedE820 } from '../../src/firmware/e820-types.js';
import { buildKernelE820 } from '../../src/firmware/index.js';
import { bootMachine } from '../../src/machine/boot.js';
import { KernelConsole } from '../../src/power/console.js';
import { hibernate } from '../../src/power/hibernate.js';
import { SparseMemoryDevice } from '../../src/power/image/source.js';
import { PlanSession } from '../../src/power/plan/index.js';
import { softwareResume } from '../../src/power/resume.js';
import { getProfile } from '../../src/profiles/index.js';
import { devicePagesFor } from '../../src/scenario/run.js';
import { ContentMap } from '../../src/workload/content-map.js';
import { WorkloadPlacer } from '../../src/workload/place.js';
import { applyChange, BASE_MAPS, type MapChange, mapChangeArb } from './map-changes.js';
import { SIZE_LINE } from './plan-compare.js';

const parsed = (entries: E820Entry[]): ParsedE820 => ({
  source: 'json',
  bootIndex: 0,
  origin: 'json',
  entries,
  setupData: [],
  logEdits: [],
  complete: true,
  notes: [],
});

const kernelImage = { pgdOffset: 0x100000, pgtBufOffset: 0x180000, endOffset: 0x190000 };

async function story(
  profileId: string,
  base: E820Entry[],
  after: E820Entry[],
  seed: number,
  compressor: 'lzo' | 'none',
  plan: boolean,
) {
  const profile = getProfile(profileId);
  const session = plan ? new PlanSession() : undefined;
  const m1 = bootMachine(buildKernelE820(parsed(base), profile), { profile, kaslr: { seed }, kernelImage });
  const c1 = new ContentMap();
  m1.mem.setProvider(c1);
  new WorkloadPlacer(m1, c1, seed).place({ kind: 'anon', placement: 'scattered' }, 1200);
  let dev: SparseMemoryDevice | undefined;
  const con1 = new KernelConsole(0);
  const h = await hibernate(m1, c1, {
    compressor,
    console: con1,
    devicePages: (n) => devicePagesFor(n),
    planWriter: session?.writer,
    sink: {
      writePage: (p, b) => {
        dev ??= new SparseMemoryDevice(70000);
        dev.writePage(p, b);
      },
    },
  });
  const m2 = bootMachine(buildKernelE820(parsed(after), profile), {
    profile,
    kaslr: { seed: seed + 1 },
    kernelImage,
  });
  const c2 = new ContentMap();
  m2.mem.setProvider(c2);
  new WorkloadPlacer(m2, c2, seed + 7).place({ kind: 'pagecache', placement: 'compact' }, 250);
  const con2 = new KernelConsole(0);
  const r = await softwareResume(m2, {
    console: con2,
    device: session ? session.device() : dev!,
    trigger: { via: 'initcall' },
    content: c2,
    imageContent: c1,
    manifest: h.manifest,
    pageIo: session?.resumeIo(),
  });
  return { h, r, suspendConsole: con1.lines, resumeConsole: con2.lines };
}

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
          let full: Awaited<ReturnType<typeof story>>;
          try {
            full = await story(profile, before, after, seed, compressor, false);
          } catch (e) {
            if ((e as { code?: string }).code === 'NO_RAM') return;
            throw e;
          }
          const plan = await story(profile, before, after, seed, compressor, true);
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
