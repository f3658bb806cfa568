/**
 * Word-at-a-time helpers for the restore side (./restore.ts): the same bits,
 * positions and allocations as the kernel's per-page loops in
 * kernel/power/snapshot.c (unpack_orig_pfns(), mark_unsafe_pages(),
 * duplicate_memory_bitmap(), prepare_image(), get_buffer()), executed a run
 * of pages — or a 32-bit word of a bitmap — at a time. Each helper names the
 * per-page loop it stands for; test/power/restore-runs.property.test.ts holds
 * each one to that loop.
 *
 * They work on `MemoryBitmap.blocks32()`: both bitmap kinds expose their data
 * pages as ascending, disjoint blocks of bits, and every map the restore side
 * creates covers the same extents (SwsuspMem.extents()), so block k of one
 * map and block k of another cover the same pfns.
 */
import { type BitBlock, BitWriter, LEAF_ONES, LEAF_ZERO, type MemoryBitmap } from './bitmap.js';
import type { SwsuspMem } from './swsusp-mem.js';

/** Do two maps have the same blocks (the same extents)? */
export function sameLayout(a: readonly BitBlock[], b: readonly BitBlock[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k]!.start !== b[k]!.start || a[k]!.end !== b[k]!.end) return false;
  return true;
}

/** Does a block hold a set bit? (A never-written block reads zero.) */
function anySet(b: BitBlock, nbits: number): boolean {
  if (b.form <= LEAF_ZERO) return false;
  if (b.form === LEAF_ONES) return true;
  const w = b.words!;
  const words = (nbits + 31) >>> 5;
  for (let i = 0; i < words; i++) if (w[i] !== 0) return true;
  return false;
}

/**
 * dst |= src, for two maps on the same extents: what `src.forEachSet(p =>
 * dst.setBitQuiet(p))` does — duplicate_memory_bitmap() and the loops of
 * prepare_image() that copy copy_bm / zero_bm — a word at a time. A dst block
 * is materialised only when the src block holds a set bit (as the first
 * setBitQuiet() into it would). Returns false (nothing done) when the layouts
 * differ; the caller then takes the per-pfn path.
 */
export function orBits(dst: MemoryBitmap, src: MemoryBitmap): boolean {
  const D = dst.blocks32();
  const S = src.blocks32();
  if (!sameLayout(D, S)) return false;
  for (let k = 0; k < S.length; k++) {
    const sb = S[k]!;
    const nbits = sb.end - sb.start;
    if (!anySet(sb, nbits)) continue;
    const db = D[k]!;
    // All ones in: all ones out (the bits beyond the end are zero in both).
    if (sb.form === LEAF_ONES) {
      db.setBits(0, nbits);
      continue;
    }
    if (db.form === LEAF_ONES) continue;
    const sw = sb.words!;
    const dw = db.write();
    const words = (nbits + 31) >>> 5;
    for (let i = 0; i < words; i++) dw[i] = dw[i]! | sw[i]!;
    db.settle();
  }
  return true;
}

/**
 * dst = src (bitwise), for two maps on the same extents: `dst.clearAll()`
 * then `src.forEachSet(p => dst.setBitQuiet(p))` — 6.x mark_unsafe_pages()'s
 * memory_bm_clear + duplicate — a word at a time. Blocks of dst that were
 * never written and receive no bit stay unwritten. False when the layouts differ.
 */
export function assignBits(dst: MemoryBitmap, src: MemoryBitmap): boolean {
  const D = dst.blocks32();
  const S = src.blocks32();
  if (!sameLayout(D, S)) return false;
  for (let k = 0; k < S.length; k++) {
    const sb = S[k]!;
    const nbits = sb.end - sb.start;
    const db = D[k]!;
    if (db.words === null && !anySet(sb, nbits)) continue;
    // clearAll() zeroes the whole data page; the bits beyond `end` are zero in both anyway.
    if (sb.form === LEAF_ONES) db.setBits(0, nbits);
    else if (sb.form <= LEAF_ZERO) {
      // A written page of dst stays written, all zero (a never-written one was skipped above).
      db.clearBits(0, nbits);
    } else {
      db.write().set(sb.words!);
      db.settle();
    }
  }
  return true;
}

