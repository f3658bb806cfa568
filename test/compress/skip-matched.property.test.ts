/**
 * DecompressJob.skipMatched (the worker copies only the pages its comparison
 * did not match out of its WebAssembly memory) against the full copy it
 * stands for: for random chunks of generated pages (expected right, expected
 * wrong, or not expected) and byte pages, the same match flags and crc, and
 * every page read through chunkPageBytes() — a view for an unmatched page,
 * the descriptor's page made again for a matched one — equal to the page of
 * the full copy. Also a batch where one job does not allow the skip (the
 * whole batch is copied).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { UNC_PAGES, UNC_SIZE } from '../../src/power/compress/compressor.js';
import { type DecompressJob, GEN_WORDS, InlineChunkPool } from '../../src/power/compress/pool.js';
import { chunkPageBytes, type StreamChunk } from '../../src/power/image/reader.js';
import { ContentKind, generatePage } from '../../src/workload/content.js';
import { pageMix, same } from './data.js';

/** A page of a chunk: generated and expected ('hit'), generated but expected as another seed ('miss'), generated without expectation, or bytes. */
const pageArb = fc.record({
  how: fc.constantFrom('hit', 'hit', 'hit', 'miss', 'plain', 'bytes'),
  kind: fc.constantFrom(
    ContentKind.TEXT,
    ContentKind.POINTER,
    ContentKind.RANDOM,
    ContentKind.CALIBRATED + 7,
  ),
  seed: fc.nat(0xffff),
});
const chunkArb = fc.array(pageArb, { minLength: 1, maxLength: UNC_PAGES });

describe('skipMatched: copy of unmatched pages only', () => {
  const pool = new NodeChunkPool({ threads: 2, batchBytes: 2 * UNC_SIZE });
  afterAll(() => pool.close());

  it('gives the same pages, match flags and crc as the full copy', async () => {
    const inline = new InlineChunkPool();
    await fc.assert(
      fc.asyncProperty(
        fc.array(chunkArb, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (chunks, oneFull) => {
          const jobs: DecompressJob[] = [];
          for (let i = 0; i < chunks.length; i++) {
            const pages = chunks[i]!;
            const data = pageMix(pages.length, 77 + i);
            const exp = new Uint32Array(pages.length * GEN_WORDS);
            for (let p = 0; p < pages.length; p++) {
              const { how, kind, seed } = pages[p]!;
              if (how === 'bytes') continue;
              generatePage(kind, seed, 0x4000 + p, 0, data.subarray(p * 4096, (p + 1) * 4096));
              if (how !== 'plain')
                exp.set([kind, how === 'miss' ? seed ^ 1 : seed, 0x4000 + p], p * GEN_WORDS);
            }
            const compressed = (await inline.compress('lzo', [{ index: 0, data }]))[0]!.compressed;
            jobs.push({ index: i, compressed, expect: exp, skipMatched: !(oneFull && i === 0) });
          }
          // No result buffer is recycled here: the skip run writes into a fresh (zeroed) one, so a
          // page it failed to copy cannot pass for the right bytes left by an earlier run.
          const skip = await pool.decompress('lzo', jobs);
          const ref = await pool.decompress(
            'lzo',
            jobs.map((j) => ({ ...j, skipMatched: false })),
          );
          const scratch = new Uint8Array(4096);
          for (let i = 0; i < jobs.length; i++) {
            const r = skip[i]!;
            expect(r.crc).toBe(ref[i]!.crc);
            expect([...r.match!]).toEqual([...ref[i]!.match!]);
            expect(r.data.length).toBe(ref[i]!.data.length);
            const chunk: StreamChunk = {
              firstStreamPage: 0,
              data: r.data,
              expect: jobs[i]!.expect,
              match: r.match,
              skipped: true,
            };
            for (let k = 0; k < chunks[i]!.length; k++) {
              const want = ref[i]!.data.subarray(k * 4096, (k + 1) * 4096);
              expect(same(chunkPageBytes(chunk, k, scratch), want)).toBe(true);
              // An unmatched page (or any page of a batch copied whole) is in `data` itself.
              if (!r.match![k]) expect(same(r.data.subarray(k * 4096, (k + 1) * 4096), want)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
