/** Format modules against the reference facts (§1.2–§1.9, §2.1–§2.2) and the kernel profiles. */
import { describe, expect, it } from 'vitest';
import { FORMAT_ERAS } from '../../src/power/image/format-era.js';
import { ProgressPrinter, speedLine } from '../../src/power/image/log.js';
import { decodeMkswapHeader, makeMkswapPage } from '../../src/power/image/mkswap-header.js';
import { decodeSwsuspHeader, flagNames, markSwapfiles } from '../../src/power/image/swsusp-header.js';
import { decodeSwsuspInfo, encodeSwsuspInfo, RESTORE_MAGIC } from '../../src/power/image/swsusp-info.js';
import { PROFILES } from '../../src/profiles/index.js';

describe('image format facts', () => {
  it('worst-case bounds and chunk constants', () => {
    expect(FORMAT_ERAS['3.10'].worstCompress(131072)).toBe(139331);
    expect(FORMAT_ERAS['6.x'].worstCompress(131072)).toBe(139333);
  });

  it('every profile names a known image format and arch header', () => {
    for (const p of PROFILES) {
      expect(FORMAT_ERAS[p.swsuspImage.format]).toBeDefined();
      expect(RESTORE_MAGIC[p.swsuspImage.archHeader]).toBeDefined();
    }
  });

  it('mark_swapfiles writes the fields at the documented offsets', () => {
    const page = makeMkswapPage({ devicePages: 81920, label: 'HIBLABSWAP', uuidSeed: 1 });
    expect(decodeMkswapHeader(page)).toMatchObject({ version: 1, lastPage: 81919, label: 'HIBLABSWAP' });
    markSwapfiles(page, '6.x', { image: 1, flags: 4, crc32: 0xcea660bb, hwSig: 0 });
    const dv = new DataView(page.buffer);
    expect(dv.getUint32(0xfdc, true)).toBe(0xcea660bb);
    expect(dv.getBigUint64(0xfe0, true)).toBe(1n);
    expect(dv.getUint32(0xfe8, true)).toBe(4);
    expect(Buffer.from(page.subarray(0xfec, 0x1000)).toString('latin1')).toBe('SWAPSPACE2S1SUSPEND\0');
    expect(decodeSwsuspHeader(page).sig).toBe('S1SUSPEND\0');
    expect(flagNames(21)).toEqual(['SF_PLATFORM_MODE', 'SF_CRC32_MODE', 'SF_COMPRESSION_ALG_LZ4']);
    expect(() => markSwapfiles(page, '6.x', { image: 1, flags: 4, crc32: 0 })).toThrow(
      /swap header not found/,
    );
  });

  it('arch header variants are told apart by magic', () => {
    const counts = { numPhyspages: 98168, imagePages: 10, nrMetaPages: 1 };
    const p310 = encodeSwsuspInfo({ era: '3.10', jumpAddress: 5n, cr3: 6n }, counts);
    expect(new DataView(p310.buffer).getBigUint64(16, true)).toBe(0x0123456789abcdefn);
    expect(decodeSwsuspInfo(p310).arch).toMatchObject({ era: '3.10', cr3: 6n, jumpAddressPhys: null });
    const p513 = encodeSwsuspInfo(
      { era: '5.13-crc32', jumpAddress: 5n, jumpAddressPhys: 7n, cr3: 6n, e820Checksum: 0xa5445455 },
      counts,
    );
    const i = decodeSwsuspInfo(p513);
    expect(i.arch).toMatchObject({ era: '5.13-crc32', e820Checksum: 0xa5445455, jumpAddressPhys: 7n });
    expect(i).toMatchObject({ pages: 12, size: 12 * 4096, nrMetaPages: 1, cpus: 0, versionCode: 0 });
    const md5 = encodeSwsuspInfo(
      {
        era: '4.10-md5',
        jumpAddress: 1n,
        jumpAddressPhys: 2n,
        cr3: 3n,
        e820Digest: new Uint8Array(16).fill(0xab),
      },
      counts,
    );
    expect(decodeSwsuspInfo(md5).arch.e820Digest?.[15]).toBe(0xab);
  });

  it('progress and speed lines follow §1.9 and the fixture logs', () => {
    const lines: string[] = [];
    const p = new ProgressPrinter(30661, 'loading', (l) => lines.push(l));
    for (let k = 0; k < 30661; k++) p.tick();
    expect(lines).toHaveLength(11);
    expect(lines[0]).toBe('PM: Image loading progress:   0%');
    expect(lines[10]).toBe('PM: Image loading progress: 100%');
    // 612-lzo console-hibernate.log: "Wrote 122644 kbytes in 0.63 seconds (194.67 MB/s)".
    expect(speedLine(FORMAT_ERAS['6.x'], 'Wrote', 30661, 635)).toBe(
      'PM: hibernation: Wrote 122644 kbytes in 0.63 seconds (194.67 MB/s)',
    );
    expect(speedLine(FORMAT_ERAS['3.10'], 'Read', 10, 0)).toBe(
      'PM: Read 40 kbytes in 0.01 seconds (4.00 MB/s)',
    );
    const few: string[] = [];
    const q = new ProgressPrinter(5, 'saving', (l) => few.push(l));
    for (let k = 0; k < 5; k++) q.tick();
    expect(few.map((l) => l.slice(-4))).toEqual(['  0%', ' 10%', ' 20%', ' 30%', ' 40%']);
  });
});
