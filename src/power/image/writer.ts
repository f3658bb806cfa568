/**
 * Writes a hibernation image to a swap device the way swsusp_write() does
 * (kernel/power/swap.c, 3.10 and 6.x):
 *
 *   swap page 0     mkswap header + struct swsusp_header (mark_swapfiles(), last)
 *   first map page  allocated before anything else (get_swap_writer()) → image = 1
 *   entries[0]      header page (struct swsusp_info), always uncompressed
 *   entries[1..]    the stream: nr_meta_pages pfn pages, then the data pages
 *                   nocompress: one swap page per stream page (save_image())
 *                   compressed: chunks of ≤ 32 stream pages, each
 *                     u64 LE cmp_len | cmp_len bytes | zero padding to a page
 *                   (save_compressed_image(); the kernel pads with left-over
 *                   buffer bytes, we pad with zeros — readers ignore padding)
 *   next map page   allocated when 511 entries are filled, so with an empty
 *                   device map pages land at 1, 513, 1025, …
 *
 * The data is streamed: at most five batches of chunks (32 × 128 KiB
 * uncompressed each, one being filled and four in the pool, plus their
 * compressed output) are held at a time. Pages are copied straight into
 * those batch buffers (reused, or lent by the pool and handed over); with a
 * sink that has writePages(), the pool returns each chunk already laid out
 * as its swap pages (ChunkJob.record), back to back, so runs of consecutive
 * slots are written straight from the pool's result buffer with one call.
 * The calling thread does one memcpy per page (the compression, CRC and the
 * chunk framing run in the pool); chunks that cross a swap map page or a bad
 * slot take the page-by-page path, with the same slots and bytes.
 */
import { ModelError, ScenarioError, UsageError } from '../../errors.js';
import { crc32LeCombine } from '../../lib/crc32.js';
import { generatePage, pageDigest } from '../../workload/content.js';
import { CMP_HEADER, type CompressorName, UNC_PAGES, UNC_SIZE } from '../compress/compressor.js';
import {
  type ChunkJob,
  type ChunkPool,
  type ChunkResult,
  GEN_WORDS,
  InlineChunkPool,
} from '../compress/pool.js';
import { FORMAT_ERAS, type FormatEraRules, type ImageFormatEra } from './format-era.js';
import {
  type Clock,
  defaultClock,
  kernelThreads,
  type LogSink,
  ProgressPrinter,
  type ProgressSink,
  speedLine,
  threadsLine,
} from './log.js';
import { nrMetaPages, type PfnList, packMetaPage, toPfnRuns } from './meta.js';
import { decodeMkswapHeader, type FreshSwapOptions, makeMkswapPage } from './mkswap-header.js';
import { PAGE_SIZE } from './page.js';
import type { PfnRuns } from './pfn-runs.js';
import type { BlockSink } from './source.js';
import { encodeMapPage, MAP_PAGE_ENTRIES } from './swap-map.js';
import { markSwapfiles, SF } from './swsusp-header.js';
import { type ArchHeaderInput, encodeSwsuspInfo } from './swsusp-info.js';

/**
 * One saved page, in ascending pfn order. `bytes` null = zero page (6.6+
 * zero-page mode), unless `genKind` is set: then the page is the generated
 * page of that descriptor (workload/content.ts generatePage(kind, genSeed,
 * genSrc)), made by the compression pool rather than on this thread. The
 * writer is done with a record once it pulls the next one, so a producer may
 * refill one record object and one buffer for every page.
 */
export interface PageRecord {
  pfn: number;
  bytes: Uint8Array | null;
  /** > 0: a generated page (bytes must be null). */
  genKind?: number;
  genSeed?: number;
  genSrc?: number;
}

/** PAGES_FOR_IO (kernel/power/power.h): 4 MiB of pages kept free for I/O. */
export const PAGES_FOR_IO = 1024;