/**
 * Call `fn` for every pfn of [from, to) whose bit in `bm` is clear (a pfn the
 * map does not cover counts as clear, as testBitQuiet() says), ascending —
 * prepare_image()'s `!swsusp_page_is_free(page)` test over a run of
 * allocated pages, 32 pfns per step.
 */
export function forEachClearBit(bm: MemoryBitmap, from: number, to: number, fn: (pfn: number) => void): void {
  const B = bm.blocks32();
  let pfn = from;
  // First block ending after `from`.
  const lo = firstBlockEndingAfter(B, from);
  for (let k = lo; pfn < to; k++) {
    const blk = k < B.length ? B[k]! : null;
    // The gap before the next block (or after the last): not covered, so clear.
    const gapEnd = blk === null ? to : Math.min(to, blk.start);
    for (; pfn < gapEnd; pfn++) fn(pfn);
    if (blk === null || pfn >= to) break;
    const end = Math.min(to, blk.end);
    if (blk.form === LEAF_ONES) {
      pfn = end;
      continue;
    }
    const w = blk.words;
    if (w === null) {
      for (; pfn < end; pfn++) fn(pfn);
      continue;
    }
    // Word by word: the inverted word, masked to [pfn, end), names the clear bits.
    while (pfn < end) {
      const o = pfn - blk.start;
      const base = o & ~31;
      let v = ~w[base >>> 5]! & (0xffffffff << (o - base));
      const lim = end - blk.start - base;
      if (lim < 32) v &= (1 << lim) - 1;
      while (v !== 0) {
        fn(blk.start + base + 31 - Math.clz32(v & -v));
        v &= v - 1;
      }
      pfn = Math.min(end, blk.start + base + 32);
    }
  }
}

/**
 * prepare_image()'s preallocation loop: `nr` times get_zeroed_page(); a frame
 * whose free bit is clear (not an image pfn) goes on safe_pages_list, an image
 * pfn becomes an "owned original"; every one is marked forbidden and free
 * (swsusp_set_page_forbidden/free). Stops at the first failed allocation,
 * keeping what it did; returns the number of frames allocated.
 *
 * The frames come as runs of consecutive pfns in allocation order: each run
 * is zeroed, its safe pages pushed (ascending = allocation order) and its
 * bits set a word at a time; the maps' positions end where the last
 * set_bit left them (a find_bit's position depends on the pfn alone).
 */
export function preallocateImagePages(s: SwsuspMem, nr: number): number {
  const m = s.machine;
  const mem = m.mem;
  const content = s.content;
  const free = s.free;
  const forbidden = s.forbidden;
  const fw = forbidden ? new BitWriter(forbidden) : null;
  const frw = free ? new BitWriter(free) : null;
  const push = (p: number): void => s.pushSafePage(p);
  let last = -1;
  // Buddy.allocBulk(): exactly nr × alloc_page() (GFP_ATOMIC: any zone), stopping at the first failure.
  const got = m.buddy.allocBulk(nr, m.buddy.zones.zones.length - 1, (pfn, len) => {
    s.allocations += len;
    const end = pfn + len;
    if (len < 32) {
      // A short run (a fragmented free list): page by page, through the writers' cached blocks.
      for (let p = pfn; p < end; p++) {
        content.clear(p);
        mem.discard(p);
        if (free === null || !free.testBitQuiet(p)) s.pushSafePage(p);
        fw?.set(p);
        frw?.set(p);
      }
    } else {
      // get_zeroed_page(): a frame with no backing reads as zero (its descriptors dropped).
      content.clearRange(pfn, len);
      mem.discardRange(pfn, len);
      if (free) forEachClearBit(free, pfn, end, push);
      else for (let p = pfn; p < end; p++) s.pushSafePage(p);
      fw?.setRange(pfn, end);
      frw?.setRange(pfn, end);
    }
    last = end - 1;
  });
  if (last >= 0) {
    s.setForbidden(last);
    s.setFree(last);
  }
  return got;
}

/** Index of the first block of `B` (ascending) that ends after `from`. */
function firstBlockEndingAfter(B: readonly BitBlock[], from: number, hint?: BlockHint): number {
  // The loader asks in ascending pfn order, a page at a time: the last answer usually still holds.
  if (hint !== undefined) {
    const h = hint.k;
    if (h < B.length && B[h]!.end > from && (h === 0 || B[h - 1]!.end <= from)) return h;
  }
  let lo = 0;
  let hi = B.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (B[mid]!.end <= from) lo = mid + 1;
    else hi = mid;
  }
  if (hint !== undefined) hint.k = lo;
  return lo;
}

