/**
 * The WebAssembly LZO1X-1 compressor (src/lib/lzo1x-wasm.ts) against the
 * TypeScript reference lzo1xCompress (the oracle): byte-identical streams on
 * random, structured, generated (every content kind, every calibrated level)
 * and real kernel-image data, and every stream decodes — with our decoder and
 * with liblzo — to the input.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/lib/codec-errors.js';
import { lzo1xCompress, lzo1xDecompressSafe, lzo1xWorstCompress } from '../../src/lib/lzo1x.js';
import {
  lzo1xCompressWasm,
  lzo1xWasmAvailable,
  lzoCompress,
  lzoCompressBackendName,
  setLzoCompressBackend,
} from '../../src/lib/lzo1x-wasm.js';
import { FileSource } from '../../src/node/image-file.js';
import { getChunkCodec, UNC_SIZE } from '../../src/power/compress/compressor.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { CALIBRATED_LEVELS, ContentKind } from '../../src/workload/content.js';
import { ALL_KINDS, generated, pageMix, same, structuredBytes } from '../compress/data.js';
import { swapImagePath } from '../helpers/fixtures.js';

const require = createRequire(import.meta.url);
/** liblzo2 2.09 (minilzo) via node-lzo. */
const native = require('lzo') as { decompress(b: Buffer, len: number): Buffer };

const js = (src: Uint8Array) => {
  const dst = new Uint8Array(lzo1xWorstCompress(src.length));
  return dst.subarray(0, lzo1xCompress(src, dst));
};
const wasm = (src: Uint8Array) => {
  const dst = new Uint8Array(lzo1xWorstCompress(src.length));
  return dst.subarray(0, lzo1xCompressWasm(src, dst));
};

/** wasm === JS, and the stream decodes to `src` with both decoders. */
function check(src: Uint8Array, decodeNative = true): void {
  const a = js(src);
  const b = wasm(src);
  if (!same(a, b)) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    throw new Error(
      `wasm stream differs from JS at byte ${i} (lengths ${b.length} / ${a.length}, input ${src.length})`,
    );
  }
  const back = new Uint8Array(src.length);
  expect(lzo1xDecompressSafe(b, back)).toBe(src.length);
  expect(same(back, src)).toBe(true);
  if (decodeNative && src.length > 0) {
    expect(same(native.decompress(Buffer.from(b), src.length), src)).toBe(true);
  }
}

describe('WebAssembly LZO1X-1 compressor', () => {
  afterEach(() => setLzoCompressBackend('wasm'));

  it('loads here (Node has WebAssembly) and is the default backend', () => {
    expect(lzo1xWasmAvailable()).toBe(true);
    expect(lzoCompressBackendName()).toBe('wasm');
  });

  it('sizes 0..64, around the 20-byte tail, the 49152-byte block and the 128 KiB chunk', () => {
    const sizes = [
      ...Array.from({ length: 65 }, (_, i) => i),
      49131,
      49132,
      49151,
      49152,
      49153,
      49171,
      49172,
      49173,
      98304,
      98324,
      131071,
      131072,
      131073,
    ];
    for (const n of sizes) {
      const mix = pageMix(Math.ceil(n / 4096) || 1, n + 1).subarray(0, n);
      check(mix, n <= 4096 || n % 4096 === 0);
      check(new Uint8Array(n));
    }
  });

  it('inputs larger than the initial memory grow it (1 MiB, 3 MiB) and stay identical', () => {
    check(pageMix(256, 7));
    check(pageMix(768, 9));
    // and the chunk size still works after the growth
    check(pageMix(32, 11));
  });

  it('property: random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140_000 }), (b) => check(b, false)),
      { numRuns: 60 },
    );
  });

  it('property: structured runs (zeros, bytes, periods, far repeats for M3/M4)', () => {
    fc.assert(
      fc.property(structuredBytes(140_000), (b) => check(b)),
      { numRuns: 150 },
    );
  });

  it('property: chunks of generated pages, every content kind and calibrated level', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...ALL_KINDS), { minLength: 1, maxLength: 32 }),
        fc.nat(),
        (kinds, seed) => check(generated(kinds, seed)),
      ),
      { numRuns: 120 },
    );
  });

  it('each calibrated level as a whole chunk', () => {
    for (let l = 0; l <= CALIBRATED_LEVELS; l++)
      check(generated(new Array(32).fill(ContentKind.CALIBRATED + l), l));
  });

  it('refuses a destination below the worst case, as the JS compressor does', () => {
    const src = new Uint8Array(1000);
    const small = new Uint8Array(lzo1xWorstCompress(1000) - 1);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof CodecError ? e.code : 'other';
      }
      return 'OK';
    };
    expect(code(() => lzo1xCompressWasm(src, small))).toBe('LZO_DST_TOO_SMALL');
    expect(code(() => lzo1xCompress(src, small))).toBe('LZO_DST_TOO_SMALL');
  });

  it('the chunk codec follows the backend switch with the same bytes', () => {
    const data = pageMix(32, 3);
    const codec = getChunkCodec('lzo');
    const out = new Uint8Array(codec.worstCompress(data.length));
    setLzoCompressBackend('js');
    expect(lzoCompressBackendName()).toBe('js');
    const a = out.slice(0, codec.compress(data, out));
    setLzoCompressBackend('wasm');
    expect(lzoCompressBackendName()).toBe('wasm');
    const b = out.slice(0, codec.compress(data, out));
    expect(same(a, b)).toBe(true);
    const c = out.slice(0, lzoCompress(data, out));
    expect(same(a, c)).toBe(true);
  });

  it('real kernel data: every chunk of the tiny 6.12 LZO image, re-compressed', () => {
    const reader = ImageReader.open(new FileSource(swapImagePath('tiny612-lzo')));
    const chunks = reader.chunks();
    expect(chunks.length).toBeGreaterThan(100);
    let pages = 0;
    for (const [i, c] of chunks.entries()) {
      const data = reader.decompressChunk(c);
      expect(data.length).toBeLessThanOrEqual(UNC_SIZE);
      pages += data.length / 4096;
      // liblzo decodes a sample (the JS decoder checks them all)
      check(data, i % 50 === 0);
    }
    expect(pages).toBeGreaterThan(10_000);
  }, 120_000);
});
