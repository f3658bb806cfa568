/**
 * struct memory_bitmap — the hibernation core's page-frame bitmaps
 * (kernel/power/snapshot.c). Two kernel implementations exist:
 *  - 3.10 … 3.16: a list of `struct bm_block`, one page of bits each
 *    (./bm-block-list.ts);
 *  - 3.17+: a radix tree per memory extent (./bm-rtree.ts).
 * Both cover "extents" = the merged spans of the populated zones
 * (create_mem_extents()), holes included, and both live in model memory at
 * addresses the model's allocators hand out. The profile chooses one.
 *
 * Semantics that matter for fidelity (and that a crash user sees in `cur`):
 * set/test/clear move the iteration position (memory_bm_find_bit side
 * effects differ per kernel), and next_pfn resets at the end only on 3.10.
 */
import type { BitmapKind } from '../../profiles/hibernation.js';

/** BM_END_OF_MAP = ~0UL; the model uses -1. */
export const BM_END_OF_MAP = -1;
/** BM_BITS_PER_BLOCK = PAGE_SIZE * 8. */
export const BM_BITS_PER_BLOCK = 32768;

export type { BitmapKind };

export interface MemExtent {
  /** First pfn. */
  start: number;
  /** Last pfn + 1. */
  end: number;
}

export interface MemoryBitmap {
  readonly kind: BitmapKind;
  /** Physical address of the `struct memory_bitmap` itself. */
  readonly structPhys: number;
  /** Frames holding bits (one per block/leaf), in pfn order. */
  readonly dataPfns: readonly number[];
  /** Frames of the chain allocator (bm_block / rtree_node / zone objects) and inner rtree nodes. */
  readonly metaPfns: readonly number[];
  readonly extents: readonly MemExtent[];

  /** memory_bm_set_bit(): throws ModelError (the kernel BUG_ON) for a pfn outside the bitmap. */
  setBit(pfn: number): void;
  /** mem_bm_set_bit_check(): false (and no change) for a pfn outside the bitmap. */
  setBitCheck(pfn: number): boolean;
  clearBit(pfn: number): void;
  testBit(pfn: number): boolean;
  /** memory_bm_pfn_present(). */
  pfnPresent(pfn: number): boolean;
  /** memory_bm_next_pfn(): next set bit from the position, BM_END_OF_MAP at the end. */
  nextPfn(): number;
  /** memory_bm_position_reset(). */
  positionReset(): void;
  /**
   * The position memory_bm_next_pfn() leaves after it returned `pfn` (a pfn
   * of the bitmap): bulk walks that consumed a run of set bits end here.
   */
  positionAfter(pfn: number): void;
  /** Write the JS-side position into the struct in model memory (for the inspector). */
  flush(): void;

  /** Side-effect-free helpers for the model itself (counting, duplicating). */
  testBitQuiet(pfn: number): boolean;
  setBitQuiet(pfn: number): void;
  clearBitQuiet(pfn: number): void;
  /** Call `fn` for every set pfn, ascending, without moving the position. */
  forEachSet(fn: (pfn: number) => void): void;
  /** Number of set bits. */
  count(): number;
  /** Clear every bit (memory_bm_free + create would; used for recycling). */
  clearAll(): void;
  /** The bit pages in pfn order: block [start, end) and its words (bit i = pfn start + i). */
  blocks32(): readonly BitBlock[];
}

/**
 * The forms of a bit page (./bm-leaves.ts): never written (reads zero, not
 * materialised), all zero, all ones below its end (both without a host
 * buffer), or mixed (a view of its materialised frame).
 */
export const LEAF_NONE = 0;
export const LEAF_ZERO = 1;
export const LEAF_ONES = 2;
export const LEAF_REAL = 3;

