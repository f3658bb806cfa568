/**
 * The two chunk decompressors on hostile streams (LZO1X safe decoder, LZ4
 * block decoder), into a 128 KiB chunk buffer as the image reader uses them;
 * and, for inputs that fit a chunk, the round trip compress → decompress must
 * give the input back. Imported through the library index (src/index.ts) so a
 * move of the codec files does not touch the fuzz suite.
 */
import { FormatError } from '../../src/errors.js';
import { lz4Compress, lz4DecompressSafe, lzo1xCompress, lzo1xDecompressSafe } from '../../src/index.js';
import { lzo1xDecompressWasmInPlace } from '../../src/lib/lzo1x-wasm.js';
import { hiblabWasm } from '../../src/lib/wasm/instance.js';
import { Prng } from '../../src/util/prng.js';
import { genPages, makePage } from '../../test/image/gen.js';
import type { FuzzTarget } from '../lib/types.js';

const UNC = 32 * 4096;
const dst = new Uint8Array(UNC);
const back = new Uint8Array(UNC);
const cmpBuf = new Uint8Array(UNC + (UNC >> 4) + 64 + 3 + 1024);

function plainSeeds(): Uint8Array[] {
  const p = new Prng(11);
  const out: Uint8Array[] = [new Uint8Array(4096), new Uint8Array(0), Uint8Array.of(1)];
  for (let k = 0; k < 4; k++) out.push(makePage(p, k));
  const g = genPages(5, 32, false);
  const chunk = new Uint8Array(UNC);
  g.data.forEach((d, i) => {
    if (d) chunk.set(d, i * 4096);
  });
  out.push(chunk);
  return out;
}

function codecTarget(
  name: string,
  compress: (src: Uint8Array, dst: Uint8Array) => number,
  decompress: (src: Uint8Array, dst: Uint8Array) => number,
): FuzzTarget {
  return {
    name,
    description: `${name} decompressor on hostile streams into a 32-page chunk buffer; round trip of small inputs`,
    seeds: () => plainSeeds().map((s) => cmpBuf.slice(0, compress(s, cmpBuf))),
    maxBytes: UNC + 4096,
    timeLimitMs: 2000,
    errorsNameFile: false, // the reader adds the file and chunk offset to codec errors
    run(input) {
      try {
        decompress(input, dst);
      } catch (e) {
        // Codec errors carry the stream offset; they are FormatErrors (CodecError).
        if (!(e instanceof FormatError) || e.location.offset === undefined) throw e;
      }
      if (input.length <= UNC) {
        const n = compress(input, cmpBuf);
        const m = decompress(cmpBuf.subarray(0, n), back);
        if (m !== input.length || !back.subarray(0, m).every((b, i) => b === input[i]))
          throw new Error(`${name}: round trip of ${input.length} bytes gave ${m} different bytes`);
      }
    },
  };
}

export const lzo = codecTarget('lzo', lzo1xCompress, lzo1xDecompressSafe);
export const lz4 = codecTarget('lz4', lz4Compress, lz4DecompressSafe);

/**
 * The WebAssembly LZO1X decoder the workers use on image chunks
 * (assembly/lzo1x-decompress.ts via lzo1xDecompressWasmInPlace): on a hostile
 * stream it must reject (−1, the caller then takes the reference's error)
 * exactly when lzo1xDecompressSafe() throws, and otherwise give its bytes.
 */
export const lzoWasm: FuzzTarget = {
  name: 'lzo-wasm',
  description:
    'WebAssembly LZO decoder on hostile streams: accepts exactly what the TS reference accepts, same bytes',
  seeds: lzo.seeds,
  maxBytes: UNC + 4096,
  timeLimitMs: 2000,
  errorsNameFile: false,
  run(input) {
    const w = hiblabWasm();
    if (!w) return; // no WebAssembly: the workers use the reference
    let want = -1;
    try {
      want = lzo1xDecompressSafe(input, dst);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
    }
    const n = lzo1xDecompressWasmInPlace(w, input, UNC);
    if (n !== want) throw new Error(`lzo-wasm: decoded ${n} bytes where the reference gives ${want}`);
    const got = w.bytes.subarray(w.src, w.src + n);
    for (let i = 0; i < n; i++)
      if (got[i] !== dst[i]) throw new Error(`lzo-wasm: byte ${i} differs from the reference`);
  },
};
