/**
 * The dmirror device page table (lib/test_hmm.c `dmirror->pt`, an xarray
 * indexed by user pfn = address >> PAGE_SHIFT): entry = page pfn * 4 + xarray
 * pointer tag (0 read-only, DPT_XA_TAG_ATOMIC 1, DPT_XA_TAG_WRITE 3).
 *
 * Held as a two-level radix of typed leaves rather than an object per entry:
 * a Map of 512-entry Float64Array leaves (one leaf per user PTE table's span,
 * 2 MiB of address space) with a live-entry count each and a one-leaf cache.
 * A stored word is entry + 1, so 0 means "no entry" (xa_load() == NULL); a
 * leaf is freed when its last entry is erased. Page pfns * 4 stay below 2^53.
 *
 * Iteration (keys()) is in ascending index order, like xa_for_each.
 */
const LEAF_SHIFT = 9;
const LEAF = 1 << LEAF_SHIFT;

interface Leaf {
  readonly e: Float64Array;
  n: number;
}

export class DmirrorPt {
  private readonly leaves = new Map<number, Leaf>();
  private lastKey = -1;
  private last: Leaf | undefined;
  /** Number of entries. */
  size = 0;

  private leaf(upfn: number, create: boolean): Leaf | undefined {
    const k = Math.floor(upfn / LEAF);
    if (k === this.lastKey) return this.last;
    let l = this.leaves.get(k);
    if (!l) {
      if (!create) return undefined;
      l = { e: new Float64Array(LEAF), n: 0 };
      this.leaves.set(k, l);
    }
    this.lastKey = k;
    this.last = l;
    return l;
  }

  /** xa_load(): the entry, or -1 when there is none. */
  get(upfn: number): number {
    const l = this.leaf(upfn, false);
    return l ? l.e[upfn & (LEAF - 1)]! - 1 : -1;
  }

  has(upfn: number): boolean {
    return this.get(upfn) >= 0;
  }

  /** xa_store(). */
  set(upfn: number, entry: number): void {
    const l = this.leaf(upfn, true)!;
    const i = upfn & (LEAF - 1);
    if (l.e[i] === 0) {
      l.n++;
      this.size++;
    }
    l.e[i] = entry + 1;
  }

  /** xa_erase(). */
  delete(upfn: number): void {
    const k = Math.floor(upfn / LEAF);
    const l = this.leaf(upfn, false);
    if (!l) return;
    const i = upfn & (LEAF - 1);
    if (l.e[i] === 0) return;
    l.e[i] = 0;
    this.size--;
    if (--l.n === 0) this.dropLeaf(k);
  }

  /** xa_erase() of every entry with first <= index <= last. */
  eraseRange(first: number, last: number): void {
    if (last < first || this.size === 0) return;
    const k0 = Math.floor(first / LEAF);
    const k1 = Math.floor(last / LEAF);
    // A range wider than the table (a whole-address-space invalidation): visit the leaves held.
    const keys = k1 - k0 + 1 > this.leaves.size ? [...this.leaves.keys()] : null;
    if (keys) {
      for (const k of keys) if (k >= k0 && k <= k1) this.eraseInLeaf(k, first, last);
    } else for (let k = k0; k <= k1; k++) this.eraseInLeaf(k, first, last);
  }

  private eraseInLeaf(k: number, first: number, last: number): void {
    const l = this.leaves.get(k);
    if (!l) return;
    const base = k * LEAF;
    const s = Math.max(first, base) - base;
    const e = Math.min(last, base + LEAF - 1) - base;
    if (s === 0 && e === LEAF - 1) {
      this.size -= l.n;
      this.dropLeaf(k);
      return;
    }
    for (let i = s; i <= e; i++) {
      if (l.e[i] === 0) continue;
      l.e[i] = 0;
      l.n--;
      this.size--;
    }
    if (l.n === 0) this.dropLeaf(k);
  }

  private dropLeaf(k: number): void {
    this.leaves.delete(k);
    if (this.lastKey === k) {
      this.lastKey = -1;
      this.last = undefined;
    }
  }

  /** The indices holding an entry, ascending (xa_for_each order). */
  keys(): number[] {
    const out: number[] = [];
    for (const k of [...this.leaves.keys()].sort((a, b) => a - b)) {
      const e = this.leaves.get(k)!.e;
      for (let i = 0; i < LEAF; i++) if (e[i] !== 0) out.push(k * LEAF + i);
    }
    return out;
  }
}