export interface BitBlock {
  start: number;
  end: number;
  /**
   * The bits (bit i = pfn start + i), or null while the block's data page was
   * never written: a zeroed page (get_image_page) that reads as zero. Kept
   * unmaterialised so a 12 TiB map's sparse bitmaps cost their written pages.
   * READ ONLY: a uniform block's words are a marker shared by every such
   * block; writes go through write() / setBits() / clearBits().
   */
  readonly words: Uint32Array | null;
  /** LEAF_NONE / LEAF_ZERO / LEAF_ONES / LEAF_REAL. */
  readonly form: number;
  /** The words for writing: the data page materialised (LEAF_REAL) first. Call settle() after. */
  write(): Uint32Array;
  /** Set bits [first, last) (offsets in the block, first < last ≤ end - start). */
  setBits(first: number, last: number): void;
  /** Clear bits [first, last). */
  clearBits(first: number, last: number): void;
  /** After writes through write(): a block left all ones / all zero gives up its buffer. */
  settle(): void;
  /**
   * The map's write counter, one object for all its blocks: every write
   * through this interface bumps it; a writer that stores into `words`
   * itself (PfnBitSetter) bumps it too.
   */
  readonly counter: { writes: number };
}

/** Index of the first block that ends after `pfn` (blocks are ascending and disjoint). */
function firstBlockEndingAfter(B: readonly BitBlock[], pfn: number): number {
  let lo = 0;
  let hi = B.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (B[mid]!.end <= pfn) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Word-at-a-time walk over two bitmaps built on the same extents: calls `fn`
 * for every pfn in [from, to) whose bit is clear in both (neither forbidden
 * nor free — the candidates of saveable_page()). 32 pfns per step instead of
 * two bitmap lookups per pfn.
 */
export function forEachClearInBoth(
  a: MemoryBitmap,
  b: MemoryBitmap,
  from: number,
  to: number,
  fn: (pfn: number) => void,
): void {
  const A = a.blocks32();
  const B = b.blocks32();
  for (let k = firstBlockEndingAfter(A, from); k < A.length && A[k]!.start < to; k++) {
    const blk = A[k]!;
    if (blk.form === LEAF_ONES || B[k]!.form === LEAF_ONES) continue;
    const wa = blk.words;
    const wb = B[k]!.words;
    const lo = Math.max(from, blk.start);
    const hi = Math.min(to, blk.end);
    if (lo >= hi) continue;
    const first = lo - blk.start;
    const last = hi - blk.start; // exclusive
    for (let wi = first >>> 5; wi <= (last - 1) >>> 5; wi++) {
      let w = ~((wa === null ? 0 : wa[wi]!) | (wb === null ? 0 : wb[wi]!));
      const base = wi << 5;
      if (base < first) w &= 0xffffffff << (first - base);
      if (base + 32 > last) w &= last - base >= 32 ? 0xffffffff : (1 << (last - base)) - 1;
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        fn(blk.start + base + bit);
        w &= w - 1;
      }
    }
  }
}

/**
 * forEachClearInBoth() as runs: `fn(start, n)` for each maximal run of pfns
 * of [from, to) whose bit is clear in both bitmaps, ascending (a run is cut
 * at a bit page's end). Words where either map is all ones, or both all
 * zeros, are taken whole; so are uniform bit pages.
 */
export function forEachClearRunInBoth(
  a: MemoryBitmap,
  b: MemoryBitmap,
  from: number,
  to: number,
  fn: (start: number, n: number) => void,
): void {
  const A = a.blocks32();
  const B = b.blocks32();
  for (let k = firstBlockEndingAfter(A, from); k < A.length && A[k]!.start < to; k++) {
    const blk = A[k]!;
    const lo = Math.max(from, blk.start);
    const hi = Math.min(to, blk.end);
    if (lo >= hi) continue;
    const fa = blk.form;
    const fb = B[k]!.form;
    if (fa === LEAF_ONES || fb === LEAF_ONES) continue;
    if (fa <= LEAF_ZERO && fb <= LEAF_ZERO) {
      fn(lo, hi - lo);
      continue;
    }
    const wa = blk.words;
    const wb = B[k]!.words;
    const first = lo - blk.start;
    const last = hi - blk.start; // exclusive
    // Alternate: find the next clear bit of (a | b), then the next set bit.
    let bit = first;
    while (bit < last) {
      const c = nextBitOfOr(wa, wb, bit, last, false);
      if (c >= last) break;
      const e = nextBitOfOr(wa, wb, c, last, true);
      fn(blk.start + c, e - c);
      bit = e;
    }
  }
}