/** The caller's memory of the last block firstBlockEndingAfter() found in one list (a hint: any value is safe). */
export interface BlockHint {
  k: number;
}

/** How many bits of word `v` from bit `bit` on are set, up to the first clear one (32 − bit: all). */
function onesFrom(v: number, bit: number): number {
  const ones = ~(v >>> bit);
  return ones === 0 ? 32 - bit : 31 - Math.clz32(ones & -ones);
}

/**
 * How many consecutive pfns from `from` on (at most `max`) have their bit set
 * in every block list of `all` and clear in `none` (null: no such map). The
 * lists come from maps on the same extents (sameLayout()); a pfn outside them
 * ends the run. get_buffer()'s "load it in place" test — the next orig_bm bit,
 * forbidden AND free, not a 6.6+ zero page — over a run, 32 pfns per step.
 */
export function runOfSetInAll(
  all: readonly (readonly BitBlock[])[],
  none: readonly BitBlock[] | null,
  from: number,
  max: number,
  hint?: BlockHint,
): number {
  const B = all[0]!;
  const lo = firstBlockEndingAfter(B, from, hint);
  let n = 0;
  let pfn = from;
  for (let k = lo; k < B.length && n < max; k++) {
    const blk = B[k]!;
    if (pfn < blk.start) break; // a hole between extents
    let uniform = none === null || none[k]!.form <= LEAF_ZERO;
    for (let m = 0; m < all.length && uniform; m++) uniform = all[m]![k]!.form === LEAF_ONES;
    if (uniform) {
      // Set in every map and clear in `none` to the page's end: the run goes on.
      const room = Math.min(blk.end - pfn, max - n);
      n += room;
      pfn += room;
      continue;
    }
    while (pfn < blk.end && n < max) {
      const o = pfn - blk.start;
      const wi = o >>> 5;
      let v = 0xffffffff;
      for (let m = 0; m < all.length && v !== 0; m++) {
        const w = all[m]![k]!.words;
        v &= w === null ? 0 : w[wi]!;
      }
      if (none !== null) {
        const z = none[k]!.words;
        if (z !== null) v &= ~z[wi]!;
      }
      const bit = o & 31;
      const run = onesFrom(v, bit);
      const room = Math.min(run, blk.end - pfn, max - n);
      n += room;
      pfn += room;
      // Stopped at a clear bit inside the block (at its end, the next block may go on).
      if (pfn < blk.end && room === run && room < 32 - bit) return n;
    }
    if (pfn < blk.end) break;
  }
  return n;
}

/**
 * How many pfns from `from` on (at most `max`) get_buffer() would load
 * through a PBE, one after another: set in orig_bm, NOT (forbidden AND free),
 * and clear in zero_bm (null: no such map). The lists come from maps on the
 * same extents (sameLayout()); a pfn outside them ends the run.
 */
export function runOfPbeLoads(
  orig: readonly BitBlock[],
  forbidden: readonly BitBlock[],
  free: readonly BitBlock[],
  zero: readonly BitBlock[] | null,
  from: number,
  max: number,
  hint?: BlockHint,
): number {
  const lo = firstBlockEndingAfter(orig, from, hint);
  let n = 0;
  let pfn = from;
  for (let k = lo; k < orig.length && n < max; k++) {
    const blk = orig[k]!;
    if (pfn < blk.start) break; // a hole between extents
    const o = blk.words;
    const f = forbidden[k]!.words;
    const r = free[k]!.words;
    const z = zero === null ? null : zero[k]!.words;
    while (pfn < blk.end && n < max) {
      const wi = (pfn - blk.start) >>> 5;
      let v = o === null ? 0 : o[wi]!;
      if (f !== null && r !== null) v &= ~(f[wi]! & r[wi]!);
      if (z !== null) v &= ~z[wi]!;
      const bit = (pfn - blk.start) & 31;
      const run = onesFrom(v, bit);
      const room = Math.min(run, blk.end - pfn, max - n);
      n += room;
      pfn += room;
      if (pfn < blk.end && room === run && room < 32 - bit) return n;
    }
    if (pfn < blk.end) break;
  }
  return n;
}

