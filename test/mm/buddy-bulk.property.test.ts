/**
 * Buddy.allocBulk / freeBulk against the per-page calls they stand for: two
 * identical machines, one driven page by page (alloc(0) n times, free(p, 0)
 * ascending), the other in bulk; after every step the pfns handed out, every
 * struct page in the zones, the free lists IN LIST ORDER and the free counts
 * must be equal. Also ContentMap.clearRange / copyRange and
 * PhysMem.discardRange against their per-frame forms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import { PhysMem } from '../../src/mm/phys-mem.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import type { KernelProfile } from '../../src/profiles/types.js';
import { ContentKind } from '../../src/workload/content.js';
import { ContentMap } from '../../src/workload/content-map.js';

/** 160 MiB of RAM with small firmware holes, so some blocks start split. */
function machine(profile: KernelProfile): Machine {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x5f00000n, type: E820_TYPE.RAM },
    { addr: 0x6000000n, size: 0x3000n, type: E820_TYPE.ACPI },
    { addr: 0x6003000n, size: 0x3ffd000n, type: E820_TYPE.RAM },
  ];
  return bootMachine({ firmware: t, kernel: t }, { profile, kaslr: { nokaslr: true } });
}

/** The free lists in list order, per zone and order. */
function lists(m: Machine): string {
  const out: string[] = [];
  for (let z = 0; z < m.zones.zones.length; z++)
    for (let o = 0; o <= m.buddy.maxOrder; o++) {
      const pfns: number[] = [];
      for (let id = m.buddy.listFirst(z, o); id !== -1; id = m.buddy.nodeNext(id))
        pfns.push(m.buddy.nodePfn(id));
      out.push(`${z}/${o}: ${pfns.join(',')} (${m.buddy.freeBlocks(z, o)})`);
    }
  return out.join('\n');
}

/** Every struct page of the zones, as runs of equal state. */
function pages(m: Machine): string {
  const out: string[] = [];
  for (const z of m.zones.zones) {
    m.pages.forEachStateRun(z.startPfn, z.startPfn + z.spannedPages, (f, r, mc, p, n) => {
      out.push(`${f}:${r}:${mc}:${p}x${n}`);
    });
  }
  return out.join(' ');
}

/** Free-block head nodes agree with the lists (a head's node names its own list entry). */
function headsLinked(m: Machine): void {
  for (let z = 0; z < m.zones.zones.length; z++)
    for (let o = 0; o <= m.buddy.maxOrder; o++)
      for (let id = m.buddy.listFirst(z, o); id !== -1; id = m.buddy.nodeNext(id)) {
        const pfn = m.buddy.nodePfn(id);
        expect(m.pages.buddyOrder(pfn)).toBe(o);
        expect(m.pages.buddyNode(pfn)).toBe(id);
      }
}

