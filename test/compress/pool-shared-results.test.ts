/**
 * NodeChunkPool's result buffers are SharedArrayBuffers registered with the
 * workers (src/node/compress-pool.ts): a recycled buffer is reused by a later
 * batch, and since a shared buffer is never detached, recycle() must accept a
 * buffer only while a caller holds it: a double recycle() must not list it
 * twice (two batches writing one buffer), and a recycle() while a batch
 * writes it must not free it under the results that batch returns.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { UNC_SIZE } from '../../src/power/compress/compressor.js';
import { InlineChunkPool } from '../../src/power/compress/pool.js';
import { pageMix, same } from './data.js';

const chunk = (seed: number) => pageMix(UNC_SIZE / 4096, seed);

describe('shared result buffers', () => {
  const pool = new NodeChunkPool({ threads: 1 });
  afterAll(() => pool.close());

  it('results live in shared buffers that recycle() hands to the next batch', async () => {
    const a = await pool.compress('lzo', [{ index: 0, data: chunk(1) }]);
    expect(a[0]!.compressed.buffer).toBeInstanceOf(SharedArrayBuffer);
    const buf = a[0]!.compressed.buffer;
    pool.recycle(buf);
    const b = await pool.compress('lzo', [{ index: 0, data: chunk(2) }]);
    expect(b[0]!.compressed.buffer).toBe(buf);
  });

  it('a double recycle() lists a buffer once: two batches never share it', async () => {
    const a = await pool.compress('lzo', [{ index: 0, data: chunk(3) }]);
    const first = a[0]!.compressed.buffer;
    pool.recycle(first);
    pool.recycle(first);
    const [x, y] = await Promise.all([
      pool.compress('lzo', [{ index: 0, data: chunk(4) }]),
      pool.compress('lzo', [{ index: 0, data: chunk(5) }]),
    ]);
    expect(x[0]!.compressed.buffer).not.toBe(y[0]!.compressed.buffer);
    const want = await new InlineChunkPool().compress('lzo', [
      { index: 0, data: chunk(4) },
      { index: 1, data: chunk(5) },
    ]);
    expect(same(x[0]!.compressed, want[0]!.compressed)).toBe(true);
    expect(same(y[0]!.compressed, want[1]!.compressed)).toBe(true);
    pool.recycle(x[0]!.compressed.buffer);
    pool.recycle(y[0]!.compressed.buffer);
  });

  it('a stale recycle() while the buffer is in a batch is ignored: its results stay intact', async () => {
    // A pool of its own: its only spare result buffer is the one recycled here.
    const pool = new NodeChunkPool({ threads: 1 });
    try {
      await staleRecycle(pool);
    } finally {
      await pool.close();
    }
  });

  async function staleRecycle(pool: NodeChunkPool): Promise<void> {
    const a = await pool.compress('lzo', [{ index: 0, data: chunk(6) }]);
    const first = a[0]!.compressed.buffer;
    pool.recycle(first);
    const p = pool.compress('lzo', [{ index: 0, data: chunk(7) }]);
    pool.recycle(first); // the batch above holds it now
    const held = await p;
    expect(held[0]!.compressed.buffer).toBe(first);
    const later = await pool.compress('lzo', [{ index: 0, data: chunk(8) }]);
    expect(later[0]!.compressed.buffer).not.toBe(first);
    const want = await new InlineChunkPool().compress('lzo', [{ index: 0, data: chunk(7) }]);
    expect(same(held[0]!.compressed, want[0]!.compressed)).toBe(true);
  }

  it('buffers this pool did not hand out are ignored', async () => {
    pool.recycle(new SharedArrayBuffer(8 << 20));
    pool.recycle(new ArrayBuffer(8 << 20));
    const r = await pool.compress('lzo', [{ index: 0, data: chunk(6) }]);
    const want = (await new InlineChunkPool().compress('lzo', [{ index: 0, data: chunk(6) }]))[0]!.compressed;
    expect(same(r[0]!.compressed, want)).toBe(true);
  });
});
