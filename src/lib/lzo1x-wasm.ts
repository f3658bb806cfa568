/**
 * LZO1X-1 compression in WebAssembly, and the choice between it and the
 * TypeScript reference (lzo1xCompress in ./lzo1x.ts).
 *
 * The compressor is assembly/lzo1x.ts (AssemblyScript, the same algorithm
 * step for step, so the same bytes for every input), part of the module that
 * ./wasm/instance.ts instantiates once per thread. The input is copied into
 * the module's `src` region (unless it already is that region: a chunk the
 * pool prepared there, src/power/compress/wasm-pages.ts) and the stream
 * copied out of `dst`.
 *
 * lzoCompress() is what the chunk codec calls: WebAssembly when the host has
 * it, else the TS compressor. setLzoCompressBackend('js') forces the TS one
 * for this and every other WebAssembly path (the Node front end does so for
 * HIBLAB_CODEC=js, src/node/install-fast-paths.ts).
 */
import { CodecError } from './codec-errors.js';
import { lzo1xCompress, lzo1xWorstCompress } from './lzo1x.js';
import { type HiblabWasm, hiblabWasm, setWasmEnabled } from './wasm/instance.js';

function wasmCompress(w: HiblabWasm, src: Uint8Array, dst: Uint8Array): number {
  const n = src.length;
  if (w.addressOf(src) !== w.src) {
    w.reserve(n);
    w.bytes.set(src, w.src);
  }
  const out = w.dstFor(n);
  const len = w.x.compress(w.dict, w.src, n, out);
  dst.set(w.bytes.subarray(out, out + len));
  return len;
}

/** True when the WebAssembly compressor can run here. */
export function lzo1xWasmAvailable(): boolean {
  return hiblabWasm() !== null;
}

/**
 * lzo1xCompress() in WebAssembly: the same contract (dst must hold
 * lzo1xWorstCompress(src.length) bytes; returns the stream length) and the
 * same bytes. Throws when the host has no WebAssembly.
 */
export function lzo1xCompressWasm(src: Uint8Array, dst: Uint8Array): number {
  if (dst.length < lzo1xWorstCompress(src.length)) {
    throw new CodecError(
      'LZO_DST_TOO_SMALL',
      `LZO compress: destination holds ${dst.length} bytes, lzo1x_worst_compress(${src.length}) needs ${lzo1xWorstCompress(src.length)}`,
      0,
    );
  }
  const w = hiblabWasm();
  if (!w) throw new Error('WebAssembly is not available on this host (or switched off)');
  return wasmCompress(w, src, dst);
}

/**
 * lzo1xDecompressSafe() in WebAssembly, into the module's `src` region:
 * `src` copied into the module, decompressed there with room for `cap`
 * bytes. Returns the output length (the bytes are w.bytes[w.src, + length),
 * valid until the module's memory next grows), or −1 when the stream is one
 * the reference rejects — the caller runs lzo1xDecompressSafe() for the error
 * and its offsets (assembly/lzo1x-decompress.ts accepts exactly what the
 * reference accepts, with the same output).
 */
export function lzo1xDecompressWasmInPlace(w: HiblabWasm, src: Uint8Array, cap: number): number {
  const input = lzo1xWasmInput(w, src.length, cap);
  w.bytes.set(src, input);
  return lzo1xDecompressWasmAt(w, input, src.length, cap);
}

/**
 * Where lzo1xDecompressWasmAt() wants an n-byte stream to decompress with
 * room for `cap` bytes: w.bytes[at, at + n) (valid until the memory grows),
 * for a caller that puts the stream there itself (a worker's file read).
 */
export function lzo1xWasmInput(w: HiblabWasm, n: number, cap: number): number {
  w.reserve(Math.max(cap, n));
  return w.dstFor(cap);
}

/** lzo1xDecompressWasmInPlace() of the n-byte stream already at `input` (from lzo1xWasmInput()). */
export function lzo1xDecompressWasmAt(w: HiblabWasm, input: number, n: number, cap: number): number {
  return w.x.decompress(input, n, w.src, cap);
}

export type LzoCompressBackend = 'wasm' | 'js';

/**
 * Choose the compressor lzoCompress() uses ('wasm' falls back to 'js'
 * without WebAssembly). 'js' switches off every WebAssembly path
 * (setWasmEnabled), so the TS references run end to end.
 */
export function setLzoCompressBackend(b: LzoCompressBackend): void {
  setWasmEnabled(b === 'wasm');
}

/** The compressor lzoCompress() runs. */
export function lzoCompressBackendName(): LzoCompressBackend {
  return hiblabWasm() ? 'wasm' : 'js';
}

/** LZO1X-1 compress with the active backend (both give the same bytes). */
export function lzoCompress(src: Uint8Array, dst: Uint8Array): number {
  const w = hiblabWasm();
  if (w && dst.length >= lzo1xWorstCompress(src.length)) return wasmCompress(w, src, dst);
  return lzo1xCompress(src, dst);
}
