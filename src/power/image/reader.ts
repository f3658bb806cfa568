/**
 * Reads and validates a hibernation image on a swap device (the loader side
 * of kernel/power/swap.c: swsusp_check(), get_swap_reader(), load_image(),
 * load_compressed_image(); snapshot_write_next()/unpack_orig_pfns() in
 * snapshot.c). Layouts are documented in the format modules beside this file.
 *
 * Everything read is bounds-checked before use, and no allocation is sized
 * from a header count alone: counts are first checked against the device
 * size, and lists grow only with entries actually present on the device.
 * Every failure is a FormatError naming the byte offset on the device, the
 * field, and what was expected.
 *
 * One stricter rule than the kernel: every chunk but the last must hold 32
 * pages (the kernel's writer always does this; its loader would accept
 * shorter ones). That is what makes random access by pfn possible.
 */
import { FormatError } from '../../errors.js';
import { crc32Le, crc32LeCombine } from '../../lib/crc32.js';
import { generatePage } from '../../workload/content.js';
import {
  CMP_HEADER,
  type CompressorName,
  getChunkCodec,
  UNC_PAGES,
  UNC_SIZE,
} from '../compress/compressor.js';
import {
  type ChunkPool,
  type DecompressJob,
  type DecompressResult,
  type FileFill,
  GEN_WORDS,
} from '../compress/pool.js';
import { FORMAT_ERAS, type FormatEraRules, type ImageFormatEra } from './format-era.js';
import { type Clock, defaultClock, type LogSink, ProgressPrinter, speedLine, threadsLine } from './log.js';
import { DEFAULT_MAX_PFN, MetaDecoder, type MetaList } from './meta.js';
import { decodeMkswapHeader, type MkswapHeader } from './mkswap-header.js';
import { PAGE_SIZE, view } from './page.js';
import type { ReadSource } from './source.js';
import { type SwapMap, walkSwapMap } from './swap-map.js';
import {
  decodeSwsuspHeader,
  HDR,
  HIBERNATE_SIG,
  isSwapSignature,
  SF,
  type SwsuspHeader,
} from './swsusp-header.js';
import { decodeSwsuspInfo, type SwsuspInfo } from './swsusp-info.js';

export interface OpenImageOptions {
  /** Force the format rules instead of deriving them from the arch header magic. */
  format?: ImageFormatEra;
  /** Highest pfn + 1 accepted in meta pages (default 2^40, MAX_PHYSMEM_BITS 52). */
  maxPfn?: number;
}

/** One compressed chunk as found on the device. */
export interface ChunkInfo {
  index: number;
  /** Index into the swap map's entries of the chunk's first page. */
  entry: number;
  /** Swap pages the chunk occupies. */
  nPages: number;
  cmpLen: number;
  /** First stream page (0 = first meta page) it holds. */
  firstStreamPage: number;
  /** Stream pages it must decompress to. */
  uncPages: number;
}

export interface StreamChunk {
  /** First stream page in `data`. */
  firstStreamPage: number;
  /** Whole uncompressed stream pages. */
  data: Uint8Array;
  /** With ReadOptions.expect (pool path): the descriptors asked for, GEN_WORDS per page. */
  expect?: Uint32Array;
  /** 1 per page whose bytes equal its `expect` descriptor's generated page (checked in the pool). */
  match?: Uint8Array;
  /**
   * With ReadOptions.skipMatched: the bytes of the pages `match` marks are
   * not in `data` (chunkPageBytes() makes them from `expect`).
   */
  skipped?: boolean;
}

/**
 * Page k of a yielded chunk: a view of its `data`, or, for a page the pool
 * matched and left out of it (ReadOptions.skipMatched), its expected
 * generated page made in `scratch` (one page) — the same bytes, the pool
 * having compared them.
 */
export function chunkPageBytes(chunk: StreamChunk, k: number, scratch: Uint8Array): Uint8Array {
  if (chunk.skipped && chunk.match![k]) {
    const e = chunk.expect!;
    const g = k * GEN_WORDS;
    generatePage(e[g]!, e[g + 1]!, e[g + 2]!, 0, scratch);
    return scratch;
  }
  return chunk.data.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE);
}

