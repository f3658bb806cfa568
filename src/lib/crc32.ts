/**
 * CRC-32 with the reflected polynomial 0xEDB88320, in the two flavours
 * hibernation uses:
 *
 *  - crc32Le(crc, bytes): the kernel's crc32_le() exactly as swsusp chains it
 *    (lib/crc32.c; kernel/power/swap.c crc32_threadfn(): `handle->crc32 = 0`,
 *    then `crc32_le(*d->crc32, d->unc[i], *d->unc_len[i])` per chunk) — seed 0,
 *    no pre- or post-inversion. crc32Le(0, "123456789") = 0x2dfd2d88.
 *  - crc32(bytes, prev): the ordinary zlib CRC-32 (pre/post inverted), used
 *    for the x86 e820 checksum (arch/x86/power/hibernate.c compute_e820_crc32()
 *    is `~crc32_le(~0, …)`). crc32("123456789") = 0xcbf43926.
 *
 * The two are the same machine: crc32Le(c, b) = ~crc32(b, ~c).
 *
 * The pure-TS path is slice-by-16 (works in a browser). Node's front end may
 * plug in the native zlib.crc32 with setCrc32Backend() (see
 * src/node/install-fast-paths.ts); results are identical, only faster.
 *
 * crc32LeCombine() joins per-chunk CRCs computed independently (e.g. by the
 * worker pool) in stream order without re-reading the data: crc32_le has no
 * inversion, so it is linear over GF(2) and
 *   crc32Le(c, A‖B) = crc32Le(0, B) ⊕ (c · x^(8·|B|) mod P).
 */

/** zlib-style CRC function: (bytes, previous zlib crc) → zlib crc, all unsigned 32-bit. */
export type Crc32Backend = (bytes: Uint8Array, prev: number) => number;

const POLY = 0xedb88320;

/** 16 tables of 256 entries: T[k][b] = CRC contribution of byte b followed by k zero bytes. */
const T = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 16; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/**
 * Raw register update, no inversion (this *is* crc32_le). Slice-by-16:
 * four little-endian words per step (one DataView load each, any
 * alignment), each of the 16 bytes looked up in the table for its distance
 * from the end of the step; bytewise for the last < 16 bytes.
 */
function updateTs(crc: number, b: Uint8Array): number {
  let c = crc | 0;
  let i = 0;
  const n = b.length;
  const end16 = n - (n & 15);
  const t = T;
  if (end16 > 0) {
    const v = new DataView(b.buffer, b.byteOffset, n);
    while (i < end16) {
      const w0 = c ^ v.getInt32(i, true);
      const w1 = v.getInt32(i + 4, true);
      const w2 = v.getInt32(i + 8, true);
      const w3 = v.getInt32(i + 12, true);
      c =
        t[3840 + (w0 & 0xff)]! ^
        t[3584 + ((w0 >>> 8) & 0xff)]! ^
        t[3328 + ((w0 >>> 16) & 0xff)]! ^
        t[3072 + (w0 >>> 24)]! ^
        t[2816 + (w1 & 0xff)]! ^
        t[2560 + ((w1 >>> 8) & 0xff)]! ^
        t[2304 + ((w1 >>> 16) & 0xff)]! ^
        t[2048 + (w1 >>> 24)]! ^
        t[1792 + (w2 & 0xff)]! ^
        t[1536 + ((w2 >>> 8) & 0xff)]! ^
        t[1280 + ((w2 >>> 16) & 0xff)]! ^
        t[1024 + (w2 >>> 24)]! ^
        t[768 + (w3 & 0xff)]! ^
        t[512 + ((w3 >>> 8) & 0xff)]! ^
        t[256 + ((w3 >>> 16) & 0xff)]! ^
        t[w3 >>> 24]!;
      i += 16;
    }
  }
  while (i < n) c = t[(c ^ b[i++]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

let backend: Crc32Backend | undefined;

/**
 * Plug in a native zlib-compatible crc32 (Node's `zlib.crc32`). Pass
 * undefined to go back to the pure-TS implementation.
 */
export function setCrc32Backend(fn: Crc32Backend | undefined): void {
  backend = fn;
}

/** Which implementation is active ('ts' or 'native'), for benchmarks and reports. */
export function crc32BackendName(): 'ts' | 'native' {
  return backend ? 'native' : 'ts';
}

/** Kernel crc32_le(crc, p, len): seed as given, no inversion. Chain it across chunks. */
export function crc32Le(crc: number, bytes: Uint8Array): number {
  if (backend && bytes.length >= 64) return ~backend(bytes, ~crc >>> 0) >>> 0;
  return updateTs(crc, bytes);
}

/** Standard zlib CRC-32 of `bytes`, continuing from `prev` (a previous zlib crc32 result). */
export function crc32(bytes: Uint8Array, prev = 0): number {
  if (backend && bytes.length >= 64) return backend(bytes, prev >>> 0) >>> 0;
  return ~updateTs(~prev, bytes) >>> 0;
}

/** Pure-TS crc32_le regardless of the backend (benchmarks, cross-checks). */
export function crc32LeTs(crc: number, bytes: Uint8Array): number {
  return updateTs(crc, bytes);
}

// --- combine: arithmetic in GF(2)[x] mod P, bit-reflected (bit 31 = x^0) ---

/** a·b mod P, both reflected. */
function mulModP(a: number, b: number): number {
  if (a === 0) return 0;
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N = (() => {
  const t = new Uint32Array(32);
  let p = 0x40000000; // x^1
  t[0] = p;
  for (let k = 1; k < 32; k++) {
    p = mulModP(p, p);
    t[k] = p;
  }
  return t;
})();

/** x^(8n) mod P: the effect of appending n zero bytes to a raw register. */
function xPow8n(n: number): number {
  let p = 0x80000000; // x^0
  let k = 3; // 8n = n << 3
  while (n > 0) {
    if (n & 1) p = mulModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** crc32LeCombine()'s one-entry cache: x^(8·lastLen) mod P. */
let lastLen = -1;
let lastOp = 0;

/**
 * crc32_le over A‖B from crcA = crc32Le(c, A) and crcB = crc32Le(0, B):
 * what chaining crc32Le(crcA, B) would give, without the bytes of B.
 */
export function crc32LeCombine(crcA: number, crcB: number, lenB: number): number {
  if (lenB <= 0) return (crcA ^ crcB) >>> 0;
  // Streams join chunks of one length (UNC_SIZE) over and over: keep the last operator.
  if (lenB !== lastLen) {
    lastOp = xPow8n(lenB);
    lastLen = lenB;
  }
  return (mulModP(lastOp, crcA >>> 0) ^ crcB) >>> 0;
}
