/**
 * Images written by writeImage() read back bit-exact, with the kernel's slot
 * layout, counters, CRC and log lines. Oracles: the fixture layout facts
 * (map pages at 1, 513, …), zlib's CRC-32 (crc32_le(c, b) = ~zlib.crc32(b, ~c)),
 * the native lzo / lz4 npm codecs, and the kernel's progress rule.
 */
import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InlineChunkPool } from '../../src/power/compress/pool.js';
import type { ImageFormatEra } from '../../src/power/image/format-era.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { MemoryDevice } from '../../src/power/image/source.js';
import type { ArchHeaderInput } from '../../src/power/image/swsusp-info.js';
import { type PageRecord, type WriteImageOptions, writeImage } from '../../src/power/image/writer.js';
import { type GenPages, genPages } from './gen.js';

const require = createRequire(import.meta.url);
const lzo = require('lzo') as { decompress(b: Buffer, len?: number): Buffer };
const lz4 = require('lz4') as { decodeBlock(input: Buffer, output: Buffer): number };

const ARCH_612: ArchHeaderInput = {
  era: '5.13-crc32',
  jumpAddress: 0xffffffff8121f000n,
  jumpAddressPhys: 0x121f000n,
  cr3: 0x53b000n,
  e820Checksum: 0xa5445455,
};
const ARCH_310: ArchHeaderInput = {
  era: '4.7-4.9',
  jumpAddress: 0xffffffff816a0000n,
  jumpAddressPhys: 0x16a0000n,
  cr3: 0x1c0e000n,
};

function zlibCrc32Le(crc: number, b: Uint8Array): number {
  return ~(zlib as unknown as { crc32(d: Uint8Array, v: number): number }).crc32(b, ~crc >>> 0) >>> 0;
}

function* recordsOf(g: GenPages): Generator<PageRecord> {
  for (let i = 0; i < g.pfns.length; i++) yield { pfn: g.pfns[i]!, bytes: g.data[i] ?? null };
}

async function write(
  g: GenPages,
  format: ImageFormatEra,
  compressor: WriteImageOptions['compressor'],
  devicePages = 4096,
  extra: Partial<WriteImageOptions> = {},
) {
  const dev = new MemoryDevice(devicePages * 4096);
  const lines: string[] = [];
  const res = await writeImage(dev, { pfns: g.pfns, zero: g.zero, count: g.pfns.length }, recordsOf(g), {
    format,
    arch: format === '6.x' ? ARCH_612 : ARCH_310,
    numPhyspages: 98168,
    compressor,
    fresh: { devicePages, label: 'TEST', uuidSeed: 7 },
    log: (l) => lines.push(l),
    clock: () => 0,
    ...extra,
  });
  return { dev, res, lines };
}

async function readBack(dev: MemoryDevice): Promise<{ pfn: number; bytes: Uint8Array | null }[]> {
  const r = ImageReader.open(dev);
  const out: { pfn: number; bytes: Uint8Array | null }[] = [];
  for await (const p of r.pages()) out.push({ pfn: p.pfn, bytes: p.bytes ? p.bytes.slice() : null });
  return out;
}

function expectSame(g: GenPages, got: { pfn: number; bytes: Uint8Array | null }[]) {
  expect(got.length).toBe(g.pfns.length);
  for (let i = 0; i < got.length; i++) {
    expect(got[i]!.pfn).toBe(g.pfns[i]);
    if (g.data[i] === null) expect(got[i]!.bytes).toBeNull();
    else if (Buffer.compare(Buffer.from(got[i]!.bytes!), Buffer.from(g.data[i]!)) !== 0) {
      throw new Error(`page ${i} (pfn 0x${g.pfns[i]!.toString(16)}) differs`);
    }
  }
}