/** The first bit ≥ from (below `last`, else `last`) whose value in (a | b) is `set`. */
function nextBitOfOr(
  wa: Uint32Array | null,
  wb: Uint32Array | null,
  from: number,
  last: number,
  set: boolean,
): number {
  let wi = from >>> 5;
  const lastWord = (last - 1) >>> 5;
  let w = (wa === null ? 0 : wa[wi]!) | (wb === null ? 0 : wb[wi]!);
  if (!set) w = ~w;
  w &= 0xffffffff << (from & 31);
  for (;;) {
    if (w !== 0) {
      const bit = (wi << 5) + (31 - Math.clz32(w & -w));
      return Math.min(bit, last);
    }
    if (++wi > lastWord) return last;
    w = (wa === null ? 0 : wa[wi]!) | (wb === null ? 0 : wb[wi]!);
    if (!set) w = ~w;
  }
}

/**
 * The set bits of a bitmap from `from` on as runs, ascending: `fn(start, n)`
 * for maximal runs of set pfns (continuing across words and bit pages);
 * `fn` returns whether to go on. No position change (memory_bm_next_pfn()
 * order without its side effects; see positionAfter()).
 */
export function forEachSetRun(
  bm: MemoryBitmap,
  from: number,
  fn: (start: number, n: number) => boolean,
): void {
  const B = bm.blocks32();
  let rs = -1;
  let rn = 0;
  for (let k = firstBlockEndingAfter(B, from); k < B.length; k++) {
    const blk = B[k]!;
    const nbits = blk.end - blk.start;
    let bit = Math.max(0, from - blk.start);
    for (;;) {
      // Read afresh each time: `fn` may have changed the map (and this page's form).
      const form = blk.form;
      if (form <= LEAF_ZERO) break;
      const w = blk.words!;
      const a = form === LEAF_ONES ? bit : findNextBit(w, nbits, bit);
      if (a >= nbits) break;
      const e = form === LEAF_ONES ? nbits : findNextClearBit(w, nbits, a);
      const p = blk.start + a;
      if (rn > 0 && rs + rn === p) rn += e - a;
      else {
        if (rn > 0 && fn(rs, rn) === false) return;
        rs = p;
        rn = e - a;
      }
      bit = e;
    }
  }
  if (rn > 0) fn(rs, rn);
}

/**
 * memory_bm_next_pfn()'s sequence without its position side effects: next()
 * returns the set pfns ascending, then BM_END_OF_MAP. `current` is what the
 * last next() returned (BM_END_OF_MAP before the first), `last` the last pfn
 * it returned. Callers put the bitmap's position right with positionAfter().
 */
export class SetBitCursor {
  private readonly B: readonly BitBlock[];
  private k = 0;
  private bit = 0;
  current = BM_END_OF_MAP;
  last = BM_END_OF_MAP;

  constructor(bm: MemoryBitmap) {
    this.B = bm.blocks32();
  }

  next(): number {
    const B = this.B;
    while (this.k < B.length) {
      const blk = B[this.k]!;
      const nbits = blk.end - blk.start;
      const b = findNextBit(blk.words, nbits, this.bit);
      if (b < nbits) {
        this.bit = b + 1;
        const pfn = blk.start + b;
        this.current = pfn;
        this.last = pfn;
        return pfn;
      }
      this.k++;
      this.bit = 0;
    }
    this.current = BM_END_OF_MAP;
    return BM_END_OF_MAP;
  }

  /**
   * How many of the pfns right after `current` (at most `max`, inside its bit
   * page) are set: the next calls of next() would return current + 1, current
   * + 2, … that many times. 0 before the first next() and at the end.
   */
  runAfter(max: number): number {
    if (this.current === BM_END_OF_MAP || max <= 0) return 0;
    const blk = this.B[this.k]!;
    const nbits = blk.end - blk.start;
    const form = blk.form;
    if (form <= LEAF_ZERO) return 0;
    const e = form === LEAF_ONES ? nbits : findNextClearBit(blk.words!, nbits, this.bit);
    return Math.min(max, e - this.bit);
  }

  /** next() `n` times where runAfter() ≥ n: current moves on by n. */
  skip(n: number): void {
    if (n <= 0) return;
    this.bit += n;
    this.current += n;
    this.last = this.current;
  }
}

/**
 * The position memory_bm_next_pfn() calls leave after a walk that
 * `cur` stands for: after its current pfn, or — once it returned
 * BM_END_OF_MAP — the end state next_pfn() reaches from after the last pfn
 * (3.10 resets, 6.x stays on the last leaf), or from the start for an empty
 * map. The cursor must have been advanced at least once.
 */
