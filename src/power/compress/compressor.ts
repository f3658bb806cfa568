/**
 * The swsusp chunk codec: what the image writer and reader call for each
 * ≤ 32-page chunk of the compressed stream (kernel/power/swap.c
 * save_compressed_image() / load_compressed_image(); save_image_lzo() /
 * load_image_lzo() in 3.10), plus the constants that shape that stream.
 *
 * On disk a chunk is `u64 LE cmp_len` (CMP_HEADER bytes) + cmp_len bytes of
 * raw LZO1X-1 or LZ4 block data, padded to whole pages; the codecs here deal
 * only with the raw block.
 */
import { UsageError } from '../../errors.js';
import { lz4Compress, lz4CompressBound, lz4DecompressSafe } from '../../lib/lz4.js';
import { lzo1xDecompressSafe, lzo1xWorstCompress } from '../../lib/lzo1x.js';
import { lzoCompress } from '../../lib/lzo1x-wasm.js';

export type CompressorName = 'lzo' | 'lz4';

export interface ChunkCodec {
  readonly name: CompressorName;
  /** worst-case compressed size for n input bytes, as the swsusp writer checks it */
  worstCompress(n: number): number;
  compress(src: Uint8Array, dst: Uint8Array): number;
  decompress(src: Uint8Array, dst: Uint8Array): number;
}

/** UNC_PAGES (LZO_UNC_PAGES in 3.10): pages per chunk. */
export const UNC_PAGES = 32;
/** UNC_SIZE: bytes per full chunk. */
export const UNC_SIZE = UNC_PAGES * 4096;
/** CMP_HEADER (LZO_HEADER): sizeof(size_t) length prefix of each chunk. */
export const CMP_HEADER = 8;
/** CMP_PAGES (LZO_CMP_PAGES) = DIV_ROUND_UP(worst(UNC_SIZE) + CMP_HEADER, PAGE_SIZE) = 35 in both eras. */
export const CMP_PAGES = 35;
/** CMP_SIZE: bytes of the compressed buffer. */
export const CMP_SIZE = CMP_PAGES * 4096;
/** CMP_THREADS (LZO_THREADS): most compression threads; nr = clamp(online_cpus − 1, 1, 3). */
export const CMP_THREADS = 3;

/** lzo1x_worst_compress() of 3.10 include/linux/lzo.h: x + x/16 + 64 + 3. */
export function lzoWorst310(n: number): number {
  return lzo1xWorstCompress(n);
}

/** bytes_worst_compress() of 6.x kernel/power/swap.c: x + x/16 + 64 + 3 + 2. */
export function bytesWorst6x(n: number): number {
  return lzo1xWorstCompress(n) + 2;
}

/**
 * The codec for `name`. worstCompress() is the 6.x bound (bytes_worst_compress,
 * used for LZO and LZ4 alike); a 3.10 writer/reader takes lzoWorst310 from
 * its format era instead. compress() needs dst ≥ worstCompress(src.length).
 */
export function getChunkCodec(name: CompressorName): ChunkCodec {
  const codec = CODECS[name];
  if (!codec)
    throw new UsageError('UNKNOWN_COMPRESSOR', `unknown compressor '${String(name)}' (expected lzo or lz4)`);
  return codec;
}

const LZO: ChunkCodec = {
  name: 'lzo',
  worstCompress: bytesWorst6x,
  // WebAssembly LZO1X-1 when the host has it, else the TS reference: the same bytes (src/lib/lzo1x-wasm.ts).
  compress: (src, dst) => lzoCompress(src, dst),
  decompress: (src, dst) => lzo1xDecompressSafe(src, dst),
};

const LZ4: ChunkCodec = {
  name: 'lz4',
  // LZ4_COMPRESSBOUND(n) < bytes_worst_compress(n) for every n, so the
  // writer's check is the 6.x one (the kernel's LZ4 path uses it too).
  worstCompress: (n) => Math.max(bytesWorst6x(n), lz4CompressBound(n)),
  compress: (src, dst) => lz4Compress(src, dst),
  decompress: (src, dst) => lz4DecompressSafe(src, dst),
};

const CODECS: Record<CompressorName, ChunkCodec> = { lzo: LZO, lz4: LZ4 };