export interface WriteImageOptions {
  /** On-disk format generation (header layout, log spelling, worst-case bound). */
  format: ImageFormatEra;
  arch: ArchHeaderInput;
  /** swsusp_info.num_physpages (3.10: max_pfn; 6.x: present pages). */
  numPhyspages: number;
  /** 'none' = hibernate=nocompress (SF_NOCOMPRESS_MODE). */
  compressor: CompressorName | 'none';
  /** hibernation_mode == HIBERNATION_PLATFORM → SF_PLATFORM_MODE. */
  platformMode?: boolean;
  /** 6.x swsusp_hardware_signature; non-zero sets SF_HW_SIG. */
  hwSig?: number;
  /** The device's current page 0 (must carry a swap magic). */
  swapHeader?: Uint8Array;
  /** Or make a fresh mkswap page 0. One of swapHeader / fresh is required. */
  fresh?: FreshSwapOptions;
  /** Online CPUs: threads = clamp(cpus - 1, 1, 3) like the kernel. Default 1. */
  cpus?: number;
  /** Override the thread count (what the log line reports and the batch width). */
  threads?: number;
  /** Compression workers; default an in-thread pool. Not closed by the writer. */
  pool?: ChunkPool;
  /** Chunks handed to the pool per call (default 32 = 4 MiB); output bytes do not depend on it. */
  batchChunks?: number;
  /** enough_swap() check in nocompress mode (default true). */
  checkEnoughSwap?: boolean;
  log?: LogSink;
  clock?: Clock;
  /** (done, total) stream pages after every 1% and at the end, for a progress bar or event sink. */
  onProgress?: ProgressSink;
  /**
   * Filled with pageDigest() of each data page's bytes, at its index in the
   * pfn list (zero pages untouched); computed by the pool with the compression.
   */
  digests?: Uint32Array;
  /**
   * With `digests`: what each digest was computed from (see DigestSources), so
   * a verify can tell a page that still holds that generated page without
   * generating it again.
   */
  digestSources?: DigestSources;
}

/**
 * Where the writer's page digests came from: kind[i] > 0 says digests[i] is
 * pageDigest(generatePage(kind[i], seed, pfn_i, 0)) — the generated page of
 * list entry i's own pfn with the one `seed` — made from exactly that
 * descriptor by the pool (or inline); 0 says it was taken from bytes, or from a
 * descriptor of another seed or source pfn. `seed` is the first generated
 * record's seed (−1 until one is seen). One byte per list entry.
 */
export interface DigestSources {
  kind: Uint8Array;
  seed: number;
}

/** Record in `src` that digest `li` comes from (kind, seed, src) of list pfn `pfn`, when it is the memoisable form. */
function noteDigestSource(
  src: DigestSources,
  li: number,
  pfn: number,
  kind: number,
  seed: number,
  from: number,
): void {
  if (src.seed < 0) src.seed = seed;
  src.kind[li] = kind <= 0xff && seed === src.seed && from === pfn ? kind : 0;
}

export interface WriteImageResult {
  flags: number;
  crc32: number;
  firstMapPage: number;
  mapPages: number[];
  imagePages: number;
  zeroPages: number;
  nrMetaPages: number;
  pages: number;
  chunks: number;
  compressedBytes: number;
  /** Highest swap page written (excluding page 0). */
  lastSwapPage: number;
  threads: number;
  /** Plan mode (../plan/): compressedBytes, lastSwapPage, mapPages are estimates, crc32 was not computed. */
  estimated?: boolean;
}

/** Pages per writePages() call when the sink supports it (1 MiB). */
const RUN_PAGES = 256;

/**
 * Swap-slot allocation and the swap map (get_swap_writer(), swap_write_page(),
 * flush_swap_writer() in kernel/power/swap.c). Slots are handed out in
 * ascending order from 1, skipping the swap header's bad pages, which is what
 * alloc_swapdev_block() gives on a freshly swapon'ed device.
 */
class SwapMapWriter {
  private next = 1;
  private readonly entries = new Float64Array(MAP_PAGE_ENTRIES);
  private k = 0;
  private curSwap: number;
  readonly first: number;
  readonly mapPages: number[] = [];
  lastSlot = 0;
  /** Pending run of consecutive data slots (sinks with writePages() only). */
  private readonly run: Uint8Array | null;
  private runStart = 0;
  private runLen = 0;
  /**
   * Or: the pending run is pool-made chunk records (ChunkResult.record), back
   * to back in one result buffer; this views them and nothing is copied.
   */
  private span: Uint8Array | null = null;

  constructor(
    private readonly sink: BlockSink,
    private readonly lastPage: number,
    private readonly bad: ReadonlySet<number>,
  ) {
    this.run = sink.writePages ? new Uint8Array(RUN_PAGES * PAGE_SIZE) : null;
    this.curSwap = this.alloc();
    this.first = this.curSwap;
    this.mapPages.push(this.curSwap);
  }

