/**
 * The image writer's and reader's fast paths (batched writePages(), pool
 * input-buffer lending, result-buffer recycling, FileSource.readInto) give
 * the same bytes as the plain paths, and the pages read back are the pages
 * written (the generator's data is the oracle).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SYNTH_ARCH } from '../../bench/codecs.js';
import { crc32Le } from '../../src/lib/crc32.js';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { FileSource } from '../../src/node/image-file.js';
import { UNC_SIZE } from '../../src/power/compress/compressor.js';
import { InlineChunkPool } from '../../src/power/compress/pool.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { type BlockSink, MemoryDevice } from '../../src/power/image/source.js';
import { type PageRecord, writeImage } from '../../src/power/image/writer.js';
import { pageMix, same } from '../compress/data.js';

const PAGES = 1500; // > 511 map entries: some chunks have a swap map page inside
const DEVICE_PAGES = 2400;
const NC_DEVICE_PAGES = 2600;
const data = pageMix(PAGES, 99);
const pfns = Float64Array.from({ length: PAGES }, (_, i) => 0x100 + i * 3);
const page = (i: number) => data.subarray(i * 4096, (i + 1) * 4096);

function* syncRecords(): Generator<PageRecord> {
  for (let i = 0; i < PAGES; i++) yield { pfn: pfns[i]!, bytes: page(i) };
}
async function* asyncRecords(): AsyncGenerator<PageRecord> {
  // One buffer refilled for every record, as the PageRecord contract allows.
  const buf = new Uint8Array(4096);
  for (let i = 0; i < PAGES; i++) {
    buf.set(page(i));
    yield { pfn: pfns[i]!, bytes: buf };
  }
}

/** A sink with writePage() only (the writer's unbatched path). */
class PageOnlySink implements BlockSink {
  constructor(readonly dev: MemoryDevice) {}
  writePage(swapPage: number, bytes: Uint8Array): void {
    this.dev.writePage(swapPage, bytes);
  }
}

/**
 * A sink whose writes complete later: it reads `bytes` only after an await,
 * so the writer must not refill a buffer before the returned promise settles.
 */
class LateSink implements BlockSink {
  constructor(readonly dev: MemoryDevice) {}
  async writePage(swapPage: number, bytes: Uint8Array): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.dev.writePage(swapPage, bytes);
  }
  async writePages(swapPage: number, bytes: Uint8Array): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (let p = 0; p < bytes.length / 4096; p++)
      this.dev.writePage(swapPage + p, bytes.subarray(p * 4096, (p + 1) * 4096));
  }
}

async function write(
  sink: BlockSink,
  records: Iterable<PageRecord> | AsyncIterable<PageRecord>,
  extra: { pool?: NodeChunkPool | InlineChunkPool; batchChunks?: number; compressor?: 'none' } = {},
) {
  // nocompress needs more than PAGES_FOR_IO + pages free (enough_swap()).
  const devicePages = extra.compressor === 'none' ? NC_DEVICE_PAGES : DEVICE_PAGES;
  return writeImage(sink, { pfns, count: PAGES }, records, {
    format: '6.x',
    arch: SYNTH_ARCH,
    numPhyspages: PAGES,
    compressor: 'lzo',
    fresh: { devicePages, label: 'IO', uuidSeed: 3 },
    threads: 2,
    ...extra,
  });
}

