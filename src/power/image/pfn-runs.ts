/**
 * An image's pfn list as runs: the ascending pfns of orig_bm (or of a real
 * image's meta pages), each a data page or (6.6+) a zero page, kept as
 * maximal stretches of consecutive pfns with the same zero flag. A plan of
 * the 12 TiB Superdome table saves 52.6M pages, ~47M of them the memmap in a
 * few long runs: a per-page array costs hundreds of MB, the runs kilobytes.
 * A real image's meta pages may hold any ascending pfns, so the worst case is
 * one run per pfn, bounded by the image's size.
 *
 * Layout (run r of `runs`, all Float64Array: pfns reach 2^40, counts 2^32+):
 *   start[r]   first pfn of the run
 *   end[r]     list index one past the run's last entry (cumulative entries)
 *   dend[r]    data entries in runs 0..r (cumulative); a zero run adds none,
 *              a data run at least one, so run r is a zero run ⇔ dend[r] = dend[r−1]
 * With end[−1] = dend[−1] = 0: run r holds entries end[r−1] .. end[r]−1,
 * pfns start[r] + (i − end[r−1]); data entry i has ordinal dend[r−1] + (i − end[r−1]).
 *
 * Random access (index → run, pfn → run) is a binary search, with the last
 * run found tried first, so an ascending walk costs O(1) per step.
 */
import { ModelError } from '../../errors.js';

export class PfnRuns implements Iterable<number> {
  private start: Float64Array;
  private end: Float64Array;
  private dend: Float64Array;
  private nRuns = 0;
  /** The run the last lookup found (ascending walks stay O(1)). */
  private hint = 0;
  /** The zero flags of the entries, as a read-only view (iterable, at(i)). */
  readonly zero: ZeroFlags;

  constructor(capacity = 16) {
    const c = Math.max(1, capacity);
    this.start = new Float64Array(c);
    this.end = new Float64Array(c);
    this.dend = new Float64Array(c);
    this.zero = new ZeroFlags(this);
  }

  /** The runs of a per-entry list: pfns[0..count) with zero[i] = 1 for a zero page (no zero = all data). */
  static fromArrays(pfns: ArrayLike<number>, zero: ArrayLike<number> | undefined, count: number): PfnRuns {
    const r = new PfnRuns();
    for (let i = 0; i < count; i++) r.append(pfns[i]!, Boolean(zero?.[i]));
    return r.trim();
  }

  /** Entries in the list. */
  get count(): number {
    return this.nRuns === 0 ? 0 : this.end[this.nRuns - 1]!;
  }

  /** Data (non-zero) entries. */
  get dataCount(): number {
    return this.nRuns === 0 ? 0 : this.dend[this.nRuns - 1]!;
  }

  /** Zero-page entries. */
  get zeroCount(): number {
    return this.count - this.dataCount;
  }

  /** Runs held (memory is proportional to this). */
  get runs(): number {
    return this.nRuns;
  }

  /** Add one entry: a pfn above every pfn so far. */
  append(pfn: number, zero: boolean): void {
    this.appendRun(pfn, 1, zero);
  }

  /** Add entries start .. start + n − 1, all data or all zero; start is above every pfn so far. */
  appendRun(start: number, n: number, zero: boolean): void {
    if (n <= 0) return;
    const t = this.nRuns - 1;
    if (t >= 0) {
      const last = this.start[t]! + this.runLength(t) - 1;
      if (!(start > last)) {
        throw new ModelError(
          'PFN_RUNS_ORDER',
          `pfn 0x${start.toString(16)} appended after 0x${last.toString(16)}`,
        );
      }
      if (start === last + 1 && this.runIsZero(t) === zero) {
        this.end[t] = this.end[t]! + n;
        if (!zero) this.dend[t] = this.dend[t]! + n;
        return;
      }
    }
    if (this.nRuns === this.start.length) this.grow(Math.ceil(this.start.length * 1.5) + 1);
    const r = this.nRuns;
    const e0 = r === 0 ? 0 : this.end[r - 1]!;
    const d0 = r === 0 ? 0 : this.dend[r - 1]!;
    this.start[r] = start;
    this.end[r] = e0 + n;
    this.dend[r] = zero ? d0 : d0 + n;
    this.nRuns++;
  }

  /** Give back the growth slack (after the last append). */
  trim(): this {
    if (this.start.length > this.nRuns) this.grow(this.nRuns);
    return this;
  }

  // ---- runs ----

  runStart(r: number): number {
    return this.start[r]!;
  }

  /** List index of run r's first entry. */
  runFirst(r: number): number {
    return r === 0 ? 0 : this.end[r - 1]!;
  }

  runLength(r: number): number {
    return this.end[r]! - this.runFirst(r);
  }

  runIsZero(r: number): boolean {
    return this.dend[r]! === (r === 0 ? 0 : this.dend[r - 1]!);
  }

  /** Data ordinal of run r's first entry (the data entries before it). */
  runDataFirst(r: number): number {
    return r === 0 ? 0 : this.dend[r - 1]!;
  }

