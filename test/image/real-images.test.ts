/**
 * The shipped real kernel images: what `hiblab image info` reports must equal
 * what the kernel's console log printed and what the independent decoder
 * (decode.json) read; verify must pass; the hogmem pattern must be found
 * byte-exact at the pfns the guest recorded before hibernating.
 */
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/node/image-file.js';
import '../../src/node/install-fast-paths.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { decodeJson, pfnMap, readFixtureText, swapImagePath } from '../helpers/fixtures.js';
import { cli, hogmemPage } from './helpers.js';

const IMAGES = ['612-lzo', 'tiny612-lz4', 'tiny612-lzo', 'tiny612-nocompress'] as const;

type Obj = Record<string, unknown>;
const o = (x: unknown): Obj => x as Obj;

function logNumbers(run: string): {
  stream: number;
  copied: number;
  zero: number;
  pid: number;
  kbytes: number | null;
} {
  const log = readFixtureText(`kernel-images/runs/${run}/console-hibernate.log`);
  const stream = /(?:Compressing and saving image data|Saving image data pages) \((\d+) pages\)/.exec(log);
  const created = /Image created \((\d+) pages copied, (\d+) zero pages\)/.exec(log);
  const pid = /HOGMEM: ready pid=(\d+)/.exec(log);
  const kb = /Image size after compression: (\d+) kbytes/.exec(log);
  if (!stream || !created || !pid) throw new Error(`console log of ${run} lacks the expected PM lines`);
  return {
    stream: Number(stream[1]),
    copied: Number(created[1]),
    zero: Number(created[2]),
    pid: Number(pid[1]),
    kbytes: kb ? Number(kb[1]) : null,
  };
}

