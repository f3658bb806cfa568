/**
 * The bit pages of a `struct memory_bitmap` (3.10 bm_block data pages, 6.x
 * rtree leaves), one 4 KiB frame of model memory each: bit i of a leaf is
 * bit (i & 7) of byte (i >>> 3) of its frame, i.e. bit (i & 31) of
 * little-endian u32 word (i >>> 5). A leaf covers `nbits` ≤ 32768 pfns
 * (fewer for an extent's last one); its bits from `nbits` on stay zero —
 * the kernel sets and clears only bits of pfns inside the extent
 * (memory_bm_find_bit() refuses the rest).
 *
 * A leaf is in one of four forms; what a reader sees (the words, the frame's
 * bytes, whether the frame is materialised) is exactly what one Uint32Array
 * view per written leaf would give, but uniform leaves cost no host page:
 *  - NONE: never written — the zeroed page from get_image_page(): its frame
 *    is not materialised and reads zero; words === null.
 *  - ZERO: written once, all zero now: the frame is synthesised
 *    (PhysMem.synthesise()) by ZERO_SOURCE — materialised, reads zero, no
 *    buffer; words = the shared all-zero marker.
 *  - ONES: every bit below nbits set (hibernate_preallocate_memory() marks
 *    nearly all free RAM forbidden AND free): synthesised by the all-ones
 *    source of its nbits; words = the shared all-ones marker of that nbits.
 *  - REAL: anything else: words are a view of the materialised frame.
 * The markers are shared and read-only: every write goes through this class,
 * which turns a uniform leaf into a REAL one first (writable()). A range
 * operation that leaves a REAL leaf uniform turns it back (settle()), giving
 * its buffer to PhysMem's spare list (recycle()), so an ascending fill of
 * free blocks holds one buffer per map, not one per leaf.
 */
import type { FrameSource, PhysMem } from '../../mm/phys-mem.js';
import { setBitRange } from '../../util/bits.js';
import { type BitBlock, LEAF_NONE, LEAF_ONES, LEAF_REAL, LEAF_ZERO } from './bitmap.js';

const PAGE_WORDS = 1024;

/** The shared all-zero words of ZERO leaves (never written). */
const ZERO_WORDS = new Uint32Array(PAGE_WORDS);

/** Frames of ZERO leaves: nothing to add to the zeroed page. */
const ZERO_SOURCE: FrameSource = { fill: () => undefined };

/** The sources of uniform leaves: their bytes never change (a copy may share them). */
const uniformSources = new WeakSet<FrameSource>([ZERO_SOURCE]);

/** Is `src` the source of a ZERO or ONES leaf (fixed bytes, whatever the leaf does next)? */
export function isUniformLeafSource(src: FrameSource): boolean {
  return uniformSources.has(src);
}

/** Per nbits: the shared all-ones words and the frame source of ONES leaves. */
const onesWords = new Map<number, Uint32Array>();
const onesSources = new Map<number, FrameSource>();

function onesWordsOf(nbits: number): Uint32Array {
  let w = onesWords.get(nbits);
  if (w === undefined) {
    w = new Uint32Array(PAGE_WORDS);
    setBitRange(w, 0, nbits);
    onesWords.set(nbits, w);
  }
  return w;
}

function onesSourceOf(nbits: number): FrameSource {
  let s = onesSources.get(nbits);
  if (s === undefined) {
    const full = nbits >>> 3;
    const rest = nbits & 7;
    s = {
      fill: (_pfn, dst) => {
        dst.fill(0xff, 0, full);
        if (rest !== 0) dst[full] = (1 << rest) - 1;
      },
    };
    onesSources.set(nbits, s);
    uniformSources.add(s);
  }
  return s;
}

/**
 * The uniform-leaf source whose frame reads as `bytes` (one page): all ones
 * below some bit and zero above, or all zero; null for anything else. A
 * loaded image page with such bytes (the hibernated kernel's bitmap page) can
 * share the fixed source instead of holding a buffer.
 */
