/**
 * The image of a plan-mode run: what swsusp_write() would have put on the
 * swap device, without the data.
 *
 *   page 0        the real mkswap page + struct swsusp_header (mark_swapfiles()),
 *                 CRC32 field = PLAN_CRC (no stream is hashed)
 *   header page   the real struct swsusp_info (encodeSwsuspInfo()), at the swap
 *                 slot the writer would give it
 *   meta pages    packed on demand from the pfn list (packMetaPage())
 *   data pages    not bytes: data page k is "the contents of copy frame k" of the
 *                 hibernated machine, kept as runs (index, frame) of copy_bm
 *
 * It is its own swap device (page 0 and the header page; swsusp_check()'s
 * signature reset lands in memory) and its own reader: the subset of
 * ImageReader the loaders use (info, the header page's slot, stream pages,
 * the chunk stream). The loaders get a zero page for each data page — they
 * pass it to the page store, and plan mode's store (./store.ts) looks up the
 * page's copy frame by its image pfn instead of reading bytes.
 */
import { ScenarioError } from '../../errors.js';
import type { Machine } from '../../machine/boot.js';
import type { ContentMap } from '../../workload/content-map.js';
import { UNC_PAGES } from '../compress/compressor.js';
import { packMetaPage } from '../image/meta.js';
import { PAGE_SIZE } from '../image/page.js';
import type { PfnRuns } from '../image/pfn-runs.js';
import type { StreamChunk } from '../image/reader.js';
import { decodeSwsuspHeader } from '../image/swsusp-header.js';
import { decodeSwsuspInfo, type SwsuspInfo } from '../image/swsusp-info.js';
import type { LoaderImage } from '../swap-read.js';

/** The CRC32 a plan image's header carries and its stream "computes" (no bytes are hashed). */
export const PLAN_CRC = 0x504c414e;

export class PlannedImage {
  /** Data pages by copy frame: run r covers data pages [runIdx[r], runIdx[r+1]) from frame runPfn[r] on. */
  private runIdx = new Float64Array(64);
  private runPfn = new Float64Array(64);
  private runs = 0;
  private dataPages = 0;
  /** Lookup cursor: the copy-frame run of the last data page looked up. */
  private curRun = 0;
  private readonly page0: Uint8Array;

  constructor(
    /** The hibernated machine and its content map (the copy frames live there). */
    readonly machine: Machine,
    readonly content: ContentMap,
    readonly list: PfnRuns,
    page0: Uint8Array,
    readonly headerPage: Uint8Array,
    /** Swap slot of the header page (swap map entry 0). */
    readonly headerSlot: number,
    readonly nrMetaPages: number,
  ) {
    this.page0 = page0.slice();
  }

  /** Record the copy frame of the next data page (in copy_bm order). */
  addCopyFrame(pfn: number): void {
    this.addCopyFrames(pfn, 1);
  }

  /** addCopyFrame(pfn), addCopyFrame(pfn + 1), … n times (n ≥ 1): frames of a copy_bm run. */
  addCopyFrames(pfn: number, n: number): void {
    const r = this.runs;
    if (r > 0 && this.runPfn[r - 1]! + (this.dataPages - this.runIdx[r - 1]!) === pfn) {
      this.dataPages += n;
      return;
    }
    if (r === this.runIdx.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.runIdx = grow(this.runIdx);
      this.runPfn = grow(this.runPfn);
    }
    this.runIdx[r] = this.dataPages;
    this.runPfn[r] = pfn;
    this.runs++;
    this.dataPages += n;
  }

  /**
   * The copy frame holding image pfn `pfn`'s data, or -1 (not in the image /
   * a zero page). The loaders ask in ascending pfn order (orig_bm order): the
   * list's and the copy runs' cursors make that O(1) a lookup; any other
   * order is a binary search.
   */
  copyFrameOf(pfn: number): number {
    const k = this.dataOrdinalOf(pfn);
    return k < 0 ? -1 : this.frameOfOrdinal(k);
  }

