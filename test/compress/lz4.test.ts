import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../src/lib/codec-errors.js';
import { lz4Compress, lz4CompressBound, lz4DecompressSafe } from '../../src/lib/lz4.js';
import { guarded, pageMix, same, structuredBytes } from './data.js';

const require = createRequire(import.meta.url);
/** liblz4 via node-lz4: LZ4_compress_default / LZ4_decompress_safe on raw blocks. */
const native = require('lz4') as {
  encodeBound(n: number): number;
  encodeBlock(src: Buffer, dst: Buffer): number;
  decodeBlock(src: Buffer, dst: Buffer): number;
};

function compress(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(lz4CompressBound(src.length));
  return dst.slice(0, lz4Compress(src, dst));
}

function decompress(src: Uint8Array, cap: number): Uint8Array {
  const dst = new Uint8Array(cap);
  return dst.subarray(0, lz4DecompressSafe(src, dst));
}

function nativeDecode(block: Uint8Array, n: number): Uint8Array | number {
  const out = Buffer.alloc(n);
  const r = native.decodeBlock(Buffer.from(block), out);
  return r === n ? new Uint8Array(out) : r;
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof CodecError) return e.code;
    throw e;
  }
  return 'OK';
}

const bytes = (...xs: (number | string)[]) =>
  Uint8Array.from(xs.flatMap((x) => (typeof x === 'string' ? [...x].map((c) => c.charCodeAt(0)) : [x])));

const sizedInput = fc
  .record({
    n: fc.oneof(
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 0, max: 131072 }),
      fc.integer({ min: 1, max: 32 }).map((p) => p * 4096),
    ),
    kind: fc.constantFrom('zero', 'mix', 'random', 'text'),
    seed: fc.nat(),
  })
  .map(({ n, kind, seed }) => {
    if (kind === 'zero') return new Uint8Array(n);
    if (kind === 'mix') return pageMix(Math.ceil(n / 4096), seed).subarray(0, n);
    const out = new Uint8Array(n);
    let s = seed | 1;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      out[i] = kind === 'random' ? s >>> 24 : 97 + ((s >>> 27) & 7);
    }
    return out;
  });

/** Walk a block and check the end rules of the LZ4 block format independently of the decoder. */
function endRulesHold(block: Uint8Array, n: number): boolean {
  let ip = 0;
  let op = 0;
  let lastMatchStart = -1;
  let lastMatchEnd = 0;
  for (;;) {
    const token = block[ip++]!;
    let lit = token >> 4;
    if (lit === 15) for (let b = 255; b === 255; ) lit += b = block[ip++]!;
    ip += lit;
    op += lit;
    if (ip === block.length) break;
    ip += 2;
    let m = token & 15;
    if (m === 15) for (let b = 255; b === 255; ) m += b = block[ip++]!;
    lastMatchStart = op;
    op += m + 4;
    lastMatchEnd = op;
  }
  if (op !== n) return false;
  if (lastMatchStart < 0) return true;
  return lastMatchStart <= n - 12 && lastMatchEnd <= n - 5;
}

describe('lz4CompressBound', () => {
  it('is LZ4_COMPRESSBOUND (n + n/255 + 16)', () => {
    expect(lz4CompressBound(131072)).toBe(131602); // reference digest §1.7
    expect(lz4CompressBound(0)).toBe(16);
    for (const n of [1, 100, 4096, 65536, 131072])
      expect(lz4CompressBound(n)).toBeGreaterThanOrEqual(native.encodeBound(n));
  });
});

describe('LZ4 decoder on hand-assembled blocks (LZ4 block format)', () => {
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['literals only', bytes(0x50, 'hello'), bytes('hello')],
    [
      'match 4 at offset 4 + 8 last literals',
      bytes(0x40, 'abcd', 4, 0, 0x80, 'ABCDEFGH'),
      bytes('abcdabcdABCDEFGH'),
    ],
    [
      'overlapping match 19 at offset 1 (extended length)',
      bytes(0x1f, 'a', 1, 0, 0, 0xc0, 'ZYXWVUTSRQPO'),
      bytes(`${'a'.repeat(20)}ZYXWVUTSRQPO`),
    ],
    ['15 literals need one extension byte', bytes(0xf0, 0, 'abcdefghijklmno'), bytes('abcdefghijklmno')],
  ];
  it.each(cases)('%s', (_name, block, want) => {
    expect(decompress(block, want.length)).toEqual(want);
    expect(decompress(block, want.length + 100)).toEqual(want);
    expect(nativeDecode(block, want.length)).toEqual(want);
  });

  it('empty block is the single token 0x00', () => {
    expect(decompress(bytes(0x00), 0)).toEqual(bytes());
    expect(compress(new Uint8Array(0))).toEqual(bytes(0x00));
  });

  it('reports errors with codes and input offsets', () => {
    expect(codeOf(() => decompress(bytes(), 16))).toBe('LZ4_MALFORMED');
    expect(codeOf(() => decompress(bytes(0xf0), 16))).toBe('LZ4_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(0x50, 'hel'), 16))).toBe('LZ4_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(0x40, 'abcd', 4), 64))).toBe('LZ4_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(0x40, 'abcd', 0, 0, 0x80, 'ABCDEFGH'), 64))).toBe(
      'LZ4_LOOKBEHIND_OVERRUN',
    );
    expect(codeOf(() => decompress(bytes(0x40, 'abcd', 5, 0, 0x80, 'ABCDEFGH'), 64))).toBe(
      'LZ4_LOOKBEHIND_OVERRUN',
    );
    expect(codeOf(() => decompress(bytes(0x50, 'hello'), 4))).toBe('LZ4_OUTPUT_OVERRUN');
    // A match whose start is < 12 bytes from the end of the output buffer breaks the end rule.
    expect(codeOf(() => decompress(bytes(0x40, 'abcd', 4, 0, 0x50, 'ABCDE'), 13))).toBe('LZ4_MALFORMED');
    // A block ending in a match (no last literals).
    expect(codeOf(() => decompress(bytes(0x40, 'abcd', 4, 0), 8))).toBe('LZ4_MALFORMED');
    const err = (() => {
      try {
        decompress(bytes(0x40, 'abcd', 5, 0, 0x80, 'ABCDEFGH'), 64);
      } catch (e) {
        return e as CodecError;
      }
    })();
    expect(err?.location.offset).toBe(0);
  });
});

