/** End-to-end `hiblab image …` runs in-process: baselines, exit codes, files. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeMkswapPage } from '../../src/power/image/mkswap-header.js';
import { MemoryDevice } from '../../src/power/image/source.js';
import { writeImage } from '../../src/power/image/writer.js';
import { pfnMap, readFixtureText, swapImagePath } from '../helpers/fixtures.js';
import { genPages } from './gen.js';
import { cli, hogmemPage, matchBaseline } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'hiblab-image-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pidOf = (run: string) =>
  Number(
    /HOGMEM: ready pid=(\d+)/.exec(readFixtureText(`kernel-images/runs/${run}/console-hibernate.log`))![1],
  );

describe('hiblab image (CLI)', () => {
  it('info text and --json match the baselines (tiny612-lzo)', async () => {
    const path = swapImagePath('tiny612-lzo');
    const t = await cli(['image', 'info', path]);
    expect(t.code).toBe(0);
    matchBaseline('info-tiny612-lzo.txt', t.out.split(path).join('<swap>'));
    const j = await cli(['image', 'info', path, '--json']);
    matchBaseline('info-tiny612-lzo.json', j.out.split(path).join('<swap>'));
  });

  it('info on a swap device without an image says so and exits 1', async () => {
    const p = join(tmp, 'plain.swap');
    const dev = new Uint8Array(64 * 4096);
    dev.set(makeMkswapPage({ devicePages: 64, label: 'PLAIN' }));
    writeFileSync(p, dev);
    const r = await cli(['image', 'info', p]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('no hibernation image');
    expect(r.out).toContain('SWAPSPACE2');
    const v = await cli(['image', 'verify', p]);
    expect(v.code).toBe(2);
  });

  it('verify: corrupt → 1, unreadable → 2', async () => {
    const g = genPages(3, 400, true);
    const dev = new MemoryDevice(600 * 4096);
    await writeImage(
      dev,
      { pfns: g.pfns, zero: g.zero, count: 400 },
      g.pfns.map((pfn, i) => ({ pfn, bytes: g.data[i] ?? null })),
      {
        format: '6.x',
        arch: { era: '5.13-crc32', jumpAddress: 1n, jumpAddressPhys: 2n, cr3: 3n, e820Checksum: 4 },
        numPhyspages: 1000,
        compressor: 'lzo',
        fresh: { devicePages: 600 },
      },
    );
    const good = join(tmp, 'good.img');
    writeFileSync(good, dev.bytes);
    const ok = await cli(['image', 'verify', good, '--threads', '2']);
    expect(ok.out).toContain('verdict: image intact');
    expect(ok.out).toContain('PM: Using 2 thread(s) for lzo decompression');
    expect(ok.code).toBe(0);
    const bad = dev.bytes.slice();
    bad[4060]! ^= 0xff; // crc32
    const badPath = join(tmp, 'bad.img');
    writeFileSync(badPath, bad);
    const b = await cli(['image', 'verify', badPath, '--json']);
    expect(b.code).toBe(1);
    const bj = JSON.parse(b.out);
    expect(bj.verdict).toBe('corrupt');
    expect(bj.error.code).toBe('CRC_MISMATCH');
    expect(bj.log).toContain('PM: Invalid image CRC32!');
    const missing = await cli(['image', 'verify', join(tmp, 'nope.img')]);
    expect(missing.code).toBe(2);
  });

  it('pages lists ranges and --pfn dumps a hogmem page', async () => {
    const run = 'tiny612-nocompress';
    const path = swapImagePath(run);
    const r = await cli(['image', 'pages', path]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^0x1-0x[0-9a-f]+ \(\d+ pages?\)( zero)?$/m);
    expect(r.out).toContain('22647 pfns (21907 data, 740 zero)');
    const pfn = pfnMap(run)[5]!;
    const d = await cli(['image', 'pages', path, '--pfn', `0x${pfn.toString(16)}`]);
    expect(d.out).toContain('HIBLAB-PAGE-V1');
    const first = d.out.split('\n')[1]!;
    expect(first.startsWith((pfn * 4096).toString(16).padStart(16, '0'))).toBe(true);
    const j = JSON.parse((await cli(['image', 'pages', path, '--pfn', String(pfn), '--json'])).out);
    expect(j.state).toBe('data');
    expect(j.bytes).toBe(Buffer.from(hogmemPage(5, 16384, pidOf(run))).toString('hex'));
    const absent = await cli(['image', 'pages', path, '--pfn', '0x9fffff']);
    expect(absent.out).toContain('not in the image');
  });

  it('extract writes a sparse physical-memory file atomically and refuses to overwrite', async () => {
    const run = 'tiny612-lz4';
    const out = join(tmp, 'mem.raw');
    const r = await cli(['image', 'extract', swapImagePath(run), '-o', out, '--threads', '2']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const st = statSync(out);
    expect(st.size).toBe((0x17fd9 + 1) * 4096);
    expect(st.blocks * 512).toBeLessThan(st.size); // holes
    const bytes = readFileSync(out);
    const map = pfnMap(run);
    const pid = pidOf(run);
    for (const i of [0, 1, 8191, 16383]) {
      const at = map[i]! * 4096;
      expect(Buffer.compare(bytes.subarray(at, at + 4096), Buffer.from(hogmemPage(i, 16384, pid)))).toBe(0);
    }
    const again = await cli(['image', 'extract', swapImagePath(run), '-o', out]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('OUTPUT_EXISTS');
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('extract leaves no partial file when the image is corrupt', async () => {
    const src = readFileSync(swapImagePath('tiny612-nocompress')).subarray(0, 3000 * 4096);
    const p = join(tmp, 'cut.img');
    writeFileSync(p, src);
    const out = join(tmp, 'cut.raw');
    const r = await cli(['image', 'extract', p, '-o', out]);
    expect(r.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
