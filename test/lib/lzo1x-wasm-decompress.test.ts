/**
 * The WebAssembly LZO1X decompressor (assembly/lzo1x-decompress.ts, through
 * lzo1xDecompressWasmInPlace) against the TypeScript reference
 * lzo1xDecompressSafe (the oracle): on every input, it returns −1 exactly
 * when the reference throws, and otherwise the reference's length and bytes.
 * Inputs: valid streams (random, structured, page-mix and generated data,
 * real kernel chunks), the same streams damaged (bytes flipped, cut short,
 * bytes appended), random bytes, and output rooms smaller than needed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lzo1xCompress, lzo1xDecompressSafe, lzo1xWorstCompress } from '../../src/lib/lzo1x.js';
import { lzo1xDecompressWasmInPlace } from '../../src/lib/lzo1x-wasm.js';
import { type HiblabWasm, hiblabWasm } from '../../src/lib/wasm/instance.js';
import { FileSource } from '../../src/node/image-file.js';
import { UNC_SIZE } from '../../src/power/compress/compressor.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { ALL_KINDS, generated, pageMix, structuredBytes } from '../compress/data.js';
import { swapImagePath } from '../helpers/fixtures.js';

function wasmOrThrow(): HiblabWasm {
  const w = hiblabWasm();
  if (!w) throw new Error('no WebAssembly here');
  return w;
}

const compress = (src: Uint8Array) => {
  const dst = new Uint8Array(lzo1xWorstCompress(src.length));
  return dst.subarray(0, lzo1xCompress(src, dst));
};

/** The reference's answer: the output, or null when it throws. */
function reference(stream: Uint8Array, cap: number): Uint8Array | null {
  const out = new Uint8Array(cap);
  try {
    return out.subarray(0, lzo1xDecompressSafe(stream, out));
  } catch {
    return null;
  }
}

/** The WebAssembly decoder agrees with the reference on `stream` with `cap` bytes of room. */
function agree(stream: Uint8Array, cap: number): void {
  const w = wasmOrThrow();
  const want = reference(stream, cap);
  const n = lzo1xDecompressWasmInPlace(w, stream, cap);
  if (want === null) {
    expect(n, 'the reference rejects this stream').toBe(-1);
    return;
  }
  expect(n).toBe(want.length);
  const got = w.bytes.subarray(w.src, w.src + n);
  let i = 0;
  while (i < n && got[i] === want[i]) i++;
  expect(i, `output differs at byte ${i}`).toBe(n);
}

/** A valid stream and variants of it: truncated, extended, with flipped bytes; each with room to spare and too little. */
function agreeAround(data: Uint8Array, flips: [number, number][]): void {
  const s = compress(data);
  agree(s, Math.max(data.length, 1));
  agree(s, UNC_SIZE * 2);
  if (data.length > 0) agree(s, data.length - 1);
  agree(s.subarray(0, s.length - 1), UNC_SIZE);
  agree(s.subarray(0, s.length >>> 1), UNC_SIZE);
  const longer = new Uint8Array(s.length + 1);
  longer.set(s);
  agree(longer, UNC_SIZE);
  for (const [at, x] of flips) {
    const bad = s.slice();
    bad[at % bad.length]! ^= x || 1;
    agree(bad, Math.max(data.length, 1));
    agree(bad, UNC_SIZE);
  }
}

/**
 * A random instruction stream (mostly valid): every instruction form of the
 * format, including the ones LZO1X-1 never emits (M1 after a literal run:
 * 3 bytes at 2..3 KiB; M1 after 1..3 trailing literals; first-byte literal
 * runs of 1..3 bytes), with distances within the output so far, ending with
 * the end marker.
 */
