/**
 * The hibernation core's bulk page loops against the per-page calls they
 * stand for (kernel/power/snapshot.c): two identical machines, one driven page
 * by page, the other in bulk; afterwards every struct page, the buddy free
 * lists IN LIST ORDER, every bitmap word and every bitmap position (the
 * struct memory_bitmap bytes after flush()) must be equal.
 *  - preallocate_image_pages() / swsusp_alloc(): alloc_image_page() +
 *    memory_bm_set_bit(copy_bm) n times vs SwsuspMem.allocImagePages();
 *  - free_unnecessary_pages(): memory_bm_next_pfn() from a reset position,
 *    clear_bit, unset forbidden/free, __free_page, vs freeUnnecessaryPages();
 *  - swsusp_free(): takeSetInBoth() + __free_page per pfn vs swsuspFree();
 * and the bitmap run walks against bit-by-bit walks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { E820_TYPE } from '../../src/firmware/e820-types.js';
import { bootMachine, type Machine } from '../../src/machine/boot.js';
import {
  forEachClearInBoth,
  forEachClearRunInBoth,
  forEachSetRun,
  type MemoryBitmap,
  PfnBitSetter,
  setRange,
  takeSetRunsInBoth,
} from '../../src/power/snapshot/bitmap.js';
import { createImageBitmaps, freeUnnecessaryPages } from '../../src/power/snapshot/preallocate.js';
import { countDataPages } from '../../src/power/snapshot/saveable.js';
import { SwsuspMem } from '../../src/power/snapshot/swsusp-mem.js';
import { linux310, linux612 } from '../../src/profiles/index.js';
import { ContentMap } from '../../src/workload/content-map.js';

/**
 * For every pfn set in both bitmaps (built on the same extents), ascending:
 * clear it in both, then call `fn` — swsusp_free()'s walk one pfn at a time:
 * the per-page reference takeSetRunsInBoth() is held to.
 */
function takeSetInBoth(a: MemoryBitmap, b: MemoryBitmap, fn: (pfn: number) => void): number {
  const A = a.blocks32();
  const B = b.blocks32();
  let n = 0;
  for (let k = 0; k < A.length; k++) {
    const wa = A[k]!.words;
    const wb = B[k]!.words;
    if (wa === null || wb === null) continue;
    const start = A[k]!.start;
    const words = (A[k]!.end - start + 31) >>> 5;
    for (let wi = 0; wi < words; wi++) {
      let w = wa[wi]! & wb[wi]!;
      if (w === 0) continue;
      wa[wi] = wa[wi]! & ~w;
      wb[wi] = wb[wi]! & ~w;
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        fn(start + (wi << 5) + bit);
        n++;
        w &= w - 1;
      }
    }
  }
  return n;
}

/** ~200 MiB with firmware islands (some max-order blocks start split), RAM above 4 GiB optional. */
function machine(v: '3.10' | '6.12', high: boolean): Machine {
  const t = [
    { addr: 0n, size: 0x1000n, type: E820_TYPE.RESERVED },
    { addr: 0x1000n, size: 0x9e000n, type: E820_TYPE.RAM },
    { addr: 0x100000n, size: 0x5f00000n, type: E820_TYPE.RAM },
    { addr: 0x6000000n, size: 0x3000n, type: E820_TYPE.ACPI },
    { addr: 0x6003000n, size: 0x6ffd000n, type: E820_TYPE.RAM },
    ...(high ? [{ addr: 0x100000000n, size: 0x2000000n, type: E820_TYPE.RAM }] : []),
  ];
  return bootMachine(
    { firmware: t, kernel: t },
    { profile: v === '3.10' ? linux310 : linux612, kaslr: { nokaslr: true } },
  );
}

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

function pages(m: Machine): string {
  const out: string[] = [];
  for (const z of m.zones.zones)
    m.pages.forEachStateRun(z.startPfn, z.startPfn + z.spannedPages, (f, r, mc, p, n) => {
      out.push(`${f}:${r}:${mc}:${p}x${n}`);
    });
  return out.join(' ');
}

/** A bitmap's words and its position as the struct in model memory holds it. */
function bitmapState(m: Machine, bm: MemoryBitmap): string {
  bm.flush();
  const st: string[] = [];
  for (let o = 0; o < 64; o += 8) st.push(m.mem.u64(bm.structPhys + o).toString(16));
  const words: string[] = [];
  for (const b of bm.blocks32()) words.push(b.words === null ? '-' : Array.from(b.words).join(','));
  return `${st.join(' ')} | ${words.join(';')}`;
}

interface Setup {
  m: Machine;
  s: SwsuspMem;
  copy: MemoryBitmap;
}

function setup(v: '3.10' | '6.12', high: boolean, frag: number[]): Setup {
  const m = machine(v, high);
  // Fragment the free lists: single pages and small blocks taken here and there.
  for (const x of frag) m.buddy.takePage(0x1000 + (x % 0xc000));
  const s = new SwsuspMem(m, new ContentMap());
  s.createBasicMemoryBitmaps(() => {});
  const { copy } = createImageBitmaps(s);
  return { m, s, copy };
}

