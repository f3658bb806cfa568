/**
 * The hiblab WebAssembly module (assembly/, committed as base64 in
 * ./module.ts): instantiated synchronously on first use, once per thread —
 * each compression worker gets its own instance and memory. No compiler, file
 * access or Node API at run time, so it loads the same in a browser.
 *
 * Linear memory, fixed regions from the module's heapBase() (16-aligned):
 *
 *   corpus   64 KiB   the text corpus generated TEXT pages copy from (loaded by its user)
 *   dict     16 KiB   8192 × u16, lzo1x_1's dictionary
 *   page      4 KiB   one scratch page (expected pages of the loader and the verify)
 *   src      n bytes  a chunk: compressor input, generated pages, decompressor output (rounded up to 16)
 *   dst      lzo1x_worst_compress(n) + 16 bytes (word stores spill ≤ 3 bytes): the
 *            compressor's output, the decompressor's input
 *
 * The initial 6 pages (384 KiB) hold a 128 KiB chunk (UNC_SIZE) and its worst
 * case; a longer input grows the memory (which replaces `bytes`: callers
 * take the view after reserve()).
 */
import { lzo1xWorstCompress } from '../lzo1x.js';
import { HIBLAB_WASM_BASE64 } from './module.js';

/** The few WebAssembly JS-API members used here (the core's TS lib has no wasm types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** assembly/index.ts's exports (pointers are byte addresses in `memory`). */
export interface HiblabWasmExports {
  memory: WasmMemory;
  heapBase(): number;
  /** LZO1X-1: n bytes at src → dst; returns the stream length. */
  compress(dict: number, src: number, n: number, dst: number): number;
  /** LZO1X decompress: n bytes at src → dst (cap bytes of room); the length, or −1 where lzo1xDecompressSafe() throws. */
  decompress(src: number, n: number, dst: number, cap: number): number;
  /** generatePage(kind, seed, pfn, 0) at dst: 1 data, 0 zero page, −1 not made here (use TS). */
  generate(kind: number, seed: number, pfn: number, dst: number, corpus: number): number;
  /** pageDigest() of the page at p (an i32: read it with >>> 0). */
  digest(p: number): number;
  digestPages(p: number, pages: number, out: number): void;
  samePage(a: number, b: number): number;
}

const WASM_PAGE = 65536;
export const CORPUS_BYTES = 65536;
const DICT_BYTES = 16384;
const PAGE_BYTES = 4096;

/** RFC 4648 base64 (no Buffer/atob in the core). */
function fromBase64(s: string): Uint8Array {
  const val = new Uint8Array(128);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) val[abc.charCodeAt(i)] = i;
  let len = s.length;
  while (len > 0 && s[len - 1] === '=') len--;
  const out = new Uint8Array((len * 3) >>> 2);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    acc = ((acc << 6) | val[s.charCodeAt(i)]!) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** One instance of the module with its memory regions. */
export class HiblabWasm {
  readonly x: HiblabWasmExports;
  /** The whole linear memory (replaced when reserve() grows it). */
  bytes: Uint8Array;
  readonly corpus: number;
  readonly dict: number;
  readonly page: number;
  readonly src: number;
  /** Set by the first user that copies the text corpus in. */
  corpusLoaded = false;

  constructor(api: WasmApi) {
    const module = new api.Module(fromBase64(HIBLAB_WASM_BASE64));
    this.x = new api.Instance(module, {}).exports as HiblabWasmExports;
    this.corpus = this.x.heapBase();
    this.dict = this.corpus + CORPUS_BYTES;
    this.page = this.dict + DICT_BYTES;
    this.src = this.page + PAGE_BYTES;
    this.bytes = new Uint8Array(this.x.memory.buffer);
  }

  /** Where the compressed stream of an n-byte src goes. */
  dstFor(n: number): number {
    return this.src + ((n + 15) & ~15);
  }

  /** Make room for an n-byte chunk at src and its worst-case stream. */
  reserve(n: number): void {
    const need = this.dstFor(n) + lzo1xWorstCompress(n) + 16;
    if (need > this.bytes.length) {
      this.x.memory.grow(Math.ceil((need - this.bytes.length) / WASM_PAGE));
      this.bytes = new Uint8Array(this.x.memory.buffer);
    }
  }

  /** The byte address of `view` when it lies in this memory, else −1. */
  addressOf(view: Uint8Array): number {
    return view.buffer === this.x.memory.buffer ? view.byteOffset : -1;
  }
}

/** undefined: not tried yet; null: this host has no WebAssembly (or the module failed to load). */
let instance: HiblabWasm | null | undefined;
let enabled = true;

/** This thread's instance, or null without WebAssembly or when switched off. */
export function hiblabWasm(): HiblabWasm | null {
  if (!enabled) return null;
  if (instance === undefined) {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      instance = api ? new HiblabWasm(api) : null;
    } catch {
      instance = null;
    }
  }
  return instance;
}

/** Switch the WebAssembly paths off (every user falls back to its TS reference) or back on. */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}
