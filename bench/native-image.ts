/**
 * The native reference of the engine benches: liblzo2 on ONE thread
 * (lzo1x_1_compress / lzo1x_decompress_safe of the `lzo` devDependency's
 * addon, into reused buffers) over the data pages of an image that a run
 * wrote, cut into the swsusp 128 KiB chunks. The image is read back with
 * hiblab's reader (untimed) chunk by chunk, so memory stays bounded; only
 * the native calls are timed.
 */
import { UNC_SIZE } from '../src/power/compress/compressor.js';
import { ImageReader } from '../src/power/image/reader.js';
import type { ReadSource } from '../src/power/image/source.js';
import { lzoNative } from './codecs.js';

export interface NativeImageResult {
  /** Data pages (the stream without its header and meta pages). */
  pages: number;
  compressS: number;
  decompressS: number;
  /** CPU time of the same calls (process.cpuUsage(); the pool's workers are idle meanwhile). */
  compressCpuS: number;
  decompressCpuS: number;
  compressedBytes: number;
}

const MIB = 1 << 20;

export async function nativeOnImage(src: ReadSource): Promise<NativeImageResult> {
  const reader = ImageReader.open(src);
  const nrMeta = reader.info.nrMetaPages;
  const unc = Buffer.alloc(UNC_SIZE);
  const cmp = Buffer.alloc(UNC_SIZE + UNC_SIZE / 16 + 64 + 3);
  const back = Buffer.alloc(UNC_SIZE);
  let fill = 0;
  let pages = 0;
  let compressS = 0;
  let decompressS = 0;
  let compressedBytes = 0;
  let compressCpuS = 0;
  let decompressCpuS = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const flush = () => {
    if (fill === 0) return;
    const input = unc.subarray(0, fill);
    let c0 = cpu();
    let t = performance.now();
    const c = lzoNative.compress(input, cmp);
    compressS += (performance.now() - t) / 1000;
    compressCpuS += cpu() - c0;
    if (c.err !== 0) throw new Error(`liblzo compress failed: ${c.err}`);
    c0 = cpu();
    t = performance.now();
    const d = lzoNative.decompress(cmp.subarray(0, c.len), back.subarray(0, fill));
    decompressS += (performance.now() - t) / 1000;
    decompressCpuS += cpu() - c0;
    if (d.err !== 0 || d.len !== fill) throw new Error(`liblzo decompress failed: ${d.err}`);
    compressedBytes += c.len;
    fill = 0;
  };
  for await (const ch of reader.stream()) {
    const first = Math.max(0, nrMeta - ch.firstStreamPage) * 4096;
    for (let o = first; o < ch.data.length; o += 4096) {
      unc.set(ch.data.subarray(o, o + 4096), fill);
      fill += 4096;
      pages++;
      if (fill === UNC_SIZE) flush();
    }
  }
  flush();
  return { pages, compressS, decompressS, compressCpuS, decompressCpuS, compressedBytes };
}

export function mibPerS(pages: number, s: number): number {
  return (pages * 4096) / MIB / s;
}
