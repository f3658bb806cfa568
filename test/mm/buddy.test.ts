/**
 * Buddy allocator properties, checked with fast-check command sequences
 * against a naive model (the set of allocated blocks).
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { buddyOf } from '../../src/mm/buddy.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import type { KernelProfile } from '../../src/profiles/types.js';

/** 128 MiB of RAM with a 3-page firmware hole at 96 MiB. */
function smallMachine(profile: KernelProfile): Machine {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x5f00000n, type: E820_TYPE.RAM },
    { addr: 0x6000000n, size: 0x3000n, type: E820_TYPE.ACPI },
    { addr: 0x6003000n, size: 0x1ffd000n, type: E820_TYPE.RAM },
  ];
  return bootMachine({ firmware: t, kernel: t }, { profile, kaslr: { nokaslr: true } });
}

/** All free blocks as "zone:order:pfn" strings, sorted. */
function freeBlocks(m: Machine): string[] {
  const out: string[] = [];
  for (let z = 0; z < m.zones.zones.length; z++)
    for (let o = 0; o <= m.buddy.maxOrder; o++)
      for (const pfn of m.buddy.listPfns(z, o)) out.push(`${z}:${o}:${pfn}`);
  return out.sort();
}

interface Model {
  allocated: Map<number, number>;
}

class AllocCmd implements fc.Command<Model, Machine> {
  constructor(readonly order: number) {}
  check(): boolean {
    return true;
  }
  run(model: Model, m: Machine): void {
    const before = m.buddy.totalFreePages;
    const pfn = m.buddy.alloc(this.order);
    if (pfn < 0) {
      // only allowed when no block of that order or larger is free anywhere
      for (let z = 0; z < 3; z++)
        for (let o = this.order; o <= m.buddy.maxOrder; o++) expect(m.buddy.freeBlocks(z, o)).toBe(0);
      return;
    }
    const size = 2 ** this.order;
    expect(pfn % size).toBe(0);
    for (const [p, o] of model.allocated) {
      const e = p + 2 ** o;
      expect(pfn + size <= p || pfn >= e, `overlap with [${p}, ${e})`).toBe(true);
    }
    // never hands out reserved or non-RAM pages
    for (let i = 0; i < size; i++) {
      expect(m.memblock.isMemory((pfn + i) * 4096)).toBe(true);
      expect(m.pages.isReserved(pfn + i)).toBe(false);
    }
    expect(m.buddy.totalFreePages).toBe(before - size);
    model.allocated.set(pfn, this.order);
  }
  toString(): string {
    return `alloc(${this.order})`;
  }
}

class FreeCmd implements fc.Command<Model, Machine> {
  constructor(readonly pick: number) {}
  check(model: Model): boolean {
    return model.allocated.size > 0;
  }
  run(model: Model, m: Machine): void {
    const keys = [...model.allocated.keys()];
    const pfn = keys[this.pick % keys.length]!;
    const order = model.allocated.get(pfn)!;
    const before = m.buddy.totalFreePages;
    m.buddy.free(pfn, order);
    model.allocated.delete(pfn);
    expect(m.buddy.totalFreePages).toBe(before + 2 ** order);
    expect(m.buddy.isFree(pfn)).toBe(true);
  }
  toString(): string {
    return `free(#${this.pick})`;
  }
}