  /** The run holding list index i (0 ≤ i < count). */
  runOfIndex(i: number): number {
    let h = this.hint;
    if (h < this.nRuns && this.runFirst(h) <= i) {
      if (i < this.end[h]!) return h;
      h++;
      if (h < this.nRuns && i < this.end[h]!) {
        this.hint = h;
        return h;
      }
    }
    // First run whose end is above i.
    let lo = 0;
    let hi = this.nRuns - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end[mid]! > i) hi = mid;
      else lo = mid + 1;
    }
    this.hint = lo;
    return lo;
  }

  /** The last run starting at or below pfn, or −1 when pfn is below the first. */
  runAtOrBelow(pfn: number): number {
    const h = this.hint;
    if (h < this.nRuns && this.start[h]! <= pfn) {
      if (h + 1 === this.nRuns || this.start[h + 1]! > pfn) return h;
      if (h + 2 === this.nRuns || this.start[h + 2]! > pfn) {
        this.hint = h + 1;
        return h + 1;
      }
    }
    let lo = 0;
    let hi = this.nRuns; // first run starting above pfn
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.start[mid]! > pfn) hi = mid;
      else lo = mid + 1;
    }
    if (lo > 0) this.hint = lo - 1;
    return lo - 1;
  }

  // ---- entries ----

  /** pfn of list entry i. */
  pfnAt(i: number): number {
    const r = this.runOfIndex(i);
    return this.start[r]! + (i - this.runFirst(r));
  }

  /** Is list entry i a zero page? */
  isZeroAt(i: number): boolean {
    return this.runIsZero(this.runOfIndex(i));
  }

  /** Index of `pfn` in the list, or −1. */
  indexOf(pfn: number): number {
    const r = this.runAtOrBelow(pfn);
    if (r < 0) return -1;
    const k = pfn - this.start[r]!;
    return k < this.runLength(r) ? this.runFirst(r) + k : -1;
  }

  /** Data-page ordinal of list entry i (−1 = zero page). */
  dataOrdinal(i: number): number {
    const r = this.runOfIndex(i);
    return this.runIsZero(r) ? -1 : this.runDataFirst(r) + (i - this.runFirst(r));
  }

  /** Entries with a pfn below `pfn`. */
  countBelow(pfn: number): number {
    const r = this.runAtOrBelow(pfn);
    if (r < 0) return 0;
    return this.runFirst(r) + Math.min(pfn - this.start[r]!, this.runLength(r));
  }

  /** Zero entries with a pfn below `pfn`. */
  zeroBelow(pfn: number): number {
    const r = this.runAtOrBelow(pfn);
    if (r < 0) return 0;
    const before = this.runFirst(r) - this.runDataFirst(r);
    return this.runIsZero(r) ? before + Math.min(pfn - this.start[r]!, this.runLength(r)) : before;
  }

  /** First and last pfn (undefined when empty). */
  get firstPfn(): number | undefined {
    return this.nRuns === 0 ? undefined : this.start[0]!;
  }

  get lastPfn(): number | undefined {
    const t = this.nRuns - 1;
    return t < 0 ? undefined : this.start[t]! + this.runLength(t) - 1;
  }

  /** The pfns in order (Array.from(list) is the per-entry list). */
  *[Symbol.iterator](): Iterator<number> {
    for (let r = 0; r < this.nRuns; r++) {
      const s = this.start[r]!;
      for (let k = 0, n = this.runLength(r); k < n; k++) yield s + k;
    }
  }

  private grow(c: number): void {
    const copy = (a: Float64Array) => {
      const b = new Float64Array(Math.max(1, c));
      b.set(a.subarray(0, this.nRuns));
      return b;
    };
    this.start = copy(this.start);
    this.end = copy(this.end);
    this.dend = copy(this.dend);
  }
}

/** The per-entry zero flags of a PfnRuns (1 = zero page), computed from its runs. */
export class ZeroFlags implements Iterable<number> {
  constructor(private readonly list: PfnRuns) {}

  get length(): number {
    return this.list.count;
  }

  at(i: number): number {
    return this.list.isZeroAt(i) ? 1 : 0;
  }

  *[Symbol.iterator](): Iterator<number> {
    const L = this.list;
    for (let r = 0; r < L.runs; r++) {
      const z = L.runIsZero(r) ? 1 : 0;
      for (let k = 0, n = L.runLength(r); k < n; k++) yield z;
    }
  }
}

/** A bitmap's set bits as runs, ascending (forEachSetRun bound to a bitmap): fn returns whether to go on. */
export type RunSource = (fn: (start: number, n: number) => boolean) => void;

/**
 * The image's pfn list from orig_bm and zero_bm (a subset of it, 6.6+): the
 * first `count` pfns of orig_bm, each run split where zero_bm flags a
 * stretch — what `count` memory_bm_next_pfn(orig_bm) calls and a test of
 * each pfn against zero_bm give, run by run. A zero_bm bit outside orig_bm
 * flags nothing.
 */
export function imagePfnRuns(orig: RunSource, zero: RunSource | null, count: number): PfnRuns {
  const zeroRuns = new PfnRuns();
  zero?.((start, n) => {
    zeroRuns.appendRun(start, n, true);
    return true;
  });
  const list = new PfnRuns();
  let filled = 0;
  let zr = 0;
  if (count > 0) {
    orig((start, n) => {
      const take = Math.min(n, count - filled);
      for (let p = start, e = start + take; p < e; ) {
        // The first zero run ending above p: p is in it, or it starts after p (or there is none).
        while (zr < zeroRuns.runs && zeroRuns.runStart(zr) + zeroRuns.runLength(zr) <= p) zr++;
        const zs = zr < zeroRuns.runs ? zeroRuns.runStart(zr) : e;
        if (zs <= p) {
          const ze = Math.min(e, zs + zeroRuns.runLength(zr));
          list.appendRun(p, ze - p, true);
          p = ze;
        } else {
          const de = Math.min(e, zs);
          list.appendRun(p, de - p, false);
          p = de;
        }
      }
      filled += take;
      return filled < count;
    });
  }
  return list.trim();
}
