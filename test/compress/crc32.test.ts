import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  crc32,
  crc32BackendName,
  crc32Le,
  crc32LeCombine,
  crc32LeTs,
  setCrc32Backend,
} from '../../src/lib/crc32.js';
import { installFastPaths } from '../../src/node/install-fast-paths.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** Bit-at-a-time reference straight from the polynomial (independent of the table code). */
function bitwiseCrc32Le(crc: number, bytes: Uint8Array): number {
  let c = crc >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return c >>> 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const r = new Uint8Array(a.length + b.length);
  r.set(a);
  r.set(b, a.length);
  return r;
}

describe.each(['ts', 'native'] as const)('crc32 (%s backend)', (which) => {
  afterEach(() => setCrc32Backend(undefined));
  const use = () => {
    if (which === 'native') installFastPaths();
    else setCrc32Backend(undefined);
    expect(crc32BackendName()).toBe(which);
  };

  it('known vectors', () => {
    use();
    // Reference digest §1.6: crc32_le(0, "123456789") = 0x2dfd2d88; zlib CRC-32 check value 0xcbf43926.
    expect(crc32Le(0, ascii('123456789'))).toBe(0x2dfd2d88);
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32Le(0, new Uint8Array(0))).toBe(0);
    // seed 0 and no inversion: zero bytes leave a zero register at zero.
    expect(crc32Le(0, new Uint8Array(4096))).toBe(0);
    // e820 CRC of the README's `-m 384 pc` BIOS-e820 table is 0xa5445455.
    const e820 = [
      [0x0n, 0x9fc00n, 1],
      [0x9fc00n, 0x400n, 2],
      [0xf0000n, 0x10000n, 2],
      [0x100000n, 0x17eda000n, 1],
      [0x17fda000n, 0x26000n, 2],
      [0xfffc0000n, 0x40000n, 2],
      [0xfd00000000n, 0x300000000n, 2],
    ] as const;
    const buf = new Uint8Array(4 + 20 * e820.length);
    const dv = new DataView(buf.buffer);
    dv.setUint32(0, e820.length, true);
    e820.forEach(([addr, size, type], i) => {
      dv.setBigUint64(4 + i * 20, addr, true);
      dv.setBigUint64(12 + i * 20, size, true);
      dv.setUint32(20 + i * 20, type, true);
    });
    expect(crc32(buf)).toBe(0xa5445455);
  });

  it('matches a bitwise reference and zlib on random data, and chains', () => {
    use();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        (a, b, seed) => {
          const s = seed >>> 0;
          expect(crc32Le(s, a)).toBe(bitwiseCrc32Le(s, a));
          expect(crc32(a)).toBe(zlib.crc32(a) >>> 0);
          expect(crc32Le(crc32Le(s, a), b)).toBe(crc32Le(s, concat(a, b)));
          expect(crc32(b, crc32(a))).toBe(crc32(concat(a, b)));
          expect(crc32Le(s, a)).toBe(~crc32(a, ~s >>> 0) >>> 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('crc32LeCombine', () => {
  it('equals chaining over the concatenation', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.nat(),
        (a, b, seed) => {
          const ca = crc32LeTs(seed >>> 0, a);
          const cb = crc32LeTs(0, b);
          expect(crc32LeCombine(ca, cb, b.length)).toBe(bitwiseCrc32Le(seed >>> 0, concat(a, b)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('chains a stream of chunks whose lengths repeat and change (its cached operator)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 1, 7, 64, 4096, 4096, 4096, 12288), { maxLength: 12 }),
        (lens) => {
          let acc = 0;
          let all: Uint8Array = new Uint8Array(0);
          for (const [k, n] of lens.entries()) {
            const b = new Uint8Array(n).map((_, i) => (i * 13 + k * 7) & 0xff);
            acc = crc32LeCombine(acc, crc32Le(0, b), n);
            all = concat(all, b);
          }
          expect(acc).toBe(bitwiseCrc32Le(0, all));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('handles chunk-sized lengths (131072 bytes)', () => {
    const a = ascii('hibernation');
    const b = new Uint8Array(131072).map((_, i) => (i * 31) & 0xff);
    expect(crc32LeCombine(crc32Le(0, a), crc32Le(0, b), b.length)).toBe(bitwiseCrc32Le(0, concat(a, b)));
  });
});

describe('crc32_le TS path on views at any alignment', () => {
  it('equals the bitwise reference for every byte offset and length around the 16-byte step', () => {
    const base = new Uint8Array(300);
    for (let i = 0; i < base.length; i++) base[i] = (i * 151 + 7) & 0xff;
    for (let off = 0; off < 8; off++)
      for (let len = 0; len <= 70; len++) {
        const v = base.subarray(off, off + len);
        expect(crc32LeTs(0x12345678, v)).toBe(bitwiseCrc32Le(0x12345678, v));
      }
  });
});
