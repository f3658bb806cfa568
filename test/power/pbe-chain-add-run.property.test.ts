/**
 * PbeChain.addRun() (the loader's PBE runs: safe frames copy0 + i × step,
 * image pfns orig0 + i) against alloc() + set() PBE by PBE: the same fields
 * (copyOf / origOf of every PBE) and the same bytes in every chain page, on
 * runs that continue the page's progression, break it at any position, or
 * change its step — what seal() keeps as a progression or as explicit values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import type { KernelHeap } from '../../src/power/snapshot/kernel-heap.js';
import { PbeChain } from '../../src/power/snapshot/pbe-chain.js';

const BASE = 0xffff9a0000000000n;
function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p: number) => BASE + BigInt(p),
    vtoDirectPhys: (v: bigint) => Number(v - BASE),
  };
}

/** A run: continues the previous values (same or another step) or jumps. */
const runArb = fc.record({
  jump: fc.boolean(),
  copy: fc.nat(1 << 20),
  dc: fc.constantFrom(-1, 0, 1, 2),
  orig: fc.nat(1 << 20),
  n: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 200 })),
});

describe('PbeChain.addRun', () => {
  it('= alloc() + set() per PBE', () => {
    fc.assert(
      fc.property(fc.array(runArb, { minLength: 1, maxLength: 14 }), (runs) => {
        const ha = heap();
        const hb = heap();
        let na = 0;
        let nb = 0;
        const a = new PbeChain(ha, () => 0x100000 + 3 * na++);
        const b = new PbeChain(hb, () => 0x100000 + 3 * nb++);
        let copy = 5000;
        let orig = 9000;
        for (const r of runs) {
          if (r.jump) {
            copy = r.copy + 200;
            orig = r.orig;
          }
          let left = r.n;
          while (left > 0) {
            // addRun() within the current page; the first PBE of a page through alloc() + set().
            let n = Math.min(left, a.roomInPage);
            if (n === 0) {
              a.set(a.alloc(), copy, orig);
              n = 1;
            } else a.addRun(n, copy, r.dc, orig);
            for (let i = 0; i < n; i++) b.set(b.alloc(), copy + i * r.dc, orig + i);
            copy += n * r.dc;
            orig += n;
            left -= n;
          }
        }
        const total = runs.reduce((s, r) => s + r.n, 0);
        const fa: number[] = [];
        const fb: number[] = [];
        for (let j = 0; j < total; j++) {
          fa.push(a.copyOf(j), a.origOf(j));
          fb.push(b.copyOf(j), b.origOf(j));
        }
        expect(fa).toEqual(fb);
        const buf = new Uint8Array(4096);
        const bytes = (h: KernelHeap, n: number) => {
          const out: number[] = [];
          for (let k = 0; k < n; k++) {
            h.phys.readPageInto(0x100000 + 3 * k, buf);
            out.push(...new Uint32Array(buf.buffer));
          }
          return out;
        };
        expect(na).toBe(nb);
        // The same pages kept as progressions (seal() makes explicit values for the others only).
        const explicit = (c: PbeChain) => (c as unknown as { explicit: unknown[] }).explicit.length;
        expect(explicit(a)).toBe(explicit(b));
        expect(bytes(ha, na)).toEqual(bytes(hb, nb));
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