export interface ReadOptions {
  pool?: ChunkPool;
  log?: LogSink;
  clock?: Clock;
  /** Threads reported in the log line (default: the pool's, or 1). */
  threads?: number;
  /** Chunks handed to the pool per call (default 16, ~1 MiB compressed = one worker batch); threads × 2 + 1 calls stay in flight. */
  batchChunks?: number;
  /** Called with (done, total) stream pages, for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /**
   * The consumer keeps no view of a yielded chunk (or page) once it asks for
   * the next one, so its buffer may be refilled (pool path: result buffers
   * go back to the pool through ChunkPool.recycle()). verify() sets it.
   */
  reuse?: boolean;
  /**
   * Optional, pool path: called when a chunk is handed to the pool with its
   * first stream page and page count; may write GEN_WORDS u32 per page into
   * `out` (kind, seed, src of the generated page it is expected to be; kind
   * 0 = none) and return true. The pool then compares each decompressed page
   * with its descriptor's page off the caller's thread (StreamChunk.match), so
   * a consumer that keeps pages as descriptors need not regenerate them.
   */
  expect?: (firstStreamPage: number, pages: number, out: Uint32Array) => boolean;
  /**
   * With `expect`: the consumer reads a page the pool matched only through
   * chunkPageBytes() (or not at all), so the pool may leave such pages out
   * of the chunk's `data` (DecompressJob.skipMatched; StreamChunk.skipped).
   */
  skipMatched?: boolean;
  /**
   * With `expect`: false while the consumer cannot give hints yet (the
   * loader has them once it has read the meta pages). The reader then hands
   * the pool no chunk past the meta pages until it is true — unless nothing
   * else is in flight — so those chunks come back matched instead of as
   * bytes that the consumer compares page by page itself.
   */
  expectReady?: () => boolean;
}

export interface PageOut {
  pfn: number;
  /** null for a zero page (ENCODED_PFN_ZERO_FLAG). */
  bytes: Uint8Array | null;
}

export interface VerifyReport {
  ok: boolean;
  /** crc32_le computed over the uncompressed stream (compressed images). */
  crc32Computed: number | null;
  crc32Stored: number | null;
  streamPages: number;
  dataPages: number;
  zeroPages: number;
}

function fmtErr(code: string, msg: string, offset: number): FormatError {
  return new FormatError(code, msg, { offset });
}

/** Era whose format rules apply to an image, from its arch header magic. */
export function formatOfArchEra(era: SwsuspInfo['arch']['era']): ImageFormatEra {
  return era === '3.10' || era === '4.7-4.9' ? '3.10' : '6.x';
}

export class ImageReader {
  readonly devicePages: number;
  readonly swapHeader: MkswapHeader;
  readonly swsusp: SwsuspHeader;
  readonly map: SwapMap;
  readonly info: SwsuspInfo;
  readonly rules: FormatEraRules;
  readonly compressor: CompressorName | null;
  private readonly maxPfn: number;
  private chunkTable: ChunkInfo[] | null = null;
  private metaCache: MetaList | null = null;
  private cacheChunk = -1;
  private cacheData: Uint8Array | null = null;

