import { afterAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/lib/codec-errors.js';
import { crc32Le, crc32LeCombine } from '../../src/lib/crc32.js';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { getChunkCodec, UNC_SIZE } from '../../src/power/compress/compressor.js';
import { type ChunkJob, InlineChunkPool } from '../../src/power/compress/pool.js';
import { pageMix, same } from './data.js';

/** 70 chunks of page data; the last is short (5 pages), as the final chunk of a stream may be. */
function jobs(): { jobs: ChunkJob[]; whole: Uint8Array } {
  const whole = pageMix(69 * 32 + 5, 1234);
  const out: ChunkJob[] = [];
  for (let off = 0, i = 0; off < whole.length; off += UNC_SIZE, i++) {
    out.push({ index: i, data: whole.subarray(off, Math.min(whole.length, off + UNC_SIZE)) });
  }
  return { jobs: out.reverse(), whole }; // handed in reverse: results must still come back in index order
}

describe('chunk pools', () => {
  const pool = new NodeChunkPool({ threads: 2, batchBytes: 3 * UNC_SIZE });
  afterAll(() => pool.close());

  it.each(['lzo', 'lz4'] as const)(
    'worker pool (2 threads) equals the inline pool, in index order (%s)',
    async (codec) => {
      expect(pool.threads).toBe(2);
      const { jobs: js, whole } = jobs();
      const inline = await new InlineChunkPool().compress(codec, js);
      const viaWorkers = await pool.compress(codec, js);
      expect(viaWorkers.map((r) => r.index)).toEqual(Array.from({ length: 70 }, (_, i) => i));
      expect(inline.map((r) => r.index)).toEqual(viaWorkers.map((r) => r.index));
      let chained = 0;
      let combined = 0;
      for (let i = 0; i < 70; i++) {
        expect(same(viaWorkers[i]!.compressed, inline[i]!.compressed)).toBe(true);
        expect(viaWorkers[i]!.crc).toBe(inline[i]!.crc);
        const data = whole.subarray(i * UNC_SIZE, Math.min(whole.length, (i + 1) * UNC_SIZE));
        expect(viaWorkers[i]!.crc).toBe(crc32Le(0, data));
        chained = crc32Le(chained, data);
        combined = crc32LeCombine(combined, viaWorkers[i]!.crc, data.length);
      }
      expect(combined).toBe(chained);
      expect(combined).toBe(crc32Le(0, whole));

      // and back: workers decompress to the original chunks
      const back = await pool.decompress(
        codec,
        viaWorkers.map((r) => ({ index: r.index, compressed: r.compressed })),
      );
      const inlineBack = await new InlineChunkPool().decompress(
        codec,
        inline.map((r) => ({ index: r.index, compressed: r.compressed })),
      );
      for (let i = 0; i < 70; i++) {
        const data = whole.subarray(i * UNC_SIZE, Math.min(whole.length, (i + 1) * UNC_SIZE));
        expect(back[i]!.index).toBe(i);
        expect(same(back[i]!.data, data)).toBe(true);
        expect(back[i]!.crc).toBe(crc32Le(0, data));
        expect(same(inlineBack[i]!.data, data)).toBe(true);
      }
      // the caller's input buffers were copied, not transferred away
      expect(whole.byteLength).toBeGreaterThan(0);
    },
  );

  it('rejects a corrupt chunk with a CodecError naming the chunk', async () => {
    const good = new Uint8Array(getChunkCodec('lzo').worstCompress(UNC_SIZE));
    const n = getChunkCodec('lzo').compress(pageMix(32, 5), good);
    const bad = good.slice(0, n - 1); // cut the end marker
    const err = await pool
      .decompress('lzo', [
        { index: 0, compressed: good.subarray(0, n) },
        { index: 1, compressed: bad },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodecError);
    expect((err as CodecError).code).toBe('LZO_INPUT_OVERRUN');
    expect((err as CodecError).message).toMatch(/^chunk 1:/);
    // the pool still works afterwards
    const ok = await pool.decompress('lzo', [
      { index: 3, compressed: good.subarray(0, n), uncLen: UNC_SIZE },
    ]);
    expect(ok[0]!.data.length).toBe(UNC_SIZE);
  });

  it('checks uncLen like load_compressed_image()', async () => {
    const c = await new InlineChunkPool().compress('lz4', [{ index: 0, data: new Uint8Array(8192) }]);
    const err = await pool
      .decompress('lz4', [{ index: 0, compressed: c[0]!.compressed, uncLen: 4096 }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodecError);
    await expect(
      new InlineChunkPool().decompress('lz4', [{ index: 0, compressed: c[0]!.compressed, uncLen: 12288 }]),
    ).rejects.toBeInstanceOf(CodecError);
  });

  it('handles an empty job list', async () => {
    expect(await pool.compress('lzo', [])).toEqual([]);
  });
});