describe('image I/O fast paths', () => {
  const pool = new NodeChunkPool({ threads: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'hiblab-io-'));
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('batched, lent and recycled writes give the same device bytes as the plain path', async () => {
    const plain = new MemoryDevice(DEVICE_PAGES * 4096);
    const ref = await write(new PageOnlySink(plain), syncRecords(), { pool: new InlineChunkPool() });
    for (const [records, batchChunks, p] of [
      [syncRecords, undefined, pool],
      [asyncRecords, 3, pool],
      [syncRecords, 1, pool],
      // The inline pool's chunk records (a sink with writePages() asks for them).
      [syncRecords, undefined, new InlineChunkPool()],
    ] as const) {
      const dev = new MemoryDevice(DEVICE_PAGES * 4096);
      const res = await write(dev, records(), { pool: p, batchChunks });
      expect(res.crc32).toBe(ref.crc32);
      expect(same(dev.bytes, plain.bytes)).toBe(true);
    }
    for (const pageOnly of [false, true]) {
      const late = new MemoryDevice(DEVICE_PAGES * 4096);
      const sink = new LateSink(late);
      const res = await write(
        pageOnly ? { writePage: (p: number, b: Uint8Array) => sink.writePage(p, b) } : sink,
        syncRecords(),
        { pool },
      );
      expect(res.crc32).toBe(ref.crc32);
      expect(same(late.bytes, plain.bytes)).toBe(true);
    }
    // hibernate=nocompress: one swap page per stream page, same rule.
    const plainNc = new MemoryDevice(NC_DEVICE_PAGES * 4096);
    await write(new PageOnlySink(plainNc), syncRecords(), { compressor: 'none' });
    for (const sink of [
      (d: MemoryDevice) => d,
      (d: MemoryDevice) => new LateSink(d),
      (d: MemoryDevice) => {
        const l = new LateSink(d);
        return { writePage: (p: number, b: Uint8Array) => l.writePage(p, b) };
      },
    ]) {
      const dev = new MemoryDevice(NC_DEVICE_PAGES * 4096);
      await write(sink(dev), syncRecords(), { compressor: 'none' });
      expect(same(dev.bytes, plainNc.bytes)).toBe(true);
    }
    expect(ref.chunks).toBe(Math.ceil((PAGES + ref.nrMetaPages) / 32));
  });

  it('FileSource.readInto + pool lending + reuse read back the written pages', async () => {
    const dev = new MemoryDevice(DEVICE_PAGES * 4096);
    const res = await write(dev, syncRecords(), { pool });
    const file = join(dir, 'image.swap');
    writeFileSync(file, dev.bytes);
    const src = new FileSource(file);
    try {
      const into = new Uint8Array(5000).fill(0xee);
      expect(src.readInto(4096, into)).toBe(5000);
      expect(same(into, dev.bytes.subarray(4096, 9096))).toBe(true);
      expect(src.readInto(dev.bytes.length - 100, into)).toBe(100);

      const reader = ImageReader.open(src);
      // Small groups: many lent scratch buffers and recycled result buffers.
      const it = reader.pages({ pool, batchChunks: 3, reuse: true });
      let i = 0;
      let crc = 0;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          expect(r.value.ok).toBe(true);
          expect(r.value.crc32Computed).toBe(res.crc32);
          break;
        }
        expect(r.value.pfn).toBe(pfns[i]);
        expect(same(r.value.bytes!, page(i))).toBe(true);
        crc = crc32Le(crc, r.value.bytes!);
        i++;
      }
      expect(i).toBe(PAGES);
      expect(crc).toBe(crc32Le(0, data));
      expect((await ImageReader.open(src).verify({ pool })).ok).toBe(true);
    } finally {
      src.close();
    }
  });

  it('a lent input buffer is taken over by the call; recycle() twice is harmless', async () => {
    const inline = await new InlineChunkPool().compress('lzo', [
      { index: 0, data: data.subarray(0, UNC_SIZE) },
    ]);
    const buf = pool.inputBuffer(2 * UNC_SIZE);
    buf.set(data.subarray(0, 2 * UNC_SIZE));
    const jobs = [
      { index: 1, data: buf.subarray(UNC_SIZE, 2 * UNC_SIZE) },
      { index: 0, data: buf.subarray(0, UNC_SIZE) },
    ];
    const out = await pool.compress('lzo', jobs);
    expect(buf.buffer).toBeInstanceOf(SharedArrayBuffer); // read by the worker in place, not copied
    expect(out.map((r) => r.index)).toEqual([0, 1]);
    expect(same(out[0]!.compressed, inline[0]!.compressed)).toBe(true);
    expect(out[1]!.crc).toBe(crc32Le(0, data.subarray(UNC_SIZE, 2 * UNC_SIZE)));
    const copy = out.map((r) => r.compressed.slice());
    pool.recycle(out[0]!.compressed.buffer);
    pool.recycle(out[0]!.compressed.buffer);
    const back = await pool.decompress(
      'lzo',
      copy.map((compressed, index) => ({ index, compressed })),
    );
    expect(same(back[0]!.data, data.subarray(0, UNC_SIZE))).toBe(true);
    expect(same(back[1]!.data, data.subarray(UNC_SIZE, 2 * UNC_SIZE))).toBe(true);
  });
});
