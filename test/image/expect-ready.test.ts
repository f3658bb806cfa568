/**
 * ReadOptions.expectReady: while the consumer cannot give hints, the reader
 * hands the pool no chunk past the meta pages (unless nothing else is in
 * flight); once it can, the chunks go out with their hints. Whenever the
 * consumer becomes ready (or never), the stream yields the same chunks and
 * CRC as a read without it.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SYNTH_ARCH } from '../../bench/codecs.js';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import type { CompressorName } from '../../src/power/compress/compressor.js';
import {
  type ChunkJob,
  type ChunkPool,
  type DecompressJob,
  GEN_WORDS,
  InlineChunkPool,
} from '../../src/power/compress/pool.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { MemoryDevice } from '../../src/power/image/source.js';
import { type PageRecord, writeImage } from '../../src/power/image/writer.js';
import { ContentKind } from '../../src/workload/content.js';
import { pageMix, same } from '../compress/data.js';

const PAGES = 3000; // 6 meta pages, ~94 chunks
const DEVICE_PAGES = 6000;
const data = pageMix(PAGES, 11);
const pfns = Float64Array.from({ length: PAGES }, (_, i) => 0x100 + i * 3);

function* records(): Generator<PageRecord> {
  for (let i = 0; i < PAGES; i++) yield { pfn: pfns[i]!, bytes: data.subarray(i * 4096, (i + 1) * 4096) };
}

/** The pool, recording each call: its first stream page, whether it had hints, and how far the consumer was. */
class Recording implements ChunkPool {
  readonly threads: number;
  readonly calls: { first: number; hinted: boolean; consumed: number }[] = [];
  consumed = 0;
  chunks = 0;
  constructor(
    private readonly pool: NodeChunkPool,
    private readonly firstOf: (index: number) => number,
  ) {
    this.threads = pool.threads;
  }
  compress(codec: CompressorName, jobs: ChunkJob[]) {
    return this.pool.compress(codec, jobs);
  }
  decompress(codec: CompressorName, chunks: DecompressJob[]) {
    this.chunks += chunks.length;
    this.calls.push({
      first: this.firstOf(chunks[0]!.index),
      hinted: chunks.some((c) => c.expect !== undefined),
      consumed: this.consumed,
    });
    return this.pool.decompress(codec, chunks);
  }
  recycle(buf: ArrayBufferLike) {
    this.pool.recycle(buf);
  }
  async close() {}
}

describe('ReadOptions.expectReady', () => {
  const pool = new NodeChunkPool({ threads: 2 });
  afterAll(() => pool.close());

  it('holds data chunks until the consumer is ready, and yields what a read without it does', async () => {
    const dev = new MemoryDevice(DEVICE_PAGES * 4096);
    await writeImage(dev, { pfns, count: PAGES }, records(), {
      format: '6.x',
      arch: SYNTH_ARCH,
      numPhyspages: PAGES,
      compressor: 'lzo',
      fresh: { devicePages: DEVICE_PAGES, label: 'RDY', uuidSeed: 9 },
      threads: 2,
      pool: new InlineChunkPool(),
    });
    const reader = ImageReader.open(dev);
    const nrMeta = reader.info.nrMetaPages;
    const table = reader.chunks();
    const firstOf = (index: number) => table.find((c) => c.index === index)!.firstStreamPage;
    // Reference: every chunk's bytes and the CRC, read without hints.
    const ref: Uint8Array[] = [];
    const plain = reader.stream({ pool });
    let refCrc: number;
    for (;;) {
      const r = await plain.next();
      if (r.done) {
        refCrc = r.value;
        break;
      }
      ref.push(r.value.data.slice());
    }
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        // Stream pages the consumer must have taken before it is ready (beyond the end: never).
        fc.integer({ min: 0, max: PAGES + 200 }),
        async (batchChunks, readyAfter) => {
          const rec = new Recording(pool, firstOf);
          let ready = false;
          const it = ImageReader.open(dev).stream({
            pool: rec,
            batchChunks,
            expect: (_first, pages, out) => {
              if (!ready) return false;
              for (let p = 0; p < pages; p++) out.set([ContentKind.TEXT, 5, p], p * GEN_WORDS);
              return true;
            },
            expectReady: () => ready,
          });
          let k = 0;
          for (;;) {
            const r = await it.next();
            if (r.done) {
              expect(r.value).toBe(refCrc);
              break;
            }
            expect(same(r.value.data, ref[k]!)).toBe(true);
            k++;
            rec.consumed = r.value.firstStreamPage + r.value.data.length / 4096;
            if (rec.consumed >= readyAfter && rec.consumed >= nrMeta) ready = true;
          }
          expect(k).toBe(ref.length);
          expect(rec.chunks).toBe(table.length);
          for (const c of rec.calls) {
            // Data pages handed on before the consumer was ready: only a forced call (nothing in
            // flight: the consumer had taken every chunk before it).
            if (c.first >= nrMeta && !c.hinted) expect(c.consumed).toBe(c.first);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