export function positionAsCursor(bm: MemoryBitmap, cur: SetBitCursor): void {
  if (cur.current !== BM_END_OF_MAP) {
    bm.positionAfter(cur.current);
    return;
  }
  if (cur.last !== BM_END_OF_MAP) bm.positionAfter(cur.last);
  else bm.positionReset();
  bm.nextPfn();
}

/** The first clear bit ≥ from of a block's words (nbits if none). */
function findNextClearBit(words: Uint32Array, nbits: number, from: number): number {
  if (from >= nbits) return nbits;
  let wi = from >>> 5;
  let w = ~words[wi]! & (0xffffffff << (from & 31));
  const lastWord = (nbits - 1) >>> 5;
  for (;;) {
    if (w !== 0) return Math.min(nbits, (wi << 5) + (31 - Math.clz32(w & -w)));
    if (++wi > lastWord) return nbits;
    w = ~words[wi]!;
  }
}

/**
 * swsusp_free()'s walk as runs: clear every pfn set in both bitmaps (built on
 * the same extents) and call
 * `fn(start, n)` for maximal runs of them, ascending (a run continues across
 * words and bit pages). Returns the number of pfns.
 */
export function takeSetRunsInBoth(
  a: MemoryBitmap,
  b: MemoryBitmap,
  fn: (start: number, n: number) => void,
): number {
  const A = a.blocks32();
  const B = b.blocks32();
  let total = 0;
  let rs = -1;
  let rn = 0;
  for (let k = 0; k < A.length; k++) {
    const ba = A[k]!;
    const bb = B[k]!;
    // A never-written or all-zero page has nothing in common with the other.
    if (ba.form <= LEAF_ZERO || bb.form <= LEAF_ZERO) continue;
    const start = ba.start;
    const nbits = ba.end - start;
    if (ba.form === LEAF_ONES && bb.form === LEAF_ONES) {
      // Both all ones: the whole page is one run, and both end all zero.
      if (rn > 0 && rs + rn === start) rn += nbits;
      else {
        if (rn > 0) fn(rs, rn);
        rs = start;
        rn = nbits;
      }
      total += nbits;
      ba.clearBits(0, nbits);
      bb.clearBits(0, nbits);
      continue;
    }
    const wa = ba.write();
    const wb = bb.write();
    const words = (nbits + 31) >>> 5;
    for (let wi = 0; wi < words; wi++) {
      let w = (wa[wi]! & wb[wi]!) >>> 0;
      if (w === 0) continue;
      wa[wi] = wa[wi]! & ~w;
      wb[wi] = wb[wi]! & ~w;
      const base = start + (wi << 5);
      while (w !== 0) {
        // The lowest run of ones in w.
        const lo = 31 - Math.clz32(w & -w);
        const above = (w >>> lo) + 1; // carries through the run
        const len = above > 0xffffffff ? 32 - lo : 31 - Math.clz32(above & -above);
        const p = base + lo;
        if (rn > 0 && rs + rn === p) rn += len;
        else {
          if (rn > 0) fn(rs, rn);
          rs = p;
          rn = len;
        }
        total += len;
        // Bits below lo + len dropped (a shift, not a power per run).
        w = lo + len >= 32 ? 0 : (w & (0xffffffff << (lo + len))) >>> 0;
      }
    }
    // A page that came out all zero (or was materialised from all ones and kept them) is uniform again.
    ba.settle();
    bb.settle();
  }
  if (rn > 0) fn(rs, rn);
  return total;
}

