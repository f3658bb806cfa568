/**
 * An image's pfn list as runs: the ascending pfns of orig_bm (or of a real
 * image's meta pages), each a data page or (6.6+) a zero page, kept as
 * maximal stretches of consecutive pfns with the same zero flag. A plan of
 * the 12 TiB Superdome table saves 52.6M pages, ~47M of them the memmap in a
 * few long runs: a per-page array costs hundreds of MB, the runs kilobytes.
 * A real image's meta pages may hold any ascending pfns, so the worst case is
 * one run per pfn, bounded by the image's size: ~8.5 bytes a run, less than
 * the per-entry arrays it replaces (4–8 B pfn + 1 B zero flag + 4 B digest or
 * data index per page).
 *
 * Layout (run r of `runs`):
 *   start[r]     first pfn (Uint32Array while every pfn is below 2^32, then Float64Array)
 *   lenz[r]      u32: bit 31 = zero run, bits 0–30 = length (a longer stretch is
 *                split into runs of at most 2^31 − 1 entries)
 *   ckEntries[k] entries before run k·CK (Float64Array), one per CK runs
 *   ckData[k]    data entries before run k·CK
 * Run r holds list entries first(r) .. first(r) + len − 1, pfns start[r] + (i − first(r)).
 * A cursor (run, entries and data entries before it) makes an ascending walk
 * O(1) a step; random access is a binary search (checkpoints or starts) and
 * at most CK runs of scanning.
 */
import { ModelError } from '../../errors.js';

/** Runs per checkpoint. */
const CK = 32;
const ZERO_BIT = 0x80000000;
const MAX_LEN = 0x7fffffff;

export class PfnRuns implements Iterable<number> {
  private start: Uint32Array | Float64Array;
  private lenz: Uint32Array;
  private ckEntries: Float64Array;
  private ckData: Float64Array;
  private nRuns = 0;
  private total = 0;
  private data = 0;
  /** Cursor: run `cr`, the entries and data entries before it. */
  private cr = 0;
  private cf = 0;
  private cd = 0;
  /** The zero flags of the entries, as a read-only view (iterable, at(i)). */
  readonly zero: ZeroFlags;

  constructor(capacity = 16) {
    const c = Math.max(1, capacity);
    this.start = new Uint32Array(c);
    this.lenz = new Uint32Array(c);
    this.ckEntries = new Float64Array(Math.ceil(c / CK));
    this.ckData = new Float64Array(Math.ceil(c / CK));
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
    return this.total;
  }

  /** Data (non-zero) entries. */
  get dataCount(): number {
    return this.data;
  }

