/**
 * Node-only speed-ups and choices for the platform-neutral core. Importing
 * this module (the CLI does, and so does the compression worker) plugs
 * Node's native zlib.crc32 (Node ≥ 20.15) into src/lib/crc32.ts, and applies
 * HIBLAB_CODEC: `js` makes the chunk codec compress LZO with the TypeScript
 * reference instead of the WebAssembly module (src/lib/lzo1x-wasm.ts; the
 * default). Results are bit-identical either way. Workers inherit the
 * variable, so the whole pool follows it. It also sets V8's inlining budget
 * (./v8-tuning.ts) before the model's code is optimised.
 */
import * as zlib from 'node:zlib';
import './v8-tuning.js';
import { setCrc32Backend } from '../lib/crc32.js';
import { type LzoCompressBackend, lzoCompressBackendName, setLzoCompressBackend } from '../lib/lzo1x-wasm.js';

type ZlibCrc32 = (data: Uint8Array, value?: number) => number;

/** Install the fast paths; returns what is active (for diagnostics). */
export function installFastPaths(): { crc32: 'native' | 'ts'; lzo: LzoCompressBackend } {
  setLzoCompressBackend(process.env.HIBLAB_CODEC === 'js' ? 'js' : 'wasm');
  const lzo = lzoCompressBackendName();
  const fn = (zlib as unknown as { crc32?: ZlibCrc32 }).crc32;
  if (typeof fn !== 'function') return { crc32: 'ts', lzo };
  setCrc32Backend((bytes, prev) => fn(bytes, prev));
  return { crc32: 'native', lzo };
}

installFastPaths();
