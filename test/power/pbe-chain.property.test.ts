/**
 * The PBE chain as runs + synthesised frames (src/power/snapshot/pbe-chain.ts)
 * against the straightforward chain: chain_alloc() through ChainAllocator and
 * the three u64 stores of get_buffer() into materialised frames. Same page
 * sequence, same bytes in every chain page — also when a chain page is
 * written or discarded while the chain grows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';
import { ChainAllocator, type KernelHeap, storeU64 } from '../../src/power/snapshot/kernel-heap.js';
import { PBE_SIZE, PBES_PER_LINKED_PAGE, PbeChain } from '../../src/power/snapshot/pbe-chain.js';
import { decodePbeRun } from './pbe-run-decode.js';

const BASE = 0xffff9a0000000000n;
function heap(): KernelHeap {
  return {
    phys: new PhysMem(),
    ptov: (p: number) => BASE + BigInt(p),
    vtoDirectPhys: (v: bigint) => Number(v - BASE),
  };
}

type Op = { kind: 'pbe'; copy: number; orig: number } | { kind: 'poke' | 'drop'; which: number; at: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ kind: fc.constant('pbe' as const), copy: fc.nat(4095), orig: fc.nat(4095) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constantFrom('poke' as const, 'drop' as const),
      which: fc.nat(),
      at: fc.nat(4095),
    }),
  },
);

/** Runs of PBEs: start values and a step, so the chain sees long runs and breaks. */
const runsArb = fc.array(
  fc.record({
    copy: fc.nat(1 << 20),
    dc: fc.constantFrom(-1, 0, 1, 3),
    orig: fc.nat(1 << 20),
    dor: fc.constantFrom(-1, 1, 2),
    n: fc.integer({ min: 1, max: 400 }),
  }),
  { minLength: 1, maxLength: 8 },
);

describe('PbeChain', () => {
  it('produces the bytes the per-PBE stores write, page by page; runAt() as the bytes say', () => {
    let runsSeen = 0;
    fc.assert(
      fc.property(runsArb, fc.array(opArb, { maxLength: 40 }), (runs, extra) => {
        const a = heap();
        const b = heap();
        // Both take chain pages from the same sequence (frames 0x100000 + 7k: not ascending
        // within a leaf order, never reused).
        let na = 0;
        let nb = 0;
        const ca = new ChainAllocator(a, () => 0x100000 + 7 * na++);
        const chain = new PbeChain(b, () => 0x100000 + 7 * nb++);
        const pages: number[] = [];
        let prev = -1;
        let j = 0;
        const add = (copy: number, orig: number) => {
          const at = ca.alloc(PBE_SIZE);
          storeU64(a, at, a.ptov(copy * 4096));
          storeU64(a, at + 8, a.ptov(orig * 4096));
          storeU64(a, at + 16, prev < 0 ? 0n : a.ptov(prev));
          prev = at;
          const k = chain.alloc();
          expect(k).toBe(j++);
          expect(chain.set(k, copy, orig)).toBe(at);
        };
        const ops: Op[] = [];
        for (const r of runs)
          for (let i = 0; i < r.n; i++)
            ops.push({ kind: 'pbe', copy: r.copy + 1000 + i * r.dc, orig: r.orig + 1000 + i * r.dor });
        // Interleave the extra ops at spread positions.
        extra.forEach((e, i) => {
          ops.splice(Math.floor(((i + 1) * ops.length) / (extra.length + 1)), 0, e);
        });
        for (const op of ops) {
          if (op.kind === 'pbe') add(op.copy, op.orig);
          else if (ca.pages.length > 0) {
            const pfn = ca.pages[op.which % ca.pages.length]!;
            if (op.kind === 'poke') {
              a.phys.frame(pfn)[op.at] = 0xa5;
              b.phys.frame(pfn)[op.at] = 0xa5;
            } else {
              a.phys.discard(pfn);
              b.phys.discard(pfn);
            }
          }
        }
        for (const p of ca.pages) pages.push(p);
        expect(chain.pages).toBe(pages.length);
        const x = new Uint8Array(4096);
        const y = new Uint8Array(4096);
        for (let c = 0; c < pages.length; c++) {
          expect(chain.page(c)).toBe(pages[c]);
          a.phys.readPageInto(pages[c]!, x);
          b.phys.readPageInto(pages[c]!, y);
          expect(Buffer.compare(x, y)).toBe(0);
          // The other read paths agree with readPageInto.
          expect(b.phys.u64(pages[c]! * 4096 + 8)).toBe(a.phys.u64(pages[c]! * 4096 + 8));
        }
        // PBE fields by index.
        for (let k = 0; k < chain.count; k += 37) {
          const at = chain.pbePhys(k);
          const live = b.phys.sourceOf(Math.floor(at / 4096)) === chain;
          if (live) {
            expect(a.ptov(chain.copyOf(k) * 4096)).toBe(a.phys.u64(at));
            expect(a.ptov(chain.origOf(k) * 4096)).toBe(a.phys.u64(at + 8));
          }
        }
        // runAt(): 0, or the run the bytes show from that PBE (the reference decoder).
        const o1 = new Float64Array(5);
        const o2 = new Float64Array(5);
        for (let k = 0; k < chain.count; k += 11) {
          const at = chain.pbePhys(k);
          for (const max of [1, 3, k, 200]) {
            const got = chain.runAt(at, max, o1);
            if (got === 0) continue;
            expect(got).toBe(decodePbeRun(b.phys, BASE, at, max, o2));
            expect(Array.from(o1)).toEqual(Array.from(o2));
            runsSeen++;
          }
          // Not a PBE's address: no answer.
          expect(chain.runAt(at + 8, 5, o1)).toBe(0);
        }
        // Host memory: only written pages have buffers.
        expect(b.phys.bufferCount).toBeLessThanOrEqual(extra.length);
      }),
      { numRuns: 150 },
    );
    expect(runsSeen).toBeGreaterThan(500);
  });

  it('holds a long chain of steady runs in a few runs and no page buffers', () => {
    const h = heap();
    let n = 0;
    const chain = new PbeChain(h, () => 0x200000 + n++);
    for (let i = 0; i < 100 * PBES_PER_LINKED_PAGE; i++) chain.set(chain.alloc(), 0x900000 - i, 0x10 + i);
    expect(chain.pages).toBe(100);
    expect(h.phys.bufferCount).toBe(0);
    expect(h.phys.materialisedCount).toBe(100);
    // The last PBE of page 99 points at the one before it.
    const last = chain.pbePhys(chain.count - 1);
    expect(h.phys.u64(last + 16)).toBe(h.ptov(chain.pbePhys(chain.count - 2)));
    expect(h.phys.u64(last)).toBe(h.ptov((0x900000 - (chain.count - 1)) * 4096));
    // The first page's link is NULL, page 1 links to page 0.
    expect(h.phys.u64(0x200000 * 4096)).toBe(0n);
    expect(h.phys.u64(0x200001 * 4096)).toBe(h.ptov(0x200000 * 4096));
  });
});
