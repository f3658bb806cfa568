/**
 * The swap map: a chain of pages that lists, in order, the swap pages holding
 * the image (kernel/power/swap.c, identical in 3.10 and 6.x).
 *
 * Byte layout of one map page (4096 bytes, little endian):
 *   0     u64 entries[511]   swap page of image page k; 0 = unused (end)
 *   4088  u64 next_swap      swap page of the next map page; 0 = last
 *
 * Entry 0 of the first map page is the header page (struct swsusp_info); the
 * following entries are the image stream. In the last map page the unused
 * entries and next_swap are 0.
 */
import { FormatError } from '../../errors.js';
import { PAGE_SIZE, setU64n, u64n, view } from './page.js';
import type { ReadSource } from './source.js';

/** MAP_PAGE_ENTRIES = PAGE_SIZE / sizeof(sector_t) - 1. */
export const MAP_PAGE_ENTRIES = 511;
export const NEXT_SWAP_OFFSET = MAP_PAGE_ENTRIES * 8;

export interface SwapMap {
  /** Swap page of each map page, in chain order. */
  mapPages: number[];
  /** Swap page of each image page (entry 0 = header page), in order; 4 bytes each on a device below 2^32 pages. */
  entries: Uint32Array | Float64Array;
}

/** Encode one map page. `entries` may be shorter than 511 (rest stays 0). */
export function encodeMapPage(entries: ArrayLike<number>, count: number, next: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = view(page);
  for (let i = 0; i < count; i++) setU64n(dv, i * 8, entries[i]!);
  setU64n(dv, NEXT_SWAP_OFFSET, next);
  return page;
}

/**
 * Walk the chain from `first` (swsusp_header.image), like get_swap_reader()
 * which reads every map page before any data. Bounds: every swap page
 * (map page, entry, next_swap) must be in 1 .. devicePages-1, no map page may
 * be visited twice, and the chain cannot be longer than the device. Entries
 * end at the first 0; a non-zero entry after it, or a 0 in a map page that
 * has a successor, is rejected (the kernel's writer never leaves holes).
 */
export function walkSwapMap(src: ReadSource, first: number, devicePages: number): SwapMap {
  // Pages the source really holds; the device may claim more (a truncated copy).
  const available = Math.floor(src.size / PAGE_SIZE);
  const truncated = (what: string, page: number, offset: number): FormatError =>
    new FormatError(
      'IMAGE_TRUNCATED',
      `${what} is swap page ${page}, beyond the end of the ${src.size}-byte file (${available} whole pages)`,
      { offset },
    );
  if (!Number.isFinite(first) || first < 1 || first >= devicePages) {
    throw new FormatError(
      'MAP_ENTRY_OUT_OF_RANGE',
      `swsusp_header.image is ${first}, expected a swap page in 1..${devicePages - 1}`,
      { offset: 4064 },
    );
  }
  const mapPages: number[] = [];
  const seen = new Set<number>();
  const wide = devicePages > 2 ** 32;
  let entries: Uint32Array | Float64Array = wide ? new Float64Array(1024) : new Uint32Array(1024);
  let n = 0;
  let cur = first;
  let ended = false;
  const maxChain = Math.ceil(devicePages / MAP_PAGE_ENTRIES) + 1;
  while (cur !== 0) {
    if (seen.has(cur)) {
      throw new FormatError(
        'MAP_CHAIN_LOOP',
        `swap map chain loops back to swap page ${cur} after ${mapPages.length} map pages`,
        { offset: mapPages.length ? mapPages[mapPages.length - 1]! * PAGE_SIZE + NEXT_SWAP_OFFSET : 4064 },
      );
    }
    if (mapPages.length >= maxChain) {
      throw new FormatError(
        'MAP_CHAIN_TOO_LONG',
        `swap map chain has more than ${maxChain} pages, more than a ${devicePages}-page device can hold`,
        { offset: cur * PAGE_SIZE },
      );
    }
    if (ended) {
      throw new FormatError(
        'MAP_HOLE',
        `swap map page at swap page ${mapPages[mapPages.length - 1]} has unused entries but next_swap continues the chain`,
        { offset: mapPages[mapPages.length - 1]! * PAGE_SIZE + NEXT_SWAP_OFFSET },
      );
    }
    seen.add(cur);
    mapPages.push(cur);
    const base = cur * PAGE_SIZE;
    if (cur >= available) throw truncated(`swap map page #${mapPages.length - 1}`, cur, src.size);
    const page = src.readAt(base, PAGE_SIZE);
    const dv = view(page);
    for (let i = 0; i < MAP_PAGE_ENTRIES; i++) {
      const e = u64n(dv, i * 8);
      if (e === 0) {
        ended = true;
        continue;
      }
      if (ended) {
        throw new FormatError(
          'MAP_HOLE',
          `swap map entry ${i} is ${e} after an unused (0) entry; expected 0 to the end of the page`,
          { offset: base + i * 8 },
        );
      }
      if (!(e < devicePages)) {
        throw new FormatError(
          'MAP_ENTRY_OUT_OF_RANGE',
          `swap map entry ${i} is ${Number.isNaN(e) ? '>= 2^53' : e}, expected a swap page in 1..${devicePages - 1}`,
          { offset: base + i * 8 },
        );
      }
      if (e >= available) throw truncated(`swap map entry ${i}`, e, base + i * 8);
      if (n === entries.length) {
        const grown = wide ? new Float64Array(entries.length * 2) : new Uint32Array(entries.length * 2);
        grown.set(entries);
        entries = grown;
      }
      entries[n++] = e;
    }
    const next = u64n(dv, NEXT_SWAP_OFFSET);
    if (next !== 0 && !(next < devicePages)) {
      throw new FormatError(
        'MAP_ENTRY_OUT_OF_RANGE',
        `swap map next_swap is ${Number.isNaN(next) ? '>= 2^53' : next}, expected 0 or a swap page in 1..${devicePages - 1}`,
        { offset: base + NEXT_SWAP_OFFSET },
      );
    }
    cur = next;
  }
  return { mapPages, entries: entries.slice(0, n) };
}
