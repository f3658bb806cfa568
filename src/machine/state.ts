/**
 * A digest of a machine's memory-management state: every valid pfn's struct
 * page fields (flags, _refcount, _mapcount, private — not the model's free-list
 * node ids), the free pages and free blocks per zone and order. Two machines
 * (or one machine at two moments) with equal digests have the same page
 * allocator state: used to check that a resumed kernel got back exactly the
 * memory state it hibernated with.
 */
import type { Machine } from './boot.js';

export interface MmCounters {
  /** nr_free_pages() per zone. */
  freePages: number[];
  /** free_area[order].nr_free per zone. */
  freeBlocks: number[][];
  /** FNV-1a over the struct page fields of every valid pfn in the zone spans. */
  pageDigest: number;
}

export function mmCounters(m: Machine): MmCounters {
  const freePages = m.zones.zones.map((z) => m.buddy.nrFreePages[z.index]!);
  const freeBlocks = m.zones.zones.map((z) => {
    const o: number[] = [];
    for (let k = 0; k <= m.buddy.maxOrder; k++) o.push(m.buddy.freeBlocks(z.index, k));
    return o;
  });
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h = Math.imul(h ^ (v & 0xffffffff), 0x01000193) >>> 0;
  };
  const per = m.sections.pfnsPerSection;
  for (const z of m.zones.zones) {
    const end = z.startPfn + z.spannedPages;
    for (let pfn = z.startPfn; pfn < end; ) {
      const secEnd = Math.min(end, (Math.floor(pfn / per) + 1) * per);
      if (m.sections.pfnValid(pfn)) {
        for (let p = pfn; p < secEnd; p++) {
          const st = m.pages.get(p);
          mix(st.flags);
          mix(st.refcount);
          mix(st.mapcount);
          mix(st.private);
        }
      }
      pfn = secEnd;
    }
  }
  return { freePages, freeBlocks, pageDigest: h };
}