describe.each([linux310, linux612])('buddy allocator (%s)', (profile) => {
  const base = smallMachine(profile);
  const bootBlocks = freeBlocks(base);
  const bootFree = base.buddy.totalFreePages;

  test('boot free lists are maximal aligned blocks covering exactly the free memblock pages', () => {
    let pages = 0;
    const covered = new Set<number>();
    for (const b of bootBlocks) {
      const [, o, p] = b.split(':').map(Number) as [number, number, number];
      pages += 2 ** o;
      expect(p % 2 ** o).toBe(0);
      for (let i = 0; i < 2 ** o; i++) covered.add(p + i);
      // maximal: the buddy of a non-max block is not free with the same order
      if (o < base.buddy.maxOrder)
        expect(bootBlocks.includes(`${b.split(':')[0]}:${o}:${buddyOf(p, o)}`)).toBe(false);
    }
    expect(pages).toBe(bootFree);
    // independent oracle: free memblock ranges, pfn-rounded
    let expected = 0;
    for (const [s, e] of base.memblock.freeRanges()) {
      const sp = Math.ceil(s / 4096);
      const ep = Math.min(Math.floor(e / 4096), base.maxPfn);
      for (let p = sp; p < ep; p++) {
        expect(covered.has(p)).toBe(true);
        expected++;
      }
    }
    expect(expected).toBe(bootFree);
  });

  test('alloc/free sequences: no double allocation, alignment, counts, full merge at the end', () => {
    fc.assert(
      fc.property(
        fc.commands(
          [fc.integer({ min: 0, max: 10 }).map((o) => new AllocCmd(o)), fc.nat().map((n) => new FreeCmd(n))],
          {
            maxCommands: 60,
          },
        ),
        (cmds) => {
          const m = smallMachine(profile);
          const model: Model = { allocated: new Map() };
          fc.modelRun(() => ({ model, real: m }), cmds);
          for (const [pfn, o] of [...model.allocated]) m.buddy.free(pfn, o);
          expect(m.buddy.totalFreePages).toBe(bootFree);
          expect(freeBlocks(m)).toEqual(bootBlocks);
        },
      ),
      { numRuns: 25 },
    );
  });

  test('double free is refused', () => {
    const m = smallMachine(profile);
    const pfn = m.buddy.alloc(0);
    m.buddy.free(pfn, 0);
    expect(() => m.buddy.free(pfn, 0)).toThrow(/already free/);
  });

  test('expand() returns the upper halves to the list heads', () => {
    const m = smallMachine(profile);
    // drain orders 0..9 so the next order-0 request splits a max-order block
    for (let o = 0; o < 10; o++) while (m.buddy.freeBlocks(1, o)) m.buddy.allocInZone(o, 1);
    expect(m.buddy.freeBlocks(1, 10)).toBeGreaterThan(0);
    const pfn = m.buddy.allocInZone(0, 1);
    expect(pfn % 1024).toBe(0);
    for (let o = 0; o < 10; o++) expect([...m.buddy.listPfns(1, o)]).toEqual([pfn + 2 ** o]);
  });
});

test('6.x boot frees go to the list tail (FPI_TO_TAIL), 3.10 to the head', () => {
  const a = smallMachine(linux612);
  const b = smallMachine(linux310);
  const la = [...a.buddy.listPfns(1, 10)];
  const lb = [...b.buddy.listPfns(1, 10)];
  expect(la).toEqual([...la].sort((x, y) => x - y));
  expect(lb).toEqual([...lb].sort((x, y) => y - x));
});

test('boot links whole free sections as runs: lists consistent both ways, 6.x ascending, 3.10 descending', () => {
  // Two RAM ranges of whole sections (the fast path) with unaligned edges (per-block frees) between.
  const t = [
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x17ff0000n, type: E820_TYPE.RAM },
    { addr: 0x18000000n, size: 0x8000000n, type: E820_TYPE.RESERVED },
    { addr: 0x20000000n, size: 0x20000000n, type: E820_TYPE.RAM },
  ];
  for (const profile of [linux612, linux310]) {
    const m = bootMachine({ firmware: t, kernel: t }, { profile, kaslr: { nokaslr: true } });
    for (let z = 0; z < m.zones.zones.length; z++) {
      for (let o = 0; o <= m.buddy.maxOrder; o++) {
        const fwd: number[] = [];
        let last = -1;
        for (let id = m.buddy.listFirst(z, o); id !== -1; id = m.buddy.nodeNext(id)) {
          expect(m.buddy.nodePrev(id)).toBe(last);
          expect(m.buddy.nodeOrder(id)).toBe(o);
          expect(m.pages.nodeOf(m.buddy.nodePfn(id))).toBe(id);
          fwd.push(m.buddy.nodePfn(id));
          last = id;
        }
        expect(m.buddy.listLast(z, o)).toBe(last);
        expect(fwd.length).toBe(m.buddy.freeBlocks(z, o));
        if (o === m.buddy.maxOrder && fwd.length > 1) {
          const sorted = [...fwd].sort((a, b) => (profile === linux612 ? a - b : b - a));
          expect(fwd).toEqual(sorted);
        }
      }
    }
  }
});

describe('take_page_off_buddy', () => {
  it('takes exactly the requested free page and keeps the rest free (fast-check)', async () => {
    const { bootTiny } = await import('./take-page-helper.js');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0x7fff }), { minLength: 1, maxLength: 60 }), (picks) => {
        const m = bootTiny();
        const before = m.buddy.totalFreePages;
        const taken = new Set<number>();
        for (const off of picks) {
          const pfn = 0x8000 + off;
          const wasFree = m.buddy.isFree(pfn);
          expect(m.buddy.takePage(pfn)).toBe(wasFree);
          if (wasFree) taken.add(pfn);
          expect(m.buddy.isFree(pfn)).toBe(false);
        }
        expect(m.buddy.totalFreePages).toBe(before - taken.size);
        // Everything given back merges to the original state.
        for (const pfn of taken) m.buddy.free(pfn, 0);
        expect(m.buddy.totalFreePages).toBe(before);
      }),
      { numRuns: 30 },
    );
  });
});

