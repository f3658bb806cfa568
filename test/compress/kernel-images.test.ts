/**
 * Every compressed chunk of real kernel-written hibernation images decodes
 * with our codecs, and the chained crc32_le equals the kernel's header crc32.
 * The swap walker here is deliberately minimal (the real reader lives in
 * src/power/image/); it follows the layout in
 * shared/fixtures/kernel-images/README.md.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32Le } from '../../src/lib/crc32.js';
import { lz4Compress, lz4CompressBound, lz4DecompressSafe } from '../../src/lib/lz4.js';
import { lzo1xCompress, lzo1xDecompressSafe, lzo1xWorstCompress } from '../../src/lib/lzo1x.js';
import {
  bytesWorst6x,
  type CompressorName,
  getChunkCodec,
  UNC_SIZE,
} from '../../src/power/compress/compressor.js';
import { decodeJson, swapImagePath } from '../helpers/fixtures.js';
import { same } from './data.js';

const require = createRequire(import.meta.url);
const nativeLzo = require('lzo') as { decompress(b: Buffer, len: number): Buffer };

const PAGE = 4096;

interface Walked {
  headerCrc: number;
  flags: number;
  chunks: { cmp: Uint8Array; pages: number }[];
}

/** Read the swsusp header, the swap-map chain and the chunk list of one image. */
function walk(path: string): Walked {
  const fd = openSync(path, 'r');
  try {
    const page = (n: number) => {
      const b = new Uint8Array(PAGE);
      expect(readSync(fd, b, 0, PAGE, n * PAGE)).toBe(PAGE);
      return b;
    };
    const p0 = page(0);
    const h = new DataView(p0.buffer);
    expect(new TextDecoder().decode(p0.subarray(0xff6, 0xfff))).toBe('S1SUSPEND');
    const headerCrc = h.getUint32(0xfdc, true);
    let map = Number(h.getBigUint64(0xfe0, true));
    const flags = h.getUint32(0xfe8, true);
    const entries: number[] = [];
    let guard = 0;
    while (map !== 0) {
      expect(++guard).toBeLessThan(1000);
      const m = new DataView(page(map).buffer);
      for (let k = 0; k < 511; k++) {
        const e = Number(m.getBigUint64(k * 8, true));
        if (e !== 0) entries.push(e);
      }
      map = Number(m.getBigUint64(511 * 8, true));
    }
    // entries[0] is the uncompressed header page; the rest is the chunk stream.
    const stream = entries.slice(1);
    const chunks: { cmp: Uint8Array; pages: number }[] = [];
    let i = 0;
    while (i < stream.length) {
      const first = page(stream[i]!);
      const cmpLen = Number(new DataView(first.buffer).getBigUint64(0, true));
      expect(cmpLen).toBeGreaterThan(0);
      expect(cmpLen).toBeLessThanOrEqual(bytesWorst6x(UNC_SIZE)); // load_compressed_image() check
      const pages = Math.ceil((8 + cmpLen) / PAGE);
      const buf = new Uint8Array(pages * PAGE);
      buf.set(first);
      for (let k = 1; k < pages; k++) buf.set(page(stream[i + k]!), k * PAGE);
      chunks.push({ cmp: buf.subarray(8, 8 + cmpLen), pages });
      i += pages;
    }
    expect(i).toBe(stream.length);
    return { headerCrc, flags, chunks };
  } finally {
    closeSync(fd);
  }
}

const MAGIC = 'HIBLAB-PAGE-V1\0\0';

/** hogmem's page i (README "hogmem page pattern"), checked from byte 48 on plus the magic. */
function isPatternPage(p: Uint8Array): boolean {
  for (let k = 0; k < MAGIC.length; k++) if (p[k] !== MAGIC.charCodeAt(k)) return false;
  const dv = new DataView(p.buffer, p.byteOffset, PAGE);
  const i = dv.getUint32(16, true);
  if (dv.getUint32(36, true) !== 0x48424c42) return false;
  for (let off = 48; off < PAGE; off += 97) if (p[off] !== ((off * 7 + i) & 0xff)) return false;
  return true;
}

const CASES: [string, CompressorName, number][] = [
  ['tiny612-lzo', 'lzo', 0xcea660bb],
  ['tiny612-lz4', 'lz4', 0xdee2ccc5],
  ['612-lzo', 'lzo', 0x0507da14],
];

describe.each(CASES)('real kernel image %s', (name, codecName, crcWant) => {
  let w: Walked;
  const decoded: Uint8Array[] = [];
  beforeAll(() => {
    w = walk(swapImagePath(name));
  }, 120_000);
  afterAll(() => {
    decoded.length = 0;
  });

  it('has the stream flags and header crc32 the README lists', () => {
    // SF_CRC32_MODE = 4, + SF_COMPRESSION_ALG_LZ4 = 16 for LZ4
    expect(w.flags).toBe(codecName === 'lz4' ? 20 : 4);
    expect(w.headerCrc).toBe(crcWant);
  });

  it('decodes every chunk; chained crc32_le equals the header crc32; page count matches decode.json', () => {
    const codec = getChunkCodec(codecName);
    const j = decodeJson(name) as {
      compressed_stream: { uncompressed_pages: number; chunks: number; compressed_bytes: number };
    };
    let crc = 0;
    let pages = 0;
    let cmpBytes = 0;
    let pattern = 0;
    const out = new Uint8Array(UNC_SIZE);
    for (const ch of w.chunks) {
      const n = codec.decompress(ch.cmp, out);
      // load_compressed_image(): 0 < unc_len ≤ UNC_SIZE, page multiple
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(UNC_SIZE);
      expect(n % PAGE).toBe(0);
      const data = out.subarray(0, n);
      crc = crc32Le(crc, data);
      pages += n / PAGE;
      cmpBytes += ch.cmp.length;
      for (let p = 0; p < n; p += PAGE) if (isPatternPage(data.subarray(p, p + PAGE))) pattern++;
      if (decoded.length < 64) decoded.push(data.slice());
    }
    expect(crc).toBe(crcWant);
    expect(pages).toBe(j.compressed_stream.uncompressed_pages);
    expect(w.chunks.length).toBe(j.compressed_stream.chunks);
    expect(cmpBytes).toBe(j.compressed_stream.compressed_bytes);
    // all 16384 pages of the 64 MiB test pattern are in the image, byte-exact where sampled
    expect(pattern).toBe(16384);
  });

  it('a sample of kernel chunks also decodes with liblzo (LZO images) to the same bytes', () => {
    if (codecName !== 'lzo') return;
    for (let k = 0; k < w.chunks.length; k += 37) {
      const ch = w.chunks[k]!;
      const ours = new Uint8Array(UNC_SIZE);
      const n = lzo1xDecompressSafe(ch.cmp, ours);
      expect(same(nativeLzo.decompress(Buffer.from(ch.cmp), n), ours.subarray(0, n))).toBe(true);
    }
  });

  it('kernel data re-compressed by our LZO and LZ4 round-trips', () => {
    const lzoBuf = new Uint8Array(lzo1xWorstCompress(UNC_SIZE));
    const lz4Buf = new Uint8Array(lz4CompressBound(UNC_SIZE));
    const back = new Uint8Array(UNC_SIZE);
    for (const data of decoded) {
      const a = lzo1xCompress(data, lzoBuf);
      expect(same(back.subarray(0, lzo1xDecompressSafe(lzoBuf.subarray(0, a), back)), data)).toBe(true);
      const b = lz4Compress(data, lz4Buf);
      expect(same(back.subarray(0, lz4DecompressSafe(lz4Buf.subarray(0, b), back)), data)).toBe(true);
    }
  });
});
