import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  bytesWorst6x,
  CMP_HEADER,
  CMP_PAGES,
  CMP_THREADS,
  type CompressorName,
  getChunkCodec,
  lzoWorst310,
  UNC_PAGES,
  UNC_SIZE,
} from '../../src/power/compress/compressor.js';
import { pageMix, same } from './data.js';

describe('swsusp chunk constants (reference digest §1.6/§1.7)', () => {
  it('have the kernel values', () => {
    expect(UNC_PAGES).toBe(32);
    expect(UNC_SIZE).toBe(131072);
    expect(CMP_HEADER).toBe(8);
    expect(CMP_THREADS).toBe(3);
    expect(lzoWorst310(131072)).toBe(139331);
    expect(bytesWorst6x(131072)).toBe(139333);
    // LZO_CMP_PAGES = DIV_ROUND_UP(worst(UNC_SIZE) + header, PAGE_SIZE) = 35 in both eras
    expect(CMP_PAGES).toBe(Math.ceil((139331 + 8) / 4096));
    expect(CMP_PAGES).toBe(Math.ceil((139333 + 8) / 4096));
    // C integer division
    expect(lzoWorst310(31)).toBe(31 + 1 + 67);
    expect(bytesWorst6x(15)).toBe(15 + 0 + 69);
  });
});

describe('getChunkCodec', () => {
  it.each(['lzo', 'lz4'] as CompressorName[])('%s round-trips a chunk within worstCompress', (name) => {
    const c = getChunkCodec(name);
    expect(c.name).toBe(name);
    const src = pageMix(32, 77);
    const dst = new Uint8Array(c.worstCompress(src.length));
    const n = c.compress(src, dst);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(bytesWorst6x(src.length)); // what the 6.x writer checks
    const back = new Uint8Array(UNC_SIZE);
    expect(same(back.subarray(0, c.decompress(dst.subarray(0, n), back)), src)).toBe(true);
  });

  it('rejects unknown names', () => {
    expect(() => getChunkCodec('zstd' as CompressorName)).toThrow(UsageError);
  });
});
