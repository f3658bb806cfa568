/**
 * Node-only speed-ups for the platform-neutral core. Importing this module
 * (the CLI does, and so does the compression worker) plugs Node's native
 * zlib.crc32 (Node ≥ 20.15) into src/lib/crc32.ts. Results are
 * bit-identical to the pure-TS fallback.
 */
import * as zlib from 'node:zlib';
import { setCrc32Backend } from '../lib/crc32.js';

type ZlibCrc32 = (data: Uint8Array, value?: number) => number;

/** Install the fast paths; returns what was installed (for diagnostics). */
export function installFastPaths(): { crc32: 'native' | 'ts' } {
  const fn = (zlib as unknown as { crc32?: ZlibCrc32 }).crc32;
  if (typeof fn !== 'function') return { crc32: 'ts' };
  setCrc32Backend((bytes, prev) => fn(bytes, prev));
  return { crc32: 'native' };
}

installFastPaths();
