/**
 * memblock: the boot-time memory allocator (mm/memblock.c).
 *
 * Two sorted, non-overlapping region arrays — `memory` (what RAM exists) and
 * `reserved` (what is taken) — with the kernel's add/merge rules, trimming,
 * free-range iteration (memory minus reserved) and the top-down (default) or
 * bottom-up range finder that every early allocation goes through.
 *
 * Addresses are byte addresses as JS numbers (< 2^52, exact). Region counts
 * are small (one per e820 entry / boot allocation), so plain objects are fine.
 */
import { ModelError, ScenarioError } from '../errors.js';
import { PAGE_SIZE } from './phys-mem.js';

export interface MemblockRegion {
  base: number;
  size: number;
  /** MEMBLOCK_NONE (0), MEMBLOCK_HOTPLUG (1), MEMBLOCK_MIRROR (2), MEMBLOCK_NOMAP (4). */
  flags: number;
  nid: number;
}

/** A named boot allocation (what a crash user finds: node_data, mem_section, vmemmap …). */
export interface MemblockAllocation {
  readonly label: string;
  readonly base: number;
  readonly size: number;
}

/**
 * The labelled allocations in the order they happened, as columns: a vmemmap
 * populated block by block makes one per 2 MiB of struct pages (512k for a
 * 64 TiB table), which as objects held ~40 MiB a boot. Layout: base and size
 * as f64, the label as an index into `labels`. Iterates (and serialises to
 * JSON) as MemblockAllocation objects made on demand.
 */
export class MemblockAllocations implements Iterable<MemblockAllocation> {
  length = 0;
  private base = new Float64Array(16);
  private size = new Float64Array(16);
  private label = new Uint32Array(16);
  private readonly labels: string[] = [];
  private readonly ids = new Map<string, number>();

  push(a: MemblockAllocation): void {
    if (this.length === this.base.length) {
      const grow = <T extends Float64Array | Uint32Array>(x: T, C: new (n: number) => T): T => {
        const y = new C(x.length * 2);
        y.set(x);
        return y;
      };
      this.base = grow(this.base, Float64Array);
      this.size = grow(this.size, Float64Array);
      this.label = grow(this.label, Uint32Array);
    }
    let id = this.ids.get(a.label);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(a.label);
      this.ids.set(a.label, id);
    }
    const i = this.length++;
    this.base[i] = a.base;
    this.size[i] = a.size;
    this.label[i] = id;
  }

  /** Allocation i (0 = the first made). */
  at(i: number): MemblockAllocation {
    return { label: this.labels[this.label[i]!]!, base: this.base[i]!, size: this.size[i]! };
  }

  /** The bases of the allocations labelled `label`, in order. */
  basesOf(label: string): number[] {
    const id = this.ids.get(label);
    const out: number[] = [];
    if (id === undefined) return out;
    for (let i = 0; i < this.length; i++) if (this.label[i] === id) out.push(this.base[i]!);
    return out;
  }

  /** The first allocation `pred` accepts. */
  find(pred: (a: MemblockAllocation) => boolean): MemblockAllocation | undefined {
    for (let i = 0; i < this.length; i++) {
      const a = this.at(i);
      if (pred(a)) return a;
    }
    return undefined;
  }

  /** fn(label, base, size) for each allocation in order, without an object per allocation. */
  forEach(fn: (label: string, base: number, size: number) => void): void {
    for (let i = 0; i < this.length; i++) fn(this.labels[this.label[i]!]!, this.base[i]!, this.size[i]!);
  }

  *[Symbol.iterator](): Iterator<MemblockAllocation> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  toJSON(): MemblockAllocation[] {
    return [...this];
  }
}

export function roundUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
export function roundDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

export class MemblockType {
  private list: MemblockRegion[] = [];
  /** Bumped on every change that can grow a free range: any wholesale replacement or removal. */
  shrinks = 0;
  /** Bumped on every addition. */
  grows = 0;
  get regions(): MemblockRegion[] {
    return this.list;
  }
  set regions(r: MemblockRegion[]) {
    this.list = r;
    this.shrinks++;
    this.grows++;
  }
  constructor(readonly name: 'memory' | 'reserved') {}

  get totalSize(): number {
    let t = 0;
    for (const r of this.regions) t += r.size;
    return t;
  }