  /** Free slots left (for enough_swap()). */
  get free(): number {
    let n = this.lastPage - this.next + 1;
    for (const b of this.bad) if (b >= this.next && b <= this.lastPage) n--;
    return Math.max(0, n);
  }

  alloc(): number {
    while (this.bad.has(this.next)) this.next++;
    if (this.next > this.lastPage) {
      throw new ScenarioError(
        'SWAP_NO_SPACE',
        `no free swap page left (device pages 1..${this.lastPage} used); the kernel fails with -ENOSPC`,
      );
    }
    const s = this.next++;
    this.lastSlot = s;
    return s;
  }

  // The per-page paths below await only what a sink actually returns as a
  // promise: with a synchronous sink (FileSink) a chunk is packed without a
  // microtask per swap page, which cost the writer's thread ~10% of a core.

  /** True when the page for `slot` cannot join the pending run. */
  private breaksRun(slot: number): boolean {
    return (
      this.runLen > 0 &&
      (slot !== this.runStart + this.runLen || this.runLen === RUN_PAGES || this.span !== null)
    );
  }

  /** Byte offset in `run` for `slot` (the caller flushed when breaksRun()). */
  private runPage(slot: number): number {
    if (this.runLen === 0) this.runStart = slot;
    return this.runLen++ * PAGE_SIZE;
  }

  /** Write the pending run; the writer calls it before a span's result buffer goes back to the pool. */
  flushRun(): void | Promise<void> {
    if (this.runLen === 0) return;
    const n = this.runLen;
    this.runLen = 0;
    const span = this.span;
    if (span) {
      this.span = null;
      return this.sink.writePages!(this.runStart, span);
    }
    return this.sink.writePages!(this.runStart, this.run!.subarray(0, n * PAGE_SIZE));
  }

  /** swap_write_page() bookkeeping after a data page went to `slot`. */
  private addEntry(slot: number): void | Promise<void> {
    this.entries[this.k++] = slot;
    if (this.k < MAP_PAGE_ENTRIES) return;
    const nextMap = this.alloc();
    const page = encodeMapPage(this.entries, this.k, nextMap);
    const done = this.curSwap;
    this.entries.fill(0);
    this.curSwap = nextMap;
    this.mapPages.push(nextMap);
    this.k = 0;
    return this.sink.writePage(done, page);
  }

  /** One uncompressed stream page; returns a promise only when the sink did. */
  writePage(bytes: Uint8Array): void | Promise<void> {
    const slot = this.alloc();
    if (this.run) {
      if (this.breaksRun(slot)) {
        const r = this.flushRun();
        if (r) return r.then(() => this.placePage(slot, bytes));
      }
      return this.placePage(slot, bytes);
    }
    const r = this.sink.writePage(slot, bytes);
    return r ? r.then(() => this.addEntry(slot)) : this.addEntry(slot);
  }

  private placePage(slot: number, bytes: Uint8Array): void | Promise<void> {
    this.run!.set(bytes, this.runPage(slot));
    return this.addEntry(slot);
  }

  /**
   * One compressed chunk: u64 LE cmp_len, the data, zero padding to a page
   * (save_compressed_image()), one slot per page.
   */
  writeChunk(cmp: Uint8Array, record?: Uint8Array): void | Promise<void> {
    const nPages = Math.ceil((CMP_HEADER + cmp.length) / PAGE_SIZE);
    if (record && this.canTakeRecord(nPages)) {
      if (this.runLen > 0 && !this.extendsSpan(record)) {
        const r = this.flushRun();
        if (r) return r.then(() => this.takeRecord(record, nPages));
      }
      this.takeRecord(record, nPages);
      return;
    }
    if (this.fastChunk(cmp, nPages)) return;
    return this.slowChunk(cmp, nPages);
  }

  /**
   * A pool-made record can be written as it is: no bad slots, no map page
   * due inside the chunk (the same slots as the page-by-page path).
   */
  private canTakeRecord(nPages: number): boolean {
    return (
      this.run !== null &&
      this.bad.size === 0 &&
      this.k + nPages < MAP_PAGE_ENTRIES &&
      this.next + nPages - 1 <= this.lastPage
    );
  }

