/**
 * `suspend: { image: FILE }`: the shipped real images as a scenario's
 * hibernated state (test/fidelity/image-scenarios/*.yaml). Each scenario is
 * staged in a temporary directory beside the unpacked image and the fixture
 * log it names, and run through the CLI (`hiblab run`, `scenarios check`) as a
 * user would. Pinned: own boots resume; a memmap= hole over an image frame
 * oops in load_compressed_image (compressed) or is written silently
 * (nocompress); mem=256M is refused by check_header — each equal to what
 * `hiblab resume` says on the same inputs, and each checked against the
 * kernel's words; file errors name the scenario's `image:` line and column.
 */

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../src/node/image-file.js';
import { loadDump } from '../../src/power/dump-load.js';
import { ImageReader } from '../../src/power/image/reader.js';
import { fixturePath, REPO_ROOT, readFixtureText, swapImagePath } from '../helpers/fixtures.js';
import { cli } from '../image/helpers.js';

type Obj = Record<string, unknown>;
const HERE = join(import.meta.dirname, 'image-scenarios');
const IMAGES = ['612-lzo', 'tiny612-lz4', 'tiny612-lzo', 'tiny612-nocompress'] as const;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hiblab-image-scenario-'));
  for (const img of IMAGES) {
    symlinkSync(swapImagePath(img), join(dir, `${img}.swap.img`));
    symlinkSync(
      fixturePath(`kernel-images/runs/${img}/console-resume-same-layout.log`),
      join(dir, `${img}-same-layout.log`),
    );
  }
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Stage a scenario file of test/fidelity/image-scenarios into the temp dir; its path there. */
function stage(name: string): string {
  const p = join(dir, `${name}.yaml`);
  copyFileSync(join(HERE, `${name}.yaml`), p);
  return p;
}

const stripTime = (lines: string[]) => lines.map((l) => l.replace(/^\[\s*\d+\.\d+\] /, ''));

async function runJson(name: string, ...extra: string[]) {
  const r = await cli(['run', stage(name), '--json', ...extra]);
  return { code: r.code, err: r.err, j: JSON.parse(r.out) as Obj };
}

/** `hiblab resume` on the same image, log and command line. */
async function resumeJson(image: string, cmdline?: string, via?: string) {
  const args = ['resume', join(dir, `${image}.swap.img`), '--e820', join(dir, `${image}-same-layout.log`)];
  if (cmdline) args.push('--cmdline', cmdline);
  if (via) args.push('--via', via);
  const r = await cli([...args, '--json']);
  return JSON.parse(r.out) as Obj;
}

/** The scenario run and `hiblab resume` agree: verdict, reason, oops, silent writes, console lines. */
function expectSameAsResume(run: Obj, res: Obj): void {
  const rr = run.resume as Obj;
  expect(run.verdict).toBe(res.verdict === 'no-image' ? 'refused' : res.verdict);
  expect(run.reason).toBe(res.reason);
  const o = rr.oops as Obj | null;
  const ro = res.oops as Obj | null;
  expect(o?.function ?? null).toBe(ro?.function ?? null);
  expect(o?.address ?? null).toBe(ro?.address ?? null);
  expect((rr.silentWrites as Obj[]).map((w) => w.imagePfn)).toEqual(
    (res.silentWrites as Obj[]).map((w) => Number.parseInt(w.imagePfn as string, 16)),
  );
  // Both boot the same kernel on the same table and command line; only the clocks differ
  // (the scenario's resume boot starts its resume later, as every scenario's does).
  expect(stripTime(rr.console as string[])).toEqual(stripTime(res.console as string[]));
}

/** The pfn of hogmem page `i` at hibernation, from the guest's own pagemap dump. */
function hogmemPfn(run: string, i: number): number {
  const text = execFileSync('xz', ['-dc', fixturePath(`kernel-images/runs/${run}/pfnmap.txt.xz`)]).toString();
  for (const l of text.split('\n')) {
    const m = /^(\d+)\s+([0-9a-f]+)$/i.exec(l.trim());
    if (m && Number(m[1]) === i) return Number.parseInt(m[2]!, 16);
  }
  throw new Error(`no page ${i} in ${run}'s pfnmap`);
}

/** Does the image's pfn list (its meta pages) hold `pfn`? */
function imageHolds(image: string, pfn: number): boolean {
  const src = new FileSource(join(dir, `${image}.swap.img`));
  try {
    return ImageReader.open(src).metaList().indexOf(pfn) >= 0;
  } finally {
    src.close();
  }
}

