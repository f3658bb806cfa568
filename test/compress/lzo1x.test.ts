import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from '../../src/lib/codec-errors.js';
import { lzo1xCompress, lzo1xDecompressSafe, lzo1xWorstCompress } from '../../src/lib/lzo1x.js';
import { guarded, pageMix, same, structuredBytes } from './data.js';

const require = createRequire(import.meta.url);
/** liblzo2 2.09 (minilzo) via node-lzo: lzo1x_1_compress / lzo1x_decompress_safe. */
const native = require('lzo') as { compress(b: Buffer): Buffer; decompress(b: Buffer, len: number): Buffer };

function compress(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(lzo1xWorstCompress(src.length));
  return dst.slice(0, lzo1xCompress(src, dst));
}

function decompress(src: Uint8Array, cap: number): Uint8Array {
  const dst = new Uint8Array(cap);
  return dst.subarray(0, lzo1xDecompressSafe(src, dst));
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

/** Seeded inputs of a given size and flavour (fast to build even at 128 KiB). */
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

describe('lzo1xWorstCompress', () => {
  it('is lzo1x_worst_compress of 3.10 (x + x/16 + 64 + 3)', () => {
    expect(lzo1xWorstCompress(131072)).toBe(139331); // reference digest §1.6
    expect(lzo1xWorstCompress(0)).toBe(67);
    expect(lzo1xWorstCompress(15)).toBe(82);
    expect(lzo1xWorstCompress(16)).toBe(84);
  });
});

describe('LZO1X decoder on hand-assembled streams (Documentation/staging/lzo.rst)', () => {
  const cases: [string, Uint8Array, Uint8Array][] = [
    ['end marker only', bytes(0x11, 0, 0), bytes()],
    ['first byte 18: one literal', bytes(0x12, 'A', 0x11, 0, 0), bytes('A')],
    ['first-byte run of 4, M2 len 4 dist 4', bytes(21, 'abcd', 0x6c, 0x00, 0x11, 0, 0), bytes('abcdabcd')],
    ['M1 2-byte copy after 1 literal (state 1)', bytes(0x12, 'x', 0x00, 0x00, 0x11, 0, 0), bytes('xxx')],
    [
      'M2 len 3 dist 3 with 2 trailing literals',
      bytes(21, 'wxyz', 0x4a, 0x00, 'PQ', 0x11, 0, 0),
      bytes('wxyzxyzPQ'),
    ],
    ['M3 len 5 dist 3 (overlapping)', bytes(20, 'abc', 0x23, 0x08, 0x00, 0x11, 0, 0), bytes('abcabcab')],
    [
      'state-0 literal run 19 (extended)',
      bytes(0x00, 0x01, 'abcdefghijklmnopqrs', 0x11, 0, 0),
      bytes('abcdefghijklmnopqrs'),
    ],
  ];
  it.each(cases)('%s', (_name, stream, want) => {
    expect(decompress(stream, 64)).toEqual(want);
    // liblzo agrees with the hand decoding (keeps the table honest).
    expect(new Uint8Array(native.decompress(Buffer.from(stream), want.length))).toEqual(want);
  });

  it('M1 3-byte copy from 2049+ after a long literal run (state 4)', () => {
    const lit = new Uint8Array(2100).map((_, i) => (i * 13 + 7) & 0xff);
    // 0x00, then 2100 − 18 = 2082 = 8·255 + 42: eight zero bytes and 42.
    const stream = bytes(0x00, ...new Array(8).fill(0), 42, ...lit, 0x04, 0x00, 0x11, 0, 0);
    const out = decompress(stream, 4096);
    expect(out.length).toBe(2103);
    // 0x04: D = 1, S = 0 → distance (0 << 2) + 1 + 2049 = 2050, length 3.
    expect(out.subarray(2100)).toEqual(lit.subarray(50, 53));
    expect(new Uint8Array(native.decompress(Buffer.from(stream), 2103))).toEqual(out);
  });

  it('reports the liblzo error classes', () => {
    expect(codeOf(() => decompress(bytes(), 16))).toBe('LZO_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(0x12, 'A'), 16))).toBe('LZO_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(0x12, 'A', 0x11, 0), 16))).toBe('LZO_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(30, 'abc'), 16))).toBe('LZO_INPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(0x11, 0, 0, 0), 16))).toBe('LZO_INPUT_NOT_CONSUMED');
    expect(codeOf(() => decompress(bytes(0x12, 'A', 0x5c, 0x00, 0x11, 0, 0), 16))).toBe(
      'LZO_LOOKBEHIND_OVERRUN',
    );
    expect(codeOf(() => decompress(bytes(0x12, 'A', 0x11, 0, 0), 0))).toBe('LZO_OUTPUT_OVERRUN');
    expect(codeOf(() => decompress(bytes(21, 'abcd', 0x6c, 0x00, 0x11, 0, 0), 7))).toBe('LZO_OUTPUT_OVERRUN');
    // End marker with length 4 (0x12 = 0001 0 010): eof_found insists on length 3.
    expect(codeOf(() => decompress(bytes(0x13, 'AB', 0x12, 0, 0), 16))).toBe('LZO_ERROR');
    const e = (() => {
      try {
        decompress(bytes(0x12, 'A', 0x5c, 0x00, 0x11, 0, 0), 16);
      } catch (err) {
        return err as CodecError;
      }
    })();
    expect(e?.location.offset).toBe(2); // the instruction byte of the bad match
  });
});