  private constructor(
    readonly src: ReadSource,
    opts: OpenImageOptions,
  ) {
    this.maxPfn = opts.maxPfn ?? DEFAULT_MAX_PFN;
    if (src.size < PAGE_SIZE) {
      // Not a swap device at all (no room for the swap header): unusable input, not a corrupt image.
      throw fmtErr(
        'DEVICE_TOO_SMALL',
        `device is ${src.size} bytes, expected at least one ${PAGE_SIZE}-byte page`,
        src.size,
      );
    }
    const page0 = src.readAt(0, PAGE_SIZE);
    const hdr = decodeSwsuspHeader(page0, '6.x');
    if (hdr.sig !== HIBERNATE_SIG) {
      const what = isSwapSignature(hdr.sig)
        ? `no hibernation image: swap signature is "${hdr.sig}"`
        : `no swap signature: bytes at 0x${HDR.sig.toString(16)} are ${JSON.stringify(hdr.sig)}`;
      throw fmtErr('SWSUSP_SIG_MISSING', `${what}, expected "S1SUSPEND\\0"`, HDR.sig);
    }
    this.swapHeader = decodeMkswapHeader(page0);
    this.devicePages = Math.max(Math.floor(src.size / PAGE_SIZE), this.swapHeader.lastPage + 1);
    this.map = walkSwapMap(src, hdr.image, this.devicePages);
    if (this.map.entries.length === 0) {
      throw fmtErr(
        'MAP_EMPTY',
        'the first swap map page has no entries, expected the header page at entry 0',
        hdr.image * PAGE_SIZE,
      );
    }
    const hBase = this.map.entries[0]! * PAGE_SIZE;
    this.info = decodeSwsuspInfo(src.readAt(hBase, PAGE_SIZE), hBase);
    this.rules = FORMAT_ERAS[opts.format ?? formatOfArchEra(this.info.arch.era)];
    this.swsusp = this.rules.hasHwSig ? hdr : { ...hdr, hwSig: null };
    this.compressor =
      hdr.flags & SF.NOCOMPRESS_MODE ? null : hdr.flags & SF.COMPRESSION_ALG_LZ4 ? 'lz4' : 'lzo';
    // Bound the header's claims by the device before anything is sized from them.
    const streamPages = this.info.pages - 1;
    const entriesAfterHeader = this.map.entries.length - 1;
    const maxStream = this.compressor ? entriesAfterHeader * UNC_PAGES : entriesAfterHeader;
    if (streamPages > maxStream) {
      throw fmtErr(
        this.compressor ? 'IMAGE_TRUNCATED' : 'IMAGE_TRUNCATED',
        `swsusp_info.pages is ${this.info.pages}, but the swap map lists only ${entriesAfterHeader} stream pages` +
          (this.compressor ? ` (at most ${maxStream} pages after decompression)` : ''),
        hBase + 424,
      );
    }
    if (!this.compressor && streamPages !== entriesAfterHeader) {
      throw fmtErr(
        'MAP_EXTRA_ENTRIES',
        `the swap map lists ${entriesAfterHeader} stream pages, expected pages - 1 = ${streamPages}`,
        this.entryOffset(1 + streamPages),
      );
    }
  }

  /** Open and check the fixed structures (page 0, swap map, header page). */
  static open(src: ReadSource, opts: OpenImageOptions = {}): ImageReader {
    return new ImageReader(src, opts);
  }

  get streamPages(): number {
    return this.info.pages - 1;
  }

  /** Byte offset on the device of swap-map entry `k` (or of the map end when past it). */
  private entryOffset(k: number): number {
    const e = this.map.entries;
    return k < e.length ? e[k]! * PAGE_SIZE : this.src.size;
  }

  /** Read `n` swap pages listed from entry `k` (into `into` when given), coalescing runs of consecutive slots. */
  private readEntries(k: number, n: number, into?: Uint8Array): Uint8Array {
    const out = into ? into.subarray(0, n * PAGE_SIZE) : new Uint8Array(n * PAGE_SIZE);
    const e = this.map.entries;
    let i = 0;
    while (i < n) {
      let run = 1;
      while (i + run < n && e[k + i + run] === e[k + i]! + run) run++;
      const off = e[k + i]! * PAGE_SIZE;
      let got: number;
      if (this.src.readInto) {
        got = this.src.readInto(off, out.subarray(i * PAGE_SIZE, (i + run) * PAGE_SIZE));
      } else {
        const bytes = this.src.readAt(off, run * PAGE_SIZE);
        got = bytes.length;
        out.set(bytes, i * PAGE_SIZE);
      }
      if (got < run * PAGE_SIZE) {
        throw fmtErr(
          'IMAGE_TRUNCATED',
          `image page at swap page ${e[k + i]} is cut off by the end of the file`,
          off + got,
        );
      }
      i += run;
    }
    return out;
  }