  /** The record's slots continue the pending span and its bytes follow the span's in the same buffer. */
  private extendsSpan(record: Uint8Array): boolean {
    const span = this.span;
    return (
      span !== null &&
      this.next === this.runStart + this.runLen &&
      span.buffer === record.buffer &&
      span.byteOffset + span.length === record.byteOffset
    );
  }

  /** Take the record's slots and entries; its bytes join (or start) the pending span. */
  private takeRecord(record: Uint8Array, nPages: number): void {
    if (this.runLen === 0) {
      this.runStart = this.next;
      this.span = record;
    } else {
      const span = this.span!;
      this.span = new Uint8Array(span.buffer, span.byteOffset, span.length + record.length);
    }
    for (let p = 0; p < nPages; p++) this.entries[this.k++] = this.next++;
    this.lastSlot = this.next - 1;
    this.runLen += nPages;
  }

  /** writeChunk() one page at a time (bad slots, a map page inside the chunk, or a sink without writePages()). */
  private async slowChunk(cmp: Uint8Array, nPages: number): Promise<void> {
    const cmpLen = cmp.length;
    let from = -CMP_HEADER; // offset in cmp of the page's first byte
    for (let p = 0; p < nPages; p++, from += PAGE_SIZE) {
      const slot = this.alloc();
      let buf: Uint8Array;
      let o: number;
      if (this.run) {
        if (this.breaksRun(slot)) {
          const r = this.flushRun();
          if (r) await r;
        }
        buf = this.run;
        o = this.runPage(slot);
      } else {
        buf = new Uint8Array(PAGE_SIZE);
        o = 0;
      }
      let pos = 0;
      if (from < 0) {
        // size_t cmp_len, little endian; the high half stays 0.
        buf[o] = cmpLen & 0xff;
        buf[o + 1] = (cmpLen >>> 8) & 0xff;
        buf[o + 2] = (cmpLen >>> 16) & 0xff;
        buf[o + 3] = cmpLen >>> 24;
        buf[o + 4] = 0;
        buf[o + 5] = 0;
        buf[o + 6] = 0;
        buf[o + 7] = 0;
        pos = CMP_HEADER;
      }
      const at = Math.max(0, from);
      const take = Math.min(PAGE_SIZE - pos, cmpLen - at);
      if (take > 0) {
        buf.set(cmp.subarray(at, at + take), o + pos);
        pos += take;
      }
      if (this.run) {
        if (pos < PAGE_SIZE) buf.fill(0, o + pos, o + PAGE_SIZE);
      } else {
        const w = this.sink.writePage(slot, buf);
        if (w) await w;
      }
      const r = this.addEntry(slot);
      if (r) await r;
    }
  }

  /**
   * The common case of writeChunk() in one copy: no bad slots, the chunk's
   * slots extend the pending run (or start one) and fit in it, and no map
   * page is due inside the chunk. Same slots, entries and bytes as the
   * page-by-page path; returns false when that path must run.
   */
  private fastChunk(cmp: Uint8Array, nPages: number): boolean {
    const run = this.run;
    if (!run || this.span || this.bad.size > 0 || this.k + nPages >= MAP_PAGE_ENTRIES) return false;
    if (this.next + nPages - 1 > this.lastPage) return false;
    if (this.runLen > 0 && (this.next !== this.runStart + this.runLen || this.runLen + nPages > RUN_PAGES))
      return false;
    if (this.runLen === 0) this.runStart = this.next;
    const o = this.runLen * PAGE_SIZE;
    const cmpLen = cmp.length;
    run[o] = cmpLen & 0xff;
    run[o + 1] = (cmpLen >>> 8) & 0xff;
    run[o + 2] = (cmpLen >>> 16) & 0xff;
    run[o + 3] = cmpLen >>> 24;
    run[o + 4] = 0;
    run[o + 5] = 0;
    run[o + 6] = 0;
    run[o + 7] = 0;
    run.set(cmp, o + CMP_HEADER);
    const end = o + nPages * PAGE_SIZE;
    if (o + CMP_HEADER + cmpLen < end) run.fill(0, o + CMP_HEADER + cmpLen, end);
    for (let p = 0; p < nPages; p++) this.entries[this.k++] = this.next++;
    this.lastSlot = this.next - 1;
    this.runLen += nPages;
    return true;
  }

