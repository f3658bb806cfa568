/**
 * Hostile and damaged images: every failure must be a FormatError naming a
 * byte offset — never a TypeError/RangeError, a hang or a huge allocation.
 */
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { FileSource } from '../../src/node/image-file.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { MemorySource, type ReadSource } from '../../src/power/image/source.js';
import { swapImagePath } from '../helpers/fixtures.js';
import { writeSmallImage } from './small-image.js';

function smallImage(comp: 'lzo' | 'lz4' | 'none', n = 1200): Promise<Uint8Array> {
  return writeSmallImage(77, n, comp, comp === 'none' ? 2600 : 1400);
}

/** Open + verify; returns the FormatError, or null when the image is (still) valid. Any other error fails. */
async function outcome(src: ReadSource): Promise<FormatError | null> {
  try {
    const r = ImageReader.open(src);
    await r.verify();
    return null;
  } catch (e) {
    if (e instanceof FormatError) {
      expect(typeof e.location.offset, `${e.code}: ${e.message}`).toBe('number');
      return e;
    }
    throw e;
  }
}

function patched(bytes: Uint8Array, off: number, fn: (b: Uint8Array) => void): MemorySource {
  const c = bytes.slice();
  fn(c.subarray(off));
  return new MemorySource(c);
}

function setU64(b: Uint8Array, off: number, v: bigint): MemorySource {
  return patched(b, off, (x) => new DataView(x.buffer, x.byteOffset).setBigUint64(0, v, true));
}