  /** Scan the chunk headers (cmp_len of every chunk); cheap, reads 8 bytes per chunk. */
  chunks(): ChunkInfo[] {
    if (!this.compressor) return [];
    if (this.chunkTable) return this.chunkTable;
    const e = this.map.entries;
    const worst = this.rules.worstCompress(UNC_SIZE);
    const table: ChunkInfo[] = [];
    let k = 1;
    let remaining = this.streamPages;
    let first = 0;
    while (remaining > 0) {
      if (k >= e.length) {
        throw fmtErr(
          'IMAGE_TRUNCATED',
          `the swap map ends after ${table.length} chunks, but ${remaining} of ${this.streamPages} stream pages are missing`,
          this.map.mapPages[this.map.mapPages.length - 1]! * PAGE_SIZE,
        );
      }
      const off = e[k]! * PAGE_SIZE;
      const head = this.src.readAt(off, CMP_HEADER);
      if (head.length < CMP_HEADER)
        throw fmtErr('IMAGE_TRUNCATED', `chunk #${table.length} header is cut off`, off + head.length);
      const dv = view(head);
      const hi = dv.getUint32(4, true);
      const cmpLen = dv.getUint32(0, true);
      if (hi !== 0 || cmpLen === 0 || cmpLen > worst) {
        throw fmtErr(
          'CHUNK_LEN_INVALID',
          `Invalid ${this.compressor} compressed length: chunk #${table.length} cmp_len is ${hi ? `0x${hi.toString(16)}${cmpLen.toString(16).padStart(8, '0')}` : cmpLen}, expected 1..${worst}`,
          off,
        );
      }
      const nPages = Math.ceil((CMP_HEADER + cmpLen) / PAGE_SIZE);
      if (k + nPages > e.length) {
        throw fmtErr(
          'CHUNK_TRUNCATED',
          `chunk #${table.length} needs ${nPages} swap pages from map entry ${k}, but the map has only ${e.length - k} left`,
          off,
        );
      }
      const uncPages = Math.min(UNC_PAGES, remaining);
      table.push({ index: table.length, entry: k, nPages, cmpLen, firstStreamPage: first, uncPages });
      k += nPages;
      remaining -= uncPages;
      first += uncPages;
    }
    if (k < e.length) {
      throw fmtErr(
        'MAP_EXTRA_ENTRIES',
        `the swap map lists ${e.length - k} pages after the last chunk; expected it to end there`,
        this.entryOffset(k),
      );
    }
    this.chunkTable = table;
    return table;
  }

  /** The compressed bytes of a chunk (without the 8-byte length). */
  chunkBytes(c: ChunkInfo): Uint8Array {
    return this.chunkBytesInto(c);
  }

  private chunkBytesInto(c: ChunkInfo, into?: Uint8Array): Uint8Array {
    return this.readEntries(c.entry, c.nPages, into).subarray(CMP_HEADER, CMP_HEADER + c.cmpLen);
  }

  /**
   * The compressed bytes of consecutive chunks. Chunks whose swap pages are
   * consecutive slots (a fresh image's are, except where a swap map page sits
   * between them) come as views into one device read per run; a chunk that
   * itself spans a gap, or a run cut off by the end of the device, is read
   * on its own through chunkBytes() (which names the missing page).
   * With `defer` (a pool whose workers read files, `scratch` its lent
   * buffer), a run inside the device that the source's host file holds is
   * not read here: its read is added to `defer` and the views point at where
   * the worker will put it.
   */
  private groupBytes(cs: ChunkInfo[], scratch?: Uint8Array, defer?: FileFill): Uint8Array[] {
    const e = this.map.entries;
    const out: Uint8Array[] = new Array(cs.length);
    // Runs are read into `scratch` (with a source that has readInto) while it has room.
    let used = 0;
    let i = 0;
    while (i < cs.length) {
      const k0 = cs[i]!.entry;
      const base = e[k0]!;
      // Extend the run over whole chunks while their pages stay consecutive.
      let j = i;
      let kEnd = k0;
      while (j < cs.length && cs[j]!.entry === kEnd) {
        const c = cs[j]!;
        let ok = true;
        for (let k = c.entry; k < c.entry + c.nPages; k++) {
          if (e[k] !== base + (k - k0)) {
            ok = false;
            break;
          }
        }
        if (!ok) break;
        kEnd = c.entry + c.nPages;
        j++;
      }
      if (j === i) {
        // A chunk with a swap map page inside: read piecewise (into scratch when it fits).
        const need = cs[i]!.nPages * PAGE_SIZE;
        if (scratch && used + need <= scratch.length) {
          out[i] = this.chunkBytesInto(cs[i]!, scratch.subarray(used, used + need));
          used += need;
        } else out[i] = this.chunkBytes(cs[i]!);
        i++;
        continue;
      }
      const spanLen = (kEnd - k0) * PAGE_SIZE;
      let span: Uint8Array;
      const file =
        defer && scratch && used + spanLen <= scratch.length && base * PAGE_SIZE + spanLen <= this.src.size
          ? (this.src.hostFile?.(base * PAGE_SIZE, spanLen) ?? null)
          : null;
      if (file !== null && (defer!.reads.length === 0 || defer!.file === file)) {
        // The worker reads it (one pread of the run, whole: it lies inside the file).
        defer!.file = file;
        defer!.reads.push(base * PAGE_SIZE, scratch!.byteOffset + used, spanLen);
        span = scratch!.subarray(used, used + spanLen);
        used += spanLen;
      } else if (scratch && this.src.readInto && used + spanLen <= scratch.length) {
        span = scratch.subarray(used, used + spanLen);
        used += spanLen;
        span = span.subarray(0, this.src.readInto(base * PAGE_SIZE, span));
      } else span = this.src.readAt(base * PAGE_SIZE, spanLen);
      if (span.length < spanLen) {
        for (; i < j; i++) out[i] = this.chunkBytes(cs[i]!);
        continue;
      }
      for (; i < j; i++) {
        const o = (cs[i]!.entry - k0) * PAGE_SIZE + CMP_HEADER;
        out[i] = span.subarray(o, o + cs[i]!.cmpLen);
      }
    }
    return out;
  }