type Op =
  | { k: 'alloc'; n: number; zone: number; sorted: boolean }
  | { k: 'free'; pick: number; len: number }
  | { k: 'one'; order: number }
  | { k: 'take'; picks: number[] }
  | { k: 'map'; pick: number }
  | { k: 'sorted'; seed: number; every: number }
  | { k: 'comb'; start: number; count: number; stride: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant('alloc' as const),
    n: fc.integer({ min: 1, max: 6000 }),
    zone: fc.integer({ min: 0, max: 2 }),
    sorted: fc.boolean(),
  }),
  fc.record({ k: fc.constant('free' as const), pick: fc.nat(), len: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({ k: fc.constant('one' as const), order: fc.integer({ min: 0, max: 3 }) }),
  // take_page_off_buddy() at scattered frames: long order-0 … order-9 lists in random pfn order.
  fc.record({
    k: fc.constant('take' as const),
    picks: fc.array(fc.integer({ min: 0, max: 40_959 }), { minLength: 1, maxLength: 400 }),
  }),
  // Every stride-th page of a range taken: a long dense order-0 (or order-1) list.
  fc.record({
    k: fc.constant('comb' as const),
    start: fc.integer({ min: 0, max: 40_959 }),
    count: fc.integer({ min: 1, max: 3000 }),
    stride: fc.constantFrom(2, 3, 4),
  }),
  // A held page mapped (_mapcount 0): freeing it page by page leaves that on a page never made a head.
  fc.record({ k: fc.constant('map' as const), pick: fc.nat() }),
  // A scattered subset of the held pages freed ascending (swsusp_free()): Buddy.freeSortedRuns.
  fc.record({
    k: fc.constant('sorted' as const),
    seed: fc.nat(),
    every: fc.integer({ min: 1, max: 4 }),
  }),
);

describe.each([
  ['linux-3.10', linux310],
  ['linux-6.12', linux612],
])('Buddy bulk order-0 allocation and free (%s)', (_name, profile) => {
  it('allocBulk / freeBulk equal the page-by-page calls: pfns, struct pages, list order', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const a = machine(profile);
        const b = machine(profile);
        /** Allocated order-0 pfns (same on both machines), ascending runs freed from here. */
        const held: number[] = [];
        for (const o of ops) {
          if (o.k === 'alloc') {
            const zone = Math.min(o.zone, a.zones.zones.length - 1);
            const got: number[] = [];
            const n = o.sorted
              ? // allocBulkSorted(): the same pages as blocks at ascending starts per batch.
                a.buddy.allocBulkSorted(o.n, zone, (starts, from, to, size) => {
                  expect(size).toBeGreaterThan(0);
                  for (let x = from; x < to; x++) {
                    if (x > from) expect(starts[x]!).toBeGreaterThanOrEqual(starts[x - 1]! + size);
                    for (let i = 0; i < size; i++) got.push(starts[x]! + i);
                  }
                })
              : a.buddy.allocBulk(o.n, zone, (pfn, len) => {
                  expect(len).toBeGreaterThan(0);
                  for (let i = 0; i < len; i++) got.push(pfn + i);
                });
            const want: number[] = [];
            for (let i = 0; i < o.n; i++) {
              const p = b.buddy.alloc(0, zone);
              if (p < 0) break;
              want.push(p);
            }
            expect(n).toBe(want.length);
            if (o.sorted) {
              expect(got.sort((x, y) => x - y)).toEqual([...want].sort((x, y) => x - y));
              expect(a.buddy.lastAllocated).toBe(want.length > 0 ? want[want.length - 1]! : -1);
            } else expect(got).toEqual(want);
            held.push(...want);
          } else if (o.k === 'take') {
            for (const pfn of o.picks) {
              const ok = a.buddy.takePage(pfn);
              expect(b.buddy.takePage(pfn)).toBe(ok);
              if (ok) held.push(pfn);
            }
          } else if (o.k === 'comb') {
            for (let i = 0; i < o.count; i++) {
              const pfn = o.start + i * o.stride;
              const ok = a.buddy.takePage(pfn);
              expect(b.buddy.takePage(pfn)).toBe(ok);
              if (ok) held.push(pfn);
            }
          } else if (o.k === 'map') {
            if (held.length === 0) continue;
            const pfn = held[o.pick % held.length]!;
            a.pages.setMapRaw(pfn, 0);
            b.pages.setMapRaw(pfn, 0);
          } else if (o.k === 'sorted') {
            if (held.length === 0) continue;
            held.sort((x, y) => x - y);
            // Every `every`-th held page by a hash of the seed: runs of one to many pages.
            const pick: number[] = [];
            const keep: number[] = [];
            for (const pfn of held) {
              if (Math.imul(pfn ^ o.seed, 0x9e3779b1) >>> 29 < 8 / o.every) pick.push(pfn);
              else keep.push(pfn);
            }
            a.buddy.freeSortedRuns((emit) => {
              for (let i = 0; i < pick.length; ) {
                let e = i + 1;
                while (e < pick.length && pick[e] === pick[e - 1]! + 1) e++;
                emit(pick[i]!, e - i);
                i = e;
              }
            });
            for (const pfn of pick) b.buddy.free(pfn, 0);
            held.length = 0;
            held.push(...keep);
            headsLinked(a);
          } else if (o.k === 'one') {
            // Split some blocks so the bulk path meets partly split zones.
            const p = a.buddy.alloc(o.order);
            expect(b.buddy.alloc(o.order)).toBe(p);
          } else {
            if (held.length === 0) continue;
            held.sort((x, y) => x - y);
            // A run of consecutive held pfns from a random start.
            const s = o.pick % held.length;
            let e = s + 1;
            while (e < held.length && e - s < o.len && held[e] === held[e - 1]! + 1) e++;
            const pfn = held[s]!;
            const len = e - s;
            a.buddy.freeBulk(pfn, len);
            for (let i = 0; i < len; i++) b.buddy.free(pfn + i, 0);
            held.splice(s, len);
          }
          expect(lists(a)).toBe(lists(b));
          expect(pages(a)).toBe(pages(b));
          expect([...a.buddy.nrFreePages]).toEqual([...b.buddy.nrFreePages]);
        }
        headsLinked(a);
      }),
      { numRuns: 25 },
    );
  });

  it('whole max-order blocks stay compact struct pages through a bulk alloc and free', () => {
    const a = machine(profile);
    const b = machine(profile);
    const before = a.pages.materialisedChunks;
    expect(b.pages.materialisedChunks).toBe(before);
    const runs: [number, number][] = [];
    a.buddy.allocBulk(20 * 1024, 2, (pfn, len) => runs.push([pfn, len]));
    for (const [pfn, len] of runs) a.buddy.freeBulk(pfn, len);
    const pfns: number[] = [];
    for (let i = 0; i < 20 * 1024; i++) pfns.push(b.buddy.alloc(0, 2));
    expect(pfns).toEqual(runs.flatMap(([pfn, len]) => Array.from({ length: len }, (_, i) => pfn + i)));
    for (const [pfn, len] of runs) for (let i = 0; i < len; i++) b.buddy.free(pfn + i, 0);
    expect(lists(a)).toBe(lists(b));
    // Page by page, every block's chunk gets per-page arrays; in bulk at most the one
    // partly split block the allocation starts in does.
    expect(b.pages.materialisedChunks - before).toBeGreaterThanOrEqual(10);
    expect(a.pages.materialisedChunks - before).toBeLessThanOrEqual(1);
  });
});