describe('corrupted images give FormatErrors with offsets', () => {
  it('truncation at many offsets', async () => {
    for (const comp of ['lzo', 'none'] as const) {
      const img = await smallImage(comp);
      const r = ImageReader.open(new MemorySource(img));
      const lastUsed = Math.max(...r.map.entries, ...r.map.mapPages);
      const end = (lastUsed + 1) * 4096;
      let errors = 0;
      for (let off = 0; off < end; off += 4096 * 7 + 123) {
        const e = await outcome(new MemorySource(img.subarray(0, off)));
        expect(e, `truncated at ${off}`).not.toBeNull();
        errors++;
      }
      expect(errors).toBeGreaterThan(20);
      expect(await outcome(new MemorySource(img.subarray(0, end)))).toBeNull();
    }
  });

  it('the swsusp header: signature, image pointer, flags', async () => {
    const img = await smallImage('lzo');
    expect((await outcome(patched(img, 4086, (b) => (b[0] = 0x41))))?.code).toBe('SWSUSP_SIG_MISSING');
    expect((await outcome(setU64(img, 4064, 0n)))?.code).toBe('MAP_ENTRY_OUT_OF_RANGE');
    expect((await outcome(setU64(img, 4064, 1n << 62n)))?.code).toBe('MAP_ENTRY_OUT_OF_RANGE');
    expect((await outcome(patched(img, 4060, (b) => (b[0]! ^= 1))))?.code).toBe('CRC_MISMATCH');
    // Flipping the nocompress flag on a compressed image must fail cleanly too.
    const e = await outcome(patched(img, 4072, (b) => (b[0] = 2)));
    expect(e).not.toBeNull();
    for (let off = 4056; off < 4096; off++) {
      for (const bit of [1, 0x80]) await outcome(patched(img, off, (b) => (b[0]! ^= bit)));
    }
  });

  it('map pages: loops, out-of-range entries, holes', async () => {
    const img = await smallImage('none');
    const r = ImageReader.open(new MemorySource(img));
    expect(r.map.mapPages.length).toBeGreaterThanOrEqual(2);
    const m0 = r.map.mapPages[0]! * 4096;
    const m1 = r.map.mapPages[1]! * 4096;
    expect((await outcome(setU64(img, m1 + 4088, BigInt(r.map.mapPages[0]!))))?.code).toBe('MAP_CHAIN_LOOP');
    expect((await outcome(setU64(img, m0 + 4088, BigInt(r.map.mapPages[0]!))))?.code).toBe('MAP_CHAIN_LOOP');
    const e = await outcome(setU64(img, m0 + 8 * 5, 1n << 50n));
    expect(e?.code).toBe('MAP_ENTRY_OUT_OF_RANGE');
    expect(e?.location.offset).toBe(m0 + 40);
    expect((await outcome(setU64(img, m0 + 8 * 5, 0n)))?.code).toBe('MAP_HOLE');
    expect((await outcome(setU64(img, m1 + 4088, 99999999n)))?.code).toBe('MAP_ENTRY_OUT_OF_RANGE');
    for (let k = 0; k < 200; k++) {
      const off = m0 + ((k * 97) % 4096);
      await outcome(patched(img, off, (b) => (b[0]! ^= 0xff)));
    }
  });

  it('the header page: counts that claim more than the device holds fail fast', async () => {
    const img = await smallImage('lzo');
    const h = 2 * 4096;
    const t0 = Date.now();
    const huge = await outcome(
      patched(img, h, (b) => {
        const dv = new DataView(b.buffer, b.byteOffset);
        dv.setBigUint64(416, 1n << 40n, true);
        dv.setBigUint64(424, (1n << 40n) + (1n << 31n) + 1n, true);
        dv.setBigUint64(432, ((1n << 40n) + (1n << 31n) + 1n) * 4096n, true);
      }),
    );
    expect(huge?.code).toBe('IMAGE_TRUNCATED');
    expect(huge?.location.offset).toBe(h + 424);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await outcome(setU64(img, h + 424, 1n << 60n)))?.code).toBe('INFO_FIELD_INVALID');
    expect((await outcome(setU64(img, h + 432, 12345n)))?.code).toBe('INFO_SIZE_INVALID');
    for (let off = 0; off < 448; off += 3) await outcome(patched(img, h + off, (b) => (b[0]! ^= 0x5a)));
  });

  it('meta pages: order, range, counts', async () => {
    const img = await smallImage('none');
    const r = ImageReader.open(new MemorySource(img));
    const meta0 = r.map.entries[1]! * 4096;
    const swap = patched(img, meta0, (b) => {
      const dv = new DataView(b.buffer, b.byteOffset);
      const a = dv.getBigUint64(8, true);
      dv.setBigUint64(8, dv.getBigUint64(16, true), true);
      dv.setBigUint64(16, a, true);
    });
    const e = await outcome(swap);
    expect(e?.code).toBe('META_NOT_ASCENDING');
    expect(e?.location.offset).toBe(meta0 + 16);
    expect((await outcome(setU64(img, meta0 + 8 * 100, 0x7fffffffffffn)))?.code).toBe(
      'META_PFN_OUT_OF_RANGE',
    );
    expect((await outcome(setU64(img, meta0 + 8 * 100, 0xffffffffffffffffn)))?.code).toBe(
      'META_TERMINATOR_EARLY',
    );
    for (let k = 0; k < 100; k++) await outcome(patched(img, meta0 + k * 41, (b) => (b[0]! ^= 0x10)));
  });

  it('chunks: cmp_len beyond the worst case, zero, garbage data', async () => {
    for (const comp of ['lzo', 'lz4'] as const) {
      const img = await smallImage(comp);
      const r = ImageReader.open(new MemorySource(img));
      const c = r.chunks()[3]!;
      const off = r.map.entries[c.entry]! * 4096;
      const e = await outcome(setU64(img, off, 139334n));
      expect(e?.code).toBe('CHUNK_LEN_INVALID');
      expect(e?.location.offset).toBe(off);
      expect((await outcome(setU64(img, off, 0n)))?.code).toBe('CHUNK_LEN_INVALID');
      expect((await outcome(setU64(img, off, 1n << 40n)))?.code).toBe('CHUNK_LEN_INVALID');
      const codes = new Set<string>();
      for (let k = 0; k < 60; k++) {
        const e2 = await outcome(patched(img, off + 8 + ((k * 331) % c.cmpLen), (b) => (b[0]! ^= 0x21)));
        if (e2) codes.add(e2.code);
      }
      expect(
        [...codes].every((x) =>
          [
            'CHUNK_DECOMPRESS_FAILED',
            'UNC_LEN_INVALID',
            'CRC_MISMATCH',
            'META_NOT_ASCENDING',
            'META_PFN_OUT_OF_RANGE',
            'META_COUNT_MISMATCH',
            'META_TERMINATOR_EARLY',
          ].includes(x),
        ),
      ).toBe(true);
      expect(codes.size).toBeGreaterThan(0);
    }
  });

  it('a real image with a damaged chunk and a damaged map (sample)', async () => {
    const file = new FileSource(swapImagePath('tiny612-lzo'));
    try {
      const r = ImageReader.open(file);
      const c = r.chunks()[100]!;
      const off = r.map.entries[c.entry]! * 4096 + 8 + 1000;
      const overlay = (at: number, bytes: Uint8Array): ReadSource => ({
        size: file.size,
        readAt(o, len) {
          const b = file.readAt(o, len).slice();
          for (let i = 0; i < bytes.length; i++) {
            const p = at + i - o;
            if (p >= 0 && p < b.length) b[p] = bytes[i]!;
          }
          return b;
        },
      });
      const e = await outcome(overlay(off, new Uint8Array([0xde, 0xad, 0xbe, 0xef])));
      expect(e).not.toBeNull();
      expect(['CHUNK_DECOMPRESS_FAILED', 'UNC_LEN_INVALID', 'CRC_MISMATCH']).toContain(e!.code);
      const loop = await outcome(overlay(513 * 4096 + 4088, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0])));
      expect(loop?.code).toBe('MAP_CHAIN_LOOP');
    } finally {
      file.close();
    }
  });
});