  /** Device offset of byte `b` of a chunk's compressed data (for error locations). */
  private chunkByteOffset(c: ChunkInfo, b: number): number {
    const pos = CMP_HEADER + Math.max(0, Math.min(b, c.cmpLen - 1));
    const page = Math.floor(pos / PAGE_SIZE);
    return this.map.entries[c.entry + page]! * PAGE_SIZE + (pos % PAGE_SIZE);
  }

  /** Check a decompressed chunk's length (the kernel's "Invalid ... uncompressed length"). */
  private checkUnc(c: ChunkInfo, uncLen: number): void {
    if (uncLen === 0 || uncLen > UNC_SIZE || uncLen % PAGE_SIZE !== 0 || uncLen !== c.uncPages * PAGE_SIZE) {
      throw fmtErr(
        'UNC_LEN_INVALID',
        `Invalid ${this.compressor} uncompressed length: chunk #${c.index} decompresses to ${uncLen} bytes, expected ${c.uncPages * PAGE_SIZE} (${c.uncPages} pages)`,
        this.chunkByteOffset(c, 0) - CMP_HEADER,
      );
    }
  }

  private wrapCodecError(c: ChunkInfo, e: unknown): never {
    // A failed read of the image file (a pool worker's FileFill) is not the codec's error.
    if (e instanceof FormatError && e.code !== 'READ_FAILED') {
      const inner = e.location.offset ?? 0;
      throw fmtErr(
        'CHUNK_DECOMPRESS_FAILED',
        `${this.compressor} decompression of chunk #${c.index} failed: ${e.message} [${e.code}]`,
        this.chunkByteOffset(c, inner),
      );
    }
    throw e;
  }

  /** Decompress one chunk in this thread. */
  decompressChunk(c: ChunkInfo): Uint8Array {
    const codec = getChunkCodec(this.compressor!);
    const dst = new Uint8Array(UNC_SIZE);
    let n: number;
    try {
      n = codec.decompress(this.chunkBytes(c), dst);
    } catch (e) {
      this.wrapCodecError(c, e);
    }
    this.checkUnc(c, n);
    return dst.subarray(0, n);
  }

  /** Uncompressed stream page `s` (0 = first meta page). */
  streamPage(s: number): Uint8Array {
    if (!(s >= 0 && s < this.streamPages))
      throw new RangeError(`stream page ${s} out of 0..${this.streamPages - 1}`);
    if (!this.compressor) return this.readEntries(1 + s, 1);
    const ci = Math.floor(s / UNC_PAGES);
    if (this.cacheChunk !== ci) {
      this.cacheData = this.decompressChunk(this.chunks()[ci]!);
      this.cacheChunk = ci;
    }
    const o = (s - ci * UNC_PAGES) * PAGE_SIZE;
    return this.cacheData!.subarray(o, o + PAGE_SIZE);
  }