export function uniformSourceFor(bytes: Uint8Array): FrameSource | null {
  const n = PAGE_WORDS * 4;
  let i = 0;
  while (i < n && bytes[i] === 0xff) i++;
  let nbits = i * 8;
  if (i < n) {
    const b = bytes[i]!;
    if (b !== 0) {
      // 2^r - 1: r more ones.
      if ((b & (b + 1)) !== 0) return null;
      nbits += 32 - Math.clz32(b);
      i++;
    }
    for (; i < n; i++) if (bytes[i] !== 0) return null;
  }
  return nbits === 0 ? ZERO_SOURCE : onesSourceOf(nbits);
}

/** Are the shared markers still what they must be? (tests: no writer wrote into one) */
export function sharedLeafWordsIntact(): boolean {
  for (let i = 0; i < PAGE_WORDS; i++) if (ZERO_WORDS[i] !== 0) return false;
  for (const [nbits, w] of onesWords) {
    const ref = new Uint32Array(PAGE_WORDS);
    setBitRange(ref, 0, nbits);
    for (let i = 0; i < PAGE_WORDS; i++) if (w[i] !== ref[i]) return false;
  }
  return true;
}

export class BitLeaves {
  /** Per leaf: its words (null for NONE; a shared marker for ZERO/ONES — read only). */
  readonly words: (Uint32Array | null)[] = [];
  /** Per leaf: LEAF_NONE / LEAF_ZERO / LEAF_ONES / LEAF_REAL. */
  readonly form: number[] = [];
  /** Per leaf: its data frame and the number of bits it covers. */
  readonly pfns: number[] = [];
  readonly nbits: number[] = [];
  /**
   * Bumped by every write to any leaf (and by PfnBitSetter's word stores):
   * equal values mean the map's bits and forms did not change in between
   * (markFreePagesAllZones() reuses its last result then).
   */
  writes = 0;

  constructor(private readonly phys: PhysMem) {}

  /** A new leaf on a zeroed, never-written frame; returns its index. */
  add(pfn: number, nbits: number): number {
    this.words.push(null);
    this.form.push(LEAF_NONE);
    this.pfns.push(pfn);
    this.nbits.push(nbits);
    return this.words.length - 1;
  }

  get length(): number {
    return this.words.length;
  }

  /** Leaf k's words for writing: its frame materialised (from what it reads as now). */
  writable(k: number): Uint32Array {
    this.writes++;
    if (this.form[k] === LEAF_REAL) return this.words[k]!;
    const f = this.phys.frame(this.pfns[k]!);
    const w = new Uint32Array(f.buffer, f.byteOffset, PAGE_WORDS);
    this.words[k] = w;
    this.form[k] = LEAF_REAL;
    return w;
  }

  /** Drop a REAL leaf's buffer (nobody else holds a view: views are only taken per call). */
  private release(k: number): void {
    if (this.form[k] === LEAF_REAL) this.phys.recycle(this.pfns[k]!);
  }

  /** Every bit of leaf k below nbits set (the bits above stay zero). */
  setAll(k: number): void {
    const f = this.form[k];
    if (f === LEAF_ONES) return;
    const n = this.nbits[k]!;
    this.writes++;
    if (f === LEAF_REAL && !tailClear(this.words[k]!, n)) {
      setBitRange(this.words[k]!, 0, n);
      return;
    }
    this.release(k);
    this.phys.synthesise(this.pfns[k]!, onesSourceOf(n));
    this.words[k] = onesWordsOf(n);
    this.form[k] = LEAF_ONES;
  }

  /** Every bit of leaf k clear (memset of a written page; a never-written one stays so). */
  clearAll(k: number): void {
    const f = this.form[k];
    if (f === LEAF_NONE || f === LEAF_ZERO) return;
    this.writes++;
    this.release(k);
    this.phys.synthesise(this.pfns[k]!, ZERO_SOURCE);
    this.words[k] = ZERO_WORDS;
    this.form[k] = LEAF_ZERO;
  }

