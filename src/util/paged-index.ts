/**
 * A sparse integer key → value table as two levels of arrays (1024 slots per
 * page, a page made on its first set): a lookup is two array loads. The frame
 * table's leaves and the content map's sections were Maps, and a miss of their
 * one- or two-entry caches (scattered pfns) cost a hash lookup, ~3× the array
 * loads, on every per-page access of a big model. Keys are leaf or section
 * numbers of pfns, below 2^26 for any machine the model boots (1 PiB); any
 * other key (larger, negative, fractional, NaN: a caller's bad pfn) goes to a
 * Map, so the table answers exactly as a Map does and its top array stays
 * within 2^16 entries.
 */
const PAGE_SHIFT = 10;
const PAGE = 1 << PAGE_SHIFT;
const MAX_KEY = 2 ** 26;

/** Is k an array-indexed key (an integer in [0, MAX_KEY))? */
function paged(k: number): boolean {
  return k >>> 0 === k && k < MAX_KEY;
}

export class PagedIndex<T> {
  /** Page k >>> 10 holds keys k of that page; pages up to the highest key set exist (empty ones undefined). */
  private readonly pages: ((T | undefined)[] | undefined)[] = [];
  /** The other keys. */
  private other: Map<number, T> | null = null;

  get(k: number): T | undefined {
    if (!paged(k)) return this.other === null ? undefined : this.other.get(k);
    const p = this.pages[k >>> PAGE_SHIFT];
    return p === undefined ? undefined : p[k & (PAGE - 1)];
  }

  set(k: number, v: T): void {
    if (!paged(k)) {
      this.other ??= new Map();
      this.other.set(k, v);
      return;
    }
    const hi = k >>> PAGE_SHIFT;
    // Grown by push: a store far past the end would make the array a dictionary.
    while (this.pages.length <= hi) this.pages.push(undefined);
    let p = this.pages[hi];
    if (p === undefined) {
      p = new Array<T | undefined>(PAGE).fill(undefined);
      this.pages[hi] = p;
    }
    p[k & (PAGE - 1)] = v;
  }
}