describe('bulk descriptor and frame operations', () => {
  it('ContentMap.clearRange / copyRange equal clear() / copy() per frame', () => {
    const kinds = [ContentKind.NONE, ContentKind.ZERO, ContentKind.TEXT, ContentKind.RANDOM];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(99_999), fc.integer({ min: 0, max: 3 }), fc.nat(3)), { maxLength: 200 }),
        fc.array(
          fc.record({
            copy: fc.boolean(),
            from: fc.nat(99_999),
            to: fc.nat(99_999),
            n: fc.integer({ min: 1, max: 70_000 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (init, ops) => {
          const a = new ContentMap();
          const b = new ContentMap();
          for (const [pfn, k, seed] of init) {
            if (kinds[k] === ContentKind.NONE) continue;
            a.set(pfn, kinds[k]!, seed + 1);
            b.set(pfn, kinds[k]!, seed + 1);
          }
          for (const o of ops) {
            if (o.copy) {
              a.copyRange(o.from, o.to, o.n);
              for (let i = 0; i < o.n; i++) b.copy(o.from + i, o.to + i);
            } else {
              a.clearRange(o.from, o.n);
              for (let i = 0; i < o.n; i++) b.clear(o.from + i);
            }
          }
          expect(a.size).toBe(b.size);
          expect(a.runs()).toEqual(b.runs());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('PhysMem.discardRange equals discard() per frame, shared buffers included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(40_000), { maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(40_000), fc.nat(40_000)), { maxLength: 10 }),
        fc.nat(40_000),
        fc.integer({ min: 1, max: 20_000 }),
        (mat, shares, start, n) => {
          const a = new PhysMem();
          const b = new PhysMem();
          for (const p of mat) {
            a.frame(p)[0] = p & 0xff;
            b.frame(p)[0] = p & 0xff;
          }
          for (const [src, dst] of shares) {
            if (!a.isMaterialised(src) || src === dst) continue;
            a.copyFrame(dst, src);
            b.copyFrame(dst, src);
          }
          a.discardRange(start, n);
          for (let i = 0; i < n; i++) b.discard(start + i);
          expect(a.materialisedPfns()).toEqual(b.materialisedPfns());
          expect(a.sharedBuffers).toBe(b.sharedBuffers);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('PhysMem.discardSorted equals discard() per frame: materialised, shared and synthesised frames', () => {
    const source = { fill: (pfn: number, dst: Uint8Array) => dst.fill(pfn & 0xff) };
    fc.assert(
      fc.property(
        fc.array(fc.nat(40_000), { maxLength: 60 }),
        fc.array(fc.tuple(fc.nat(40_000), fc.nat(40_000)), { maxLength: 10 }),
        fc.array(fc.nat(40_000), { maxLength: 20 }),
        fc.uniqueArray(fc.nat(40_000), { maxLength: 3000 }),
        (mat, shares, synth, drop) => {
          const a = new PhysMem();
          const b = new PhysMem();
          for (const m of [a, b]) {
            for (const p of mat) m.frame(p)[0] = p & 0xff;
            for (const [src, dst] of shares) if (m.isMaterialised(src) && src !== dst) m.copyFrame(dst, src);
            for (const p of synth) m.synthesise(p, source);
          }
          // Some pfns next to the frames, so that leaves with frames are visited.
          const pick = [...new Set([...drop, ...mat.map((p) => p + 1), ...synth.slice(0, 5)])].sort(
            (x, y) => x - y,
          );
          a.discardSorted(Float64Array.from(pick), 0, pick.length);
          for (const p of pick) b.discard(p);
          expect(a.materialisedPfns()).toEqual(b.materialisedPfns());
          expect(a.sharedBuffers).toBe(b.sharedBuffers);
          expect(a.synthesisedCount).toBe(b.synthesisedCount);
          for (const p of synth) expect(a.sourceOf(p)).toBe(b.sourceOf(p));
        },
      ),
      { numRuns: 60 },
    );
  });
});
