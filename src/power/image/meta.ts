/**
 * Meta pages: the pfn list that follows the header page in the image stream
 * (pack_pfns() / unpack_orig_pfns() in kernel/power/snapshot.c).
 *
 * Byte layout of one meta page (4096 bytes, little endian):
 *   u64 pfn[512]   ascending; the list ends with BM_END_OF_MAP (~0) when the
 *                  last page is not full, the rest of that page is zero.
 *   6.6+: bit 63 (ENCODED_PFN_ZERO_FLAG) marks a pfn whose page was all
 *   zeros; such a pfn has no data page in the stream.
 *
 * nr_meta_pages = DIV_ROUND_UP(nr_pfns * sizeof(long), PAGE_SIZE), counting
 * zero pages too. Data page i of the stream belongs to the i-th non-zero pfn.
 */
import { FormatError } from '../../errors.js';
import { PAGE_SIZE, view } from './page.js';

export const PFNS_PER_META_PAGE = PAGE_SIZE / 8;
/** Default pfn bound: MAX_PHYSMEM_BITS 52 on x86-64 → pfn < 2^40. */
export const DEFAULT_MAX_PFN = 2 ** 40;

export function nrMetaPages(nrPfns: number): number {
  return Math.ceil(nrPfns / PFNS_PER_META_PAGE);
}

/** The pfns of an image and which of them are zero pages (zero-page mode). */
export interface PfnList {
  /** Ascending pfns, zero pages included. */
  readonly pfns: ArrayLike<number>;
  /** 1 at index i when pfn i is a zero page (stored only in the meta list). */
  readonly zero?: Uint8Array | undefined;
  readonly count: number;
}

/** Check a pfn list the writer is given: ascending, in range, zero flags sized. */
export function checkPfnList(list: PfnList, maxPfn = DEFAULT_MAX_PFN): void {
  if (list.zero && list.zero.length < list.count) {
    throw new FormatError(
      'META_ZERO_FLAGS_SHORT',
      `zero flags cover ${list.zero.length} of ${list.count} pfns`,
    );
  }
  let prev = -1;
  for (let i = 0; i < list.count; i++) {
    const p = list.pfns[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= maxPfn) {
      throw new FormatError(
        'META_PFN_OUT_OF_RANGE',
        `pfn #${i} is ${p}, expected an integer below 0x${maxPfn.toString(16)}`,
      );
    }
    if (p <= prev) {
      throw new FormatError(
        'META_NOT_ASCENDING',
        `pfn #${i} is 0x${p.toString(16)}, expected above 0x${prev.toString(16)}`,
      );
    }
    prev = p;
  }
}

/** pack_pfns(): meta page `index` (0-based) of `list`, zeroed first like the kernel's buffer. */
export function packMetaPage(list: PfnList, index: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = view(page);
  const start = index * PFNS_PER_META_PAGE;
  for (let j = 0; j < PFNS_PER_META_PAGE; j++) {
    const i = start + j;
    if (i >= list.count) {
      dv.setUint32(j * 8, 0xffffffff, true);
      dv.setUint32(j * 8 + 4, 0xffffffff, true);
      break;
    }
    const p = list.pfns[i]!;
    dv.setUint32(j * 8, p >>> 0, true);
    const hi = Math.floor(p / 0x100000000);
    dv.setUint32(j * 8 + 4, (list.zero?.[i] ? hi | 0x80000000 : hi) >>> 0, true);
  }
  return page;
}

/**
 * Incremental unpack_orig_pfns() with validation: feed the meta pages in
 * order, then call finish(). Memory grows only with entries actually read.
 */
export class MetaDecoder {
  private pfns = new Float64Array(1024);
  private zero = new Uint8Array(1024);
  private n = 0;
  private dataCount = 0;
  private zeroCount = 0;
  private pagesSeen = 0;
  private terminated = false;
  private prev = -1;

  constructor(
    private readonly nrMeta: number,
    private readonly imagePages: number,
    private readonly maxPfn = DEFAULT_MAX_PFN,
  ) {}