/** The highest pfn in [lo, hi) whose bit is set in the block list, or -1 (a word at a time). */
export function lastSetIn(blocks: readonly BitBlock[], lo: number, hi: number): number {
  // The last block starting below hi.
  let a = 0;
  let b = blocks.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (blocks[mid]!.start < hi) a = mid + 1;
    else b = mid;
  }
  for (let k = a - 1; k >= 0; k--) {
    const blk = blocks[k]!;
    if (blk.end <= lo) break;
    const w = blk.words;
    if (w === null) continue;
    const from = Math.max(lo, blk.start) - blk.start;
    let to = Math.min(hi, blk.end) - blk.start; // exclusive
    while (to > from) {
      const wi = (to - 1) >>> 5;
      const wordStart = wi << 5;
      let v = w[wi]!;
      // Keep the bits of [max(from, wordStart), to) in this word.
      const top = to - wordStart; // 1..32
      if (top < 32) v &= (1 << top) - 1;
      const bottom = Math.max(from, wordStart) - wordStart;
      if (bottom > 0) v &= ~((1 << bottom) - 1);
      if (v !== 0) return blk.start + wordStart + 31 - Math.clz32(v);
      to = wordStart;
    }
  }
  return -1;
}

/** imageRunOf()'s flags per pfn: its forbidden bit is set. */
export const RUN_FORBIDDEN = 1;
/** imageRunOf()'s flags per pfn: a 6.6+ zero page (in zero_bm). */
export const RUN_ZERO = 2;

/**
 * get_buffer()'s decision for the next orig_bm pfns in image order (gaps
 * between them allowed): the set bits of `orig` from `from` on, ascending, as
 * long as each one takes the same branch — `direct`: "forbidden AND free"
 * (loaded in place), else NOT (forbidden AND free) (loaded through a PBE).
 * A 6.6+ zero page (set in `zero`) takes the branch too (its buffer is
 * memset): it joins the run, flagged RUN_ZERO. At most `max` pfns, at most
 * `maxData` of them data pages, go to out[0..n), the run cut after its last
 * data page; flags[i] has RUN_FORBIDDEN when the pfn's forbidden bit is set
 * (the PBE branch tests free_pages_map only then). Returns n. The lists come
 * from maps on the same extents (sameLayout()); 32 pfns per step.
 */
export function imageRunOf(
  orig: readonly BitBlock[],
  forbidden: readonly BitBlock[],
  free: readonly BitBlock[],
  zero: readonly BitBlock[] | null,
  from: number,
  max: number,
  maxData: number,
  direct: boolean,
  out: Float64Array,
  flags: Uint8Array,
  hint?: BlockHint,
): number {
  let n = 0;
  let data = 0;
  // Entries up to and including the last data page.
  let end = 0;
  scan: for (let k = firstBlockEndingAfter(orig, from, hint); k < orig.length; k++) {
    const blk = orig[k]!;
    const o = blk.words;
    if (o === null) continue; // never written: no image pfn here
    const f = forbidden[k]!.words;
    const r = free[k]!.words;
    const z = zero === null ? null : zero[k]!.words;
    const nbits = blk.end - blk.start;
    let off = from > blk.start ? from - blk.start : 0;
    while (off < nbits) {
      const wi = off >>> 5;
      const base = wi << 5;
      // The orig_bm bits of this word from `off` to the block's end (a uniform block's marker
      // words may hold ones beyond it).
      let v = o[wi]! & (-1 << (off - base));
      if (nbits - base < 32) v &= (1 << (nbits - base)) - 1;
      off = base + 32;
      if (v === 0) continue;
      const fw = f === null ? 0 : f[wi]!;
      const zw = z === null ? 0 : z[wi]!;
      const both = fw & (r === null ? 0 : r[wi]!);
      // The bits before the first one that takes the other branch.
      const bad = (direct ? ~both : both) & v;
      if (bad !== 0) v &= (bad & -bad) - 1;
      while (v !== 0) {
        const low = v & -v;
        const isZero = (zw & low) !== 0;
        if (n >= max || (!isZero && data >= maxData)) break scan;
        out[n] = blk.start + base + 31 - Math.clz32(low);
        flags[n] = ((fw & low) !== 0 ? RUN_FORBIDDEN : 0) | (isZero ? RUN_ZERO : 0);
        n++;
        if (!isZero) {
          data++;
          end = n;
        }
        v ^= low;
      }
      if (bad !== 0) break scan;
    }
  }
  return end;
}