/** free &= forbidden over [from, to): mark_free_pages()' first step, word at a time. */
export function andRange(dst: MemoryBitmap, src: MemoryBitmap, from: number, to: number): void {
  const D = dst.blocks32();
  const S = src.blocks32();
  for (let k = firstBlockEndingAfter(D, from); k < D.length && D[k]!.start < to; k++) {
    const blk = D[k]!;
    const lo = Math.max(from, blk.start);
    const hi = Math.min(to, blk.end);
    // A zero block stays zero; against an all-ones source nothing changes.
    if (lo >= hi || blk.form <= LEAF_ZERO) continue;
    const sb = S[k]!;
    if (sb.form === LEAF_ONES) continue;
    const first = lo - blk.start;
    const last = hi - blk.start;
    // Against a zero source the range is cleared.
    if (sb.form <= LEAF_ZERO) {
      blk.clearBits(first, last);
      continue;
    }
    const ws = sb.words!;
    const wd = blk.write();
    for (let wi = first >>> 5; wi <= (last - 1) >>> 5; wi++) {
      const base = wi << 5;
      let keep = 0xffffffff;
      if (base < first) keep &= 0xffffffff << (first - base);
      if (base + 32 > last) keep &= last - base >= 32 ? 0xffffffff : (1 << (last - base)) - 1;
      // bits inside the range: AND with src; outside: unchanged
      wd[wi] = (wd[wi]! & ~keep) | (wd[wi]! & ws[wi]! & keep);
    }
    blk.settle();
  }
}

/**
 * Is every written (LEAF_REAL) bit page of the map that meets [from, to)
 * mixed, i.e. neither all zero nor all ones below its end? (A range
 * operation settles a page it leaves uniform; single-bit writes do not.)
 */
export function realPagesMixed(bm: MemoryBitmap, from: number, to: number): boolean {
  const B = bm.blocks32();
  for (let k = firstBlockEndingAfter(B, from); k < B.length && B[k]!.start < to; k++) {
    const blk = B[k]!;
    if (blk.form !== LEAF_REAL) continue;
    const w = blk.words!;
    const nbits = blk.end - blk.start;
    const full = nbits >>> 5;
    let any = false;
    let hole = false;
    for (let i = 0; i < full && !(any && hole); i++) {
      const v = w[i]!;
      if (v !== 0) any = true;
      if (v !== 0xffffffff) hole = true;
    }
    if (!(any && hole) && (nbits & 31) !== 0) {
      const mask = (1 << (nbits & 31)) - 1;
      const v = w[full]! & mask;
      if (v !== 0) any = true;
      if (v !== mask) hole = true;
    }
    if (!(any && hole)) return false;
  }
  return true;
}

/**
 * Set the bits of [from, to) (pfns outside the bitmap are skipped), a word at
 * a time: the same bits as one set_bit per pfn, with no position change
 * (mark_free_pages()' swsusp_set_page_free() over a free block).
 */
export function setRange(bm: MemoryBitmap, from: number, to: number): void {
  const B = bm.blocks32();
  for (let k = firstBlockEndingAfter(B, from); k < B.length && B[k]!.start < to; k++) {
    const blk = B[k]!;
    const first = Math.max(from, blk.start) - blk.start;
    const last = Math.min(to, blk.end) - blk.start; // exclusive
    if (first >= last) continue;
    blk.setBits(first, last);
  }
}

/**
 * memory_bm_set_bit() of each pfn of [from, to) — all inside the map — with the
 * position left to the caller: the same bits and page forms as those calls (a
 * page that is not all ones takes its words, materialised, at its first write;
 * nothing settles, as set_bit() never does). With `onlyClear`, a pfn whose bit
 * is already set gets no call (get_image_page(PG_SAFE)'s test first): each pfn
 * whose bit was clear goes to `onlyClear`, ascending, and a page is written
 * only when one of its bits in the range was clear. Returns how many were clear.
 */
export function setEachBit(
  bm: MemoryBitmap,
  from: number,
  to: number,
  onlyClear?: (pfn: number) => void,
): number {
  const B = bm.blocks32();
  let clear = 0;
  for (let k = firstBlockEndingAfter(B, from); k < B.length && B[k]!.start < to; k++) {
    const blk = B[k]!;
    const start = blk.start;
    const first = Math.max(from, start) - start;
    const last = Math.min(to, blk.end) - start; // exclusive
    if (first >= last || blk.form === LEAF_ONES) continue;
    if (onlyClear === undefined) {
      // Every set_bit() writes the page (a bit set already stays set).
      const w = blk.write();
      for (let b = first; b < last; b++) w[b >>> 5] = w[b >>> 5]! | (1 << (b & 31));
      continue;
    }
    const cur = blk.words;
    let any = false;
    for (let b = first; b < last; b++) {
      if (cur !== null && (cur[b >>> 5]! & (1 << (b & 31))) !== 0) continue;
      any = true;
      clear++;
      onlyClear(start + b);
    }
    if (!any) continue;
    const w = blk.write();
    for (let b = first; b < last; b++) w[b >>> 5] = w[b >>> 5]! | (1 << (b & 31));
  }
  return clear;
}

