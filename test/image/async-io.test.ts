/**
 * Image writes that complete later (a BlockSink whose writePage/writePages
 * return promises, as an asynchronous device would): whatever order the
 * device finishes them in, the image bytes and CRC are those of the
 * synchronous path; and FileSwapDevice's file reads back as a memory device.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SYNTH_ARCH } from '../../bench/codecs.js';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { FileSwapDevice } from '../../src/node/swap-file.js';
import { InlineChunkPool } from '../../src/power/compress/pool.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { type BlockSink, MemoryDevice, type ReadSource } from '../../src/power/image/source.js';
import { type PageRecord, writeImage } from '../../src/power/image/writer.js';
import { Prng } from '../../src/util/prng.js';
import { pageMix, same } from '../compress/data.js';

const PAGES = 1500; // > 511 map entries: some chunks have a swap map page inside
const DEVICE_PAGES = 3000; // nocompress needs more than PAGES_FOR_IO + pages free
const data = pageMix(PAGES, 7);
const pfns = Float64Array.from({ length: PAGES }, (_, i) => 0x200 + i * 2);
const page = (i: number) => data.subarray(i * 4096, (i + 1) * 4096);

function* records(): Generator<PageRecord> {
  for (let i = 0; i < PAGES; i++) yield { pfn: pfns[i]!, bytes: page(i) };
}

function write(
  sink: BlockSink,
  pool: NodeChunkPool | InlineChunkPool,
  batchChunks?: number,
  compressor: 'lzo' | 'none' = 'lzo',
) {
  return writeImage(sink, { pfns, count: PAGES }, records(), {
    format: '6.x',
    arch: SYNTH_ARCH,
    numPhyspages: PAGES,
    compressor,
    fresh: { devicePages: DEVICE_PAGES, label: 'AIO', uuidSeed: 5 },
    threads: 2,
    pool,
    batchChunks,
  });
}

/** A few event-loop turns, `n` of them. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/**
 * A device whose writePages() settle after a random number of turns (so out
 * of order), taking the caller's bytes only then: a writer that refilled or
 * gave back a buffer before its write settled would leave other bytes.
 */
class LateDevice implements BlockSink {
  private readonly rnd: Prng;
  constructor(
    readonly dev: MemoryDevice,
    seed: number,
    private readonly maxTurns = 6,
  ) {
    this.rnd = new Prng(seed);
  }
  writePage(swapPage: number, bytes: Uint8Array): void {
    this.dev.writePage(swapPage, bytes);
  }
  async writePages(swapPage: number, bytes: Uint8Array): Promise<void> {
    await turns(this.rnd.below(this.maxTurns));
    this.dev.writePage(swapPage, bytes);
  }
}

/** Every stream chunk's bytes (copied) and the CRC. */
async function readAll(src: ReadSource, pool: NodeChunkPool) {
  const chunks: Uint8Array[] = [];
  const it = ImageReader.open(src).stream({ pool, batchChunks: 3, reuse: true });
  for (;;) {
    const r = await it.next();
    if (r.done) return { chunks, crc: r.value };
    chunks.push(r.value.data.slice());
  }
}

describe('asynchronous image writes', () => {
  const pool = new NodeChunkPool({ threads: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'hiblab-aio-'));
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes that settle out of order give the bytes of the synchronous path (compressed and nocompress)', async () => {
    const plain = new MemoryDevice(DEVICE_PAGES * 4096);
    const ref = await write(plain, new InlineChunkPool());
    const plainNc = new MemoryDevice(DEVICE_PAGES * 4096);
    await write(plainNc, new InlineChunkPool(), undefined, 'none');
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (seed, batchChunks, nocompress) => {
          // nocompress: every run is in the writer's own two buffers.
          const late = new LateDevice(new MemoryDevice(DEVICE_PAGES * 4096), seed);
          const res = await write(late, pool, batchChunks, nocompress ? 'none' : 'lzo');
          if (!nocompress) expect(res.crc32).toBe(ref.crc32);
          expect(same(late.dev.bytes, nocompress ? plainNc.bytes : plain.bytes)).toBe(true);
        },
      ),
      { numRuns: 16 },
    );
  });

  it('FileSwapDevice: the file holds the image the memory device gets, and reads it back', async () => {
    const plain = new MemoryDevice(DEVICE_PAGES * 4096);
    const ref = await write(plain, pool);
    const file = new FileSwapDevice(DEVICE_PAGES, join(dir, 'swap.img'));
    try {
      const res = await write(file, pool, 5);
      expect(res.crc32).toBe(ref.crc32);
      file.seal(); // writes out the gathered pages (page 0, the last map page)
      expect(same(new Uint8Array(readFileSync(file.path)), plain.bytes)).toBe(true);
      // The resume kernel's signature reset lands in the overlay; reads see it.
      const page0 = file.readAt(0, 4096);
      page0.fill(0x5a, 4086, 4096);
      file.writePage(0, page0);
      const into = new Uint8Array(8192);
      expect(file.readInto(0, into)).toBe(8192);
      expect(same(into.subarray(0, 4096), page0)).toBe(true);
      expect(same(into.subarray(4096), plain.bytes.subarray(4096, 8192))).toBe(true);
      file.writePage(0, plain.bytes.subarray(0, 4096));
      const want = await readAll(plain, pool);
      const got = await readAll(file, pool);
      expect(got.crc).toBe(ref.crc32);
      expect(got.chunks.length).toBe(want.chunks.length);
      for (let i = 0; i < want.chunks.length; i++) expect(same(got.chunks[i]!, want.chunks[i]!)).toBe(true);
    } finally {
      file.remove();
    }
  });
});