  private metaDecoder(): MetaDecoder {
    return new MetaDecoder(this.info.nrMetaPages, this.info.imagePages, this.maxPfn);
  }

  /** Device offset for errors about stream page s. */
  private streamOffset(s: number): number {
    if (!this.compressor) return this.entryOffset(1 + s);
    const c = this.chunks()[Math.floor(s / UNC_PAGES)];
    return c ? this.entryOffset(c.entry) : this.src.size;
  }

  /** The pfn list (meta pages), decoded and validated. */
  metaList(): MetaList {
    if (this.metaCache) return this.metaCache;
    const dec = this.metaDecoder();
    for (let s = 0; s < this.info.nrMetaPages; s++) dec.push(this.streamPage(s), this.streamOffset(s));
    this.metaCache = dec.finish(this.streamOffset(this.info.nrMetaPages));
    return this.metaCache;
  }

  /** Contents of `pfn`: bytes, 'zero' for a zero-flagged pfn, or null if not in the image. */
  readPfn(pfn: number): Uint8Array | 'zero' | null {
    const meta = this.metaList();
    const i = meta.indexOf(pfn);
    if (i < 0) return null;
    const d = meta.dataOrdinal(i);
    if (d < 0) return 'zero';
    return this.streamPage(this.info.nrMetaPages + d).slice();
  }

