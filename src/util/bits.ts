/** Word-at-a-time bit ranges in a Uint32Array bitmap (bit i = word i >>> 5, bit i & 31). */

/** Set bits [from, to) of `w` (from < to), touching each word once. */
export function setBitRange(w: Uint32Array, from: number, to: number): void {
  const fw = from >>> 5;
  const lw = (to - 1) >>> 5;
  const head = (0xffffffff << (from & 31)) >>> 0;
  const tail = (to & 31) === 0 ? 0xffffffff : (1 << (to & 31)) - 1;
  if (fw === lw) {
    w[fw]! |= head & tail;
    return;
  }
  w[fw]! |= head;
  if (lw > fw + 1) w.fill(0xffffffff, fw + 1, lw);
  w[lw]! |= tail;
}
