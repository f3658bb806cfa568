/**
 * The hiblab WebAssembly module: the compression workers' per-chunk work in
 * AssemblyScript — LZO1X-1 compression (lzo1x.ts), LZO1X decompression
 * (lzo1x-decompress.ts), generated page contents plus the page digest
 * (content.ts), each the same computation as
 * its TypeScript reference, so every output is the same bytes.
 *
 * `npm run build:wasm` (scripts/build-wasm.mjs) compiles this entry and
 * commits the module as base64 in src/lib/wasm/module.ts; src/lib/wasm/instance.ts
 * instantiates it. This directory is outside tsc's program (AssemblyScript's
 * u32/usize/load<T> are not TypeScript). The code never allocates: callers lay
 * out the linear memory from heapBase() on.
 */
export { compress } from './lzo1x';
export { decompress } from './lzo1x-decompress';
export { digest, digestPages, generate, samePage } from './content';

/** First free byte of linear memory (16-aligned): where the caller's regions start. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