  /**
   * memblock_add_range(): insert the parts of [base, base+size) not already
   * covered, then memblock_merge_regions() (adjacent, same nid and flags).
   */
  addRange(base: number, size: number, flags = 0, nid = 0): void {
    if (size <= 0) return;
    const end = base + size;
    const R = this.regions;
    // Only the regions around [base, end) change (the array stays sorted and merged),
    // so one add costs log n + the overlap, and a 100k-entry e820 table boots in n log n.
    let lo = 0;
    let hi = R.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (R[mid]!.base + R[mid]!.size <= base) lo = mid + 1;
      else hi = mid;
    }
    const pieces: MemblockRegion[] = [];
    let cur = base;
    let j = lo;
    for (; j < R.length && R[j]!.base < end; j++) {
      const r = R[j]!;
      if (r.base > cur) pieces.push({ base: cur, size: r.base - cur, flags, nid });
      cur = Math.max(cur, r.base + r.size);
    }
    if (cur < end) pieces.push({ base: cur, size: end - cur, flags, nid });
    if (pieces.length === 0) return;
    this.grows++;
    // memblock_merge_regions() over the touched window and its two neighbours.
    const a = Math.max(0, lo - 1);
    const b = Math.min(R.length, j + 1);
    const window = [...R.slice(a, b), ...pieces].sort((x, y) => x.base - y.base);
    R.splice(a, b - a, ...this.merge(window));
  }

  private merge(regions: readonly MemblockRegion[]): MemblockRegion[] {
    const out: MemblockRegion[] = [];
    for (const r of regions) {
      const last = out[out.length - 1];
      if (last && last.base + last.size === r.base && last.flags === r.flags && last.nid === r.nid) {
        last.size += r.size;
      } else out.push({ ...r });
    }
    return out;
  }

  /** memblock_remove_range(): cut [base, base+size) out of every region. */
  removeRange(base: number, size: number): void {
    const end = base + size;
    const out: MemblockRegion[] = [];
    for (const r of this.regions) {
      const rend = r.base + r.size;
      if (rend <= base || r.base >= end) {
        out.push(r);
        continue;
      }
      if (r.base < base) out.push({ ...r, size: base - r.base });
      if (rend > end) out.push({ ...r, base: end, size: rend - end });
    }
    this.regions = out; // counts as a shrink (and a grow)
  }

  /** Index of the region containing addr, or -1 (memblock_search()). */
  search(addr: number): number {
    let lo = 0;
    let hi = this.regions.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = this.regions[mid]!;
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** Does any region intersect [base, base+size)? */
  overlaps(base: number, size: number): boolean {
    const end = base + size;
    for (const r of this.regions) {
      if (r.base >= end) break;
      if (r.base + r.size > base) return true;
    }
    return false;
  }
}

export class Memblock {
  readonly memory = new MemblockType('memory');
  readonly reserved = new MemblockType('reserved');
  /** memblock_set_bottom_up(); x86 default is top-down. */
  bottomUp = false;
  /** memblock.current_limit (MEMBLOCK_ALLOC_ACCESSIBLE clamps to it). */
  currentLimit = Number.MAX_SAFE_INTEGER;
  /** Labelled allocations in the order they happened. */
  readonly allocations = new MemblockAllocations();
  /**
   * The last top-down search and its answer. A repeat of the same search (same
   * window, size, align) cannot find a fit above the last answer + size while
   * no memory was added or removed and no reservation was dropped: the free
   * space only shrank. So the repeat searches [start, last + size) and returns
   * what the full search would. This is what keeps 50k back-to-back
   * register_nosave_region() allocations (a 100k-entry e820 table) linear; the
   * kernel walks the whole reserved array each time, to the same result.
   */
  private hint = {
    start: -1,
    end: -1,
    size: -1,
    align: -1,
    found: 0,
    memGrows: -1,
    resShrinks: -1,
  };

  /** memblock_add(). */
  add(base: number, size: number): void {
    this.memory.addRange(base, size);
  }

  /** memblock_reserve(). */
  reserve(base: number, size: number, label?: string): void {
    this.reserved.addRange(base, size);
    if (label) this.allocations.push({ label, base, size });
  }

  /**
   * memblock_trim_memory(align): drop the partial `align` blocks at both edges
   * of every memory region; regions that vanish are removed.
   */
  trimMemory(align: number): void {
    const out: MemblockRegion[] = [];
    for (const r of this.memory.regions) {
      const start = roundUp(r.base, align);
      const end = roundDown(r.base + r.size, align);
      if (start < end) out.push({ ...r, base: start, size: end - start });
    }
    this.memory.regions = out;
  }

  /** memblock_is_region_memory(): is [base, base+size) inside one memory region? */
  isRegionMemory(base: number, size: number): boolean {
    const i = this.memory.search(base);
    if (i < 0) return false;
    const r = this.memory.regions[i]!;
    return base + size <= r.base + r.size;
  }

  isMemory(addr: number): boolean {
    return this.memory.search(addr) >= 0;
  }

  isReserved(addr: number): boolean {
    return this.reserved.search(addr) >= 0;
  }

  /**
   * for_each_free_mem_range(): memory minus reserved, ascending, as [start, end)
   * byte pairs. (Unaligned edges are kept; callers round as the kernel does.)
   */
  freeRanges(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    const res = this.reserved.regions;
    let j = 0;
    for (const m of this.memory.regions) {
      let cur = m.base;
      const mend = m.base + m.size;
      while (j < res.length && res[j]!.base + res[j]!.size <= cur) j++;
      let k = j;
      while (cur < mend) {
        const r = res[k];
        if (!r || r.base >= mend) {
          out.push([cur, mend]);
          break;
        }
        if (r.base > cur) out.push([cur, r.base]);
        cur = Math.max(cur, r.base + r.size);
        k++;
      }
    }
    return out;
  }