function instructionStream(seed: number, count: number): Uint8Array {
  let x = seed >>> 0 || 1;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const b: number[] = [];
  let out = 0;
  let state = 0;
  const ext = (rest: number) => {
    // Extended length: zero bytes worth 255, then a non-zero byte.
    while (rest > 255) {
      b.push(0);
      rest -= 255;
    }
    b.push(rest);
  };
  const literals = (n: number) => {
    for (let i = 0; i < n; i++) b.push(rnd(4) === 0 ? 0 : rnd(256));
    out += n;
  };
  // The first byte: a literal run of 1..238 bytes, or an ordinary literal run.
  if (rnd(2) === 0) {
    const t = 1 + rnd(rnd(2) === 0 ? 3 : 238);
    b.push(17 + t);
    literals(t);
    state = Math.min(t, 4);
  }
  for (let k = 0; k < count; k++) {
    const form = rnd(6);
    if (state === 0) {
      const len = 4 + (rnd(3) === 0 ? rnd(3000) : rnd(15));
      if (len <= 18) b.push(len - 3);
      else {
        b.push(0);
        ext(len - 18);
      }
      literals(len);
      state = 4;
      continue;
    }
    let next: number;
    if (form === 0 && state === 4 && out >= 2049) {
      // M1 after a literal run: 3 bytes at distance 2049..3072 (bounded by the output).
      const d = 2049 + rnd(Math.min(1024, out - 2048));
      const v = d - 2049;
      next = rnd(4);
      b.push(((v & 3) << 2) | next, v >>> 2);
      out += 3;
    } else if (form === 0 && state >= 1 && state <= 3) {
      // M1 after 1..3 trailing literals: 2 bytes at distance 1..1024.
      const d = 1 + rnd(Math.min(1024, out));
      const v = d - 1;
      next = rnd(4);
      b.push(((v & 3) << 2) | next, v >>> 2);
      out += 2;
    } else if (form <= 2) {
      // M2: 3..8 bytes at distance 1..2048.
      const len = 3 + rnd(6);
      // Short distances (overlapping copies: runs of period 1..4) a third of the time.
      const v = rnd(3) === 0 ? rnd(Math.min(4, out)) : rnd(Math.min(2048, out));
      next = rnd(4);
      b.push(((len - 1) << 5) | ((v & 7) << 2) | next, v >>> 3);
      out += len;
    } else if (form <= 4 || out <= 16384) {
      // M3: distance 1..16384, length 3.. (extended past 33).
      const len = 3 + (rnd(4) === 0 ? rnd(2000) : rnd(31));
      const d = 1 + (rnd(3) === 0 ? rnd(Math.min(4, out)) : rnd(Math.min(16384, out)));
      if (len <= 33) b.push(32 | (len - 2));
      else {
        b.push(32);
        ext(len - 33);
      }
      next = rnd(4);
      const w = ((d - 1) << 2) | next;
      b.push(w & 0xff, w >>> 8);
      out += len;
    } else {
      // M4: distance 16385..49151, length 3.. (extended past 9).
      const len = 3 + (rnd(4) === 0 ? rnd(2000) : rnd(7));
      const d = 16385 + rnd(Math.min(32767, out - 16384));
      const v = d - 16384;
      const h = (v >>> 11) & 8;
      if (len <= 9) b.push(16 | h | (len - 2));
      else {
        b.push(16 | h);
        ext(len - 9);
      }
      next = rnd(4);
      const w = ((v & 0x3fff) << 2) | next;
      b.push(w & 0xff, w >>> 8);
      out += len;
    }
    literals(next);
    state = next;
  }
  b.push(0x11, 0, 0);
  return Uint8Array.from(b);
}

const flipsArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 });

describe('WebAssembly LZO1X decompressor', () => {
  it('the empty stream, the end marker alone, one-byte streams', () => {
    agree(new Uint8Array(0), UNC_SIZE);
    agree(Uint8Array.of(0x11, 0, 0), UNC_SIZE);
    agree(Uint8Array.of(0x11, 0, 0), 0);
    for (let b = 0; b < 256; b++) agree(Uint8Array.of(b), UNC_SIZE);
    for (let b = 0; b < 256; b++) agree(Uint8Array.of(b, 0x11, 0, 0), UNC_SIZE);
  });

  it('property: random bytes compressed, then damaged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20000 }), flipsArb, (data, flips) => agreeAround(data, flips)),
      { numRuns: 150 },
    );
  });

  it('property: structured runs (M1..M4, overlapping matches, long lengths), then damaged', () => {
    fc.assert(
      fc.property(structuredBytes(140_000), flipsArb, (data, flips) => agreeAround(data, flips)),
      { numRuns: 100 },
    );
  });

  it('property: 128 KiB page-mix chunks and chunks of generated pages, then damaged', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), flipsArb, (seed, flips) =>
        agreeAround(pageMix(32, seed), flips),
      ),
      { numRuns: 25 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...ALL_KINDS), { minLength: 1, maxLength: 32 }),
        fc.nat(),
        flipsArb,
        (kinds, seed, flips) => agreeAround(generated(kinds, seed), flips),
      ),
      { numRuns: 60 },
    );
  });

  it('property: random instruction streams (every form, M1 included), then damaged', () => {
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 1, max: 200 }),
        flipsArb,
        (seed, count, flips) => {
          const s = instructionStream(seed, count);
          if (reference(s, 1 << 20) !== null) decoded++;
          agree(s, 1 << 20);
          agree(s, UNC_SIZE);
          for (const [at, x] of flips) {
            const bad = s.slice();
            bad[at % bad.length]! ^= x;
            agree(bad, 1 << 20);
          }
        },
      ),
      { numRuns: 300 },
    );
    // The generator makes streams the reference decodes (else this tests only the error paths).
    expect(decoded).toBeGreaterThan(200);
  });

  it('property: random bytes as a stream', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 4096 }),
        fc.integer({ min: 0, max: 70000 }),
        (s, cap) => agree(s, cap),
      ),
      { numRuns: 400 },
    );
  });

  it('real kernel data: every chunk of the tiny 6.12 LZO image as written by the kernel', () => {
    const reader = ImageReader.open(new FileSource(swapImagePath('tiny612-lzo')));
    const chunks = reader.chunks();
    expect(chunks.length).toBeGreaterThan(100);
    let checked = 0;
    for (const c of chunks) {
      const stream = reader.chunkBytes(c);
      agree(stream, UNC_SIZE);
      checked++;
    }
    expect(checked).toBe(chunks.length);
  }, 120_000);
});
