/**
 * unpack_orig_pfns() (SnapshotRestore) with entries that name the next pfns
 * joined as one stretch (`unpackRuns.on`) against entry by entry, on meta
 * pages built from runs of consecutive pfns (zero-flagged or not, crossing
 * section and extent ends, with pfns outside the extents, in sections that
 * are not valid, or above 2^52) and every profile combination of the
 * pfn_valid check, the FW_BUG line and 6.6+ zero pages: the same bits and
 * positions in copy_bm and zero_bm, zero-page count, console and error.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import type { MemExtent } from '../../src/power/snapshot/bitmap.js';
import { RtreeBitmap } from '../../src/power/snapshot/bm-rtree.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';
import { SnapshotRestore, unpackRuns } from '../../src/power/snapshot/restore.js';

const PAGE_OFFSET = 0xffff926340000000n;
const PER = 0x8000; // pfns per section (small, so that runs cross section ends)

function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p) => PAGE_OFFSET + BigInt(p),
    vtoDirectPhys: (v) => Number(v - PAGE_OFFSET),
  };
}

interface Case {
  ext: MemExtent[];
  invalid: number[];
  flags: { valid: boolean; fw: boolean; zero: boolean };
  runs: [number, number, boolean][];
  big: number;
}

/** One unpack of the meta page; what it left. */
function unpack(c: Case, on: boolean) {
  const h = heap();
  let next = 0x100000;
  const bm = (at: number): RtreeBitmap => new RtreeBitmap(h, at, c.ext, () => next++);
  const copy = bm(0x1000);
  const zero = bm(0x2000);
  const log: string[] = [];
  const machine = {
    profile: {
      hibernation: {
        zeroPages: c.flags.zero,
        unpackRequiresPfnValid: c.flags.valid,
        unpackFwBugMessage: c.flags.fw,
        messages: { hibernatePrefix: 'PM: hibernation: ' },
      },
    },
    sections: { pfnsPerSection: PER, pfnValid: (p: number) => !c.invalid.includes(Math.floor(p / PER)) },
  };
  const r = new SnapshotRestore({ machine } as never, (l) => log.push(l));
  r.copyBm = copy;
  r.zeroBm = c.flags.zero ? zero : null;
  // The entries: runs of consecutive pfns, ~0 at the end (or a full page).
  const page = new Uint8Array(4096);
  const dv = new DataView(page.buffer);
  let j = 0;
  for (const [start, len, z] of c.runs) {
    for (let k = 0; k < len && j < 512; k++, j++) {
      const pfn = start + k;
      const hi = Math.floor(pfn / 2 ** 32) + (z ? 0x80000000 : 0);
      dv.setUint32(j * 8, pfn >>> 0, true);
      dv.setUint32(j * 8 + 4, hi >>> 0, true);
    }
  }
  if (c.big >= 0 && c.big < j) dv.setUint32(c.big * 8 + 4, 0x00200000, true); // above 2^52
  if (j < 512) {
    dv.setUint32(j * 8, 0xffffffff, true);
    dv.setUint32(j * 8 + 4, 0xffffffff, true);
  }
  unpackRuns.on = on;
  let err = '';
  try {
    (r as unknown as { unpackOrigPfns(p: Uint8Array): void }).unpackOrigPfns(page);
  } catch (e) {
    err = String(e);
  }
  const bits = (m: RtreeBitmap) => {
    const out: number[] = [];
    m.forEachSet((p) => out.push(p));
    m.flush();
    return { out, cur: m.current(), struct: Array.from(h.phys.read(m.structPhys, 64)) };
  };
  return { err, log, zeroPages: r.nrZeroPages, copy: bits(copy), zero: bits(zero) };
}

describe('unpack_orig_pfns() stretches = entry by entry', () => {
  afterEach(() => {
    unpackRuns.on = true;
  });

  it('bits, positions, zero pages, console and errors', () => {
    const n0 = unpackRuns.joined;
    let clean = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(PER), fc.integer({ min: 1, max: 4 * PER })), { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(16), { maxLength: 2 }),
        fc.record({ valid: fc.boolean(), fw: fc.boolean(), zero: fc.boolean() }),
        fc.array(
          fc.tuple(
            fc.tuple(
              fc.nat(5),
              fc.oneof(fc.integer({ min: -4, max: 4 * PER }), fc.integer({ min: 1, max: 16 })),
            ),
            fc.integer({ min: 1, max: 300 }),
            fc.boolean(),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        fc.integer({ min: -1, max: 600 }),
        (spans, invalid, flags, runs, big) => {
          // Extents: disjoint, ascending.
          const ext: MemExtent[] = [];
          let at = 1;
          for (const [gap, len] of spans) {
            ext.push({ start: at + gap, end: at + gap + len });
            at += gap + len + 1;
          }
          // Runs from an extent's start on (past its end sometimes).
          // or just before a section's end.
          const abs = runs.map(
            ([[e, off], len, z]) =>
              [e > 2 ? off * PER - 1 - (len % 7) : Math.max(0, ext[e % ext.length]!.start + off), len, z] as [
                number,
                number,
                boolean,
              ],
          );
          // Ascending, as the kernel writes them.
          abs.sort((x, y) => x[0] - y[0]);
          const c: Case = { ext, invalid, flags, runs: abs, big: big % 7 === 0 ? big : -1 };
          const a = unpack(c, true);
          if (a.err === '') clean++;
          expect(a).toEqual(unpack(c, false));
        },
      ),
      { numRuns: 400 },
    );
    expect(unpackRuns.joined - n0).toBeGreaterThan(1000);
    expect(clean).toBeGreaterThan(20);
  }, 120_000);

  it('a stretch that runs into a section without pfn_valid stops at its first pfn', () => {
    const c: Case = {
      ext: [{ start: 1, end: 3 * PER }],
      invalid: [1],
      flags: { valid: true, fw: true, zero: false },
      runs: [[PER - 3, 10, false]],
      big: -1,
    };
    const a = unpack(c, true);
    expect(a.err).toMatch(/not in this kernel's memory bitmap/);
    expect(a).toEqual(unpack(c, false));
  });
});