  /** Data page number of image pfn `pfn` (its rank among the list's data entries), or -1. */
  dataOrdinalOf(pfn: number): number {
    const L = this.list;
    const i = L.indexOf(pfn);
    return i < 0 ? -1 : L.dataOrdinal(i);
  }

  /**
   * The copy frame of data page k (0 ≤ k < data pages), through the copy runs' cursor (k
   * ascending: O(1)); copyRunLeft() then says how many data pages after it have the next frames.
   */
  frameOfOrdinal(k: number): number {
    let r = this.curRun;
    if (!(r < this.runs && this.runIdx[r]! <= k)) r = 0;
    if (r + 1 < this.runs && this.runIdx[r + 1]! <= k) {
      r++;
      if (r + 1 < this.runs && this.runIdx[r + 1]! <= k) {
        // Far ahead: the last run starting at or below k.
        let lo = r + 1;
        let hi = this.runs - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (this.runIdx[mid]! <= k) lo = mid;
          else hi = mid - 1;
        }
        r = lo;
      }
    }
    this.curRun = r;
    this.lastK = k;
    return this.runPfn[r]! + (k - this.runIdx[r]!);
  }

  /** Data-page ordinal of the last copyFrameOf() that found a frame. */
  private lastK = 0;

  /**
   * After copyFrameOf(pfn) returned frame f ≥ 0: how many of pfn + 1 … pfn +
   * max, at most, have frames f + 1, f + 2, … (what copyFrameOf() of each
   * would return) — the rest of pfn's data run of the list within the rest of
   * f's copy-frame run.
   */
  copyFrameRunAfter(pfn: number, max: number): number {
    const L = this.list;
    const r = L.runAtOrBelow(pfn);
    const inList = L.runStart(r) + L.runLength(r) - 1 - pfn;
    const c = this.curRun;
    const end = c + 1 < this.runs ? this.runIdx[c + 1]! : this.dataPages;
    const inCopy = end - 1 - this.lastK;
    return Math.max(0, Math.min(max, inList, inCopy));
  }

  /**
   * After copyFrameOf() returned frame f ≥ 0: how many of the data pages after
   * that one have frames f + 1, f + 2, … (the rest of f's copy-frame run).
   */
  copyRunLeft(): number {
    const c = this.curRun;
    const end = c + 1 < this.runs ? this.runIdx[c + 1]! : this.dataPages;
    return end - 1 - this.lastK;
  }

  /**
   * The copy frames of data pages in order (the plan's verification): a
   * cursor over the runs. `at(k)` for k ascending returns data page k's
   * frame (-1 past the last) and leaves in `left` how many data pages from k
   * on have consecutive frames (frame, frame + 1, …).
   */
  copyFrameCursor(): { at(k: number): number; left: number } {
    let r = 0;
    const self = this;
    return {
      left: 0,
      at(k: number): number {
        if (k >= self.dataPages) {
          this.left = 0;
          return -1;
        }
        while (r + 1 < self.runs && self.runIdx[r + 1]! <= k) r++;
        const end = r + 1 < self.runs ? self.runIdx[r + 1]! : self.dataPages;
        this.left = end - k;
        return self.runPfn[r]! + (k - self.runIdx[r]!);
      },
    };
  }

  get copyRuns(): number {
    return this.runs;
  }

  /** The swap device: page 0 and the header page are bytes; nothing else was written. */
  device(): PlanDevice {
    return new PlanDevice(this);
  }

  /** ImageReader.open() for plan mode: the same decoding of page 0 and the header page. */
  open(format: Parameters<typeof decodeSwsuspHeader>[1]): PlanReader {
    return new PlanReader(this, decodeSwsuspHeader(this.page0, format).crc32);
  }

  readPage0(): Uint8Array {
    return this.page0;
  }

  writePage0(bytes: Uint8Array): void {
    this.page0.set(bytes.subarray(0, PAGE_SIZE));
  }
}

