/**
 * Chunk compression pool: the platform-neutral face of the kernel's
 * "image_compress/%u" / "image_decompress/%u" kthreads plus the "image_crc32"
 * thread (kernel/power/swap.c save_compressed_image(), load_compressed_image()).
 *
 * A pool takes whole chunks (≤ UNC_SIZE bytes, a page multiple) and returns
 * results in ascending `index` order — the kernel writes the threads' chunks
 * in thread order, so stream order is preserved. Each result carries the
 * crc32_le(0, uncompressed) of that chunk alone; the caller joins them in
 * stream order with crc32LeCombine(acc, r.crc, r.length) (or simply chains
 * crc32Le over the data itself) to get the header's crc32.
 *
 * InlineChunkPool runs everything on the calling thread (browser, tests,
 * tiny inputs); src/node/compress-pool.ts is the worker_threads version.
 */

import { CodecError } from '../../lib/codec-errors.js';
import { crc32Le } from '../../lib/crc32.js';
import { generatePage, PAGE_SIZE, pageDigest } from '../../workload/content.js';
import { CMP_HEADER, type CompressorName, getChunkCodec, UNC_SIZE } from './compressor.js';
import { digestGeneratedWasm, digestPagesInto, matchPagesWasm, pagesWasm } from './wasm-pages.js';

/**
 * Page descriptors travel with a job as GEN_WORDS u32 per page of the chunk:
 * (content kind, seed, src pfn) of workload/content.ts generatePage(); kind 0
 * means "no descriptor" (the page's bytes are in the job). This is how the
 * per-page work leaves the caller's thread: the pool makes the bytes it
 * compresses, and checks the bytes it decompresses, from 12 bytes a page.
 */
export const GEN_WORDS = 3;

export interface ChunkJob {
  index: number;
  /** ≤ 131072 bytes, page multiple. Pages with a `gen` descriptor are generated into it by the pool. */
  data: Uint8Array;
  /** Optional: GEN_WORDS per page of `data`; a page of kind > 0 is made by generatePage() (its bytes in `data` are ignored). */
  gen?: Uint32Array;
  /** Return pageDigest() of every page of the chunk (ChunkResult.digests). */
  digests?: boolean;
  /**
   * Also lay the result out as the chunk's swap pages (ChunkResult.record),
   * so a writer can hand them to the device without copying them again.
   */
  record?: boolean;
}

export interface ChunkResult {
  index: number;
  compressed: Uint8Array;
  /** crc32_le(0, data) of this chunk */
  crc: number;
  /** pageDigest() per page, when the job asked for them. */
  digests?: Uint32Array;
  /**
   * With ChunkJob.record: the chunk as save_compressed_image() puts it on
   * swap — u64 LE cmp_len, the `compressed` bytes, zeros to a whole page
   * (chunkRecordPages(cmp_len) pages); `compressed` is a view into it.
   * Records of one call may be adjacent in one buffer (one write for many).
   */
  record?: Uint8Array;
  zeroPages?: never;
}

export interface DecompressJob {
  index: number;
  compressed: Uint8Array;
  /** Expected decompressed length; the output buffer is UNC_SIZE when absent. */
  uncLen?: number;
  /**
   * Optional: GEN_WORDS per page (UNC_PAGES pages at most) — the generated
   * page each decompressed page is expected to be (kind 0: no expectation).
   * DecompressResult.match says which pages equal it byte for byte.
   */
  expect?: Uint32Array;
  /**
   * With `expect`: the caller reads no byte of a page DecompressResult.match
   * marks 1 (it keeps such a page as its descriptor, or makes its bytes from
   * it: matchedPageBytes()), so the pool may leave those pages out of
   * `data` (their bytes there are then unspecified). Saves a worker pool
   * the copy of most of a resume's pages out of its WebAssembly memory.
   */
  skipMatched?: boolean;
}

export interface DecompressResult {
  index: number;
  data: Uint8Array;
  /** crc32_le(0, data) of this chunk */
  crc: number;
  /** With `expect`: 1 per page that equals its expected generated page, else 0. */
  match?: Uint8Array;
}

/**
 * Reads a pool's worker makes itself before it decompresses a call's chunks:
 * `file` is a ReadSource.hostFile() name, `reads` triples (file offset,
 * offset in the call's input buffer, length). Each read is whole (the
 * caller checked the range lies inside the file).
 */
export interface FileFill {
  file: string;
  reads: number[];
}

