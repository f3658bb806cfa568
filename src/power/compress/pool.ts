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
import { type CompressorName, getChunkCodec, UNC_SIZE } from './compressor.js';

export interface ChunkJob {
  index: number;
  /** ≤ 131072 bytes, page multiple */
  data: Uint8Array;
}

export interface ChunkResult {
  index: number;
  compressed: Uint8Array;
  /** crc32_le(0, data) of this chunk */
  crc: number;
  zeroPages?: never;
}

export interface DecompressJob {
  index: number;
  compressed: Uint8Array;
  /** Expected decompressed length; the output buffer is UNC_SIZE when absent. */
  uncLen?: number;
}

export interface DecompressResult {
  index: number;
  data: Uint8Array;
  /** crc32_le(0, data) of this chunk */
  crc: number;
}

export interface ChunkPool {
  readonly threads: number;
  /** results in index order */
  compress(codec: CompressorName, jobs: ChunkJob[]): Promise<ChunkResult[]>;
  decompress(codec: CompressorName, chunks: DecompressJob[]): Promise<DecompressResult[]>;
  /**
   * Optional: the caller is done with every result view into `buf` (the
   * `.buffer` of a result's `compressed` / `data`), so the pool may write
   * later results into it. Only call it when nothing keeps such a view.
   */
  recycle?(buf: ArrayBufferLike): void;
  /**
   * Optional: a buffer of at least `minBytes` to fill with job inputs. When
   * every job of a compress()/decompress() call is a view of one such buffer,
   * the call takes the buffer over (a worker pool transfers it instead of
   * copying it): from that call on the caller must not touch it, nor read
   * its views' lengths (it may be detached). Get a new one for each call.
   */
  inputBuffer?(minBytes: number): Uint8Array;
  close(): Promise<void>;
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
    for (const job of jobs) {
      const need = c.worstCompress(job.data.length);
      if (scratch.length < need) scratch = new Uint8Array(need);
      const n = c.compress(job.data, scratch);
      out.push({ index: job.index, compressed: scratch.slice(0, n), crc: crc32Le(0, job.data) });
    }
    return out.sort(byIndex);
  }

  async decompress(codec: CompressorName, chunks: DecompressJob[]): Promise<DecompressResult[]> {
    const out: DecompressResult[] = [];
    for (const ch of chunks) {
      const buf = new Uint8Array(ch.uncLen ?? UNC_SIZE);
      const n = decompressChunk(codec, ch.compressed, buf, ch.uncLen);
      const data = buf.subarray(0, n);
      out.push({ index: ch.index, data, crc: crc32Le(0, data) });
    }
    return out.sort(byIndex);
  }

  async close(): Promise<void> {}
}