function state(x: Setup): string {
  return [
    lists(x.m),
    pages(x.m),
    bitmapState(x.m, x.s.forbidden!),
    bitmapState(x.m, x.s.free!),
    bitmapState(x.m, x.copy),
    String(x.s.allocations),
  ].join('\n');
}

/** preallocate_image_pages() page by page. */
function allocPerPage(x: Setup, n: number): number {
  let got = 0;
  while (n-- > 0) {
    const pfn = x.s.allocImagePage();
    if (pfn < 0) break;
    x.copy.setBit(pfn);
    got++;
  }
  return got;
}

function allocBulk(x: Setup, n: number): number {
  let last = -1;
  const got = x.s.allocImagePages(n, (pfn, len) => {
    for (let p = pfn; p < pfn + len; p++) x.copy.setBitQuiet(p);
    last = pfn + len - 1;
  });
  if (last >= 0) x.copy.setBit(last);
  return got;
}

/** free_unnecessary_pages() as the kernel runs it, page by page. */
function freeUnnecessaryPerPage(x: Setup, allocNormal: number): number {
  const save = countDataPages(x.s);
  let toFree = allocNormal > save ? allocNormal - save : 0;
  const n = toFree;
  x.copy.positionReset();
  while (toFree > 0) {
    const pfn = x.copy.nextPfn();
    toFree--;
    x.copy.clearBit(pfn);
    x.s.freeImagePage(pfn, true);
  }
  return n;
}

const V = fc.constantFrom<'3.10' | '6.12'>('3.10', '6.12');