/**
 * Clear the bits of [from, to) (pfns outside the bitmap are skipped), a word
 * at a time: the same bits as one quiet clear_bit per pfn. A block whose data
 * page was never written stays unwritten (its bits read zero already).
 */
export function clearRange(bm: MemoryBitmap, from: number, to: number): void {
  const B = bm.blocks32();
  for (let k = firstBlockEndingAfter(B, from); k < B.length && B[k]!.start < to; k++) {
    const blk = B[k]!;
    const first = Math.max(from, blk.start) - blk.start;
    const last = Math.min(to, blk.end) - blk.start; // exclusive
    if (first >= last) continue;
    blk.clearBits(first, last);
  }
}

/**
 * Quiet set_bit for runs of pfns in no particular order (the pages of free
 * blocks): the block of the last pfn is tried first, then a binary search.
 * Pfns outside the bitmap are skipped. It keeps no view of a block's words
 * between calls (a range op may turn a block uniform and drop its buffer).
 */
export class BitWriter {
  private readonly B: readonly BitBlock[];
  private k = -1;
  private start = 0;
  private end = 0;

  constructor(private readonly bm: MemoryBitmap) {
    this.B = bm.blocks32();
  }

  /**
   * setRange() for a range that usually lies in the block of the last write
   * (a free block of at most 2^MAX_ORDER pages): the cached block's bits,
   * the general setRange() otherwise.
   */
  setRange(from: number, to: number): void {
    if (to <= from) return;
    if (this.k < 0 || from < this.start || to > this.end) {
      this.find(from);
      if (this.k < 0 || to > this.end) {
        setRange(this.bm, from, to);
        return;
      }
    }
    this.B[this.k]!.setBits(from - this.start, to - this.start);
  }

  set(pfn: number): void {
    if (this.k < 0 || pfn < this.start || pfn >= this.end) {
      this.find(pfn);
      if (this.k < 0) return;
    }
    const o = pfn - this.start;
    this.B[this.k]!.setBits(o, o + 1);
  }

  /** The block holding pfn in k/start/end (k = -1 outside the bitmap). */
  private find(pfn: number): void {
    const B = this.B;
    let lo = 0;
    let hi = B.length - 1;
    this.k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (pfn < B[mid]!.start) hi = mid - 1;
      else if (pfn >= B[mid]!.end) lo = mid + 1;
      else {
        this.k = mid;
        this.start = B[mid]!.start;
        this.end = B[mid]!.end;
        return;
      }
    }
  }
}

/**
 * Quiet set_bit for pfns in any order (the frames the allocator hands out,
 * scattered over memory): the bit page is found by arithmetic — each extent's
 * pages are consecutive BM_BITS_PER_BLOCK-bit blocks from its start — and its
 * words are kept once written. Pfns outside the bitmap are skipped.
 */
export class PfnBitSetter {
  private readonly B: readonly BitBlock[];
  /** The map's write counter (its word stores bypass the blocks). */
  private readonly wc: { writes: number };
  private readonly extStart: number[] = [];
  private readonly extEnd: number[] = [];
  private readonly extFirst: number[] = [];
  private lastExt = 0;

  constructor(private readonly bm: MemoryBitmap) {
    this.B = bm.blocks32();
    this.wc = this.B.length > 0 ? this.B[0]!.counter : { writes: 0 };
    let k = 0;
    for (const e of bm.extents) {
      while (k < this.B.length && this.B[k]!.start !== e.start) k++;
      this.extStart.push(e.start);
      this.extEnd.push(e.end);
      this.extFirst.push(k);
    }
  }

  /** The index of `pfn`'s bit page, its offset in `off`; -1 outside the bitmap. */
  private off = 0;
  private blockEnd = 0;
  private blockOf(pfn: number): number {
    let e = this.lastExt;
    if (!(pfn >= this.extStart[e]! && pfn < this.extEnd[e]!)) {
      e = -1;
      for (let i = 0; i < this.extStart.length; i++) {
        if (pfn >= this.extStart[i]! && pfn < this.extEnd[i]!) {
          e = i;
          break;
        }
      }
      if (e < 0) return -1;
      this.lastExt = e;
    }
    const rel = pfn - this.extStart[e]!;
    const blk = Math.floor(rel / BM_BITS_PER_BLOCK);
    const k = this.extFirst[e]! + blk;
    this.off = rel - blk * BM_BITS_PER_BLOCK;
    this.blockEnd = this.B[k]!.end;
    return k;
  }

