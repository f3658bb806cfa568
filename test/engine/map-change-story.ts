/**
 * One story of the map-change property tests: hibernate a small machine on
 * `base`, resume on `after` (linux-6.12 or linux-3.10), for real or as a plan.
 * A 1.6 MiB kernel image (the profiles' defaults are RHEL's 15 MiB and
 * Debian's 44 MiB) keeps each image to a few thousand pages.
 */
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

export async function mapChangeStory(
  profileId: string,
  base: E820Entry[],
  after: E820Entry[],
  seed: number,
  compressor: 'lzo' | 'none',
  plan = false,
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
  return { h, r, suspendConsole: con1.lines, resumeConsole: con2.lines, m2, c2 };
}