/** The uncompressed stream (meta pages + data pages) built independently of the writer. */
function oracleStream(g: GenPages): Uint8Array[] {
  const n = g.pfns.length;
  const meta = Math.ceil(n / 512);
  const pages: Uint8Array[] = [];
  for (let m = 0; m < meta; m++) {
    const p = new Uint8Array(4096);
    const dv = new DataView(p.buffer);
    for (let j = 0; j < 512; j++) {
      const i = m * 512 + j;
      if (i >= n) {
        dv.setBigUint64(j * 8, 0xffffffffffffffffn, true);
        break;
      }
      dv.setBigUint64(j * 8, BigInt(g.pfns[i]!) | (g.zero[i] ? 1n << 63n : 0n), true);
    }
    pages.push(p);
  }
  for (const d of g.data) if (d) pages.push(d);
  return pages;
}

describe('writeImage → ImageReader round trip', () => {
  for (const format of ['6.x', '3.10'] as const) {
    for (const comp of ['lzo', 'lz4', 'none'] as const) {
      if (format === '3.10' && comp === 'lz4') continue;
      for (const zeroMode of format === '6.x' ? [true, false] : [false]) {
        it(`${format} ${comp} ${zeroMode ? 'with' : 'without'} zero pages`, async () => {
          const g = genPages(
            comp.length * 31 + (zeroMode ? 1 : 0) + (format === '3.10' ? 100 : 0),
            1300,
            zeroMode,
          );
          const { dev, res, lines } = await write(g, format, comp);
          expectSame(g, await readBack(dev));
          const r = ImageReader.open(dev);
          const zeros = g.zero.reduce((a, b) => a + b, 0);
          expect(r.info.imagePages).toBe(1300 - zeros);
          expect(r.info.nrMetaPages).toBe(Math.ceil(1300 / 512));
          expect(r.info.pages).toBe(1300 - zeros + 3 + 1);
          expect(r.swsusp.image).toBe(1);
          expect(r.swsusp.origSig).toBe('SWAPSPACE2');
          // Slots: map pages at 1, 513, 1025 … and the header page at 2.
          expect(r.map.mapPages.slice(0, 3)).toEqual([1, 513, 1025].slice(0, r.map.mapPages.length));
          expect(r.map.entries[0]).toBe(2);
          expect(r.info.arch.era).toBe(format === '6.x' ? '5.13-crc32' : '4.7-4.9');
          const stream = oracleStream(g);
          if (comp === 'none') {
            expect(r.swsusp.flags).toBe(2);
            expect(r.swsusp.crc32).toBe(0);
            expect(r.map.entries.length).toBe(1 + stream.length);
          } else {
            let crc = 0;
            for (const p of stream) crc = zlibCrc32Le(crc, p);
            expect(r.swsusp.crc32).toBe(crc);
            expect(res.crc32).toBe(crc);
            expect(r.swsusp.flags).toBe(comp === 'lz4' ? 20 : 4);
            expect(r.chunks().length).toBe(Math.ceil(stream.length / 32));
            // Every chunk decodes with the native codec to the oracle's stream pages.
            for (const c of r.chunks()) {
              const raw = Buffer.from(r.chunkBytes(c));
              const want = Buffer.concat(stream.slice(c.firstStreamPage, c.firstStreamPage + c.uncPages));
              let got: Buffer;
              if (comp === 'lzo') got = lzo.decompress(raw, 131072);
              else {
                got = Buffer.alloc(131072);
                got = got.subarray(0, lz4.decodeBlock(raw, got));
              }
              expect(Buffer.compare(got, want)).toBe(0);
            }
            expect(res.compressedBytes).toBe(r.chunks().reduce((a, c) => a + c.cmpLen, 0));
          }
          // Log lines: the kernel's spellings and the 10% progress rule.
          const nr = stream.length;
          const m = Math.floor(nr / 10) || 1;
          const expectedProgress: string[] = [];
          for (let k = 0; k < nr; k++)
            if (k % m === 0)
              expectedProgress.push(`PM: Image saving progress: ${String((k / m) * 10).padStart(3)}%`);
          expect(lines.filter((l) => l.includes('progress'))).toEqual(expectedProgress);
          if (format === '6.x' && comp !== 'none') {
            expect(lines[0]).toBe(`PM: Using 1 thread(s) for ${comp} compression`);
            expect(lines[1]).toBe(`PM: Compressing and saving image data (${nr} pages)...`);
            expect(lines).toContain(
              `PM: Image size after compression: ${Math.floor(res.compressedBytes / 1024)} kbytes`,
            );
            expect(lines).toContain(
              `PM: hibernation: Wrote ${nr * 4} kbytes in 0.01 seconds (${Math.floor((nr * 4 * 100) / 1000)}.${String(Math.floor(((nr * 4 * 100) % 1000) / 10)).padStart(2, '0')} MB/s)`,
            );
          }
          if (format === '3.10' && comp !== 'none') {
            expect(lines[0]).toBe('PM: Using 1 thread(s) for compression.');
            expect(lines).toContain('PM: Image saving done.');
            expect(lines.some((l) => l.startsWith('PM: Wrote '))).toBe(true);
          }
          if (comp === 'none') expect(lines[0]).toBe(`PM: Saving image data pages (${nr} pages)...`);
          const rep = await r.verify();
          expect(rep.ok).toBe(true);
        });
      }
    }
  }

  it('is deterministic: same input, same bytes', async () => {
    const g = genPages(5, 700, true);
    const a = await write(g, '6.x', 'lzo');
    const b = await write(g, '6.x', 'lzo');
    expect(Buffer.compare(Buffer.from(a.dev.bytes), Buffer.from(b.dev.bytes))).toBe(0);
  });

  it('random access by pfn matches the input', async () => {
    const g = genPages(9, 900, true);
    const { dev } = await write(g, '6.x', 'lz4');
    const r = ImageReader.open(dev);
    for (const i of [0, 1, 100, 511, 512, 777, 899]) {
      const got = r.readPfn(g.pfns[i]!);
      if (g.data[i] === null) expect(got).toBe('zero');
      else expect(Buffer.compare(Buffer.from(got as Uint8Array), Buffer.from(g.data[i]!))).toBe(0);
    }
    expect(r.readPfn(g.pfns[899]! + 1)).toBeNull();
  });

  it('respects the threads rule, bad pages and hw_sig', async () => {
    const g = genPages(11, 200, false);
    const { dev, lines, res } = await write(g, '6.x', 'lzo', 4096, {
      cpus: 8,
      hwSig: 0x1234abcd,
      platformMode: true,
    });
    expect(lines[0]).toBe('PM: Using 3 thread(s) for lzo compression');
    expect(res.threads).toBe(3);
    const r = ImageReader.open(dev);
    expect(r.swsusp.flags).toBe(1 | 4 | 8);
    expect(r.swsusp.hwSig).toBe(0x1234abcd);
    await expect(r.verify()).resolves.toMatchObject({ ok: true });
  });

  it('refuses nocompress when enough_swap() fails, and runs out of slots with -ENOSPC', async () => {
    const g = genPages(12, 300, false);
    await expect(write(g, '6.x', 'none', 1024)).rejects.toMatchObject({ code: 'NOT_ENOUGH_SWAP' });
    await expect(write(g, '6.x', 'lzo', 8)).rejects.toMatchObject({ code: 'SWAP_NO_SPACE' });
  });

  it('property: random small page sets round-trip (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1100 }),
        fc.constantFrom<WriteImageOptions['compressor']>('lzo', 'lz4', 'none'),
        fc.boolean(),
        async (seed, n, comp, zeroMode) => {
          const g = genPages(seed, n, zeroMode);
          const { dev } = await write(g, '6.x', comp, 4096, { pool: new InlineChunkPool() });
          expectSame(g, await readBack(dev));
        },
      ),
      { numRuns: 25, seed: 42 },
    );
  });
});
