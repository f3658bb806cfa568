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

export function roundUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}
export function roundDown(x: number, a: number): number {
  return Math.floor(x / a) * a;
}

export class MemblockType {
  regions: MemblockRegion[] = [];
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
    const pieces: MemblockRegion[] = [];
    let cur = base;
    for (const r of this.regions) {
      const rend = r.base + r.size;
      if (rend <= cur) continue;
      if (r.base >= end) break;
      if (r.base > cur) pieces.push({ base: cur, size: r.base - cur, flags, nid });
      cur = Math.max(cur, rend);
      if (cur >= end) break;
    }
    if (cur < end) pieces.push({ base: cur, size: end - cur, flags, nid });
    if (pieces.length === 0) return;
    this.regions.push(...pieces);
    this.regions.sort((a, b) => a.base - b.base);
    this.merge();
  }

  private merge(): void {
    const out: MemblockRegion[] = [];
    for (const r of this.regions) {
      const last = out[out.length - 1];
      if (last && last.base + last.size === r.base && last.flags === r.flags && last.nid === r.nid) {
        last.size += r.size;
      } else out.push({ ...r });
    }
    this.regions = out;
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
    this.regions = out;
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
  readonly allocations: MemblockAllocation[] = [];

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
    const free = this.freeRanges();
    if (this.bottomUp) {
      for (const [fs, fe] of free) {
        const s = Math.max(fs, start);
        const e = Math.min(fe, end);
        const cand = roundUp(s, align);
        if (cand < e && e - cand >= size) return cand;
      }
      return 0;
    }
    for (let i = free.length - 1; i >= 0; i--) {
      const [fs, fe] = free[i]!;
      const s = Math.max(fs, start);
      const e = Math.min(fe, end);
      if (e < size) continue;
      const cand = roundDown(e - size, align);
      if (e > s && cand >= s) return cand;
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