export interface ChunkPool {
  readonly threads: number;
  /**
   * Optional: decompress() takes a FileFill — its chunks' bytes are read
   * from a host file by the worker that decompresses them (the caller's
   * thread neither reads nor copies them).
   */
  readonly readsFiles?: boolean;
  /** results in index order */
  compress(codec: CompressorName, jobs: ChunkJob[]): Promise<ChunkResult[]>;
  /**
   * With `fill` (only when readsFiles): every chunk's `compressed` is a view
   * of one inputBuffer() buffer, whose ranges `fill.reads` names are filled
   * from the file before any chunk is decompressed.
   */
  decompress(codec: CompressorName, chunks: DecompressJob[], fill?: FileFill): Promise<DecompressResult[]>;
  /**
   * Optional: the caller is done with every result view into `buf` (the
   * `.buffer` of a result's `compressed` / `data`), so the pool may write
   * later results into it. Only call it when nothing keeps such a view.
   */
  recycle?(buf: ArrayBufferLike): void;
  /**
   * Optional: a buffer of at least `minBytes` to fill with job inputs. When
   * every job of a compress()/decompress() call is a view of one such buffer,
   * the call takes the buffer over (a worker pool hands it to a worker
   * instead of copying it, and reuses it later): from that call on the
   * caller must not touch it. Get a new one for each call.
   */
  inputBuffer?(minBytes: number): Uint8Array;
  /**
   * Optional: pageDigest() of the generated page of each descriptor in
   * `descs` (GEN_WORDS u32 each, kind > 0), computed off the caller's thread.
   * Without it callers use digestGenerated() inline.
   */
  digestGenerated?(descs: Uint32Array): Promise<Uint32Array>;
  close(): Promise<void>;
}

/** Pages of a chunk record with `cmpLen` compressed bytes: DIV_ROUND_UP(CMP_HEADER + cmp_len, PAGE_SIZE). */
export function chunkRecordPages(cmpLen: number): number {
  return Math.ceil((CMP_HEADER + cmpLen) / PAGE_SIZE);
}

/** Bytes to reserve for the record of a chunk of `worst` worst-case compressed bytes. */
export function chunkRecordCap(worst: number): number {
  return chunkRecordPages(worst) * PAGE_SIZE;
}

/**
 * Compress `data` into a chunk record at out[at..]: u64 LE cmp_len (the high
 * half 0), the stream, zero padding to a page. `out` must hold
 * chunkRecordCap(codec.worstCompress(data.length)) bytes from `at`.
 * Returns cmp_len; the stream is out[at + CMP_HEADER, +cmp_len).
 */
export function compressRecordInto(
  codec: CompressorName,
  data: Uint8Array,
  out: Uint8Array,
  at: number,
): number {
  const c = getChunkCodec(codec);
  const n = c.compress(data, out.subarray(at + CMP_HEADER, at + CMP_HEADER + c.worstCompress(data.length)));
  out[at] = n & 0xff;
  out[at + 1] = (n >>> 8) & 0xff;
  out[at + 2] = (n >>> 16) & 0xff;
  out[at + 3] = n >>> 24;
  out.fill(0, at + 4, at + CMP_HEADER);
  out.fill(0, at + CMP_HEADER + n, at + chunkRecordPages(n) * PAGE_SIZE);
  return n;
}

/** Make the pages of `data` that `gen` (GEN_WORDS per page, from word `at`) describes. */
export function generateInto(data: Uint8Array, gen: Uint32Array, at: number): void {
  const pages = Math.floor(data.length / PAGE_SIZE);
  for (let p = 0, g = at; p < pages; p++, g += GEN_WORDS) {
    const kind = gen[g]!;
    if (kind !== 0)
      generatePage(kind, gen[g + 1]!, gen[g + 2]!, 0, data.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE));
  }
}

/** pageDigest() of every page of `data` into out[at..] (in WebAssembly when `data` is a prepared chunk). */
export function digestInto(data: Uint8Array, out: Uint32Array, at: number): void {
  digestPagesInto(data, out, at);
}

/**
 * For each page of `data` with an expectation in `expect` (GEN_WORDS per
 * page from word `at`): 1 in out[outAt + p] when its bytes equal the
 * generated page, else 0. `scratch` is one page.
 */
export function matchGenerated(
  data: Uint8Array,
  expect: Uint32Array,
  at: number,
  out: Uint8Array,
  outAt: number,
  scratch: Uint8Array,
): void {
  const w = pagesWasm();
  if (w) {
    // Generated and compared in the WebAssembly module.
    matchPagesWasm(w, data, expect, at, out, outAt);
    return;
  }
  const pages = Math.floor(data.length / PAGE_SIZE);
  const want = new Uint32Array(scratch.buffer, scratch.byteOffset, PAGE_SIZE >>> 2);
  const aligned = data.byteOffset % 4 === 0;
  const got = aligned ? new Uint32Array(data.buffer, data.byteOffset, data.length >>> 2) : null;
  for (let p = 0, g = at; p < pages; p++, g += GEN_WORDS) {
    const kind = g < expect.length ? expect[g]! : 0;
    let ok = 0;
    if (kind !== 0) {
      generatePage(kind, expect[g + 1]!, expect[g + 2]!, 0, scratch);
      ok = 1;
      if (got) {
        const base = p * (PAGE_SIZE >>> 2);
        for (let i = 0; i < PAGE_SIZE >>> 2; i++)
          if (got[base + i] !== want[i]) {
            ok = 0;
            break;
          }
      } else {
        const base = p * PAGE_SIZE;
        for (let i = 0; i < PAGE_SIZE; i++)
          if (data[base + i] !== scratch[i]) {
            ok = 0;
            break;
          }
      }
    }
    out[outAt + p] = ok;
  }
}