  /** Set bits [first, last) of leaf k (first < last ≤ nbits). */
  setBits(k: number, first: number, last: number): void {
    if (first >= last) return;
    if (this.form[k] === LEAF_ONES) return;
    if (first === 0 && last === this.nbits[k]) {
      this.setAll(k);
      return;
    }
    setBitRange(this.writable(k), first, last);
    if (first === 0 || last === this.nbits[k]) this.settle(k);
  }

  /** Clear bits [first, last) of leaf k (first < last ≤ nbits). */
  clearBits(k: number, first: number, last: number): void {
    if (first >= last) return;
    const f = this.form[k];
    if (f === LEAF_NONE || f === LEAF_ZERO) return;
    if (first === 0 && last === this.nbits[k]) {
      this.clearAll(k);
      return;
    }
    clearBitRange(this.writable(k), first, last);
    if (first === 0 || last === this.nbits[k]) this.settle(k);
  }

  setBit(k: number, bit: number): void {
    if (this.form[k] === LEAF_ONES) return;
    this.writable(k)[bit >>> 5]! |= 1 << (bit & 31);
  }

  clearBit(k: number, bit: number): void {
    const f = this.form[k];
    if (f === LEAF_NONE || f === LEAF_ZERO) return;
    this.writable(k)[bit >>> 5]! &= ~(1 << (bit & 31));
  }

  testBit(k: number, bit: number): boolean {
    const w = this.words[k];
    return w != null && (w[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** A REAL leaf that reads all ones or all zero becomes ONES / ZERO (its buffer recycled). */
  settle(k: number): void {
    if (this.form[k] !== LEAF_REAL) return;
    const w = this.words[k]!;
    const n = this.nbits[k]!;
    const w0 = w[0]!;
    if (w0 === 0) {
      for (let i = 1; i < PAGE_WORDS; i++) if (w[i] !== 0) return;
      this.clearAll(k);
      return;
    }
    const full = n >>> 5;
    for (let i = 0; i < full; i++) if (w[i] !== 0xffffffff) return;
    if ((n & 31) !== 0 && w[full] !== ((1 << (n & 31)) - 1) >>> 0) return;
    if (!tailClear(w, n)) return;
    this.setAll(k);
  }
}

/** Leaf k as a MemoryBitmap block: pfns [start, end). */
export class LeafBlock implements BitBlock {
  constructor(
    private readonly leaves: BitLeaves,
    private readonly k: number,
    readonly start: number,
    readonly end: number,
  ) {}

  get words(): Uint32Array | null {
    return this.leaves.words[this.k] ?? null;
  }

  get counter(): { writes: number } {
    return this.leaves;
  }

  get form(): number {
    return this.leaves.form[this.k]!;
  }

  write(): Uint32Array {
    return this.leaves.writable(this.k);
  }

  setBits(first: number, last: number): void {
    this.leaves.setBits(this.k, first, last);
  }

  clearBits(first: number, last: number): void {
    this.leaves.clearBits(this.k, first, last);
  }

  settle(): void {
    this.leaves.settle(this.k);
  }
}

/** Are the words from bit n on zero? */
function tailClear(w: Uint32Array, n: number): boolean {
  if (n >= PAGE_WORDS * 32) return true;
  let i = n >>> 5;
  if ((n & 31) !== 0) {
    if ((w[i]! & ~((1 << (n & 31)) - 1)) !== 0) return false;
    i++;
  }
  for (; i < PAGE_WORDS; i++) if (w[i] !== 0) return false;
  return true;
}

/** Clear bits [from, to) of `w` (from < to), touching each word once. */
function clearBitRange(w: Uint32Array, from: number, to: number): void {
  const fw = from >>> 5;
  const lw = (to - 1) >>> 5;
  const head = (0xffffffff << (from & 31)) >>> 0;
  const tail = (to & 31) === 0 ? 0xffffffff : (1 << (to & 31)) - 1;
  if (fw === lw) {
    w[fw]! &= ~(head & tail);
    return;
  }
  w[fw]! &= ~head;
  if (lw > fw + 1) w.fill(0, fw + 1, lw);
  w[lw]! &= ~tail;
}