  /**
   * The uncompressed stream, chunk by chunk, in order (decompressed through the
   * pool when given). Checks every chunk length and returns the chained
   * crc32_le of the stream when done.
   */
  async *stream(opts: ReadOptions = {}): AsyncGenerator<StreamChunk, number> {
    const total = this.streamPages;
    if (!this.compressor) {
      const step = 256;
      for (let s = 0; s < total; s += step) {
        const n = Math.min(step, total - s);
        yield { firstStreamPage: s, data: this.readEntries(1 + s, n) };
        opts.onProgress?.(s + n, total);
      }
      return 0;
    }
    const table = this.chunks();
    const pool = opts.pool;
    if (!pool) {
      let crc = 0;
      let done = 0;
      for (const c of table) {
        const data = this.decompressChunk(c);
        crc = crc32LeCombine(crc, crc32Le(0, data), data.length);
        done += c.uncPages;
        yield { firstStreamPage: c.firstStreamPage, data };
        opts.onProgress?.(done, total);
      }
      return crc >>> 0;
    }
    // Pool path: the main thread only reads and orders. Each pool call is one
    // group of `per` chunks read from the device with as few reads as the swap
    // map allows (one when the group's pages are consecutive, as a freshly
    // written image's are); the pool copies that span once into a worker batch.
    // `depth` calls stay in flight: two per worker plus one being read, so
    // the workers never wait for the main thread. A read failure is kept in
    // its slot and thrown only when the stream reaches that group, after the
    // chunks before it, as reading group by group would.
    // With a source that has readInto(), each group is read into a scratch
    // buffer: one lent by the pool (ChunkPool.inputBuffer(), handed over with
    // the call) or an own one, taken back once the group's results are in
    // (the pool is then done with its input): no fresh buffer per device read.
    // A pool whose workers read files (ChunkPool.readsFiles) is handed the
    // runs that the source's host file holds as reads to make (FileFill):
    // this thread then reads only what it must (a chunk split by a swap map
    // page, an overlaid page).
    const per = Math.max(1, opts.batchChunks ?? 16);
    const depth = Math.max(2, pool.threads * 2 + 1);
    type Slot = {
      cs: ChunkInfo[];
      p: Promise<DecompressResult[]> | null;
      err: unknown;
      scratch: Uint8Array | undefined;
      /** Per chunk, the `expect` descriptors sent with it. */
      expects?: (Uint32Array | undefined)[];
    };
    const slots: Slot[] = [];
    const freeScratch: Uint8Array[] = [];
    const scratchBytes = per * this.rules.worstCompress(UNC_SIZE) + per * 2 * PAGE_SIZE;
    let nextFrom = 0;
    const issue = () => {
      const cs = table.slice(nextFrom, nextFrom + per);
      nextFrom += cs.length;
      // A pool that lends input buffers takes the scratch over (no copy into a worker batch).
      const lend = this.src.readInto && pool.inputBuffer;
      const scratch = this.src.readInto
        ? lend
          ? pool.inputBuffer!(scratchBytes)
          : (freeScratch.pop() ?? new Uint8Array(scratchBytes))
        : undefined;
      const slot: Slot = { cs, p: null, err: undefined, scratch: lend ? undefined : scratch };
      // Runs the pool's workers read from the source's file themselves.
      const fill: FileFill | undefined =
        lend && pool.readsFiles && this.src.hostFile ? { file: '', reads: [] } : undefined;
      try {
        // No uncLen: like the kernel, decompress into a UNC_SIZE buffer and check the length after.
        const inputs: DecompressJob[] = this.groupBytes(cs, scratch, fill).map((compressed, j) => ({
          index: cs[j]!.index,
          compressed,
        }));
        if (opts.expect) {
          // One array for the group's hints (views per chunk): an ArrayBuffer each was GC work.
          let words = 0;
          for (const c of cs) words += c.uncPages * GEN_WORDS;
          const all = new Uint32Array(words);
          for (let j = 0, w = 0; j < cs.length; j++) {
            const c = cs[j]!;
            const exp = all.subarray(w, w + c.uncPages * GEN_WORDS);
            w += c.uncPages * GEN_WORDS;
            if (opts.expect(c.firstStreamPage, c.uncPages, exp)) {
              inputs[j]!.expect = exp;
              if (opts.skipMatched) inputs[j]!.skipMatched = true;
            }
          }
        }
        if (opts.expect) slot.expects = inputs.map((x) => x.expect);
        slot.p = pool.decompress(this.compressor!, inputs, fill && fill.reads.length > 0 ? fill : undefined);
        slot.p.catch(() => undefined);
      } catch (e) {
        slot.err = e;
      }
      slots.push(slot);
    };
    // A chunk of data pages waits for the consumer's hints (ReadOptions.expectReady).
    const nrMeta = this.info.nrMetaPages;
    const ready = opts.expect ? opts.expectReady : undefined;
    const canIssue = () =>
      nextFrom < table.length && (!ready || table[nextFrom]!.firstStreamPage < nrMeta || ready());
    while (slots.length < depth && canIssue()) issue();
    let crc = 0;
    let done = 0;
    for (;;) {
      if (slots.length === 0) {
        // Nothing in flight: the consumer would wait for nothing, so hand on the next group anyway.
        if (nextFrom >= table.length) break;
        issue();
      }
      const cur = slots.shift()!;
      if (!cur.p) throw cur.err;
      let results: DecompressResult[];
      try {
        results = await cur.p;
      } catch (e) {
        // Pool errors name the chunk as "chunk N: ..." in the message.
        const m = e instanceof Error ? /chunk (\d+)/.exec(e.message) : null;
        const bad = m ? Number(m[1]) : -1;
        const c = cur.cs.find((x) => x.index === bad) ?? cur.cs[0]!;
        this.wrapCodecError(c, e);
      }
      if (cur.scratch) freeScratch.push(cur.scratch);
      // Refill before handing data out, so the workers stay busy while the consumer runs.
      while (slots.length < depth && canIssue()) issue();
      for (let r = 0; r < results.length; r++) {
        const c = cur.cs[r]!;
        const res = results[r]!;
        this.checkUnc(c, res.data.length);
        crc = crc32LeCombine(crc, res.crc, res.data.length);
        done += c.uncPages;
        const inp = cur.expects?.[r];
        yield inp && res.match
          ? opts.skipMatched
            ? {
                firstStreamPage: c.firstStreamPage,
                data: res.data,
                expect: inp,
                match: res.match,
                skipped: true,
              }
            : { firstStreamPage: c.firstStreamPage, data: res.data, expect: inp, match: res.match }
          : { firstStreamPage: c.firstStreamPage, data: res.data };
        opts.onProgress?.(done, total);
        // The consumer may have become ready for hints with this chunk (its last meta page).
        if (ready && slots.length < depth) while (slots.length < depth && canIssue()) issue();
      }
      // The consumer has moved past every chunk of this group.
      if (opts.reuse && pool.recycle) {
        let last: ArrayBufferLike | null = null;
        for (const res of results) {
          if (res.data.buffer !== last) pool.recycle(res.data.buffer);
          last = res.data.buffer;
        }
      }
    }
    return crc >>> 0;
  }

