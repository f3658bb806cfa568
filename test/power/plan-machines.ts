/**
 * The machines the plan store's run-form tests work on: a nokaslr 6.12 boot
 * of `table` whose memory reads through a ContentMap (the restore kernel's),
 * and optionally a second boot standing for the hibernated image's frames.
 */
import fc from 'fast-check';
import type { E820Entry } from '../../src/firmware/e820-types.js';
import { bootMachine } from '../../src/machine/boot.js';
import { HostBudget } from '../../src/mm/host-budget.js';
import type { PhysMem } from '../../src/mm/phys-mem.js';
import type { ImagePageStore } from '../../src/power/page-store.js';
import { uniformSourceFor } from '../../src/power/snapshot/bm-leaves.js';
import { linux612 } from '../../src/profiles/index.js';
import { ContentKind } from '../../src/workload/content.js';
import { ContentMap } from '../../src/workload/content-map.js';

export function planMachine(table: E820Entry[]) {
  const m = bootMachine({ firmware: table, kernel: table }, { profile: linux612, kaslr: { nokaslr: true } });
  const budget = new HostBudget(2 ** 40);
  const content = new ContentMap(budget);
  m.mem.setProvider(content);
  return { m, budget, content };
}

/** planMachine() plus the image's machine with its own ContentMap. */
export function planMachinePair(table: E820Entry[]) {
  const { m, budget, content } = planMachine(table);
  const { m: img, content: imgContent } = planMachine(table);
  return { m, img, budget, content, imgContent };
}

/** What a copy frame of the image holds: nothing, a generated page, kernel data, bytes, a uniform leaf. */
const frameArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ t: 'none' as const }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('gen' as const), src: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('kdata' as const), src: fc.nat(1000) }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('bytes' as const), b: fc.integer({ min: 1, max: 255 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'uniform' as const }) },
);
export type FrameWindow = [{ t: string; src?: number; b?: number }, number][];
/** Stretches of copy frames of one kind each. */
export const windowArb = fc.array(fc.tuple(frameArb, fc.integer({ min: 1, max: 30 })), {
  minLength: 1,
  maxLength: 10,
});

/** The image machine's copy frames from `at` on as `win` says. */
export function fillImageWindow(
  img: { mem: PhysMem },
  imgContent: ContentMap,
  win: FrameWindow,
  at: number,
): void {
  const other = { covers: () => true, fill: () => {} };
  const ones = uniformSourceFor(new Uint8Array(4096).fill(0xff))!;
  let f = at;
  for (const [w, len] of win) {
    for (let j = 0; j < len; j++, f++) {
      if (w.t === 'gen') imgContent.set(f, ContentKind.TEXT, 1, w.src! + j);
      else if (w.t === 'kdata') imgContent.set(f, ContentKind.KDATA, 0, w.src! + j, other);
      else if (w.t === 'bytes') img.mem.frame(f).fill(w.b! + j);
      else if (w.t === 'uniform') img.mem.synthesise(f, ones);
    }
  }
}

/** What a store left in `frames` (bytes' ends, form, descriptor), the map's size, the budget and silent writes. */
export function storeState(
  x: { m: { mem: PhysMem }; content: ContentMap; budget: HostBudget; store: ImagePageStore },
  frames: Iterable<number>,
) {
  const out: unknown[] = [];
  const buf = new Uint8Array(4096);
  for (const p of frames) {
    x.m.mem.readPageInto(p, buf);
    out.push([
      p,
      x.m.mem.isMaterialised(p),
      x.m.mem.sourceOf(p),
      buf[0],
      buf[4095],
      x.content.kind(p),
      x.content.get(p)?.src,
    ]);
  }
  return { out, size: x.content.size, used: x.budget.used, silent: x.store.silentWrites };
}
