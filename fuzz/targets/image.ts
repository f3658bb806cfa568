/**
 * Hibernation images → ImageReader: swap header, swsusp header, swap map walk,
 * swsusp_info, meta pages, every chunk decompressed and CRC-checked (verify),
 * random access by pfn, and the summary `image info` prints. Seeds are small
 * images written by writeImage() in both format eras and all three
 * compressions; hot offsets point the binary mutations at the header fields,
 * the swap-map entries and the chunk lengths.
 */

import { HiblabError } from '../../src/errors.js';
import type { ImageFormatEra } from '../../src/power/image/format-era.js';
import {
  ImageReader,
  MemoryDevice,
  MemorySource,
  summarizeImage,
  writeImage,
} from '../../src/power/image/index.js';
import type { ArchHeaderInput } from '../../src/power/image/swsusp-info.js';
import { genPages } from '../../test/image/gen.js';
import { FUZZ_FILE, type FuzzTarget } from '../lib/types.js';

const ARCH: Record<ImageFormatEra, ArchHeaderInput> = {
  '6.1': {
    era: '5.13-crc32',
    jumpAddress: 0xffffffff81000000n,
    jumpAddressPhys: 0x1000000n,
    cr3: 0x2a0e000n,
    e820Checksum: 0x1234,
  },
  '6.x': {
    era: '5.13-crc32',
    jumpAddress: 0xffffffff81000000n,
    jumpAddressPhys: 0x1000000n,
    cr3: 0x2a0e000n,
    e820Checksum: 0x1234,
  },
  '3.10': { era: '4.7-4.9', jumpAddress: 0xffffffff816a0000n, jumpAddressPhys: 0x16a0000n, cr3: 0x1c0e000n },
};

interface Seed {
  bytes: Uint8Array;
  hot: number[];
}

let seedCache: Seed[] | undefined;

/** Structure offsets of an image: page 0 fields, map pages, the header page, chunk heads. */
function hotOffsetsOf(bytes: Uint8Array): number[] {
  const hot = [0xff6, 0xff6 - 4, 0xff6 - 8, 0xff6 - 12, 0xff6 - 16, 0xff6 - 24, 0xff6 - 32, 1024, 1028, 1032];
  const r = ImageReader.open(new MemorySource(bytes));
  for (const m of r.map.mapPages)
    for (let k = 0; k < 4096; k += 8 * 37) hot.push(m * 4096 + k, m * 4096 + 4088);
  const info = r.map.entries[0]! * 4096;
  for (let k = 0; k < 448; k += 8) hot.push(info + k);
  for (const c of r.chunks().slice(0, 16))
    hot.push(r.map.entries[c.entry]! * 4096, r.map.entries[c.entry]! * 4096 + 4);
  // first meta page entries
  const meta = r.compressor ? undefined : r.map.entries[1];
  if (meta !== undefined) for (let k = 0; k < 64; k += 8) hot.push(meta * 4096 + k);
  return hot;
}

async function seeds(): Promise<Seed[]> {
  if (seedCache) return seedCache;
  const out: Seed[] = [];
  let i = 0;
  for (const format of ['6.x', '3.10'] as const) {
    for (const compressor of ['lzo', 'lz4', 'none'] as const) {
      if (format === '3.10' && compressor === 'lz4') continue;
      const n = 40 + 30 * i;
      const g = genPages(100 + i++, n, format === '6.x');
      const devicePages = n + 1200; // the writer keeps PAGES_FOR_IO (1024) free
      const dev = new MemoryDevice(devicePages * 4096);
      await writeImage(
        dev,
        { pfns: g.pfns, zero: g.zero, count: n },
        g.pfns.map((pfn, k) => ({ pfn, bytes: g.data[k] ?? null })),
        {
          format,
          arch: ARCH[format],
          numPhyspages: 98168,
          compressor,
          fresh: { devicePages, label: 'FUZZ', uuidSeed: 7 },
          log: () => undefined,
          clock: () => 0,
        },
      );
      // Keep the device only up to its last used page (the mkswap header still says the full size).
      const r = ImageReader.open(new MemorySource(dev.bytes));
      const last = Math.max(...r.map.entries, ...r.map.mapPages);
      const bytes = dev.bytes.slice(0, (last + 1) * 4096);
      out.push({ bytes, hot: hotOffsetsOf(bytes) });
    }
  }
  seedCache = out;
  return out;
}

export const image: FuzzTarget = {
  name: 'image',
  description: 'swap device bytes → ImageReader.open, summary, verify (all chunks, CRC), metaList, readPfn',
  seeds: async () => (await seeds()).map((s) => s.bytes),
  hotOffsets: (i) => seedCache?.[i]?.hot ?? [],
  dictionary: ['S1SUSPEND\0', 'SWAPSPACE2', 'SWAP-SPACE', 'LINHIB0001', 'ULSUSPEND\0'],
  maxBytes: 2 << 20,
  timeLimitMs: 3000,
  async run(input) {
    let r: ImageReader;
    try {
      r = ImageReader.open(new MemorySource(input));
    } catch (e) {
      // Parsers do not know the file name; the CLI adds it (openImageFile), so add it here too.
      if (e instanceof HiblabError) e.withFile(FUZZ_FILE);
      throw e;
    }
    try {
      summarizeImage(r);
      const meta = r.metaList();
      if (meta.count > 0) {
        r.readPfn(meta.firstPfn!);
        r.readPfn(meta.lastPfn!);
      }
      r.readPfn(0x12345);
      await r.verify({ log: () => undefined });
    } catch (e) {
      if (e instanceof HiblabError) e.withFile(FUZZ_FILE);
      throw e;
    }
  },
};
