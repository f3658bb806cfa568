/**
 * The scattered placer's pending takes in frame order: pairs (span position,
 * draw number) sorted by position — positions distinct and below 2^30, draw
 * numbers below n (the batch size). A batch of a whole group holds hundreds
 * of thousands of pairs: an LSD radix sort (two passes of 15 bits) costs two
 * linear passes where a comparison sort of packed keys costs n log n; small
 * batches (a placement that falls back to alloc() flushes often) sort packed
 * keys, which needs no 32768-entry count table.
 */

const RADIX_BITS = 15;
const RADIX = 1 << RADIX_BITS;
const MASK = RADIX - 1;
/** Batches up to this size sort packed keys: position · SMALL + draw, exact in a double. */
const SMALL = 2048;

/**
 * Batches of up to `cap` pairs in pos/draw. The radix passes borrow `tmp`
 * (at least cap doubles: two u32 columns) — the caller's output array, free
 * while the sort runs — so a batch costs 24 bytes a pair with the output.
 */
export class DrawSorter {
  readonly pos: Uint32Array;
  readonly draw: Uint32Array;
  private readonly tmpPos: Uint32Array;
  private readonly tmpDraw: Uint32Array;
  private count: Int32Array | undefined;
  private keys: Float64Array | undefined;

  constructor(
    readonly cap: number,
    tmp: Float64Array,
  ) {
    if (tmp.length < cap)
      throw new RangeError(`DrawSorter: ${tmp.length} doubles of scratch for ${cap} pairs`);
    this.pos = new Uint32Array(cap);
    this.draw = new Uint32Array(cap);
    this.tmpPos = new Uint32Array(tmp.buffer, tmp.byteOffset, cap);
    this.tmpDraw = new Uint32Array(tmp.buffer, tmp.byteOffset + 4 * cap, cap);
  }

  /** Sort pos[0..n) ascending, draw[0..n) carried along (positions distinct, < 2^30; draws < n). */
  sort(n: number): void {
    const pos = this.pos;
    const draw = this.draw;
    if (n <= SMALL) {
      this.keys ??= new Float64Array(Math.min(this.cap, SMALL));
      const keys = this.keys.subarray(0, n);
      for (let k = 0; k < n; k++) keys[k] = pos[k]! * SMALL + draw[k]!;
      keys.sort();
      for (let k = 0; k < n; k++) {
        const p = Math.floor(keys[k]! / SMALL);
        pos[k] = p;
        draw[k] = keys[k]! - p * SMALL;
      }
      return;
    }
    this.count ??= new Int32Array(RADIX);
    this.pass(pos, draw, this.tmpPos, this.tmpDraw, n, 0);
    this.pass(this.tmpPos, this.tmpDraw, pos, draw, n, RADIX_BITS);
  }

  /** One stable counting pass on the position's bits [shift, shift + 15). */
  private pass(
    sp: Uint32Array,
    sd: Uint32Array,
    dp: Uint32Array,
    dd: Uint32Array,
    n: number,
    shift: number,
  ): void {
    const count = this.count!;
    count.fill(0);
    for (let k = 0; k < n; k++) count[(sp[k]! >>> shift) & MASK]!++;
    for (let b = 0, sum = 0; b < RADIX; b++) {
      const c = count[b]!;
      count[b] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const p = sp[k]!;
      const at = count[(p >>> shift) & MASK]!++;
      dp[at] = p;
      dd[at] = sd[k]!;
    }
  }
}