describe('hibernation page loops in bulk = page by page (fast-check)', () => {
  it('PfnBitSetter sets what set_bit sets (pfns in any order, outside ones skipped)', () => {
    fc.assert(
      fc.property(
        V,
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(0x1100000), fc.nat(70)), { maxLength: 40 }),
        (v, high, ranges) => {
          const x = setup(v, high, []);
          const y = setup(v, high, []);
          const w = new PfnBitSetter(x.s.free!);
          for (const [p, n] of ranges) {
            const q = p % 2 === 0 ? p % 0x40000 : p; // mostly inside, some above every extent
            w.setRange(q, q + n);
            for (let r = q; r < q + n; r++) if (y.s.free!.pfnPresent(r)) y.s.free!.setBitQuiet(r);
          }
          const words = (bm: MemoryBitmap) =>
            bm.blocks32().map((b) => (b.words ? Array.from(b.words).join() : '-'));
          expect(words(x.s.free!)).toEqual(words(y.s.free!));
        },
      ),
      {
        numRuns: 20,
        examples: [
          ['3.10', false, [[0, 33]]],
          ['6.12', true, [[1, 5000]]],
        ],
      },
    );
  });

  it('allocImagePages, free_unnecessary_pages, swsusp_free', () => {
    fc.assert(
      fc.property(
        V,
        fc.boolean(),
        fc.array(fc.nat(0xfffff), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 70000 }), { minLength: 1, maxLength: 3 }),
        fc.nat(3),
        (v, high, frag, allocs, keepFrac) => {
          const a = setup(v, high, frag);
          const b = setup(v, high, frag);
          expect(state(b)).toBe(state(a));
          let na = 0;
          let nb = 0;
          for (const n of allocs) {
            na += allocPerPage(a, n);
            nb += allocBulk(b, n);
            expect(nb).toBe(na);
            expect(state(b)).toBe(state(a));
          }
          // A smaller alloc_normal than allocated leaves some copy frames; more frees them all but `save`.
          const allocNormal = Math.floor((na * keepFrac) / 3) + (keepFrac === 3 ? 0 : 5);
          const fa = freeUnnecessaryPerPage(a, allocNormal);
          const fb = freeUnnecessaryPages(b.s, b.copy, allocNormal);
          expect(fb).toBe(fa);
          expect(state(b)).toBe(state(a));
          // swsusp_free(): every forbidden+free frame back, ascending.
          const ta = takeSetInBoth(a.s.forbidden!, a.s.free!, (pfn) => a.s.freePage(pfn));
          const tb = b.s.swsuspFree();
          expect(tb).toBe(ta);
          expect(state(b)).toBe(state(a));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('forEachSetRun / forEachClearRunInBoth / takeSetRunsInBoth / positionAfter = bit by bit', () => {
    fc.assert(
      fc.property(
        V,
        fc.array(fc.tuple(fc.boolean(), fc.nat(0xcffff), fc.nat(2100)), { maxLength: 12 }),
        fc.nat(0xcffff),
        fc.nat(0xcffff),
        (v, ranges, from, span) => {
          const x = setup(v, false, []);
          const [f, fr] = [x.s.forbidden!, x.s.free!];
          for (const [which, p, n] of ranges) {
            const bm = which ? f : fr;
            for (let q = p; q < p + n; q++) bm.setBitCheck(q);
          }
          // forEachSetRun from `from` against nextPfn() after positionAfter(from - 1)-like skipping.
          const ref: number[] = [];
          f.forEachSet((p) => {
            if (p >= from) ref.push(p);
          });
          const got: number[] = [];
          forEachSetRun(f, from, (s, n) => {
            for (let q = s; q < s + n; q++) got.push(q);
            return true;
          });
          expect(got).toEqual(ref);
          // positionAfter(p) continues nextPfn() exactly after p.
          if (ref.length > 1) {
            f.positionReset();
            let p = f.nextPfn();
            while (p !== ref[0]) p = f.nextPfn();
            const walked = [f.nextPfn()];
            f.positionAfter(ref[0]!);
            expect(f.nextPfn()).toBe(walked[0]);
          }
          const lo = Math.min(from, from + span);
          const hi = Math.min(0xd0000, from + span);
          const cref: number[] = [];
          forEachClearInBoth(f, fr, lo, hi, (p) => cref.push(p));
          const cgot: number[] = [];
          forEachClearRunInBoth(f, fr, lo, hi, (s, n) => {
            for (let q = s; q < s + n; q++) cgot.push(q);
          });
          expect(cgot).toEqual(cref);
          const tref: number[] = [];
          const y = setup(v, false, []);
          for (const [which, p, n] of ranges) {
            const bm = which ? y.s.forbidden! : y.s.free!;
            for (let q = p; q < p + n; q++) bm.setBitCheck(q);
          }
          takeSetInBoth(y.s.forbidden!, y.s.free!, (p) => tref.push(p));
          const tgot: number[] = [];
          takeSetRunsInBoth(f, fr, (s, n) => {
            for (let q = s; q < s + n; q++) tgot.push(q);
          });
          expect(tgot).toEqual(tref);
          // Both maps emptied of the same bits (positions aside: x's were moved above).
          for (const [p, q] of [
            [f, y.s.forbidden!],
            [fr, y.s.free!],
          ] as const)
            expect(p.blocks32().map((bl) => (bl.words ? Array.from(bl.words).join() : '-'))).toEqual(
              q.blocks32().map((bl) => (bl.words ? Array.from(bl.words).join() : '-')),
            );
        },
      ),
      { numRuns: 20 },
    );
  });

  it('get_image_page(PG_ANY / PG_SAFE) n times = getImagePages() / getSafeImagePages(): frames, lists, bits, positions, unsafe count, zeroed frames', () => {
    fc.assert(
      fc.property(
        V,
        fc.boolean(),
        fc.array(fc.nat(0x20000), { maxLength: 30 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.nat(0x1100000), fc.nat(3000)), { maxLength: 6 }),
        fc.integer({ min: 1, max: 70000 }),
        fc.option(fc.tuple(fc.nat(1), fc.boolean()), { freq: 2 }),
        (v, high, frag, safe, unsafe, n, onesBlock) => {
          const x = setup(v, high, frag);
          const y = setup(v, high, frag);
          for (const z of [x, y]) {
            // Frames an image wants (free bits set: mark_unsafe_pages()), and a frame with bytes.
            for (const [p, k] of unsafe) {
              const q = p % 2 === 0 ? p % 0x40000 : p;
              for (let r = q; r < q + k; r++) if (z.s.free!.pfnPresent(r)) z.s.free!.setBitQuiet(r);
            }
            // A whole bit page of free or forbidden bits (an all-ones page, no buffer: the other form).
            if (onesBlock !== null) {
              const bm = onesBlock[1] ? z.s.forbidden! : z.s.free!;
              const bl = bm.blocks32()[onesBlock[0]];
              if (bl) setRange(bm, bl.start, bl.end);
            }
            z.m.mem.frame(0x20000)[5] = 7;
            z.s.content.set(0x20001, 2, 1);
          }
          const a: number[] = [];
          for (let i = 0; i < n; i++) {
            const p = x.s.getImagePage(safe);
            if (p < 0) break;
            a.push(p);
          }
          const out = new Float64Array(n);
          const got = safe ? y.s.getSafeImagePages(n, out) : y.s.getImagePages(n, out);
          expect(Array.from(out.subarray(0, got))).toEqual(a);
          expect(y.s.allocatedUnsafePages).toBe(x.s.allocatedUnsafePages);
          expect(state(y)).toBe(state(x));
          // Each bit page's form too (never written / all zero / all ones / words).
          for (const k of ['forbidden', 'free'] as const)
            expect(y.s[k]!.blocks32().map((b) => b.form)).toEqual(x.s[k]!.blocks32().map((b) => b.form));
          expect(y.m.mem.materialisedPfns()).toEqual(x.m.mem.materialisedPfns());
          expect(y.s.content.runs()).toEqual(x.s.content.runs());
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
