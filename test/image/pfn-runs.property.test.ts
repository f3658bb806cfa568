/**
 * The image's pfn list as runs (PfnRuns, src/power/image/pfn-runs.ts) against
 * the per-entry arrays it replaced, kept here as oracles: the ascending pfn
 * array + zero flags, the old packMetaPage() over them, the old MetaDecoder
 * (Float64 pfns + Uint8 zero flags) with the old MetaList's dataIndex, and the
 * old manifest fill of hibernate() (orig_bm pfns one by one, then zero_bm
 * flags by a merge walk). Same answers for every lookup, same meta page
 * bytes, same errors (code, message, offset) on hostile meta pages — and
 * memory per run, not per pfn.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import {
  checkPfnList,
  DEFAULT_MAX_PFN,
  MetaDecoder,
  nrMetaPages,
  PFNS_PER_META_PAGE,
  packMetaPage,
  toPfnRuns,
} from '../../src/power/image/meta.js';
import { PAGE_SIZE } from '../../src/power/image/page.js';
import { imagePfnRuns, PfnRuns, type RunSource } from '../../src/power/image/pfn-runs.js';

// ---- the oracles: the per-entry code as it was ----

interface Arrays {
  pfns: number[];
  zero: Uint8Array;
}

function oldPackMetaPage(list: { pfns: ArrayLike<number>; zero?: Uint8Array; count: number }, index: number) {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = new DataView(page.buffer);
  const start = index * PFNS_PER_META_PAGE;
  for (let j = 0; j < PFNS_PER_META_PAGE; j++) {
    const i = start + j;
    if (i >= list.count) {
      dv.setUint32(j * 8, 0xffffffff, true);
      dv.setUint32(j * 8 + 4, 0xffffffff, true);
      break;
    }
    const p = list.pfns[i]!;
    dv.setUint32(j * 8, p >>> 0, true);
    const hi = Math.floor(p / 0x100000000);
    dv.setUint32(j * 8 + 4, (list.zero?.[i] ? hi | 0x80000000 : hi) >>> 0, true);
  }
  return page;
}

/** The old MetaDecoder: per-entry arrays, the same checks in the same order. */
class OldMetaDecoder {
  pfns: number[] = [];
  zero: number[] = [];
  private dataCount = 0;
  zeroCount = 0;
  private pagesSeen = 0;
  private terminated = false;
  private prev = -1;
  constructor(
    private readonly nrMeta: number,
    private readonly imagePages: number,
    private readonly maxPfn = DEFAULT_MAX_PFN,
  ) {}
  push(page: Uint8Array, base: number): void {
    if (this.terminated) {
      throw new FormatError(
        'META_TERMINATOR_EARLY',
        `meta page ${this.pagesSeen} follows a page that ended the pfn list; expected ${this.nrMeta} meta pages with the end marker only in the last`,
        { offset: base },
      );
    }
    const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
    this.pagesSeen++;
    for (let j = 0; j < PFNS_PER_META_PAGE; j++) {
      const lo = dv.getUint32(j * 8, true);
      const hi = dv.getUint32(j * 8 + 4, true);
      const n = this.pfns.length;
      if (lo === 0xffffffff && hi === 0xffffffff) {
        this.terminated = true;
        if (this.pagesSeen !== this.nrMeta) {
          throw new FormatError(
            'META_TERMINATOR_EARLY',
            `pfn list ends in meta page ${this.pagesSeen - 1} of ${this.nrMeta}; expected the end marker only in the last meta page`,
            { offset: base + j * 8 },
          );
        }
        return;
      }
      const isZero = (hi & 0x80000000) !== 0;
      const pfn = (hi & 0x7fffffff) * 0x100000000 + lo;
      if (pfn >= this.maxPfn) {
        throw new FormatError(
          'META_PFN_OUT_OF_RANGE',
          `meta entry ${n} is pfn 0x${pfn.toString(16)}, expected below 0x${this.maxPfn.toString(16)}`,
          { offset: base + j * 8 },
        );
      }
      if (pfn <= this.prev) {
        throw new FormatError(
          'META_NOT_ASCENDING',
          `meta entry ${n} is pfn 0x${pfn.toString(16)}, expected above the previous pfn 0x${this.prev.toString(16)}`,
          { offset: base + j * 8 },
        );
      }
      if (!isZero && this.dataCount === this.imagePages) {
        throw new FormatError(
          'META_COUNT_MISMATCH',
          `meta entry ${n} is a data pfn beyond image_pages (${this.imagePages})`,
          { offset: base + j * 8 },
        );
      }
      this.prev = pfn;
      this.pfns.push(pfn);
      this.zero.push(isZero ? 1 : 0);
      if (isZero) this.zeroCount++;
      else this.dataCount++;
    }
  }
  finish(endOffset: number): void {
    const n = this.pfns.length;
    if (this.pagesSeen !== this.nrMeta) {
      throw new FormatError(
        'META_TRUNCATED',
        `read ${this.pagesSeen} meta pages, expected nr_meta_pages = ${this.nrMeta}`,
        {
          offset: endOffset,
        },
      );
    }
    if (this.dataCount !== this.imagePages) {
      throw new FormatError(
        'META_COUNT_MISMATCH',
        `pfn list has ${this.dataCount} data pfns, expected image_pages = ${this.imagePages}`,
        { offset: endOffset },
      );
    }
    if (nrMetaPages(n) !== this.nrMeta) {
      throw new FormatError(
        'META_COUNT_MISMATCH',
        `pfn list has ${n} entries, which need ${nrMetaPages(n)} meta pages, but nr_meta_pages is ${this.nrMeta}`,
        { offset: endOffset },
      );
    }
  }
}