describe('takePagesSorted(): the takes of a draw sequence, applied block by block', () => {
  /** Every zone/order free list in list order, and every page's buddy-visible fields. */
  const state = (m: import('../../src/machine/boot.js').Machine, lo: number, hi: number) => {
    const lists: number[][] = [];
    for (let z = 0; z < m.zones.zones.length; z++)
      for (let o = 0; o <= m.buddy.maxOrder; o++) lists.push([...m.buddy.listPfns(z, o)]);
    const pages: string[] = [];
    for (let p = lo; p < hi; p++) {
      const st = m.pages.peek(p);
      pages.push(`${st.flags},${st.refcount},${st.mapcount},${st.private},${st.node >= 0}`);
    }
    return { lists, pages, free: [...m.buddy.nrFreePages] };
  };

  it('gives the struct pages and free lists of takePage() in draw order (fast-check)', async () => {
    const { bootTiny } = await import('./take-page-helper.js');
    fc.assert(
      fc.property(
        // Clusters of draws (so blocks get several takes) over two sections, in random order.
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 40 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (clusters, seed) => {
          const a = bootTiny();
          const b = bootTiny();
          // A little earlier fragmentation (takes by the sequential path on both).
          for (const pfn of [0x8123, 0x9000, 0xa7ff]) {
            a.buddy.takePage(pfn);
            b.buddy.takePage(pfn);
          }
          const seq: number[] = [];
          const seen = new Set<number>();
          let r = seed;
          for (const [at, n] of clusters) {
            for (let k = 0; k < n; k++) {
              r = (Math.imul(r, 1103515245) + 12345) >>> 0;
              const pfn = 0x8000 + ((at + (r % 97)) & 0xffff);
              if (seen.has(pfn) || !a.buddy.isFree(pfn)) continue;
              seen.add(pfn);
              seq.push(pfn);
            }
          }
          for (const pfn of seq) expect(a.buddy.takePage(pfn)).toBe(true);
          const order = seq.map((pfn, i) => [pfn, i] as const).sort((x, y) => x[0] - y[0]);
          b.buddy.takePagesSorted(
            Float64Array.from(order, ([p]) => p),
            Float64Array.from(order, ([, i]) => i),
            order.length,
          );
          expect(state(b, 0x8000, 0x18000)).toEqual(state(a, 0x8000, 0x18000));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('equals takePage() in batches that take whole max-order blocks too, with fewer chunks (fast-check)', async () => {
    const { bootTiny } = await import('./take-page-helper.js');
    fc.assert(
      fc.property(
        // Draws: a whole 1024-page block (in random order) or a cluster, in batches.
        fc.array(
          fc.record({
            whole: fc.boolean(),
            at: fc.integer({ min: 0, max: 0xffff }),
            n: fc.integer({ min: 1, max: 30 }),
            cut: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 2 ** 31 }),
        (draws, seed) => {
          const a = bootTiny();
          const b = bootTiny();
          const batches: number[][] = [[]];
          const seen = new Set<number>();
          let r = seed;
          const rnd = () => {
            r = (Math.imul(r, 1103515245) + 12345) >>> 0;
            return r;
          };
          for (const d of draws) {
            const pick: number[] = [];
            if (d.whole) {
              const base = 0x8000 + (d.at & 0xfc00);
              for (let i = 0; i < 1024; i++) pick.push(base + i);
              for (let i = pick.length - 1; i > 0; i--) {
                const j = rnd() % (i + 1);
                [pick[i], pick[j]] = [pick[j]!, pick[i]!];
              }
            } else for (let k = 0; k < d.n; k++) pick.push(0x8000 + ((d.at + (rnd() % 97)) & 0xffff));
            for (const pfn of pick) {
              if (seen.has(pfn) || !a.buddy.isFree(pfn)) continue;
              seen.add(pfn);
              expect(a.buddy.takePage(pfn)).toBe(true);
              batches[batches.length - 1]!.push(pfn);
            }
            if (d.cut) batches.push([]);
          }
          // Every other batch claims its pages in the same call (the placer's flags and
          // _mapcount): takePage() then orFlagsSetMapcount() of each page on the other machine.
          batches.forEach((seq, k) => {
            const order = seq.map((pfn, i) => [pfn, i] as const).sort((x, y) => x[0] - y[0]);
            const claim = k % 2 === 1;
            const flags = claim ? (1 << 5) | (1 << (k % 4)) : 0;
            const mapcount = claim && k % 3 !== 0 ? 0 : -1;
            b.buddy.takePagesSorted(
              Float64Array.from(order, ([p]) => p),
              Float64Array.from(order, ([, i]) => i),
              order.length,
              flags,
              mapcount,
            );
            for (const pfn of seq) a.pages.orFlagsSetMapcount(pfn, flags, mapcount);
          });
          expect(state(b, 0x8000, 0x18000)).toEqual(state(a, 0x8000, 0x18000));
          expect(b.pages.materialisedChunks).toBeLessThanOrEqual(a.pages.materialisedChunks);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('equals takePage() for more than 2^16 takes at once', async () => {
    const { bootTiny } = await import('./take-page-helper.js');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 66_000, max: 90_000 }),
        (seed, want) => {
          const a = bootTiny();
          const b = bootTiny();
          let r = seed;
          const seq: number[] = [];
          const seen = new Uint8Array(0x20000);
          while (seq.length < want) {
            r = (Math.imul(r, 1103515245) + 12345) >>> 0;
            const pfn = 0x100 + (r % (0x20000 - 0x100));
            if (seen[pfn] || !a.buddy.isFree(pfn)) continue;
            seen[pfn] = 1;
            expect(a.buddy.takePage(pfn)).toBe(true);
            seq.push(pfn);
          }
          const order = seq.map((pfn, i) => [pfn, i] as const).sort((x, y) => x[0] - y[0]);
          b.buddy.takePagesSorted(
            Float64Array.from(order, ([p]) => p),
            Float64Array.from(order, ([, i]) => i),
            order.length,
          );
          expect(state(b, 0, 0x20000)).toEqual(state(a, 0, 0x20000));
        },
      ),
      { numRuns: 3 },
    );
  });

  it('equals takePage() on page-by-page chunks that frees merged back, dense and sparse takes (fast-check)', async () => {
    const { bootTiny } = await import('./take-page-helper.js');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        // Per chunk of the two sections: how much of it the earlier takes took, how much of
        // that was freed again (merging into blocks of every order), how dense the batch is.
        fc.array(fc.tuple(fc.nat(100), fc.nat(100), fc.nat(100)), { minLength: 4, maxLength: 64 }),
        (seed, shape) => {
          const a = bootTiny();
          const b = bootTiny();
          let r = seed;
          const rnd = () => {
            r = (Math.imul(r, 1103515245) + 12345) >>> 0;
            return r;
          };
          const batch: number[] = [];
          shape.forEach(([took, freed, dense], c) => {
            const cs = 0x8000 + c * 1024;
            const taken: number[] = [];
            for (let p = cs; p < cs + 1024; p++) {
              if (rnd() % 100 < took && a.buddy.takePage(p)) {
                b.buddy.takePage(p);
                taken.push(p);
              }
            }
            for (const p of taken) {
              if (rnd() % 100 < freed) {
                a.buddy.free(p, 0);
                b.buddy.free(p, 0);
              }
            }
            // A dense batch may take every page of a chunk (several blocks at once).
            for (let p = cs; p < cs + 1024; p++) if (dense >= 90 || rnd() % 100 < dense) batch.push(p);
          });
          const seq = batch.filter((p) => a.buddy.isFree(p));
          for (let i = seq.length - 1; i > 0; i--) {
            const j = rnd() % (i + 1);
            [seq[i], seq[j]] = [seq[j]!, seq[i]!];
          }
          for (const pfn of seq) expect(a.buddy.takePage(pfn)).toBe(true);
          const order = seq.map((pfn, i) => [pfn, i] as const).sort((x, y) => x[0] - y[0]);
          b.buddy.takePagesSorted(
            Float64Array.from(order, ([p]) => p),
            Float64Array.from(order, ([, i]) => i),
            order.length,
          );
          expect(state(b, 0x8000, 0x18000)).toEqual(state(a, 0x8000, 0x18000));
          // The same nodes in the same struct pages as the lists say (node ids are the lists' own).
          for (let z = 0; z < b.zones.zones.length; z++)
            for (let o = 0; o <= b.buddy.maxOrder; o++)
              for (let id = b.buddy.listFirst(z, o); id !== -1; id = b.buddy.nodeNext(id))
                expect(b.pages.buddyNode(b.buddy.nodePfn(id))).toBe(id);
          expect(b.pages.materialisedChunks).toBeLessThanOrEqual(a.pages.materialisedChunks);
        },
      ),
      { numRuns: 25 },
    );
  });
});
