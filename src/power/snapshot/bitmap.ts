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

export interface BitBlock {
  start: number;
  end: number;
  words: Uint32Array;
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
  for (let k = 0; k < A.length; k++) {
    const blk = A[k]!;
    const wb = B[k]!.words;
    const lo = Math.max(from, blk.start);
    const hi = Math.min(to, blk.end);
    if (lo >= hi) continue;
    const first = lo - blk.start;
    const last = hi - blk.start; // exclusive
    for (let wi = first >>> 5; wi <= (last - 1) >>> 5; wi++) {
      let w = ~(blk.words[wi]! | wb[wi]!);
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

/** free &= forbidden over [from, to): mark_free_pages()' first step, word at a time. */
export function andRange(dst: MemoryBitmap, src: MemoryBitmap, from: number, to: number): void {
  const D = dst.blocks32();
  const S = src.blocks32();
  for (let k = 0; k < D.length; k++) {
    const blk = D[k]!;
    const ws = S[k]!.words;
    const lo = Math.max(from, blk.start);
    const hi = Math.min(to, blk.end);
    if (lo >= hi) continue;
    const first = lo - blk.start;
    const last = hi - blk.start;
    for (let wi = first >>> 5; wi <= (last - 1) >>> 5; wi++) {
      const base = wi << 5;
      let keep = 0xffffffff;
      if (base < first) keep &= 0xffffffff << (first - base);
      if (base + 32 > last) keep &= last - base >= 32 ? 0xffffffff : (1 << (last - base)) - 1;
      // bits inside the range: AND with src; outside: unchanged
      blk.words[wi] = (blk.words[wi]! & ~keep) | (blk.words[wi]! & ws[wi]! & keep);
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
export function findNextBit(words: Uint32Array, nbits: number, from: number): number {
  if (from >= nbits) return nbits;
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
export function popcountWords(words: Uint32Array, nbits: number): number {
  let n = 0;
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