/** The old MetaList's dataIndex: data ordinal per entry, −1 for a zero page. */
function oldDataIndex(zero: ArrayLike<number>): number[] {
  let d = 0;
  return Array.from(zero, (z) => (z ? -1 : d++));
}

/** Maximal runs of consecutive pfns with one zero flag (what the list's memory is proportional to). */
function maximalRuns(a: Arrays): number {
  let n = 0;
  for (let i = 0; i < a.pfns.length; i++) {
    if (i === 0 || a.pfns[i] !== a.pfns[i - 1]! + 1 || a.zero[i] !== a.zero[i - 1]) n++;
  }
  return n;
}

// ---- generators ----

/** An ascending pfn list built from runs: gaps (some huge, beyond 2^32), lengths, zero flags. */
const arraysArb = (maxRuns = 40, maxLen = 700): fc.Arbitrary<Arrays> =>
  fc
    .array(
      fc.record({
        gap: fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 ** 34 }) },
        ),
        len: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: maxLen })),
        zero: fc.boolean(),
      }),
      { maxLength: maxRuns, size: 'max' },
    )
    .chain((runs) =>
      fc.integer({ min: 0, max: 2 ** 20 }).map((first) => {
        const pfns: number[] = [];
        const zero: number[] = [];
        let p = first;
        for (const r of runs) {
          p += r.gap;
          for (let k = 0; k < r.len && p < DEFAULT_MAX_PFN; k++) {
            pfns.push(p++);
            zero.push(r.zero ? 1 : 0);
          }
        }
        return { pfns, zero: Uint8Array.from(zero) };
      }),
    );

function runsOf(a: Arrays): PfnRuns {
  return toPfnRuns({ pfns: a.pfns, zero: a.zero, count: a.pfns.length });
}

function metaPagesOf(a: Arrays): Uint8Array[] {
  const list = { pfns: a.pfns, zero: a.zero, count: a.pfns.length };
  const pages: Uint8Array[] = [];
  for (let i = 0; i < nrMetaPages(a.pfns.length); i++) pages.push(oldPackMetaPage(list, i));
  return pages;
}

function outcome(f: () => void): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return `${e.code} @${e.location.offset}: ${e.message}`;
  }
}

