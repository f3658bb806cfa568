/**
 * Chunks the pool's workers read from the image file themselves
 * (ReadSource.hostFile + ChunkPool FileFill, LZO streams straight into the
 * worker's WebAssembly memory) give what the caller's own reads give: the
 * same pages and CRC for a good image, the same FormatError (code, message,
 * offset) for a damaged or cut one (the same pool reading from memory is the
 * oracle; an inline pool's good-image outcome too), also where a chunk has a swap map page
 * inside or an overlaid page. And the pool's claim ring: every batch runs
 * once, whichever worker takes it, also past the ring's wrap.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../../src/errors.js';
import { NodeChunkPool } from '../../src/node/compress-pool.js';
import { FileSource } from '../../src/node/image-file.js';
import { InlineChunkPool } from '../../src/power/compress/pool.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { MemorySource, OverlayDevice, type ReadSource } from '../../src/power/image/source.js';
import { genPages } from './gen.js';
import { writeSmallImage } from './small-image.js';

const N = 1500; // > 511 map entries: some chunks have a swap map page inside

function image(comp: 'lzo' | 'lz4'): Promise<Uint8Array> {
  return writeSmallImage(91, N, comp, 1900);
}

type Outcome =
  | { error: string; message: string; offset: number | undefined }
  | { pages: number; crc: number };

/** Every page (pfn + a digest of its bytes) and the report, or the FormatError. */
async function readAll(src: ReadSource, pool: NodeChunkPool | InlineChunkPool): Promise<Outcome> {
  try {
    const it = ImageReader.open(src).pages({ pool, batchChunks: 5 });
    let h = 0;
    let pages = 0;
    for (;;) {
      const r = await it.next();
      if (r.done) return { pages, crc: (h ^ (r.value.crc32Computed ?? 0)) >>> 0 };
      pages++;
      h = Math.imul(h ^ r.value.pfn, 0x9e3779b1);
      const b = r.value.bytes;
      if (b) for (let i = 0; i < b.length; i += 61) h = Math.imul(h ^ b[i]!, 0x85ebca6b);
    }
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { error: e.code, message: e.message, offset: e.location.offset };
  }
}

describe('workers read chunks from the image file', () => {
  const pool = new NodeChunkPool({ threads: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'hiblab-wreads-'));
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let k = 0;
  /** The same bytes through a file (workers read) and through memory (read here). */
  async function both(bytes: Uint8Array, overlay?: number) {
    const file = join(dir, `img-${k++}.swap`);
    writeFileSync(file, bytes);
    const fsrc = new FileSource(file);
    try {
      const mem = new OverlayDevice(new MemorySource(bytes));
      const dev = new OverlayDevice(fsrc);
      if (overlay !== undefined) {
        // A page written over the image (as the signature reset does page 0): that span is read here.
        const p = new Uint8Array(4096).fill(0x5a);
        mem.writePage(overlay, p);
        dev.writePage(overlay, p);
      }
      const viaFile = await readAll(overlay === undefined ? fsrc : dev, pool);
      // The same pool reading from memory: the caller's thread reads every chunk.
      expect(viaFile).toEqual(await readAll(mem, pool));
      return viaFile;
    } finally {
      fsrc.close();
    }
  }

  it('a good image: same pages and CRC (LZO and LZ4, chunks across map pages)', async () => {
    for (const comp of ['lzo', 'lz4'] as const) {
      const img = await image(comp);
      const out = await both(img);
      expect('pages' in out && out.pages).toBe(N);
      expect(out).toEqual(await readAll(new MemorySource(img), new InlineChunkPool()));
    }
  });

  it('damaged, cut and overlaid images: the same outcome as reading on the main thread', async () => {
    const imgs = { lzo: await image('lzo'), lz4: await image('lz4') };
    const chunks = {
      lzo: ImageReader.open(new MemorySource(imgs.lzo)).chunks(),
      lz4: ImageReader.open(new MemorySource(imgs.lz4)).chunks(),
    };
    const entries = {
      lzo: ImageReader.open(new MemorySource(imgs.lzo)).map.entries,
      lz4: ImageReader.open(new MemorySource(imgs.lz4)).map.entries,
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('lzo' as const, 'lz4' as const),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom('flip', 'cut', 'overlay'),
        async (comp, ci, at, x, how) => {
          const cs = chunks[comp];
          const c = cs[ci % cs.length]!;
          const off = entries[comp][c.entry]! * 4096 + 8 + (at % c.cmpLen);
          if (how === 'cut') {
            await both(imgs[comp].subarray(0, off));
            return;
          }
          if (how === 'overlay') {
            await both(imgs[comp], Math.floor(off / 4096));
            return;
          }
          const b = imgs[comp].slice();
          b[off]! ^= x;
          await both(b);
        },
      ),
      { numRuns: 40, seed: 14 },
    );
  });

  it('a file that shrinks after the reader opened it: a FormatError (READ_FAILED), not a worker failure', async () => {
    for (const comp of ['lzo', 'lz4'] as const) {
      const img = await image(comp);
      const file = join(dir, `img-${k++}.swap`);
      writeFileSync(file, img);
      const fsrc = new FileSource(file);
      try {
        const reader = ImageReader.open(fsrc);
        // The chunk headers read here first (so the main thread finds none cut off), then the file
        // cut to its header and first map pages: the workers' reads of the chunks come back short.
        expect(reader.chunks().length).toBeGreaterThan(0);
        const it = reader.pages({ pool, batchChunks: 5 });
        truncateSync(file, 3 * 4096);
        let err: unknown;
        try {
          for (;;) if ((await it.next()).done) break;
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(FormatError);
        const fe = err as FormatError;
        expect(fe.exitCode).not.toBe(70);
        expect(fe.code).toBe('READ_FAILED');
        expect(fe.message).toMatch(/cannot read the image: short read of .*img-/);
        expect(fe.location.offset).toBeGreaterThanOrEqual(3 * 4096);
      } finally {
        fsrc.close();
      }
    }
  });

  it('the claim ring: every batch runs once, past the ring wrap, on 3 workers', async () => {
    const p3 = new NodeChunkPool({ threads: 3, batchBytes: 4096 });
    try {
      const g = genPages(5, 8, false);
      const data = new Uint8Array(8 * 4096);
      for (let i = 0; i < 8; i++) if (g.data[i]) data.set(g.data[i]!, i * 4096);
      const ref = await new InlineChunkPool().compress('lzo', [{ index: 0, data }]);
      // 4600 requests (> the ring's 4096 entries), 200 at a time.
      for (let wave = 0; wave < 23; wave++) {
        const calls = [];
        for (let j = 0; j < 200; j++) calls.push(p3.compress('lzo', [{ index: j, data }]));
        for (const r of await Promise.all(calls)) {
          expect(r.length).toBe(1);
          expect(r[0]!.crc).toBe(ref[0]!.crc);
          expect(Buffer.from(r[0]!.compressed).equals(Buffer.from(ref[0]!.compressed))).toBe(true);
        }
      }
    } finally {
      await p3.close();
    }
  }, 120_000);
});
