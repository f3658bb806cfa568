/**
 * LZO1X-1 compression in WebAssembly, and the choice between it and the
 * TypeScript reference (lzo1xCompress in ./lzo1x.ts).
 *
 * The module is assembly/lzo1x.ts (AssemblyScript, the same algorithm step
 * for step, so the same bytes for every input) compiled by
 * `npm run build:wasm` into ./wasm/lzo1x-module.ts as base64: no compiler
 * or file access at run time, the same code in Node and a browser. It is
 * instantiated synchronously on first use, once per thread (each
 * compression worker gets its own instance and memory).
 *
 * Linear memory, from the module's heapBase() (16-aligned):
 *
 *   +0        dict   8192 × u16 (16 KiB), lzo1x_1's dictionary
 *   +16384    src    the input, n bytes (rounded up to 16)
 *   +…        dst    lzo1x_worst_compress(n) + 16 bytes (word stores spill ≤ 3 bytes)
 *
 * The initial 5 pages (320 KiB) hold a 128 KiB chunk (UNC_SIZE) and its
 * worst case; a longer input grows the memory once.
 *
 * lzoCompress() is what the chunk codec calls: WebAssembly when the host has
 * it, else the TS compressor. setLzoCompressBackend('js') forces the TS one
 * (the Node front end does so for HIBLAB_CODEC=js, src/node/install-fast-paths.ts).
 */
import { CodecError } from './codec-errors.js';
import { LZO1X_1_DICT_ENTRIES, lzo1xCompress, lzo1xWorstCompress } from './lzo1x.js';
import { LZO1X_WASM_BASE64 } from './wasm/lzo1x-module.js';

/** The few WebAssembly JS-API members used here (the core's TS lib has no DOM/wasm types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface LzoExports {
  memory: WasmMemory;
  heapBase(): number;
  compress(dict: number, src: number, n: number, dst: number): number;
}

const WASM_PAGE = 65536;
const DICT_BYTES = LZO1X_1_DICT_ENTRIES * 2;

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
    acc = (acc << 6) | val[s.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** One instance of the module and its memory (one per thread). */
class LzoWasm {
  private readonly x: LzoExports;
  private mem: Uint8Array;
  private readonly base: number;

  constructor(api: WasmApi) {
    const module = new api.Module(fromBase64(LZO1X_WASM_BASE64));
    this.x = new api.Instance(module, {}).exports as LzoExports;
    this.base = this.x.heapBase();
    this.mem = new Uint8Array(this.x.memory.buffer);
  }

  compress(src: Uint8Array, dst: Uint8Array): number {
    const n = src.length;
    const worst = lzo1xWorstCompress(n);
    const dict = this.base;
    const at = dict + DICT_BYTES;
    const out = at + ((n + 15) & ~15);
    const need = out + worst + 16;
    if (need > this.mem.length) {
      this.x.memory.grow(Math.ceil((need - this.mem.length) / WASM_PAGE));
      this.mem = new Uint8Array(this.x.memory.buffer);
    }
    const mem = this.mem;
    mem.set(src, at);
    const len = this.x.compress(dict, at, n, out);
    dst.set(mem.subarray(out, out + len));
    return len;
  }
}

/** undefined: not tried yet; null: this host has no WebAssembly (or the module failed to load). */
let instance: LzoWasm | null | undefined;

function wasm(): LzoWasm | null {
  if (instance === undefined) {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    try {
      instance = api ? new LzoWasm(api) : null;
    } catch {
      instance = null;
    }
  }
  return instance;
}

/** True when the WebAssembly compressor can run here. */
export function lzo1xWasmAvailable(): boolean {
  return wasm() !== null;
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
  const w = wasm();
  if (!w) throw new Error('WebAssembly is not available on this host');
  return w.compress(src, dst);
}

export type LzoCompressBackend = 'wasm' | 'js';

let preferred: LzoCompressBackend = 'wasm';

/** Choose the compressor lzoCompress() uses ('wasm' falls back to 'js' without WebAssembly). */
export function setLzoCompressBackend(b: LzoCompressBackend): void {
  preferred = b;
}

/** The compressor lzoCompress() runs. */
export function lzoCompressBackendName(): LzoCompressBackend {
  return preferred === 'wasm' && wasm() ? 'wasm' : 'js';
}

/** LZO1X-1 compress with the active backend (both give the same bytes). */
export function lzoCompress(src: Uint8Array, dst: Uint8Array): number {
  if (preferred === 'wasm') {
    const w = instance ?? wasm();
    if (w && dst.length >= lzo1xWorstCompress(src.length)) return w.compress(src, dst);
  }
  return lzo1xCompress(src, dst);
}