  /** flush_swap_writer(): the last (partial) map page, next_swap = 0. */
  async flush(): Promise<void> {
    await this.flushRun();
    await this.sink.writePage(this.curSwap, encodeMapPage(this.entries, this.k, 0));
  }
}

async function* records(data: Iterable<PageRecord> | AsyncIterable<PageRecord>): AsyncGenerator<PageRecord> {
  yield* data as AsyncIterable<PageRecord>;
}

/** The image's shape before any page is written: counts, flags, page 0 (shared with plan mode, src/power/plan/). */
export interface ImageLayout {
  rules: FormatEraRules;
  /** The checked pfn list, as runs. */
  list: PfnRuns;
  zeroPages: number;
  imagePages: number;
  nrMeta: number;
  /** swsusp_info.pages: header + meta + data pages. */
  pages: number;
  /** Stream pages after the header (the writer's nr_to_write). */
  nrToWrite: number;
  /** Page 0 as found (or made fresh), before mark_swapfiles(). */
  page0: Uint8Array;
  bad: Set<number>;
  flags: number;
  compressed: boolean;
}

/**
 * Check the pfn list against the format (zero-page flag, LZ4) and compute the
 * image's counts, header flags and page 0 — everything swsusp_write() knows
 * before its first page, without the data.
 */
export function imageLayout(pfnList: PfnList, opts: WriteImageOptions): ImageLayout {
  const rules = FORMAT_ERAS[opts.format];
  const list = toPfnRuns(pfnList);
  const zeroPages = list.zeroCount;
  if (zeroPages > 0 && !rules.zeroPageFlag) {
    throw new UsageError(
      'ZERO_PAGES_UNSUPPORTED',
      `the ${opts.format} image format has no zero-page pfn flag`,
    );
  }
  if (opts.compressor === 'lz4' && !rules.lz4) {
    throw new UsageError('LZ4_UNSUPPORTED', `the ${opts.format} image format has no LZ4 flag`);
  }
  const imagePages = list.count - zeroPages;
  const nrMeta = nrMetaPages(list.count);
  const pages = imagePages + nrMeta + 1;

  // Page 0: the original swap header, or a fresh mkswap page.
  let page0: Uint8Array;
  if (opts.swapHeader) page0 = opts.swapHeader.slice(0, PAGE_SIZE);
  else if (opts.fresh) page0 = makeMkswapPage(opts.fresh);
  else throw new UsageError('SWAP_HEADER_REQUIRED', 'writeImage needs swapHeader or fresh');
  const bad = new Set(decodeMkswapHeader(page0).badpages);

  let flags = 0;
  if (opts.platformMode) flags |= SF.PLATFORM_MODE;
  const compressed = opts.compressor !== 'none';
  if (!compressed) flags |= SF.NOCOMPRESS_MODE;
  else {
    flags |= SF.CRC32_MODE;
    if (opts.compressor === 'lz4') flags |= SF.COMPRESSION_ALG_LZ4;
  }
  return {
    rules,
    list,
    zeroPages,
    imagePages,
    nrMeta,
    pages,
    nrToWrite: pages - 1,
    page0,
    bad,
    flags,
    compressed,
  };
}

/** enough_swap() (nocompress): free swap pages must exceed PAGES_FOR_IO + nr_pages. */
export function checkEnoughSwap(free: number, pages: number): void {
  if (!(free > PAGES_FOR_IO + pages)) {
    throw new ScenarioError(
      'NOT_ENOUGH_SWAP',
      `Not enough free swap: ${free} pages free, need more than ${PAGES_FOR_IO} + ${pages}`,
    );
  }
}

/**
 * Write an image: `list` is the full pfn list (known before the data, as the
 * kernel's bitmaps are), `data` yields one record per pfn of `list` in the
 * same order (zero-flagged ones with bytes = null).
 */
