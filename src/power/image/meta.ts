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
import { PfnRuns } from './pfn-runs.js';

export const PFNS_PER_META_PAGE = PAGE_SIZE / 8;
/** Default pfn bound: MAX_PHYSMEM_BITS 52 on x86-64 → pfn < 2^40. */
export const DEFAULT_MAX_PFN = 2 ** 40;

export function nrMetaPages(nrPfns: number): number {
  return Math.ceil(nrPfns / PFNS_PER_META_PAGE);
}

/**
 * A pfn list in its per-entry form: what callers of writeImage() may still
 * hand in (tests, tools); the writer converts it to runs after checking it.
 */
export interface PfnArrays {
  /** Ascending pfns, zero pages included. */
  readonly pfns: ArrayLike<number>;
  /** 1 at index i when pfn i is a zero page (stored only in the meta list). */
  readonly zero?: Uint8Array | undefined;
  readonly count: number;
}

/** The pfns of an image and which of them are zero pages (zero-page mode): runs, or the per-entry form. */
export type PfnList = PfnRuns | PfnArrays;

/** Check a pfn list the writer is given: ascending, in range, zero flags sized. */
export function checkPfnList(list: PfnList, maxPfn = DEFAULT_MAX_PFN): void {
  if (list instanceof PfnRuns) {
    // Ascending integers from 0 on by construction (PfnRuns.appendRun); the bound is the last pfn's.
    const last = list.lastPfn;
    if (last !== undefined && last >= maxPfn) {
      const i = list.countBelow(maxPfn);
      outOfRange(i, list.pfnAt(i), maxPfn);
    }
    return;
  }
  if (list.zero && list.zero.length < list.count) {
    throw new FormatError(
      'META_ZERO_FLAGS_SHORT',
      `zero flags cover ${list.zero.length} of ${list.count} pfns`,
    );
  }
  let prev = -1;
  for (let i = 0; i < list.count; i++) {
    const p = list.pfns[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= maxPfn) outOfRange(i, p, maxPfn);
    if (p <= prev) {
      throw new FormatError(
        'META_NOT_ASCENDING',
        `pfn #${i} is 0x${p.toString(16)}, expected above 0x${prev.toString(16)}`,
      );
    }
    prev = p;
  }
}

function outOfRange(i: number, p: number, maxPfn: number): never {
  throw new FormatError(
    'META_PFN_OUT_OF_RANGE',
    `pfn #${i} is ${p}, expected an integer below 0x${maxPfn.toString(16)}`,
  );
}

/** checkPfnList(), then the list as runs (a PfnRuns as it is). */
export function toPfnRuns(list: PfnList, maxPfn = DEFAULT_MAX_PFN): PfnRuns {
  checkPfnList(list, maxPfn);
  return list instanceof PfnRuns ? list : PfnRuns.fromArrays(list.pfns, list.zero, list.count);
}

/** pack_pfns(): meta page `index` (0-based) of `list`, zeroed first like the kernel's buffer. */
export function packMetaPage(list: PfnRuns, index: number): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE);
  const dv = view(page);
  const first = index * PFNS_PER_META_PAGE;
  const stop = Math.min(list.count, first + PFNS_PER_META_PAGE);
  let j = 0;
  if (first < stop) {
    // The entries first .. stop − 1, run by run.
    for (let r = list.runOfIndex(first), i = first; i < stop; r++) {
      const base = list.runStart(r) - list.runFirst(r);
      const flag = list.runIsZero(r) ? 0x80000000 : 0;
      const e = Math.min(stop, list.runFirst(r) + list.runLength(r));
      for (; i < e; i++, j++) {
        const p = base + i;
        dv.setUint32(j * 8, p >>> 0, true);
        dv.setUint32(j * 8 + 4, (Math.floor(p / 0x100000000) | flag) >>> 0, true);
      }
    }
  }
  if (j < PFNS_PER_META_PAGE) {
    dv.setUint32(j * 8, 0xffffffff, true);
    dv.setUint32(j * 8 + 4, 0xffffffff, true);
  }
  return page;
}

/**
 * Incremental unpack_orig_pfns() with validation: feed the meta pages in
 * order, then call finish(). Memory grows only with entries actually read.
 */
export class MetaDecoder {
  /** The entries read so far, as runs. */
  private list = new MetaList();
  private n = 0;
  private dataCount = 0;
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
      this.list.append(pfn, isZero);
      this.n++;
      if (!isZero) this.dataCount++;
    }
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
    return this.list.trim();
  }
}

/**
 * The decoded pfn list (runs) with pfn → data-page lookup: indexOf(pfn),
 * dataOrdinal(i), count / dataCount / zeroCount (PfnRuns).
 */
export class MetaList extends PfnRuns {}
