/**
 * The struct page words the user-memory model needs beyond flags/_refcount/
 * _mapcount (struct-page.ts): `mapping` (anon_vma or address_space),
 * `index`, the ZONE_DEVICE `zone_device_data` and the compound (folio) head
 * and order. Per section typed arrays created on first use — no object per
 * page. 6.12 keeps pgmap/zone_device_data in the union that otherwise holds
 * lru; page_pgmap() is answered from the pgmap ranges (memremap.ts).
 *
 * Encodings: mapping 0 = NULL, > 0 = address_space id (file/shmem),
 * < 0 = −anon_vma id (PAGE_MAPPING_ANON); zone_device_data is stored + 1 so
 * that 0 is NULL; head is the head pfn + 1 for tail pages, 0 otherwise.
 */
interface FieldArrays {
  mapping: Int32Array;
  index: Float64Array;
  zdd: Float64Array;
  head: Float64Array;
  order: Int8Array;
}

export class PageFields {
  private readonly secs = new Map<number, FieldArrays>();
  /**
   * Two most recently used sections: a migration alternates between a
   * system page and a device page (sections far apart) on every step.
   */
  private lastSec = -1;
  private last: FieldArrays | undefined;
  private prevSec = -1;
  private prev: FieldArrays | undefined;
  private off = 0;

  constructor(private readonly pfnsPerSection: number) {}

  private at(pfn: number): FieldArrays {
    const sec = Math.floor(pfn / this.pfnsPerSection);
    this.off = pfn - sec * this.pfnsPerSection;
    if (sec === this.lastSec) return this.last!;
    if (sec === this.prevSec) {
      const a = this.prev!;
      this.prevSec = this.lastSec;
      this.prev = this.last;
      this.lastSec = sec;
      this.last = a;
      return a;
    }
    let a = this.secs.get(sec);
    if (!a) {
      const n = this.pfnsPerSection;
      a = {
        mapping: new Int32Array(n),
        index: new Float64Array(n),
        zdd: new Float64Array(n),
        head: new Float64Array(n),
        order: new Int8Array(n),
      };
      this.secs.set(sec, a);
    }
    this.prevSec = this.lastSec;
    this.prev = this.last;
    this.lastSec = sec;
    this.last = a;
    return a;
  }

  mapping(pfn: number): number {
    const a = this.at(pfn);
    return a.mapping[this.off]!;
  }
  setMapping(pfn: number, v: number): void {
    const a = this.at(pfn);
    a.mapping[this.off] = v;
  }
  index(pfn: number): number {
    const a = this.at(pfn);
    return a.index[this.off]!;
  }
  setIndex(pfn: number, v: number): void {
    const a = this.at(pfn);
    a.index[this.off] = v;
  }
  /** page->zone_device_data, -1 for NULL. */
  zoneDeviceData(pfn: number): number {
    const a = this.at(pfn);
    return a.zdd[this.off]! - 1;
  }
  setZoneDeviceData(pfn: number, v: number): void {
    const a = this.at(pfn);
    a.zdd[this.off] = v + 1;
  }
  /** compound_head(): the head pfn (the pfn itself for non-tail pages). */
  headOf(pfn: number): number {
    const a = this.at(pfn);
    const h = a.head[this.off]!;
    return h === 0 ? pfn : h - 1;
  }
  /** folio_order() of a head page (0 for small pages). */
  order(pfn: number): number {
    const a = this.at(pfn);
    return a.order[this.off]!;
  }
  /** prep_compound_page(): mark [head, head + 2^order) as one folio. */
  setCompound(head: number, order: number): void {
    this.at(head).order[this.off] = order;
    for (let i = 1; i < 2 ** order; i++) {
      const a = this.at(head + i);
      a.head[this.off] = head + 1;
      a.order[this.off] = 0;
    }
  }
  /** Back to 2^order independent pages (split_huge_page / free). */
  clearCompound(head: number, order: number): void {
    this.at(head).order[this.off] = 0;
    for (let i = 1; i < 2 ** order; i++) this.at(head + i).head[this.off] = 0;
  }
  /** Reset every field (a page freed to the buddy allocator or a fresh device page). */
  reset(pfn: number): void {
    const a = this.at(pfn);
    a.mapping[this.off] = 0;
    a.index[this.off] = 0;
    a.zdd[this.off] = 0;
    a.head[this.off] = 0;
    a.order[this.off] = 0;
  }
  /** Drop the arrays of a removed section (memunmap_pages). */
  dropSection(sec: number): void {
    this.secs.delete(sec);
    if (this.lastSec === sec) this.lastSec = -1;
    if (this.prevSec === sec) this.prevSec = -1;
  }
}