describe('suspend.image: the shipped images on their own boots resume', () => {
  for (const image of IMAGES) {
    it(`${image}`, { timeout: 300_000 }, async () => {
      const { code, j } = await runJson(`${image}-own-boot`);
      expect(j.verdict).toBe('resumed');
      expect((j.expected as Obj).ok).toBe(true);
      expect(code).toBe(0);
      // No hibernating boot ran: the real image stands for it, described from its own header.
      const s = j.suspend as Obj;
      expect(s.profile).toBeNull();
      expect(s.console).toEqual([]);
      expect(s.oops).toBeNull();
      const img = s.image as Obj;
      expect(img.real).toBe(true);
      // The fixture README's table: image_pages (+zero pfns) and the firmware table's CRC32.
      const readme: Record<string, [number, number, string]> = {
        '612-lzo': [30595, 2868, 'lzo'],
        'tiny612-lz4': [21903, 738, 'lz4'],
        'tiny612-lzo': [21907, 740, 'lzo'],
        'tiny612-nocompress': [21907, 740, 'none'],
      };
      expect([img.nrCopyPages, img.nrZeroPages, img.compressor]).toEqual(readme[image]);
      expect(img.e820Checksum).toBe('0xa5445455');
      // The resume kernel is the one the log names (no profile in the file).
      expect((j.resume as Obj).profile).toBe(image.startsWith('tiny') ? 'linux-6.12/tiny' : 'linux-6.12');
      expect(
        (j.restoredConsole as string[]).some((l) => l.includes('Hibernation image restored successfully')),
      ).toBe(true);
    });
  }

  it('tiny612-lzo: the same verdict and console as `hiblab resume` on the same inputs', {
    timeout: 300_000,
  }, async () => {
    const { j } = await runJson('tiny612-lzo-own-boot');
    expectSameAsResume(j, await resumeJson('tiny612-lzo'));
  });

  it('text report: says the hibernated state is the real image', { timeout: 300_000 }, async () => {
    const r = await cli(['run', stage('tiny612-lz4-own-boot')]);
    expect(r.out).toContain('the hibernated state is a real image (no hibernating boot modelled)');
    expect(r.out).toMatch(/hibernated state: the real image \S+tiny612-lz4\.swap\.img/);
    expect(r.out).toContain('21903 image pages + 738 zero pages (pfns only)');
    expect(r.out).toContain('verdict: RESUMED');
  });
});

describe('suspend.image: resume command lines that take a frame of the image', () => {
  it('memmap= hole over hogmem page 457 (compressed): load_compressed_image faults storing into it', {
    timeout: 300_000,
  }, async () => {
    const pfn = hogmemPfn('tiny612-lzo', 457);
    expect(pfn).toBe(0x17fcf); // the frame the scenario's memmap= takes
    expect(imageHolds('tiny612-lzo', pfn)).toBe(true);
    const { code, j } = await runJson('tiny612-lzo-memmap-hole');
    expect(j.verdict).toBe('oops');
    const o = (j.resume as Obj).oops as Obj;
    expect(o.function).toBe('load_compressed_image');
    // The direct map of a nokaslr 6.12 kernel starts at 0xffff888000000000.
    expect(o.address).toBe(`0x${(0xffff888000000000n + BigInt(pfn) * 4096n).toString(16)}`);
    // The tiny kernel has no kallsyms: the console has the raw address; expect.contains holds it.
    expect((j.expected as Obj).ok).toBe(true);
    expect(code).toBe(0);
    expectSameAsResume(
      j,
      await resumeJson('tiny612-lzo', 'nokaslr memmap=4K$0x17fcf000 memmap=4K@0x18000000'),
    );
  });

  it('the same hole under the nocompress image: block I/O writes the frame silently', {
    timeout: 300_000,
  }, async () => {
    const pfn = hogmemPfn('tiny612-nocompress', 459);
    expect(pfn).toBe(0x17fcf);
    expect(imageHolds('tiny612-nocompress', pfn)).toBe(true);
    const { j } = await runJson('tiny612-nocompress-memmap-hole');
    expect(j.verdict).toBe('silent-corruption');
    const w = (j.resume as Obj).silentWrites as Obj[];
    expect(w.map((x) => x.imagePfn)).toContain(pfn);
    // load_image() submits a bio: the device writes the frame (DMA), no CPU store to fault.
    expect(w.find((x) => x.imagePfn === pfn)!.how).toBe('dma');
    expectSameAsResume(
      j,
      await resumeJson('tiny612-nocompress', 'nokaslr memmap=4K$0x17fcf000 memmap=4K@0x18000000'),
    );
  });

  it('mem=256M: the e820 CRC passes, check_header refuses on memory size', { timeout: 300_000 }, async () => {
    const { j } = await runJson('tiny612-lzo-mem256');
    expect(j.verdict).toBe('refused');
    const con = (j.resume as Obj).console as string[];
    expect(con.some((l) => l.endsWith('PM: hibernation: Image mismatch: memory size'))).toBe(true);
    expect(con.some((l) => l.includes('Hibernate inconsistent memory map detected!'))).toBe(false);
    expect((j.expected as Obj).ok).toBe(true);
    expectSameAsResume(j, await resumeJson('tiny612-lzo', 'nokaslr mem=256M'));
  });
});