describe('PfnRuns against the per-entry arrays', () => {
  // Few long runs, and many short ones (several checkpoints of 32 runs, scanned from the cursor or a checkpoint).
  it.each([
    [25, 80],
    [400, 3],
  ])(
    'every lookup answers as the arrays do, in any order; one run per maximal stretch (%i runs of ≤ %i, fast-check)',
    (maxRuns, maxLen) => {
      fc.assert(
        fc.property(arraysArb(maxRuns, maxLen), fc.array(fc.nat(), { maxLength: 60 }), (a, picks) => {
          const L = runsOf(a);
          const n = a.pfns.length;
          const zeroCount = a.zero.reduce((s, z) => s + z, 0);
          expect(L.count).toBe(n);
          expect(L.zeroCount).toBe(zeroCount);
          expect(L.dataCount).toBe(n - zeroCount);
          expect(L.runs).toBe(maximalRuns(a));
          expect(Array.from(L)).toEqual(a.pfns);
          expect(Array.from(L.zero)).toEqual(Array.from(a.zero));
          expect(L.firstPfn).toBe(a.pfns[0]);
          expect(L.lastPfn).toBe(a.pfns[n - 1]);
          const dataIndex = oldDataIndex(a.zero);
          // Ascending, then at random (the lookup hint must not change an answer).
          const order = [...a.pfns.keys(), ...(n ? picks.map((p) => p % n) : [])];
          const row = (i: number) => [a.pfns[i], a.zero[i] === 1, a.zero[i], dataIndex[i], i];
          expect(
            order.map((i) => [
              L.pfnAt(i),
              L.isZeroAt(i),
              L.zero.at(i),
              L.dataOrdinal(i),
              L.indexOf(a.pfns[i]!),
            ]),
          ).toEqual(order.map(row));
          // pfns in and around the list: indexOf, countBelow, zeroBelow by linear scans.
          const probes = [0, ...a.pfns.flatMap((p) => [p - 1, p, p + 1]), ...picks.map((p) => p * 7919)];
          const below = (p: number) => a.pfns.filter((x) => x < p).length;
          const zeroBelow = (p: number) => a.pfns.filter((x, i) => x < p && a.zero[i]).length;
          expect(probes.map((p) => [L.indexOf(p), L.countBelow(p), L.zeroBelow(p)])).toEqual(
            probes.map((p) => [a.pfns.indexOf(p), below(p), zeroBelow(p)]),
          );
        }),
        { numRuns: 150 },
      );
    },
  );

  it('packMetaPage(): the same bytes as the per-entry packing, every page and past the end (fast-check)', () => {
    fc.assert(
      fc.property(arraysArb(30, 1200), (a) => {
        const L = runsOf(a);
        const list = { pfns: a.pfns, zero: a.zero, count: a.pfns.length };
        for (let i = 0; i <= nrMetaPages(a.pfns.length); i++) {
          expect(Buffer.from(packMetaPage(L, i)).equals(Buffer.from(oldPackMetaPage(list, i)))).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a list of exactly 512 entries fills its meta page with no end marker', () => {
    const a = { pfns: Array.from({ length: 512 }, (_, i) => 10 + 2 * i), zero: new Uint8Array(512) };
    const p = packMetaPage(runsOf(a), 0);
    expect(Buffer.from(p).equals(Buffer.from(oldPackMetaPage({ ...a, count: 512 }, 0)))).toBe(true);
    expect(new DataView(p.buffer).getBigUint64(511 * 8, true)).toBe(BigInt(10 + 2 * 511));
  });

  it('checkPfnList / toPfnRuns: the per-entry form keeps its errors', () => {
    const err = (pfns: number[], zero?: Uint8Array) =>
      outcome(() => toPfnRuns({ pfns, zero, count: pfns.length }));
    expect(err([1, 3, 2])).toBe('META_NOT_ASCENDING @undefined: pfn #2 is 0x2, expected above 0x3');
    expect(err([1, 2 ** 40])).toBe(
      `META_PFN_OUT_OF_RANGE @undefined: pfn #1 is ${2 ** 40}, expected an integer below 0x10000000000`,
    );
    expect(err([1, 2, 3], new Uint8Array(2))).toBe(
      'META_ZERO_FLAGS_SHORT @undefined: zero flags cover 2 of 3 pfns',
    );
    // A PfnRuns past the bound: the first entry at or above it.
    const L = new PfnRuns();
    L.appendRun(5, 3, false);
    L.appendRun(100, 4, true);
    expect(outcome(() => checkPfnList(L, 102))).toBe(
      'META_PFN_OUT_OF_RANGE @undefined: pfn #5 is 102, expected an integer below 0x66',
    );
    expect(outcome(() => checkPfnList(L, 104))).toBe('ok');
    expect(() => L.append(103, false)).toThrow(/appended after/);
    expect(() => L.append(200.5, false)).toThrow(/whole numbers/);
    expect(() => new PfnRuns().append(-1, false)).toThrow(/whole numbers/);
  });
});

describe('MetaDecoder as runs against the per-entry decoder', () => {
  it('valid meta pages decode to the same list (fast-check)', () => {
    fc.assert(
      fc.property(arraysArb(30, 1200), (a) => {
        const pages = metaPagesOf(a);
        const dataPages = a.pfns.length - a.zero.reduce((s, z) => s + z, 0);
        const dec = new MetaDecoder(pages.length, dataPages);
        for (const [i, p] of pages.entries()) dec.push(p, i * PAGE_SIZE);
        const L = dec.finish(pages.length * PAGE_SIZE);
        expect(Array.from(L)).toEqual(a.pfns);
        expect(Array.from(L.zero)).toEqual(Array.from(a.zero));
        expect(L.runs).toBe(maximalRuns(a));
        const di = oldDataIndex(a.zero);
        for (let i = 0; i < a.pfns.length; i++) expect(L.dataOrdinal(i)).toBe(di[i]);
      }),
      { numRuns: 60 },
    );
  });

  it('hostile meta pages: the same error (code, message, offset) or the same list (fast-check)', () => {
    const u64 = fc.oneof(
      fc.constant(0xffffffffffffffffn),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 41n }),
      fc.bigInt({ min: 0n, max: 2n ** 41n }).map((v) => v | (1n << 63n)),
    );
    const edit = fc.record({ page: fc.nat(), slot: fc.nat({ max: PFNS_PER_META_PAGE - 1 }), value: u64 });
    fc.assert(
      fc.property(
        arraysArb(12, 900),
        fc.array(edit, { maxLength: 4 }),
        fc.integer({ min: -1, max: 1 }),
        fc.integer({ min: -2, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        (a, edits, dMeta, dData, maxSel) => {
          const pages = metaPagesOf(a);
          if (pages.length === 0) pages.push(oldPackMetaPage({ pfns: [], count: 0 }, 0));
          for (const e of edits) {
            const p = pages[e.page % pages.length]!;
            new DataView(p.buffer).setBigUint64(e.slot * 8, e.value, true);
          }
          const nrMeta = Math.max(0, pages.length + dMeta);
          const imagePages = Math.max(0, a.pfns.length - a.zero.reduce((s, z) => s + z, 0) + dData);
          const maxPfn = [DEFAULT_MAX_PFN, 2 ** 33, 2 ** 20][maxSel]!;
          const fresh = new MetaDecoder(nrMeta, imagePages, maxPfn);
          const old = new OldMetaDecoder(nrMeta, imagePages, maxPfn);
          let got: PfnRuns | null = null;
          const mine = outcome(() => {
            for (const [i, p] of pages.entries()) fresh.push(p, 0x1000 + i * PAGE_SIZE);
            got = fresh.finish(0x1000 + pages.length * PAGE_SIZE);
          });
          const theirs = outcome(() => {
            for (const [i, p] of pages.entries()) old.push(p, 0x1000 + i * PAGE_SIZE);
            old.finish(0x1000 + pages.length * PAGE_SIZE);
          });
          expect(mine).toBe(theirs);
          if (got) {
            const L = got as PfnRuns;
            expect(Array.from(L)).toEqual(old.pfns);
            expect(Array.from(L.zero)).toEqual(old.zero);
            expect(L.zeroCount).toBe(old.zeroCount);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('imagePfnRuns(): the manifest from orig_bm and zero_bm runs', () => {
  /** A bitmap's set bits as runs (maximal or cut anywhere: forEachSetRun joins, a caller may not). */
  const source =
    (bits: number[], cuts: Set<number>): RunSource =>
    (fn) => {
      let s = -1;
      let n = 0;
      for (const b of bits) {
        if (n > 0 && s + n === b && !cuts.has(b)) n++;
        else {
          if (n > 0 && !fn(s, n)) return;
          s = b;
          n = 1;
        }
      }
      if (n > 0) fn(s, n);
    };

  it('the same pfns and zero flags as the per-entry fill of hibernate() (fast-check)', () => {
    fc.assert(
      fc.property(
        arraysArb(25, 300),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 2 ** 21 }), { maxLength: 5 }),
        (a, cutIdx, countSel, strayZero) => {
          const orig = a.pfns;
          // zero_bm: the zero-flagged pfns, plus a few bits outside orig_bm (they flag nothing).
          const zeroBits = [...new Set([...orig.filter((_, i) => a.zero[i]), ...strayZero])].sort(
            (x, y) => x - y,
          );
          const cuts = new Set(cutIdx.map((i) => orig[i % Math.max(1, orig.length)]!));
          const count = orig.length === 0 ? 0 : countSel % (orig.length + 1);
          // The old fill: count pfns of orig_bm, then the zero flags by a merge walk over zero_bm.
          const pfns = orig.slice(0, count);
          const zero = new Uint8Array(count);
          let i = 0;
          for (const z of zeroBits) {
            while (i < count && pfns[i]! < z) i++;
            if (i < count && pfns[i] === z) zero[i] = 1;
          }
          const L = imagePfnRuns(source(orig, cuts), source(zeroBits, cuts), count);
          expect(Array.from(L)).toEqual(pfns);
          expect(Array.from(L.zero)).toEqual(Array.from(zero));
          expect(L.runs).toBe(maximalRuns({ pfns, zero }));
          // Without zero_bm (before 6.6): all data.
          const D = imagePfnRuns(source(orig, cuts), null, count);
          expect(Array.from(D)).toEqual(pfns);
          expect(D.zeroCount).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a stretch longer than a run holds (2^31 − 1) is split, and beyond 2^32 pfns go wide', () => {
    const L = new PfnRuns();
    L.appendRun(5, 2 ** 31 + 5, false);
    L.appendRun(2 ** 33, 3, true);
    expect(L.runs).toBe(3);
    expect(L.count).toBe(2 ** 31 + 8);
    expect(L.pfnAt(2 ** 31 + 4)).toBe(2 ** 31 + 9);
    expect(L.indexOf(2 ** 33 + 2)).toBe(2 ** 31 + 7);
    expect(L.dataOrdinal(2 ** 31 + 4)).toBe(2 ** 31 + 4);
    expect(L.isZeroAt(2 ** 31 + 5)).toBe(true);
    expect(L.lastPfn).toBe(2 ** 33 + 2);
  });

  it('a memmap-sized list costs its runs, not its pages', () => {
    // 47M consecutive pfns (the 12 TiB Superdome memmap) with a zero page every 2^20: ~90 runs.
    const n = 47_000_000;
    const L = imagePfnRuns(
      (fn) => {
        fn(0x100000, n);
      },
      (fn) => {
        for (let p = 0x100000; p < 0x100000 + n; p += 2 ** 20) if (!fn(p, 1)) return;
      },
      n,
    );
    expect(L.count).toBe(n);
    expect(L.zeroCount).toBe(Math.ceil(n / 2 ** 20));
    expect(L.runs).toBeLessThan(100);
    expect(L.pfnAt(n - 1)).toBe(0x100000 + n - 1);
    expect(L.dataOrdinal(n - 1)).toBe(n - 1 - L.zeroCount);
  });
});