/** pageDigest() of each descriptor's generated page (the inline digestGenerated()). */
export function digestGenerated(descs: Uint32Array, out?: Uint32Array, scratch?: Uint8Array): Uint32Array {
  const n = Math.floor(descs.length / GEN_WORDS);
  const res = out ?? new Uint32Array(n);
  const w = pagesWasm();
  if (w) {
    digestGeneratedWasm(w, descs, res);
    return res;
  }
  const page = scratch ?? new Uint8Array(PAGE_SIZE);
  for (let i = 0, g = 0; i < n; i++, g += GEN_WORDS) {
    generatePage(descs[g]!, descs[g + 1]!, descs[g + 2]!, 0, page);
    res[i] = pageDigest(page);
  }
  return res;
}

/**
 * Compress one chunk into `out` (≥ codec.worstCompress(data.length) bytes);
 * returns the compressed size. Shared by the inline pool and the worker.
 */
export function compressChunkInto(codec: CompressorName, data: Uint8Array, out: Uint8Array): number {
  return getChunkCodec(codec).compress(data, out);
}

/**
 * Decompress one chunk into `out` (≥ uncLen or UNC_SIZE bytes) and return
 * the size. With uncLen given, the result must be exactly that long (the
 * reader knows it from the stream position, as load_compressed_image() does).
 */
export function decompressChunk(
  codec: CompressorName,
  compressed: Uint8Array,
  out: Uint8Array,
  uncLen?: number,
): number {
  const n = getChunkCodec(codec).decompress(compressed, out);
  if (uncLen !== undefined && n !== uncLen) {
    throw new CodecError(
      'CHUNK_BAD_UNC_LEN',
      `${codec} chunk decompressed to ${n} bytes, expected ${uncLen}`,
      compressed.length,
      n,
    );
  }
  return n;
}

function byIndex<T extends { index: number }>(a: T, b: T): number {
  return a.index - b.index;
}

/** Single-threaded pool: same results as the worker pool, on the caller's thread. */
export class InlineChunkPool implements ChunkPool {
  readonly threads = 1;

  async compress(codec: CompressorName, jobs: ChunkJob[]): Promise<ChunkResult[]> {
    const out: ChunkResult[] = [];
    const c = getChunkCodec(codec);
    let scratch = new Uint8Array(c.worstCompress(UNC_SIZE));
    // Records go back to back in one buffer, as the worker pool lays them out.
    let recCap = 0;
    for (const job of jobs) if (job.record) recCap += chunkRecordCap(c.worstCompress(job.data.length));
    const recs = new Uint8Array(recCap);
    let recPos = 0;
    for (const job of jobs) {
      const need = c.worstCompress(job.data.length);
      if (scratch.length < need) scratch = new Uint8Array(need);
      if (job.gen) generateInto(job.data, job.gen, 0);
      let r: ChunkResult;
      if (job.record) {
        const n = compressRecordInto(codec, job.data, recs, recPos);
        const record = recs.subarray(recPos, recPos + chunkRecordPages(n) * PAGE_SIZE);
        const compressed = recs.subarray(recPos + CMP_HEADER, recPos + CMP_HEADER + n);
        recPos += record.length;
        r = { index: job.index, compressed, record, crc: crc32Le(0, job.data) };
      } else {
        const n = c.compress(job.data, scratch);
        r = { index: job.index, compressed: scratch.slice(0, n), crc: crc32Le(0, job.data) };
      }
      if (job.digests) {
        r.digests = new Uint32Array(Math.floor(job.data.length / PAGE_SIZE));
        digestInto(job.data, r.digests, 0);
      }
      out.push(r);
    }
    return out.sort(byIndex);
  }

  async decompress(codec: CompressorName, chunks: DecompressJob[]): Promise<DecompressResult[]> {
    const out: DecompressResult[] = [];
    for (const ch of chunks) {
      const buf = new Uint8Array(ch.uncLen ?? UNC_SIZE);
      const n = decompressChunk(codec, ch.compressed, buf, ch.uncLen);
      const data = buf.subarray(0, n);
      const r: DecompressResult = { index: ch.index, data, crc: crc32Le(0, data) };
      if (ch.expect) {
        r.match = new Uint8Array(Math.floor(n / PAGE_SIZE));
        matchGenerated(data, ch.expect, 0, r.match, 0, this.page);
      }
      out.push(r);
    }
    return out.sort(byIndex);
  }

  async digestGenerated(descs: Uint32Array): Promise<Uint32Array> {
    return digestGenerated(descs, undefined, this.page);
  }

  private readonly page = new Uint8Array(PAGE_SIZE);

  async close(): Promise<void> {}
}