describe('LZO1X round trips', () => {
  it('empty input is the bare end marker, as liblzo writes it', () => {
    expect(compress(new Uint8Array(0))).toEqual(bytes(0x11, 0, 0));
    expect(new Uint8Array(native.compress(Buffer.alloc(0)))).toEqual(bytes(0x11, 0, 0));
  });

  it('our stream → our decoder and liblzo; sizes 0..131072 and page multiples', () => {
    fc.assert(
      fc.property(sizedInput, (src) => {
        const c = compress(src);
        expect(c.length).toBeLessThanOrEqual(lzo1xWorstCompress(src.length));
        expect(same(decompress(c, src.length), src)).toBe(true);
        expect(same(native.decompress(Buffer.from(c), src.length), src)).toBe(true);
        // a stream must never start with 17 + version (kernel ≥ 5.1 would take it for lzo-rle)
        if (src.length > 0) expect(c[0]).not.toBe(17);
      }),
      { numRuns: 60 },
    );
  });

  it('structured inputs (runs, periods, far repeats) round-trip through both decoders', () => {
    fc.assert(
      fc.property(structuredBytes(131072), (src) => {
        const c = compress(src);
        expect(same(decompress(c, src.length), src)).toBe(true);
        expect(same(native.decompress(Buffer.from(c), src.length), src)).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('liblzo streams decode with ours', () => {
    fc.assert(
      fc.property(fc.oneof(sizedInput, structuredBytes(131072)), (src) => {
        const c = new Uint8Array(native.compress(Buffer.from(src)));
        expect(same(decompress(c, src.length), src)).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('decodes into an exactly sized buffer and overruns one byte smaller', () => {
    const src = pageMix(8, 7);
    const c = compress(src);
    expect(same(decompress(c, src.length), src)).toBe(true);
    expect(codeOf(() => decompress(c, src.length - 1))).toBe('LZO_OUTPUT_OVERRUN');
  });

  it('reuses a caller work buffer (Uint16Array or Uint32Array) with identical output', () => {
    const src = pageMix(32, 3);
    const ref = compress(src);
    for (const work of [new Uint16Array(8192).fill(777), new Uint32Array(8192).fill(12345)]) {
      const dst = new Uint8Array(lzo1xWorstCompress(src.length));
      expect(same(dst.subarray(0, lzo1xCompress(src, dst, work)), ref)).toBe(true);
    }
  });

  it('refuses a destination below the worst case', () => {
    expect(codeOf(() => lzo1xCompress(new Uint8Array(100), new Uint8Array(100)))).toBe('LZO_DST_TOO_SMALL');
  });
});

describe('LZO1X decoder on hostile input', () => {
  const check = (stream: Uint8Array, cap: number) => {
    const g = guarded(cap);
    const before = stream.slice();
    try {
      const n = lzo1xDecompressSafe(stream, g.dst);
      expect(n).toBeGreaterThanOrEqual(0);
      expect(n).toBeLessThanOrEqual(cap);
    } catch (e) {
      expect(e).toBeInstanceOf(CodecError);
    }
    expect(g.intact()).toBe(true);
    expect(same(stream, before)).toBe(true);
  };

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 5000 }), (s, cap) =>
        check(s, cap),
      ),
      { numRuns: 400 },
    );
  });

  it('truncated and bit-flipped valid streams', () => {
    const srcs = [pageMix(4, 11), pageMix(32, 12), new Uint8Array(9000)];
    const streams = srcs.map(compress);
    fc.assert(
      fc.property(
        fc.nat(streams.length - 1),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 0, max: 140000 }),
        (which, cut, flips, cap) => {
          const s = streams[which]!.slice(0, 1 + (cut % streams[which]!.length));
          for (const f of flips) s[f % s.length]! ^= 1 << (f % 8);
          check(s, cap % (srcs[which]!.length + 64));
        },
      ),
      { numRuns: 300 },
    );
  });
});