  /** Zero-page entries. */
  get zeroCount(): number {
    return this.total - this.data;
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
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(n)) {
      throw new ModelError('PFN_RUNS_ORDER', `pfn run ${start} + ${n}: expected whole numbers from 0 on`);
    }
    if (n <= 0) return;
    // A cursor past the last run would miss what is added to that run: restart it.
    if (this.cr >= this.nRuns) {
      this.cr = 0;
      this.cf = 0;
      this.cd = 0;
    }
    const t = this.nRuns - 1;
    if (t >= 0) {
      const len = this.lenz[t]! & MAX_LEN;
      const last = this.start[t]! + len - 1;
      if (!(start > last)) {
        throw new ModelError(
          'PFN_RUNS_ORDER',
          `pfn 0x${start.toString(16)} appended after 0x${last.toString(16)}`,
        );
      }
      if (start === last + 1 && this.runIsZero(t) === zero && len < MAX_LEN) {
        const k = Math.min(n, MAX_LEN - len);
        this.lenz[t] = this.lenz[t]! + k;
        this.total += k;
        if (!zero) this.data += k;
        start += k;
        n -= k;
        if (n === 0) return;
      }
    }
    while (n > 0) {
      const k = Math.min(n, MAX_LEN);
      const r = this.nRuns;
      if (r === this.lenz.length) this.grow(Math.ceil(r * 1.5) + 1);
      if (start + k - 1 >= 2 ** 32 && this.start instanceof Uint32Array) {
        this.start = Float64Array.from(this.start);
      }
      if (r % CK === 0) {
        this.ckEntries[r / CK] = this.total;
        this.ckData[r / CK] = this.data;
      }
      this.start[r] = start;
      this.lenz[r] = zero ? (k | ZERO_BIT) >>> 0 : k;
      this.nRuns++;
      this.total += k;
      if (!zero) this.data += k;
      start += k;
      n -= k;
    }
  }

  /** Give back the growth slack (after the last append). */
  trim(): this {
    if (this.lenz.length > this.nRuns) this.grow(this.nRuns);
    return this;
  }

  // ---- runs ----

  runStart(r: number): number {
    return this.start[r]!;
  }

  runLength(r: number): number {
    return this.lenz[r]! & MAX_LEN;
  }

  runIsZero(r: number): boolean {
    return (this.lenz[r]! & ZERO_BIT) !== 0;
  }

  /** List index of run r's first entry. */
  runFirst(r: number): number {
    this.seek(r);
    return this.cf;
  }

  /** Data ordinal of run r's first entry (the data entries before it). */
  runDataFirst(r: number): number {
    this.seek(r);
    return this.cd;
  }

  /** Put the cursor on run r (0 ≤ r ≤ runs): forward from it, or from r's checkpoint. */
  private seek(r: number): void {
    if (r < this.cr || r - this.cr > CK) {
      // (Run `runs` has no checkpoint of its own when it would start a new one.)
      const k = Math.floor(Math.min(r, Math.max(0, this.nRuns - 1)) / CK);
      this.cr = k * CK;
      this.cf = this.ckEntries[k]!;
      this.cd = this.ckData[k]!;
    }
    while (this.cr < r) {
      const lz = this.lenz[this.cr++]!;
      const len = lz & MAX_LEN;
      this.cf += len;
      if ((lz & ZERO_BIT) === 0) this.cd += len;
    }
  }

  /** The run holding list index i (0 ≤ i < count). */
  runOfIndex(i: number): number {
    let r = this.cr;
    if (r < this.nRuns && i >= this.cf) {
      const e = this.cf + (this.lenz[r]! & MAX_LEN);
      if (i < e) return r;
      if (r + 1 < this.nRuns && i < e + (this.lenz[r + 1]! & MAX_LEN)) {
        this.seek(r + 1);
        return r + 1;
      }
    }
    // The last checkpoint at or below i, then its runs.
    let lo = 0;
    let hi = Math.ceil(this.nRuns / CK) - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.ckEntries[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    r = lo * CK;
    this.seek(r);
    while (r + 1 < this.nRuns && i >= this.cf + (this.lenz[r]! & MAX_LEN)) this.seek(++r);
    return r;
  }

  /** The last run starting at or below pfn, or −1 when pfn is below the first. */
  runAtOrBelow(pfn: number): number {
    const S = this.start;
    const h = this.cr;
    if (h < this.nRuns && S[h]! <= pfn) {
      if (h + 1 === this.nRuns || S[h + 1]! > pfn) return h;
      if (h + 2 === this.nRuns || S[h + 2]! > pfn) return h + 1;
    }
    let lo = 0;
    let hi = this.nRuns; // first run starting above pfn
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (S[mid]! > pfn) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  // ---- entries ----

  /** pfn of list entry i. */
  pfnAt(i: number): number {
    const r = this.runOfIndex(i);
    return this.start[r]! + (i - this.cf);
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
    return this.runIsZero(r) ? -1 : this.cd + (i - this.cf);
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
    this.seek(r);
    const before = this.cf - this.cd;
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
    const n = this.nRuns;
    const cap = Math.max(1, c);
    const st = this.start instanceof Uint32Array ? new Uint32Array(cap) : new Float64Array(cap);
    st.set(this.start.subarray(0, n));
    this.start = st;
    const lz = new Uint32Array(cap);
    lz.set(this.lenz.subarray(0, n));
    this.lenz = lz;
    const nk = Math.ceil(cap / CK);
    const used = Math.ceil(n / CK);
    const ce = new Float64Array(nk);
    ce.set(this.ckEntries.subarray(0, used));
    this.ckEntries = ce;
    const cd = new Float64Array(nk);
    cd.set(this.ckData.subarray(0, used));
    this.ckData = cd;
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