describe('LZ4 round trips', () => {
  it('our blocks → our decoder and liblz4, respecting the end rules', () => {
    fc.assert(
      fc.property(fc.oneof(sizedInput, structuredBytes(131072)), (src) => {
        const c = compress(src);
        expect(c.length).toBeLessThanOrEqual(lz4CompressBound(src.length));
        expect(same(decompress(c, src.length), src)).toBe(true);
        expect(endRulesHold(c, src.length)).toBe(true);
        if (src.length > 0) {
          const d = nativeDecode(c, src.length);
          expect(typeof d === 'number' ? d : same(d, src)).toBe(true);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('liblz4 blocks decode with ours', () => {
    fc.assert(
      fc.property(fc.oneof(sizedInput, structuredBytes(131072)), (src) => {
        if (src.length === 0) return;
        const out = Buffer.alloc(native.encodeBound(src.length));
        const n = native.encodeBlock(Buffer.from(src), out);
        // node-lz4 returns 0 for incompressible input instead of a literal block
        if (n <= 0) return;
        expect(same(decompress(out.subarray(0, n), src.length), src)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('decodes blocks from the Debian lz4 CLI when it is installed', () => {
    if (!existsSync('/usr/bin/lz4')) return; // optional tool, not a fixture
    const src = pageMix(32, 99);
    // -B4: 64 KiB independent blocks; the frame around them is tiny to parse, the blocks are raw LZ4.
    const frame = execFileSync('/usr/bin/lz4', ['-c', '-B4', '--no-frame-crc', '-'], { input: src });
    const f = new Uint8Array(frame);
    expect(new DataView(f.buffer, f.byteOffset).getUint32(0, true)).toBe(0x184d2204);
    const flg = f[4]!;
    // magic, FLG, BD, [content size], [dict id], header checksum
    let p = 4 + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    const parts: Uint8Array[] = [];
    for (;;) {
      const size = new DataView(f.buffer, f.byteOffset + p).getUint32(0, true);
      p += 4;
      if (size === 0) break;
      const raw = (size & 0x80000000) !== 0;
      const len = size & 0x7fffffff;
      const block = f.subarray(p, p + len);
      parts.push(raw ? block : decompress(block, 65536));
      p += len + (flg & 0x10 ? 4 : 0);
    }
    expect(same(Buffer.concat(parts), src)).toBe(true);
  });

  it('reuses a caller table with identical output', () => {
    const src = pageMix(32, 5);
    const ref = compress(src);
    for (const t of [new Int32Array(4096).fill(999), new Uint32Array(4096).fill(7)]) {
      const dst = new Uint8Array(lz4CompressBound(src.length));
      expect(same(dst.subarray(0, lz4Compress(src, dst, t)), ref)).toBe(true);
    }
  });

  it('refuses a destination below the bound', () => {
    expect(codeOf(() => lz4Compress(new Uint8Array(100), new Uint8Array(100)))).toBe('LZ4_DST_TOO_SMALL');
  });
});

describe('LZ4 decoder on hostile input', () => {
  const check = (block: Uint8Array, cap: number) => {
    const g = guarded(cap);
    const before = block.slice();
    try {
      const n = lz4DecompressSafe(block, g.dst);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(cap);
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
    }
    expect(g.intact()).toBe(true);
    expect(same(block, before)).toBe(true);
  };

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 5000 }), (s, cap) =>
        check(s, cap),
      ),
      { numRuns: 400 },
    );
  });

  it('truncated and bit-flipped valid blocks', () => {
    const srcs = [pageMix(4, 21), pageMix(32, 22), new Uint8Array(9000)];
    const blocks = srcs.map(compress);
    fc.assert(
      fc.property(
        fc.nat(blocks.length - 1),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 0, max: 140000 }),
        (which, cut, flips, cap) => {
          const s = blocks[which]!.slice(0, 1 + (cut % blocks[which]!.length));
          for (const f of flips) s[f % s.length]! ^= 1 << (f % 8);
          check(s, cap % (srcs[which]!.length + 64));
        },
      ),
      { numRuns: 300 },
    );
  });
});
