/**
 * Sets of page frames as sorted, disjoint, half-open [start, end) ranges:
 * what diagnose intersects and subtracts (the suspend kernel's saveable RAM
 * against the resume kernel's direct map, nosave list and bitmap extents)
 * without an object or a bit per page, so a 12 TiB map costs a few thousand
 * numbers.
 */

export type PfnRange = readonly [start: number, end: number];

/** Sort and merge overlapping or touching ranges; empty ones dropped. */
export function normalize(ranges: Iterable<PfnRange>): PfnRange[] {
  const sorted = [...ranges].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

export function intersect(a: readonly PfnRange[], b: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const s = Math.max(a[i]![0], b[j]![0]);
    const e = Math.min(a[i]![1], b[j]![1]);
    if (s < e) out.push([s, e]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}

export function subtract(a: readonly PfnRange[], b: readonly PfnRange[]): PfnRange[] {
  const out: PfnRange[] = [];
  let j = 0;
  for (const [s0, e] of a) {
    let s = s0;
    while (j < b.length && b[j]![1] <= s) j++;
    let k = j;
    while (s < e && k < b.length && b[k]![0] < e) {
      if (b[k]![0] > s) out.push([s, b[k]![0]]);
      s = Math.max(s, b[k]![1]);
      k++;
    }
    if (s < e) out.push([s, e]);
  }
  return out;
}

export function contains(ranges: readonly PfnRange[], pfn: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = ranges[mid]!;
    if (pfn < s) hi = mid - 1;
    else if (pfn >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

export function totalPages(ranges: readonly PfnRange[]): number {
  let n = 0;
  for (const [s, e] of ranges) n += e - s;
  return n;
}