describe.each(IMAGES)('real image %s', (run) => {
  it('info --json matches the console log and the independent decoder', async () => {
    const path = swapImagePath(run);
    const r = await cli(['image', 'info', path, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Obj;
    const log = logNumbers(run);
    const stream = o(j.stream);
    const info = o(j.swsuspInfo);
    // Console log ground truth.
    expect(stream.streamPages).toBe(log.stream);
    expect(stream.copyPages).toBe(log.copied);
    expect(stream.zeroPages).toBe(log.zero);
    expect(info.imagePages).toBe(log.copied);
    if (log.kbytes !== null) expect(o(j.compression).kbytesAfterCompression).toBe(log.kbytes);
    // Independent decoder.
    const d = decodeJson(run);
    const dh = o(d.swsusp_header);
    const di = o(d.swsusp_info);
    const da = o(di.arch_x86_64_restore_data_record);
    const sw = o(j.swsusp);
    expect(sw.crc32).toBe(dh.crc32);
    expect(sw.flags).toBe(dh.flags);
    expect(sw.flagNames).toEqual(dh.flag_names);
    expect(sw.image).toBe(dh.image);
    expect(sw.origSig).toBe(dh.orig_sig);
    expect(info.imagePages).toBe(di.image_pages);
    expect(info.pages).toBe(di.pages);
    expect(info.numPhyspages).toBe(di.num_physpages);
    expect(info.nrMetaPages).toBe(di.nr_meta_pages);
    expect(info.size).toBe(di.size);
    const arch = o(j.arch);
    expect(arch.e820Checksum).toBe(da.e820_checksum);
    expect(arch.magic).toBe(da.magic);
    expect(arch.jumpAddress).toBe(da.jump_address);
    expect(arch.jumpAddressPhys).toBe(da.jump_address_phys);
    expect(arch.cr3).toBe(da.cr3);
    const dm = o(d.swap_map);
    expect(o(j.swapMap).mapPages).toBe(dm.n_map_pages);
    expect(o(j.swapMap).entries).toBe(dm.n_entries);
    const dp = o(d.pfn_list);
    expect(stream.pfns).toBe(dp.total_pfns);
    expect(stream.zeroPages).toBe(dp.zero_pfns);
    if (d.compressed_stream) {
      const dc = o(d.compressed_stream);
      expect(o(j.compression).chunks).toBe(dc.chunks);
      expect(o(j.compression).compressedBytes).toBe(dc.compressed_bytes);
      expect(o(j.compression).uncompressedBytes).toBe(dc.uncompressed_bytes);
    } else {
      expect(j.compression).toBeNull();
    }
  });

  it('verify passes and the hogmem pattern sits at the recorded pfns', async () => {
    const path = swapImagePath(run);
    const v = await cli(['image', 'verify', path, '--json']);
    const vj = JSON.parse(v.out) as Obj;
    expect(vj.verdict).toBe('intact');
    expect(v.code).toBe(0);

    const { pid } = logNumbers(run);
    const map = pfnMap(run);
    expect(map.length).toBe(16384);
    const want = new Map<number, number>();
    map.forEach((pfn, i) => {
      want.set(pfn, i);
    });
    const src = new FileSource(path);
    try {
      const reader = ImageReader.open(src);
      let found = 0;
      for await (const p of reader.pages()) {
        const i = want.get(p.pfn);
        if (i === undefined) continue;
        expect(p.bytes, `pfn 0x${p.pfn.toString(16)} (pattern page ${i})`).not.toBeNull();
        const exp = hogmemPage(i, 16384, pid);
        if (Buffer.compare(Buffer.from(p.bytes!), Buffer.from(exp)) !== 0) {
          throw new Error(`pattern page ${i} at pfn 0x${p.pfn.toString(16)} differs`);
        }
        found++;
      }
      expect(found).toBe(16384);
    } finally {
      src.close();
    }
  });
});

describe('image check against the resume boots of 612-lzo', () => {
  it('mem512: 6.x refuses, as the log shows', async () => {
    const logRel = 'kernel-images/runs/612-lzo/console-resume-mem512.log';
    expect(readFixtureText(logRel)).toContain('Hibernate inconsistent memory map detected!');
    const { fixturePath } = await import('../helpers/fixtures.js');
    const r = await cli([
      'image',
      'check',
      swapImagePath('612-lzo'),
      '--e820',
      fixturePath(logRel),
      '--json',
    ]);
    const j = JSON.parse(r.out) as Obj;
    expect(r.code).toBe(1);
    expect(o(j.kernel6x).accepted).toBe(false);
    expect(o(j.kernel6x).messages).toContain('Hibernate inconsistent memory map detected!');
    // The README's table: -m 512 pc → 0x7e8c3bd0.
    expect(j.mapE820Checksum).toBe('0x7e8c3bd0');
    expect(j.acceptedByAll).toBe(false);
  });

  it('same-layout: accepted, as the log shows', async () => {
    const logRel = 'kernel-images/runs/612-lzo/console-resume-same-layout.log';
    expect(readFixtureText(logRel)).toContain('Hibernation image restored successfully');
    const { fixturePath } = await import('../helpers/fixtures.js');
    const r = await cli([
      'image',
      'check',
      swapImagePath('612-lzo'),
      '--e820',
      fixturePath(logRel),
      '--json',
    ]);
    const j = JSON.parse(r.out) as Obj;
    expect(o(j.kernel6x).accepted).toBe(true);
    expect(j.mapE820Checksum).toBe('0xa5445455');
    expect(j.pagesOutsideRam).toBe(0);
    expect(r.code).toBe(0);
  });
});

describe('image check with the resume command line (memmap= / mem=)', () => {
  const check = async (cmdline: string) => {
    const { fixturePath } = await import('../helpers/fixtures.js');
    const log = fixturePath('kernel-images/runs/tiny612-lzo/console-resume-same-layout.log');
    const r = await cli([
      'image',
      'check',
      swapImagePath('tiny612-lzo'),
      '--e820',
      log,
      '--cmdline',
      cmdline,
      '--json',
    ]);
    return { code: r.code, j: JSON.parse(r.out) as Obj };
  };
  it('the boot of the image itself: present pages equal the stored num_physpages', async () => {
    const { code, j } = await check('nokaslr');
    expect(o(j.kernel6x).presentPages).toBe(98168);
    expect(o(j.kernel6x).memorySizeMatches).toBe(true);
    expect(code).toBe(0);
  });
  it('mem=256M: the CRC still matches (firmware table), check_header refuses on memory size', async () => {
    const { code, j } = await check('nokaslr mem=256M');
    expect(o(j.kernel6x).checksumMatches).toBe(true);
    expect(o(j.kernel6x).messages).toEqual(['PM: hibernation: Image mismatch: memory size']);
    expect(o(j.kernel6x).presentPages).toBeLessThan(98168);
    expect(j.pagesOutsideRam as number).toBeGreaterThan(0);
    expect(code).toBe(1);
  });
  it('memmap=4K$0x10000000 takes one frame: one present page fewer, refused', async () => {
    const { j } = await check('memmap=4K$0x10000000');
    expect(o(j.kernel6x).presentPages).toBe(98167);
    expect(o(j.kernel6x).accepted).toBe(false);
  });
});
