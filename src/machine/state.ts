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
  // FNV-1a over the run-length form of the per-pfn states: (flags, refcount, mapcount,
  // private, run length) per run of equal states over the valid pfns. Equal per-pfn
  // sequences give equal digests, and a 12 TiB map costs its sections' forms, not 3G pfns.
  // h stays an int32 (a uint32 kept in a closure's variable is a heap number per store,
  // 6 per run: most of the cost); >>> 0 once at the end gives the same digest.
  let h = 0x811c9dc5 | 0;
  const P = 0x01000193;
  // forEachStateRun() reads a page-by-page chunk by runs of one palette index (a placed
  // workload leaves most of the memmap page by page).
  for (const z of m.zones.zones) {
    m.pages.forEachStateRun(z.startPfn, z.startPfn + z.spannedPages, (f, r, mc, p, n) => {
      h = Math.imul(h ^ f, P);
      h = Math.imul(h ^ r, P);
      h = Math.imul(h ^ mc, P);
      h = Math.imul(h ^ p, P);
      h = Math.imul(h ^ n, P);
      h = Math.imul(h ^ Math.floor(n / 0x100000000), P);
    });
  }
  return { freePages, freeBlocks, pageDigest: h >>> 0 };
}