/** The planned image as a swap device: page 0 (read/write) and the header page (read). */
export class PlanDevice {
  constructor(readonly image: PlannedImage) {}
  get size(): number {
    return (this.image.headerSlot + 1) * PAGE_SIZE;
  }
  readAt(offset: number, length: number): Uint8Array {
    const page = Math.floor(offset / PAGE_SIZE);
    const src =
      page === 0 ? this.image.readPage0() : page === this.image.headerSlot ? this.image.headerPage : null;
    if (!src || offset % PAGE_SIZE !== 0 || length > PAGE_SIZE) {
      throw new ScenarioError(
        'PLAN_NO_BYTES',
        `plan mode: swap page ${page} holds no bytes (only page 0 and the header page are planned)`,
      );
    }
    return src.subarray(0, length);
  }
  writePage(swapPage: number, bytes: Uint8Array): void {
    if (swapPage !== 0) {
      throw new ScenarioError('PLAN_NO_BYTES', `plan mode: no write to swap page ${swapPage} expected`);
    }
    this.image.writePage0(bytes);
  }
}

/**
 * Pages per chunk of the plan's data stream: several kernel chunks (UNC_PAGES) at once. The
 * data pages are zero pages either way, and the loader's run forms (in-place runs, PBE runs)
 * stop at a chunk's end: longer chunks give longer runs, so a 12 TiB plan makes ~310k PBE runs
 * (one per chain page) instead of 1.6M.
 */
const PLAN_CHUNK_PAGES = 32 * UNC_PAGES;

/** What the loaders read of a planned image (LoaderImage, as ImageReader gives it). */
export class PlanReader implements LoaderImage {
  readonly info: SwsuspInfo;
  readonly map: { entries: ArrayLike<number> };
  private readonly zero = new Uint8Array(PAGE_SIZE);
  private readonly chunk = new Uint8Array(PLAN_CHUNK_PAGES * PAGE_SIZE);

  constructor(
    private readonly image: PlannedImage,
    /** The CRC32 field as the resume kernel decodes page 0: what the plan's stream "computes". */
    private readonly headerCrc: number,
  ) {
    const base = image.headerSlot * PAGE_SIZE;
    this.info = decodeSwsuspInfo(image.headerPage, base);
    this.map = { entries: [image.headerSlot] };
  }

  get streamPages(): number {
    return this.info.pages - 1;
  }

  /** Stream page s: a meta page's bytes, or a zero page standing for a data page. */
  streamPage(s: number): Uint8Array {
    if (s < this.image.nrMetaPages) return packMetaPage(this.image.list, s);
    return this.zero;
  }

  /**
   * The decompressed chunks (one reused buffer: meta pages packed in, data pages zero); returns the
   * CRC. Chunks holding meta pages are the kernel's (UNC_PAGES), data chunks PLAN_CHUNK_PAGES.
   */
  async *stream(_opts: { pool?: unknown; threads?: number } = {}): AsyncGenerator<StreamChunk, number> {
    const total = this.streamPages;
    const meta = this.image.nrMetaPages;
    // One chunk object (the loader uses a chunk before it asks for the next).
    const full = this.chunk;
    const out: StreamChunk = { firstStreamPage: 0, data: full };
    for (let first = 0; first < total; ) {
      const n = Math.min(first < meta ? UNC_PAGES : PLAN_CHUNK_PAGES, total - first);
      const data = n === PLAN_CHUNK_PAGES ? full : full.subarray(0, n * PAGE_SIZE);
      if (first < meta) {
        data.fill(0);
        for (let s = first; s < Math.min(meta, first + n); s++)
          data.set(packMetaPage(this.image.list, s), (s - first) * PAGE_SIZE);
      } else if (first - UNC_PAGES < meta) {
        // Only a meta chunk's pages were ever written: the rest of the buffer is still untouched
        // zero (not filled: 4 MiB of first touches).
        full.fill(0, 0, UNC_PAGES * PAGE_SIZE);
      }
      out.firstStreamPage = first;
      out.data = data;
      first += n;
      yield out;
    }
    return this.headerCrc;
  }
}