describe('data/examples/real-image.yaml', () => {
  it('with the 612-lzo image as its swap.img: refused by the e820 CRC, as the real -m 512 boot was', {
    timeout: 300_000,
  }, async () => {
    // Staged as the repository lays it out: examples/real-image.yaml beside e820/.
    mkdirSync(join(dir, 'examples'));
    mkdirSync(join(dir, 'e820'));
    copyFileSync(join(REPO_ROOT, 'data/examples/real-image.yaml'), join(dir, 'examples/real-image.yaml'));
    copyFileSync(join(REPO_ROOT, 'data/e820/qemu-pc-512m.txt'), join(dir, 'e820/qemu-pc-512m.txt'));
    symlinkSync(swapImagePath('612-lzo'), join(dir, 'examples/swap.img'));
    expect(readFixtureText('kernel-images/runs/612-lzo/console-resume-mem512.log')).toContain(
      'Hibernate inconsistent memory map detected!',
    );
    const r = await cli(['run', join(dir, 'examples/real-image.yaml'), '--json']);
    const j = JSON.parse(r.out) as Obj;
    expect(j.verdict).toBe('refused');
    expect((j.expected as Obj).ok).toBe(true);
    expect(r.code).toBe(0);
  });
});

describe('suspend.image: options, check and errors', () => {
  it('scenarios check opens the image and resolves the resume boot', async () => {
    const r = await cli(['scenarios', 'check', stage('tiny612-lzo-own-boot'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as Obj;
    expect((j.boots as Obj).suspend).toBeNull();
    expect(((j.boots as Obj).resume as Obj).profile).toBe('linux-6.12/tiny');
    expect((j.image as Obj).nrCopyPages).toBe(21907);
    const t = await cli(['scenarios', 'check', stage('tiny612-lzo-own-boot')]);
    expect(t.out).toContain('is valid (real image, expect resumed)');
  });

  it('--profile runs the resume boot with that kernel (the image keeps its own)', async () => {
    const r = await cli(['run', stage('tiny612-lzo-mem256'), '--profile', 'linux-6.12', '--json']);
    const j = JSON.parse(r.out) as Obj;
    expect((j.resume as Obj).profile).toBe('linux-6.12');
    expect((j.suspend as Obj).profile).toBeNull();
  }, 300_000);

  it('a missing image file: one line at the image: value, exit 2 (run and check)', async () => {
    const p = stage('missing-image');
    for (const argv of [
      ['run', p],
      ['scenarios', 'check', p],
    ]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(
        `${p}:3:10: suspend.image: '${join(dir, 'no-such-swap.img')}': cannot open: ENOENT`,
      );
      expect(r.err).toContain('[IMAGE_FILE_UNREADABLE]');
    }
  });

  it('a file that is not a hibernation image: NOT_AN_IMAGE at the image: value', async () => {
    const p = stage('not-an-image');
    const r = await cli(['run', p]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${p}:3:10: suspend.image:`);
    expect(r.err).toContain('is not a hibernation image: no swap signature');
    expect(r.err).toContain('[NOT_AN_IMAGE]');
    // A swap device without an image (signature reset: already resumed, or never hibernated).
    const sw = new Uint8Array(4096 * 4);
    sw.set(new TextEncoder().encode('SWAPSPACE2'), 4086);
    writeFileSync(join(dir, 'plain-swap.img'), sw);
    const q = join(dir, 'plain-swap.yaml');
    writeFileSync(
      q,
      readFileSync(p, 'utf8').replace('tiny612-lzo-same-layout.log\nresume', 'plain-swap.img\nresume'),
    );
    const c = await cli(['scenarios', 'check', q]);
    expect(c.code).toBe(2);
    expect(c.err).toContain('no hibernation image: swap signature is "SWAPSPACE2"');
  });

  it('--plan and --image are refused with an image scenario (exit 2, nothing written)', async () => {
    const p = stage('tiny612-lzo-own-boot');
    const plan = await cli(['run', p, '--plan']);
    expect(plan.code).toBe(2);
    expect(plan.err).toContain('[PLAN_IMAGE]');
    const out = join(dir, 'kept.img');
    const img = await cli(['run', p, '--image', out]);
    expect(img.code).toBe(2);
    expect(img.err).toContain('[IMAGE_SCENARIO]');
    expect(() => readFileSync(out)).toThrow();
  });

  it('--dump writes the resume boot: no suspend console, the verdict', { timeout: 300_000 }, async () => {
    const out = join(dir, 'own.dump');
    const r = await cli(['run', stage('tiny612-lzo-memmap-hole'), '--dump', out, '--quiet']);
    expect(r.code).toBe(0);
    const d = loadDump(new Uint8Array(readFileSync(out)));
    expect(d.verdict).toBe('oops');
    expect(d.console.suspend).toEqual([]);
    expect(d.console.resume.some((l) => l.includes('BUG: unable to handle page fault'))).toBe(true);
  });
});