export async function writeImage(
  sink: BlockSink,
  pfnList: PfnList,
  data: Iterable<PageRecord> | AsyncIterable<PageRecord>,
  opts: WriteImageOptions,
): Promise<WriteImageResult> {
  const log = opts.log;
  const clock = opts.clock ?? defaultClock;
  const { rules, list, zeroPages, imagePages, nrMeta, pages, nrToWrite, page0, bad, flags, compressed } =
    imageLayout(pfnList, opts);

  const map = new SwapMapWriter(sink, decodeMkswapHeader(page0).lastPage, bad);
  if (!compressed && opts.checkEnoughSwap !== false) {
    // enough_swap(): free swap must exceed PAGES_FOR_IO + nr_pages (free counted before any slot is taken).
    checkEnoughSwap(map.free + 1, pages);
  }

  // Stream page 0: the header, written synchronously and uncompressed.
  await map.writePage(
    encodeSwsuspInfo(opts.arch, { numPhyspages: opts.numPhyspages, imagePages, nrMetaPages: nrMeta }),
  );

  // The rest of the stream: meta pages, then the data pages in pfn order,
  // handed to `put` (awaited only when it returns a promise). A synchronous
  // `data` iterable is walked without an await per page.
  let idx = 0;
  /** List index of the record check() accepted last. */
  let recIdx = -1;
  let run = -1;
  let runPfn = 0;
  let runLeft = 0;
  let runZero = false;
  const check = (rec: PageRecord): Uint8Array | null | false => {
    if (idx >= list.count) {
      throw new UsageError(
        'PAGE_STREAM_TOO_LONG',
        `page stream has more than the ${list.count} pfns of the list`,
      );
    }
    // The list entry idx, walking the runs (run `run`, entry `runLeft` from its end).
    if (runLeft === 0) {
      run++;
      runPfn = list.runStart(run);
      runLeft = list.runLength(run);
      runZero = list.runIsZero(run);
    }
    if (rec.pfn !== runPfn) {
      throw new UsageError(
        'PAGE_STREAM_MISMATCH',
        `page record #${idx} is pfn 0x${rec.pfn.toString(16)}, expected 0x${runPfn.toString(16)}`,
      );
    }
    runPfn++;
    runLeft--;
    const isZero = runZero;
    recIdx = idx;
    idx++;
    const gen = (rec.genKind ?? 0) > 0;
    if (gen && (isZero || rec.bytes !== null)) {
      throw new UsageError(
        'PAGE_STREAM_MISMATCH',
        `pfn 0x${rec.pfn.toString(16)} has a generated-page descriptor but is ${isZero ? 'flagged zero' : 'given bytes too'}`,
      );
    }
    if (gen) return false;
    if (isZero) {
      if (rec.bytes !== null) {
        throw new UsageError(
          'PAGE_STREAM_MISMATCH',
          `pfn 0x${rec.pfn.toString(16)} is flagged zero but has bytes`,
        );
      }
      return null;
    }
    if (!rec.bytes || rec.bytes.length !== PAGE_SIZE) {
      throw new UsageError('PAGE_STREAM_MISMATCH', `pfn 0x${rec.pfn.toString(16)} needs ${PAGE_SIZE} bytes`);
    }
    return rec.bytes;
  };
  // put(page, null, -1) for a meta page; put(bytes, rec, i) for data page i of the
  // list; put(null, rec, i) for a generated one (rec.genKind/genSeed/genSrc).
  const feed = async (
    put: (page: Uint8Array | null, rec: PageRecord | null, listIdx: number) => void | Promise<void>,
  ): Promise<void> => {
    for (let i = 0; i < nrMeta; i++) {
      const r = put(packMetaPage(list, i), null, -1);
      if (r) await r;
    }
    if (Symbol.iterator in data) {
      for (const rec of data as Iterable<PageRecord>) {
        const page = check(rec);
        if (page !== null) {
          const r = put(page || null, rec, recIdx);
          if (r) await r;
        }
      }
    } else {
      for await (const rec of records(data)) {
        const page = check(rec);
        if (page !== null) await put(page || null, rec, recIdx);
      }
    }
    if (idx !== list.count) {
      throw new UsageError('PAGE_STREAM_TOO_SHORT', `page stream ended after ${idx} of ${list.count} pfns`);
    }
  };

  const start = clock();
  let crc = 0;
  let chunks = 0;
  let compressedBytes = 0;
  const threads = opts.threads ?? kernelThreads(opts.cpus ?? 1);

  if (!compressed) {
    // save_image()
    log?.(`PM: Saving image data pages (${nrToWrite} pages)...`);
    const progress = new ProgressPrinter(nrToWrite, 'saving', log, opts.onProgress);
    const genBuf = new Uint8Array(PAGE_SIZE);
    const sources = opts.digests ? opts.digestSources : undefined;
    await feed((bytes, rec, li) => {
      let page = bytes;
      if (!page) {
        generatePage(rec!.genKind!, rec!.genSeed!, rec!.genSrc!, 0, genBuf);
        page = genBuf;
        if (sources && li >= 0)
          noteDigestSource(sources, li, rec!.pfn, rec!.genKind!, rec!.genSeed!, rec!.genSrc!);
      } else if (sources && li >= 0) sources.kind[li] = 0;
      if (opts.digests && li >= 0) opts.digests[li] = pageDigest(page);
      const r = map.writePage(page);
      if (r) return r.then(() => progress.tick());
      progress.tick();
    });
    log?.(`PM: Image saving done${rules.doneDot}`);
    log?.(speedLine(rules, 'Wrote', nrToWrite, clock() - start));
  } else {
    // save_compressed_image() / save_image_lzo()
    const codecName = opts.compressor as CompressorName;
    const worst = rules.worstCompress.bind(rules);
    const pool: ChunkPool = opts.pool ?? new InlineChunkPool();
    log?.(threadsLine(rules, threads, codecName, 'compression'));
    log?.(`PM: Compressing and saving image data (${nrToWrite} pages)...`);
    const progress = new ProgressPrinter(nrToWrite, 'saving', log, opts.onProgress);
    // 32 chunks (4 MiB) per pool call; IN_FLIGHT calls keep every worker
    // busy. Smaller calls cost more in message round trips than they save:
    // 1 MiB calls left each worker ~15% idle between batches (bench/image-io.ts).
    const batchChunks = Math.max(1, opts.batchChunks ?? 32);

    const digestsOut = opts.digests;
    const writeResults = async (
      uncs: number[],
      pending: Promise<ChunkResult[]>,
      listIdx: Int32Array | null,
    ) => {
      const results = await pending;
      results.sort((a, b) => a.index - b.index);
      for (let r = 0; r < results.length; r++) {
        const res = results[r]!;
        const unc = uncs[r]!;
        if (digestsOut && listIdx) {
          const d = res.digests;
          if (!d) throw new ModelError('NO_DIGESTS', 'the compression pool returned no page digests');
          const base = r * UNC_PAGES;
          for (let k = 0; k < d.length; k++) {
            const li = listIdx[base + k]!;
            if (li >= 0) digestsOut[li] = d[k]!;
          }
        }
        const cmpLen = res.compressed.length;
        if (cmpLen === 0 || cmpLen > worst(unc)) {
          throw new ModelError(
            'CMP_LEN_INVALID',
            rules.namesCompressor
              ? `Invalid ${codecName} compressed length`
              : 'Invalid LZO compressed length',
          );
        }
        crc = crc32LeCombine(crc, res.crc, unc);
        compressedBytes += cmpLen;
        chunks++;
        const w = map.writeChunk(res.compressed, res.record);
        if (w) await w;
      }
      // Every result is on its way to the device: the pool may reuse its buffers.
      if (pool.recycle) {
        const f = map.flushRun();
        if (f) await f;
        let last: ArrayBufferLike | null = null;
        for (const res of results) {
          if (res.compressed.buffer !== last) pool.recycle(res.compressed.buffer);
          last = res.compressed.buffer;
        }
      }
    };

    // Pages are copied into a batch buffer; a full one goes to the pool as
    // one call. With a pool that lends input buffers (inputBuffer()), each
    // call takes its buffer over (a worker pool hands it to a worker, no second
    // copy). Otherwise a ring of own buffers is used: one being filled while
    // up to IN_FLIGHT others have their chunks in the pool, and a buffer is
    // refilled only after its results were awaited.
    const IN_FLIGHT = 4;
    const full = batchChunks * UNC_SIZE;
    const ring: Uint8Array[] = [];
    if (!pool.inputBuffer) for (let b = 0; b <= IN_FLIGHT; b++) ring.push(new Uint8Array(full));
    let which = 0;
    const nextBuffer = () => (pool.inputBuffer ? pool.inputBuffer(full) : ring[which++ % ring.length]!);
    let cur = nextBuffer();
    let fill = 0;
    let nextIndex = 0;
    // Per call, made on first use: generated-page descriptors (GEN_WORDS per
    // page, kind 0 = bytes in `cur`) and the list index of each page (−1 meta),
    // fresh arrays per call since the pool may hold them until it replies.
    const callPages = batchChunks * UNC_PAGES;
    let gen: Uint32Array | null = null;
    let listIdx: Int32Array | null = digestsOut ? new Int32Array(callPages) : null;
    const inflight: { uncs: number[]; pending: Promise<ChunkResult[]>; listIdx: Int32Array | null }[] = [];
    const submit = async () => {
      const jobs: ChunkJob[] = [];
      const uncs: number[] = [];
      for (let o = 0; o < fill; o += UNC_SIZE) {
        const data = cur.subarray(o, Math.min(fill, o + UNC_SIZE));
        const job: ChunkJob = { index: nextIndex++, data };
        const p0 = o / PAGE_SIZE;
        if (gen) job.gen = gen.subarray(p0 * GEN_WORDS, (p0 + data.length / PAGE_SIZE) * GEN_WORDS);
        if (digestsOut) job.digests = true;
        // The pool lays the chunk out as its swap pages: written from its buffer, no copy here.
        if (sink.writePages) job.record = true;
        jobs.push(job);
        uncs.push(data.length);
      }
      const pending = pool.compress(codecName, jobs);
      // Catch early so an error in this batch is not an unhandled rejection while earlier ones are written.
      pending.catch(() => undefined);
      inflight.push({ uncs, pending, listIdx });
      fill = 0;
      gen = null;
      if (digestsOut) listIdx = new Int32Array(callPages);
      // Write out the oldest batch first (with the ring, its buffer is the one filled next).
      if (inflight.length > IN_FLIGHT) {
        const old = inflight.shift()!;
        await writeResults(old.uncs, old.pending, old.listIdx);
      }
      cur = nextBuffer();
    };
    // The pool digests a described page from its descriptor (ChunkJob.gen), bytes otherwise.
    const sources = digestsOut ? opts.digestSources : undefined;
    await feed((page, rec, li) => {
      const p = fill / PAGE_SIZE;
      if (page) {
        cur.set(page, fill);
        if (gen) gen[p * GEN_WORDS] = 0;
        if (sources && li >= 0) sources.kind[li] = 0;
      } else {
        if (!gen) gen = new Uint32Array(callPages * GEN_WORDS);
        const g = p * GEN_WORDS;
        gen[g] = rec!.genKind!;
        gen[g + 1] = rec!.genSeed!;
        gen[g + 2] = rec!.genSrc!;
        if (sources && li >= 0)
          noteDigestSource(sources, li, rec!.pfn, rec!.genKind!, rec!.genSeed!, rec!.genSrc!);
      }
      if (listIdx) listIdx[p] = li;
      fill += PAGE_SIZE;
      progress.tick();
      if (fill === full) return submit();
    });
    if (fill > 0) await submit();
    while (inflight.length > 0) {
      const old = inflight.shift()!;
      await writeResults(old.uncs, old.pending, old.listIdx);
    }
    if (rules.namesCompressor) {
      log?.(speedLine(rules, 'Wrote', nrToWrite, clock() - start));
      log?.(`PM: Image size after compression: ${Math.floor(compressedBytes / 1024)} kbytes`);
      log?.('PM: Image saving done');
    } else {
      log?.(`PM: Image saving done${rules.doneDot}`);
      log?.(speedLine(rules, 'Wrote', nrToWrite, clock() - start));
    }
  }

  // swap_writer_finish(): mark_swapfiles() and the last map page, in the era's order.
  const mark = async () => {
    markSwapfiles(page0, opts.format, { image: map.first, flags, crc32: crc, hwSig: opts.hwSig ?? 0 });
    await sink.writePage(0, page0);
    log?.('PM: S|');
  };
  if (rules.markBeforeFlush) {
    await mark();
    await map.flush();
  } else {
    await map.flush();
    await mark();
  }

  return {
    flags: flags | (rules.hasHwSig && opts.hwSig ? SF.HW_SIG : 0),
    crc32: compressed ? crc >>> 0 : 0,
    firstMapPage: map.first,
    mapPages: map.mapPages,
    imagePages,
    zeroPages,
    nrMetaPages: nrMeta,
    pages,
    chunks,
    compressedBytes,
    lastSwapPage: map.lastSlot,
    threads,
  };
}