  /**
   * Every page of the image in pfn order, as the loader would place it, with
   * the kernel-style log lines. Validates the meta list, all chunk lengths,
   * the data page count and (SF_CRC32_MODE) the CRC; throws FormatError on
   * the first problem. Returns the verification summary when exhausted.
   */
  async *pages(opts: ReadOptions = {}): AsyncGenerator<PageOut, VerifyReport> {
    const log = opts.log;
    const clock = opts.clock ?? defaultClock;
    const total = this.streamPages;
    const threads = opts.threads ?? opts.pool?.threads ?? 1;
    if (this.compressor) {
      log?.(threadsLine(this.rules, threads, this.compressor, 'decompression'));
      log?.(`PM: Loading and decompressing image data (${total} pages)...`);
    } else {
      log?.(`PM: Loading image data pages (${total} pages)...`);
    }
    const progress = new ProgressPrinter(total, 'loading', log);
    const start = clock();
    const nrMeta = this.info.nrMetaPages;
    const dec = this.metaDecoder();
    let meta: MetaList | null = null;
    let listIdx = 0;
    let dataSeen = 0;
    const it = this.stream(opts);
    let crc = 0;
    for (;;) {
      const step = await it.next();
      if (step.done) {
        crc = step.value;
        break;
      }
      const { firstStreamPage, data } = step.value;
      const n = data.length / PAGE_SIZE;
      for (let j = 0; j < n; j++) {
        const s = firstStreamPage + j;
        const page = data.subarray(j * PAGE_SIZE, (j + 1) * PAGE_SIZE);
        progress.tick();
        if (s < nrMeta) {
          dec.push(page, this.streamOffset(s));
          if (s === nrMeta - 1) meta = dec.finish(this.streamOffset(nrMeta));
          continue;
        }
        if (!meta) meta = dec.finish(this.streamOffset(s));
        // Zero-flagged pfns before this data page come out as zero pages.
        while (listIdx < meta.count && meta.isZeroAt(listIdx))
          yield { pfn: meta.pfnAt(listIdx++), bytes: null };
        yield { pfn: meta.pfnAt(listIdx++), bytes: page };
        dataSeen++;
      }
    }
    if (!meta) meta = dec.finish(this.streamOffset(nrMeta));
    while (listIdx < meta.count && meta.isZeroAt(listIdx)) yield { pfn: meta.pfnAt(listIdx++), bytes: null };
    const stop = clock();
    log?.(`PM: Image loading done${this.rules.doneDot}`);
    let ok = true;
    if (this.swsusp.flags & SF.CRC32_MODE && this.compressor) {
      if (crc !== this.swsusp.crc32) {
        log?.('PM: Invalid image CRC32!');
        ok = false;
      }
    }
    log?.(speedLine(this.rules, 'Read', total, stop - start));
    if (!ok) {
      throw fmtErr(
        'CRC_MISMATCH',
        `Invalid image CRC32: the stream's crc32_le is 0x${crc.toString(16).padStart(8, '0')}, swsusp_header.crc32 is 0x${this.swsusp.crc32.toString(16).padStart(8, '0')}`,
        HDR.crc32,
      );
    }
    return {
      ok,
      crc32Computed: this.compressor ? crc : null,
      crc32Stored: this.swsusp.flags & SF.CRC32_MODE ? this.swsusp.crc32 : null,
      streamPages: total,
      dataPages: dataSeen,
      zeroPages: meta.zeroCount,
    };
  }

  /** Walk and check everything; throws FormatError on the first problem. */
  async verify(opts: ReadOptions = {}): Promise<VerifyReport> {
    // Nothing here keeps a page, so the stream's buffers may be refilled.
    const it = this.pages({ ...opts, reuse: true });
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
    }
  }
}
