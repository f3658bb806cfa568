/**
 * PlanPageStore.cpuDirectList() / cpuPbeList() (the loader's runs in image
 * order in plan mode: pfns with gaps, consecutive data pages of the image)
 * against ImagePageStore's page-by-page forms (directFrame(), put(), the
 * nosave record): lists across the e820 hole below 1 MiB (nosave, not
 * direct-mapped) and a 2 MiB hole above it (not direct-mapped: an in-place
 * store faults there), an ACPI page between RAM (nosave) and across copy frames
 * holding descriptors, kernel data, bytes, uniform bitmap sources or nothing.
 * The same count stored, frames, bytes, descriptors, silent writes and budget
 * charges.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { ImagePageStore } from '../../src/power/page-store.js';
import type { PlannedImage } from '../../src/power/plan/image.js';
import { PlanPageStore } from '../../src/power/plan/store.js';
import { RUN_ZERO } from '../../src/power/snapshot/restore-runs.js';
import {
  type FrameWindow,
  fillImageWindow,
  planMachinePair,
  storeState,
  windowArb,
} from './plan-machines.js';

const t = [
  { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
  { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
  { addr: 0x100000n, size: 0x1f00000n, type: E820_TYPE.RAM },
  // A 2 MiB hole the direct map leaves out (an in-place store there faults) and a nosave ACPI page.
  { addr: 0x2200000n, size: 0x10000n, type: E820_TYPE.RAM },
  { addr: 0x2210000n, size: 0x1000n, type: E820_TYPE.ACPI },
  { addr: 0x2211000n, size: 0x5def000n, type: E820_TYPE.RAM },
];

/** Gaps between the list's pfns (0: the next pfn). */
const gapsArb = fc.array(fc.oneof(fc.constant(0), fc.nat(3), fc.nat(40)), { minLength: 1, maxLength: 120 });
/** Zero-page flags of the list's entries (the first is a data page, as the loader's runs start). */
const zeroArb = fc.array(
  fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.boolean() }),
  {
    minLength: 120,
    maxLength: 120,
  },
);
const flagsOf = (zero: boolean[], n: number) =>
  Uint8Array.from(zero.slice(0, n), (z, i) => (z && i > 0 ? RUN_ZERO : 0));

const IMG = 0x4000;

/** The image's pfn list (zero[i]: a 6.6+ zero page); copy-frame runs of 17 frames. */
function setup(win: FrameWindow, pfns: number[], zero: boolean[]) {
  const { m, img, budget, content, imgContent } = planMachinePair(t);
  fillImageWindow(img, imgContent, win, IMG);
  // Data page k: the k-th pfn of the list that is not a zero page, in copy frame IMG + k.
  const dataPfns = pfns.filter((_, i) => !zero[i]);
  let last = 0;
  const image = {
    machine: img,
    content: imgContent,
    dataOrdinalOf: (ip: number) => dataPfns.indexOf(ip),
    frameOfOrdinal: (k: number) => {
      last = k;
      return IMG + k;
    },
    copyFrameOf: (ip: number) => {
      last = dataPfns.indexOf(ip);
      return last < 0 ? -1 : IMG + last;
    },
    copyRunLeft: () => 16 - (last % 17),
  } as unknown as PlannedImage;
  return { m, content, budget, store: new PlanPageStore(m, content, undefined, image) };
}

function listOf(first: number, gaps: number[]): number[] {
  const pfns: number[] = [];
  let p = first;
  for (const g of gaps) {
    pfns.push(p);
    p += 1 + g;
  }
  return pfns;
}

describe('PlanPageStore list runs', () => {
  it('cpuDirectList (the mapped prefix) leaves what ImagePageStore.cpuDirectList() page by page leaves', () => {
    fc.assert(
      fc.property(
        windowArb,
        fc.constantFrom(0x70, 0x1fc0, 0x2180, 0x21f0),
        fc.nat(0x60),
        gapsArb,
        zeroArb,
        (win, first0, d, gaps, z) => {
          const all = listOf(first0 + d, gaps);
          const flags = flagsOf(z, all.length);
          const zero = Array.from(flags, (f) => f !== 0);
          const a = setup(win, all, zero);
          const b = setup(win, all, zero);
          const list0 = Float64Array.from(all);
          // The loader stores the prefix the direct map takes (mappedList()), cut after a data page.
          let n = a.store.mappedList(list0, all.length);
          expect(b.store.mappedList(list0, all.length)).toBe(n);
          while (n > 0 && zero[n - 1]) n--;
          if (n === 0) return;
          const pfns = all.slice(0, n);
          const list = list0.subarray(0, n);
          const data = new Uint8Array((all.length + 3) * 4096);
          a.store.cpuDirectList(list, flags, n, data, 3);
          ImagePageStore.prototype.cpuDirectList.call(b.store, list, flags, n, data, 3, 10);
          const frames = [pfns[0]! - 1, ...pfns, pfns.at(-1)! + 1];
          expect(storeState(a, frames)).toEqual(storeState(b, frames));
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);

  it('cpuPbeList leaves what ImagePageStore.cpuPbeList() page by page leaves', () => {
    fc.assert(
      fc.property(
        windowArb,
        fc.integer({ min: 0x100, max: 0x2000 }),
        gapsArb,
        fc.array(fc.integer({ min: 0x3000, max: 0x3800 }), { minLength: 120, maxLength: 120 }),
        zeroArb,
        (win, first, gaps, targets, z) => {
          const pfns = listOf(first, gaps);
          // Distinct safe frames in any order.
          const copies = [...new Set(targets)].slice(0, pfns.length);
          const n = copies.length;
          const flags = flagsOf(z, pfns.length);
          const zero = Array.from(flags, (f) => f !== 0);
          const a = setup(win, pfns, zero);
          const b = setup(win, pfns, zero);
          const data = new Uint8Array((n + 3) * 4096);
          const c = Float64Array.from(copies);
          const l = Float64Array.from(pfns);
          a.store.cpuPbeList(c, l, flags, n, data, 3);
          ImagePageStore.prototype.cpuPbeList.call(b.store, c, l, flags, n, data, 3, 10);
          expect(storeState(a, copies)).toEqual(storeState(b, copies));
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
