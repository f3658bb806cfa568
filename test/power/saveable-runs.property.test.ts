/**
 * saveable_page() by runs (forEachSaveableRun, countDataPages) against the
 * per-page reference (forEachSaveableCandidate + saveableCandidate) on random
 * machines: firmware holes that cut sections and 2 MiB subsections, scattered
 * allocations, reserved pages, direct-map pages made not present (PTE-level
 * regions), random forbidden/free bits, each profile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setDirectMapInvalid } from '../../src/arch/x86/cpa.js';
import { E820_TYPE, type E820Entry } from '../../src/firmware/e820-types.js';
import { bootMachine } from '../../src/machine/boot.js';
import { symbolPhys } from '../../src/machine/symbols.js';
import {
  countDataPages,
  DirectMapProbe,
  forEachSaveableCandidate,
  forEachSaveableRun,
  markFreePagesAllZones,
  populatedZones,
  saveableCandidate,
} from '../../src/power/snapshot/saveable.js';
import { SwsuspMem } from '../../src/power/snapshot/swsusp-mem.js';
import { type KernelProfile, linux61, linux310, linux612 } from '../../src/profiles/index.js';
import { ContentMap } from '../../src/workload/content-map.js';

const PROFILES: Record<string, KernelProfile> = {
  'linux-3.10': linux310,
  'linux-6.1': linux61,
  'linux-6.12': linux612,
};
const P = 4096n;
const e = (a: number, s: number, t: number): E820Entry => ({
  addr: BigInt(a) * P,
  size: BigInt(s) * P,
  type: t,
});

const machineArb = fc.record({
  profile: fc.constantFrom('linux-3.10', 'linux-6.1', 'linux-6.12'),
  /** Firmware islands inside RAM: [start page offset, length, type]. */
  islands: fc.array(
    fc.tuple(
      fc.integer({ min: 0x200, max: 0x17000 }),
      fc.integer({ min: 1, max: 0x900 }),
      fc.constantFrom(E820_TYPE.RESERVED, E820_TYPE.ACPI, E820_TYPE.NVS),
    ),
    { maxLength: 4 },
  ),
  high: fc.boolean(),
  allocs: fc.array(fc.tuple(fc.nat(3), fc.nat(40)), { maxLength: 12 }),
  takes: fc.array(fc.nat(0x17fff), { maxLength: 60 }),
  reserve: fc.array(fc.tuple(fc.nat(0x17fff), fc.nat(700)), { maxLength: 3 }),
  unmap: fc.array(fc.nat(0x17fff), { maxLength: 6 }),
  /** Set (0: forbidden, 1: free) or clear (2, 3) a range of bits: clearing reaches the nosave pfns. */
  bits: fc.array(fc.tuple(fc.nat(3), fc.nat(0x17fff), fc.nat(3000)), { maxLength: 6 }),
  seed: fc.nat(1000),
  /** Clear the forbidden bits of [__nosave_begin, __nosave_end) and around: pfn_is_nosave() alone decides. */
  clearNosave: fc.boolean(),
});

function firmware(islands: [number, number, number][], high: boolean): E820Entry[] {
  // RAM [1 MiB, 384 MiB) with islands cut out (sorted, clipped, non-overlapping).
  const out: E820Entry[] = [e(0, 0x9f, E820_TYPE.RAM), e(0x9f, 1, E820_TYPE.RESERVED)];
  const isl = [...islands].sort((a, b) => a[0] - b[0]);
  let at = 0x100;
  const end = 0x18000;
  for (const [s0, len, t] of isl) {
    const s = Math.max(s0, at);
    const l = Math.min(len, end - s);
    if (l <= 0) continue;
    if (s > at) out.push(e(at, s - at, E820_TYPE.RAM));
    out.push(e(s, l, t));
    at = s + l;
  }
  if (at < end) out.push(e(at, end - at, E820_TYPE.RAM));
  if (high) out.push(e(0x100000, 0x3000, E820_TYPE.RAM));
  return out;
}

describe('forEachSaveableRun() = saveable_page() page by page (fast-check)', () => {
  it('same pfns, same count', () => {
    fc.assert(
      fc.property(machineArb, (g) => {
        const fw = firmware(g.islands, g.high);
        const profile = PROFILES[g.profile]!;
        const m = bootMachine({ firmware: fw, kernel: fw }, { profile, kaslr: { seed: g.seed } });
        for (const [order, n] of g.allocs) for (let i = 0; i < n; i++) m.buddy.alloc(order);
        for (const p of g.takes) m.buddy.takePage(p);
        const rb = profile.mm.pageFlags.bits.reserved;
        for (const [p, n] of g.reserve)
          for (let q = p; q < p + n && q < m.maxPfn; q++)
            if (m.sections.pfnValid(q)) m.pages.setFlag(q, rb, true);
        for (const p of g.unmap) if (p < m.maxPfn) setDirectMapInvalid(m, p);
        const s = new SwsuspMem(m, new ContentMap());
        s.createBasicMemoryBitmaps(() => {});
        for (const [op, p, n] of g.bits) {
          const bm = op % 2 === 0 ? s.forbidden! : s.free!;
          for (let q = p; q < p + n; q++) {
            if (op < 2) bm.setBitCheck(q);
            else if (bm.pfnPresent(q)) bm.clearBit(q);
          }
        }
        if (g.clearNosave) {
          const b = Math.floor(symbolPhys(m, '__nosave_begin') / 4096);
          const e2 = Math.ceil(symbolPhys(m, '__nosave_end') / 4096);
          for (let q = b - 2; q < e2 + 2; q++) if (s.forbidden!.pfnPresent(q)) s.forbidden!.clearBit(q);
        }
        const zones = populatedZones(s);
        markFreePagesAllZones(s, zones);
        const ref: number[] = [];
        const probe = new DirectMapProbe(m);
        for (const z of zones)
          forEachSaveableCandidate(s, z, (pfn) => {
            if (saveableCandidate(s, z, pfn, (q) => probe.mapped(q))) ref.push(pfn);
          });
        const got: number[] = [];
        let lastEnd = -1;
        for (const z of zones) {
          // Runs are maximal within a zone; the next zone's first run may start where this one's ended.
          let zoneEnd = -1;
          forEachSaveableRun(s, z, (start, n) => {
            expect(n).toBeGreaterThan(0);
            expect(start).toBeGreaterThanOrEqual(lastEnd); // ascending, disjoint
            expect(start).toBeGreaterThan(zoneEnd); // maximal
            lastEnd = zoneEnd = start + n;
            for (let q = start; q < start + n; q++) got.push(q);
          });
        }
        expect(got).toEqual(ref);
        expect(countDataPages(s)).toBe(ref.length);
        // The reference is not vacuous: most RAM is saveable or free.
        expect(ref.length).toBeGreaterThan(0);
      }),
      { numRuns: 25 },
    );
  });
});
