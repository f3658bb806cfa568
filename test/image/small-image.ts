/**
 * A small 6.x-format image of genPages() pages on an in-memory device, as the
 * reader tests need one (the arch fields are placeholders: these tests read
 * the image back, they do not resume it).
 */
import { MemoryDevice } from '../../src/power/image/source.js';
import { writeImage } from '../../src/power/image/writer.js';
import { genPages } from './gen.js';

export async function writeSmallImage(
  seed: number,
  n: number,
  comp: 'lzo' | 'lz4' | 'none',
  devicePages: number,
): Promise<Uint8Array> {
  const g = genPages(seed, n, true);
  const dev = new MemoryDevice(devicePages * 4096);
  await writeImage(
    dev,
    { pfns: g.pfns, zero: g.zero, count: n },
    g.pfns.map((pfn, i) => ({ pfn, bytes: g.data[i] ?? null })),
    {
      format: '6.x',
      arch: { era: '5.13-crc32', jumpAddress: 1n, jumpAddressPhys: 2n, cr3: 3n, e820Checksum: 4 },
      numPhyspages: 1000,
      compressor: comp,
      fresh: { devicePages },
    },
  );
  return dev.bytes;
}