  /**
   * memblock_find_in_range(start, end, size, align): an aligned free block of
   * `size` bytes within [start, end), searched top-down (__memblock_find_range_top_down)
   * or bottom-up. Returns 0 when nothing fits, like the kernel. The first page
   * is never returned ("avoid allocating the first page"). Callers that mean
   * MEMBLOCK_ALLOC_ACCESSIBLE pass `currentLimit` as end (see alloc()).
   */
  findInRange(start: number, end: number, size: number, align: number): number {
    start = Math.max(start, PAGE_SIZE);
    end = Math.max(start, end);
    if (this.bottomUp) return this.findBottomUp(start, end, size, align);
    const h = this.hint;
    const same =
      h.start === start &&
      h.end === end &&
      h.size === size &&
      h.align === align &&
      h.memGrows === this.memory.grows &&
      h.resShrinks === this.reserved.shrinks;
    const found = this.findTopDown(
      start,
      same && h.found !== 0 ? Math.min(end, h.found + size) : end,
      size,
      align,
    );
    h.start = start;
    h.end = end;
    h.size = size;
    h.align = align;
    h.memGrows = this.memory.grows;
    h.resShrinks = this.reserved.shrinks;
    h.found = found;
    return found;
  }

  /** First index in `list` whose region ends after `addr`. */
  private static firstEndingAfter(list: readonly MemblockRegion[], addr: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.base + list[mid]!.size <= addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index in `list` whose region starts at or after `addr`. */
  private static firstStartingAt(list: readonly MemblockRegion[], addr: number): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.base < addr) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** __memblock_find_range_bottom_up(). */
  private findBottomUp(start: number, end: number, size: number, align: number): number {
    // The free ranges (memory minus reserved, as freeRanges()) are walked lazily from the
    // end the search starts at, with binary searches to get there: an allocation costs
    // what it looks at, not a pass over a 100k-region table.
    const mem = this.memory.regions;
    const res = this.reserved.regions;
    const fitUp = (s: number, e: number): number => {
      const cand = roundUp(s, align);
      return cand < e && e - cand >= size ? cand : -1;
    };
    for (let i = Memblock.firstEndingAfter(mem, start); i < mem.length && mem[i]!.base < end; i++) {
      const m = mem[i]!;
      const cs = Math.max(m.base, start);
      const ce = Math.min(m.base + m.size, end);
      let cur = cs;
      for (let k = Memblock.firstEndingAfter(res, cs); k < res.length && res[k]!.base < ce && cur < ce; k++) {
        const r = res[k]!;
        if (r.base > cur) {
          const c = fitUp(cur, r.base);
          if (c >= 0) return c;
        }
        cur = Math.max(cur, r.base + r.size);
      }
      if (cur < ce) {
        const c = fitUp(cur, ce);
        if (c >= 0) return c;
      }
    }
    return 0;
  }

  /** __memblock_find_range_top_down(). */
  private findTopDown(start: number, end: number, size: number, align: number): number {
    const mem = this.memory.regions;
    const res = this.reserved.regions;
    const first = Memblock.firstEndingAfter(mem, start);
    const fitDown = (s: number, e: number): number => {
      if (e < size) return -1;
      const cand = roundDown(e - size, align);
      return e > s && cand >= s ? cand : -1;
    };
    for (let i = Memblock.firstStartingAt(mem, end) - 1; i >= first; i--) {
      const m = mem[i]!;
      const cs = Math.max(m.base, start);
      const ce = Math.min(m.base + m.size, end);
      let top = ce;
      for (let k = Memblock.firstStartingAt(res, ce) - 1; k >= 0 && top > cs; k--) {
        const r = res[k]!;
        const rend = r.base + r.size;
        if (rend <= cs) break;
        if (rend < top) {
          const c = fitDown(rend, top);
          if (c >= 0) return c;
        }
        top = Math.min(top, r.base);
      }
      if (top > cs) {
        const c = fitDown(cs, top);
        if (c >= 0) return c;
      }
    }
    return 0;
  }

  /**
   * memblock_alloc / memblock_phys_alloc_range: find and reserve. Throws a
   * ScenarioError (the kernel panics) when memory is exhausted.
   */
  alloc(size: number, align: number, label: string, start = 0, end = this.currentLimit): number {
    const a = this.findInRange(start, end, size, align);
    if (a === 0) {
      throw new ScenarioError(
        'MEMBLOCK_EXHAUSTED',
        `memblock: cannot allocate ${size} bytes for ${label} in [0x${start.toString(16)}, 0x${end.toString(16)})`,
      );
    }
    this.reserve(a, size, label);
    return a;
  }

  /** Sanity check used by tests: regions sorted and disjoint. */
  check(): void {
    for (const t of [this.memory, this.reserved]) {
      for (let i = 1; i < t.regions.length; i++) {
        const p = t.regions[i - 1]!;
        if (p.base + p.size > t.regions[i]!.base) {
          throw new ModelError('MEMBLOCK_OVERLAP', `memblock.${t.name} regions ${i - 1} and ${i} overlap`);
        }
      }
    }
  }
}