  set(pfn: number): void {
    const k = this.blockOf(pfn);
    if (k < 0) return;
    const b = this.B[k]!;
    const off = this.off;
    // A written page, away from its first and last bit (where setBits() settles the page's
    // form): the word itself, as setBits() would write it.
    if (b.form === LEAF_REAL && off !== 0 && pfn + 1 !== this.blockEnd) {
      const w = b.words!;
      w[off >>> 5] = w[off >>> 5]! | (1 << (off & 31));
      this.wc.writes++;
      return;
    }
    b.setBits(off, off + 1);
  }

  /** set() of [from, to): bits of one bit page, the general setRange() otherwise. */
  setRange(from: number, to: number): void {
    if (to <= from) return;
    const k = this.blockOf(from);
    if (k >= 0 && to <= this.blockEnd) this.B[k]!.setBits(this.off, this.off + (to - from));
    else setRange(this.bm, from, to);
  }

  /**
   * setRange(s, s + size) for s = starts[from], …, starts[to - 1] (ascending:
   * Buddy.allocBulkSorted()'s blocks), in that order: the bit page is found
   * once per page the starts fall in, and a one-page block inside a written
   * page away from its first and last bit is the word store set() makes.
   */
  setSorted(starts: Float64Array, from: number, to: number, size: number): void {
    const B = this.B;
    let k = -1;
    let lo = 0;
    let hi = 0;
    for (let i = from; i < to; i++) {
      const pfn = starts[i]!;
      if (k < 0 || pfn < lo || pfn >= hi) {
        k = this.blockOf(pfn);
        if (k < 0) {
          // Outside the bitmap's pages (or straddling into one): the general path.
          if (size > 1) setRange(this.bm, pfn, pfn + size);
          continue;
        }
        lo = pfn - this.off;
        hi = this.blockEnd;
      }
      const b = B[k]!;
      const off = pfn - lo;
      if (size === 1 && b.form === LEAF_REAL && off !== 0 && pfn + 1 !== hi) {
        const w = b.words!;
        w[off >>> 5] = w[off >>> 5]! | (1 << (off & 31));
        this.wc.writes++;
      } else if (pfn + size <= hi) b.setBits(off, off + size);
      else setRange(this.bm, pfn, pfn + size);
    }
  }
}

/** create_mem_extents(): merge [zone_start_pfn, zone_end_pfn) of populated zones. */
export function createMemExtents(zoneSpans: readonly MemExtent[]): MemExtent[] {
  const sorted = zoneSpans.filter((z) => z.end > z.start).sort((a, b) => a.start - b.start);
  const out: MemExtent[] = [];
  for (const z of sorted) {
    const last = out[out.length - 1];
    if (last && z.start <= last.end) last.end = Math.max(last.end, z.end);
    else out.push({ start: z.start, end: z.end });
  }
  return out;
}

/** find_next_bit() over `nbits` bits of a block's 32-bit words, from `from`. Returns nbits if none. */
export function findNextBit(words: Uint32Array | null, nbits: number, from: number): number {
  if (from >= nbits || words === null) return nbits;
  let wi = from >>> 5;
  let w = words[wi]! & (0xffffffff << (from & 31));
  const lastWord = (nbits - 1) >>> 5;
  for (;;) {
    if (w !== 0) {
      const bit = (wi << 5) + (31 - Math.clz32(w & -w));
      return bit < nbits ? bit : nbits;
    }
    if (++wi > lastWord) return nbits;
    w = words[wi]!;
  }
}

/** Population count of a block's words (first nbits bits). */
export function popcountWords(words: Uint32Array | null, nbits: number): number {
  let n = 0;
  if (words === null) return 0;
  const full = nbits >>> 5;
  for (let i = 0; i < full; i++) {
    let v = words[i]!;
    if (v === 0) continue;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
  }
  for (let b = full << 5; b < nbits; b++) if (words[b >>> 5]! & (1 << (b & 31))) n++;
  return n;
}