  /** `base` = byte offset to report in errors for entry 0 of this page (device offset, or stream offset). */
  push(page: Uint8Array, base: number): void {
    if (this.terminated) {
      throw new FormatError(
        'META_TERMINATOR_EARLY',
        `meta page ${this.pagesSeen} follows a page that ended the pfn list; expected ${this.nrMeta} meta pages with the end marker only in the last`,
        { offset: base },
      );
    }
    const dv = view(page);
    this.pagesSeen++;
    for (let j = 0; j < PFNS_PER_META_PAGE; j++) {
      const lo = dv.getUint32(j * 8, true);
      const hi = dv.getUint32(j * 8 + 4, true);
      if (lo === 0xffffffff && hi === 0xffffffff) {
        // BM_END_OF_MAP: the reader stops here; the rest of the page is not looked at.
        this.terminated = true;
        if (this.pagesSeen !== this.nrMeta) {
          throw new FormatError(
            'META_TERMINATOR_EARLY',
            `pfn list ends in meta page ${this.pagesSeen - 1} of ${this.nrMeta}; expected the end marker only in the last meta page`,
            { offset: base + j * 8 },
          );
        }
        return;
      }
      const isZero = (hi & 0x80000000) !== 0;
      const pfn = (hi & 0x7fffffff) * 0x100000000 + lo;
      if (pfn >= this.maxPfn) {
        throw new FormatError(
          'META_PFN_OUT_OF_RANGE',
          `meta entry ${this.n} is pfn 0x${pfn.toString(16)}, expected below 0x${this.maxPfn.toString(16)}`,
          { offset: base + j * 8 },
        );
      }
      if (pfn <= this.prev) {
        throw new FormatError(
          'META_NOT_ASCENDING',
          `meta entry ${this.n} is pfn 0x${pfn.toString(16)}, expected above the previous pfn 0x${this.prev.toString(16)}`,
          { offset: base + j * 8 },
        );
      }
      if (!isZero && this.dataCount === this.imagePages) {
        throw new FormatError(
          'META_COUNT_MISMATCH',
          `meta entry ${this.n} is a data pfn beyond image_pages (${this.imagePages})`,
          { offset: base + j * 8 },
        );
      }
      this.prev = pfn;
      if (this.n === this.pfns.length) this.grow();
      this.pfns[this.n] = pfn;
      this.zero[this.n] = isZero ? 1 : 0;
      this.n++;
      if (isZero) this.zeroCount++;
      else this.dataCount++;
    }
  }

  private grow(): void {
    const p = new Float64Array(this.pfns.length * 2);
    p.set(this.pfns);
    this.pfns = p;
    const z = new Uint8Array(this.zero.length * 2);
    z.set(this.zero);
    this.zero = z;
  }

  /** Check the totals; `endOffset` locates the error when pages are missing. */
  finish(endOffset: number): MetaList {
    if (this.pagesSeen !== this.nrMeta) {
      throw new FormatError(
        'META_TRUNCATED',
        `read ${this.pagesSeen} meta pages, expected nr_meta_pages = ${this.nrMeta}`,
        { offset: endOffset },
      );
    }
    if (this.dataCount !== this.imagePages) {
      throw new FormatError(
        'META_COUNT_MISMATCH',
        `pfn list has ${this.dataCount} data pfns, expected image_pages = ${this.imagePages}`,
        { offset: endOffset },
      );
    }
    if (nrMetaPages(this.n) !== this.nrMeta) {
      throw new FormatError(
        'META_COUNT_MISMATCH',
        `pfn list has ${this.n} entries, which need ${nrMetaPages(this.n)} meta pages, but nr_meta_pages is ${this.nrMeta}`,
        { offset: endOffset },
      );
    }
    return new MetaList(this.pfns.slice(0, this.n), this.zero.slice(0, this.n), this.zeroCount);
  }
}

/** The decoded pfn list with pfn → data-page lookup. */
export class MetaList implements PfnList {
  readonly count: number;
  /** dataIndex[i] = index of pfn i's page among the data pages, or -1 for a zero page. */
  private readonly dataIndex: Int32Array;

  constructor(
    readonly pfns: Float64Array,
    readonly zero: Uint8Array,
    readonly zeroCount: number,
  ) {
    this.count = pfns.length;
    this.dataIndex = new Int32Array(this.count);
    let d = 0;
    for (let i = 0; i < this.count; i++) this.dataIndex[i] = zero[i] ? -1 : d++;
  }

  get dataCount(): number {
    return this.count - this.zeroCount;
  }

  /** Index of `pfn` in the list (binary search), or -1. */
  indexOf(pfn: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.pfns[mid]!;
      if (v === pfn) return mid;
      if (v < pfn) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Data-page ordinal of list entry i (-1 = zero page). */
  dataOrdinal(i: number): number {
    return this.dataIndex[i]!;
  }
}
