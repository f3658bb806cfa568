import { afterAll, describe, expect, it } from 'vitest';
import { CodecError } from '../../src/lib/codec-errors.js';
import { crc32Le, crc32LeCombine } from '../../src/lib/crc32.js';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { getChunkCodec, UNC_SIZE } from '../../src/power/compress/compressor.js';
import { type ChunkJob, GEN_WORDS, InlineChunkPool } from '../../src/power/compress/pool.js';
import { ContentKind, generatePage, pageDigest } from '../../src/workload/content.js';
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

  it('lays chunks out as swap-page records on request (save_compressed_image() layout), back to back', async () => {
    // In index order, as the writer hands them in (records follow the order of the call's jobs).
    const js = jobs().jobs.reverse();
    const plain = await new InlineChunkPool().compress('lzo', js);
    // Stale bytes in recycled result buffers must not reach the padding.
    const first = await pool.compress(
      'lzo',
      js.map((j) => ({ ...j, record: true })),
    );
    for (const r of first) r.record!.fill(0xa5);
    pool.recycle(first[0]!.record!.buffer);
    for (const got of [
      await new InlineChunkPool().compress(
        'lzo',
        js.map((j) => ({ ...j, record: true })),
      ),
      await pool.compress(
        'lzo',
        js.map((j) => ({ ...j, record: true })),
      ),
    ]) {
      let adjacent = 0;
      for (let i = 0; i < 70; i++) {
        const { record, compressed } = got[i]!;
        const n = plain[i]!.compressed.length;
        expect(same(compressed, plain[i]!.compressed)).toBe(true);
        expect(got[i]!.crc).toBe(plain[i]!.crc);
        // u64 LE cmp_len, the stream, zeros to the next page (DIV_ROUND_UP(8 + n, 4096) pages).
        expect(record!.length).toBe(Math.ceil((8 + n) / 4096) * 4096);
        const dv = new DataView(record!.buffer, record!.byteOffset, record!.length);
        expect(dv.getUint32(0, true)).toBe(n);
        expect(dv.getUint32(4, true)).toBe(0);
        expect(record!.buffer).toBe(compressed.buffer);
        expect(compressed.byteOffset).toBe(record!.byteOffset + 8);
        expect(record!.subarray(8 + n).every((b) => b === 0)).toBe(true);
        const prev = got[i - 1]?.record;
        if (prev && prev.buffer === record!.buffer && prev.byteOffset + prev.length === record!.byteOffset)
          adjacent++;
      }
      // Inline: one buffer per call; workers: one per batch of 3 chunks.
      expect(adjacent).toBeGreaterThanOrEqual(70 - Math.ceil(70 / 3));
    }
  });

  it('handles an empty job list', async () => {
    expect(await pool.compress('lzo', [])).toEqual([]);
  });

  it('generates described pages in the pool: same stream and digests as the bytes made here, inline and in workers', async () => {
    // 3 chunks of 32 pages: every third page a descriptor (kinds cycle), the rest bytes.
    const kinds = [
      ContentKind.TEXT,
      ContentKind.POINTER,
      ContentKind.RANDOM,
      ContentKind.CALIBRATED + 20,
      ContentKind.PATTERN,
    ];
    const pages = 96;
    const made = pageMix(pages, 99);
    const gen = new Uint32Array(pages * GEN_WORDS);
    for (let p = 0; p < pages; p += 3) {
      const kind = kinds[(p / 3) % kinds.length]!;
      gen.set([kind, 0xabc + p, 0x1000 + p], p * GEN_WORDS);
      generatePage(kind, 0xabc + p, 0x1000 + p, 0, made.subarray(p * 4096, (p + 1) * 4096));
    }
    const mk = (garbage: boolean): ChunkJob[] => {
      const data = made.slice();
      // Described pages hold garbage: the pool must overwrite them.
      if (garbage) for (let p = 0; p < pages; p += 3) data.fill(0x5a, p * 4096, (p + 1) * 4096);
      return [0, 1, 2].map((i) => ({
        index: i,
        data: data.subarray(i * UNC_SIZE, (i + 1) * UNC_SIZE),
        gen: garbage ? gen.subarray(i * 32 * GEN_WORDS, (i + 1) * 32 * GEN_WORDS) : undefined,
        digests: true,
      }));
    };
    const ref = await new InlineChunkPool().compress('lzo', mk(false));
    for (const got of [
      await new InlineChunkPool().compress('lzo', mk(true)),
      await pool.compress('lzo', mk(true)),
    ]) {
      for (let i = 0; i < 3; i++) {
        expect(same(got[i]!.compressed, ref[i]!.compressed)).toBe(true);
        expect(got[i]!.crc).toBe(crc32Le(0, made.subarray(i * UNC_SIZE, (i + 1) * UNC_SIZE)));
        for (let k = 0; k < 32; k++)
          expect(got[i]!.digests![k]).toBe(
            pageDigest(made.subarray((i * 32 + k) * 4096, (i * 32 + k + 1) * 4096)),
          );
      }
    }
    // Decompress with expectations: a page matches only when its bytes are its descriptor's page.
    const expect3 = gen.slice();
    expect3[3 * GEN_WORDS + 1]! ^= 1; // page 3: a wrong seed
    expect3[1 * GEN_WORDS] = ContentKind.RANDOM; // page 1: bytes from pageMix, never a generated page
    const djobs = [0, 1, 2].map((i) => ({
      index: i,
      compressed: ref[i]!.compressed,
      expect: expect3.subarray(i * 32 * GEN_WORDS, (i + 1) * 32 * GEN_WORDS),
    }));
    const want = new Uint8Array(pages);
    for (let p = 0; p < pages; p += 3) want[p] = p === 3 ? 0 : 1;
    for (const res of [
      await new InlineChunkPool().decompress('lzo', djobs),
      await pool.decompress('lzo', djobs),
    ]) {
      const got = new Uint8Array(pages);
      for (let i = 0; i < 3; i++) got.set(res[i]!.match!, i * 32);
      expect([...got]).toEqual([...want]);
    }
    // digestGenerated(): the digest of each descriptor's page, in order.
    const descs = new Uint32Array(10001 * GEN_WORDS);
    for (let i = 0; i < 10001; i++) descs.set([kinds[i % kinds.length]!, 7, i * 13], i * GEN_WORDS);
    const viaWorkers = await pool.digestGenerated(descs);
    const page = new Uint8Array(4096);
    for (const i of [0, 1, 4095, 4096, 8191, 8192, 10000]) {
      generatePage(kinds[i % kinds.length]!, 7, i * 13, 0, page);
      expect(viaWorkers[i]).toBe(pageDigest(page));
    }
    expect([...(await new InlineChunkPool().digestGenerated(descs))]).toEqual([...viaWorkers]);
  });
});
