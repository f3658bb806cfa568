/**
 * `hiblab resume`: the four shipped real images resumed on modelled boots.
 * With their own boot they resume; with the boots the fixtures record they
 * are refused as the real consoles show; with resume command lines that take
 * a frame the image holds, the model says what 6.12 does check by check: the
 * e820 CRC (firmware table, unchanged by memmap=), the present-page count
 * (check_header), then the loader's store into that frame.
 */

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixturePath, readFixtureText, swapImagePath } from '../helpers/fixtures.js';
import { cli } from '../image/helpers.js';

type Obj = Record<string, unknown>;
const log = (run: string, test: string) =>
  fixturePath(`kernel-images/runs/${run}/console-resume-${test}.log`);
const resume = async (image: string, e820: string, ...extra: string[]) => {
  const r = await cli(['resume', swapImagePath(image), '--e820', e820, '--json', ...extra]);
  return { code: r.code, j: JSON.parse(r.out) as Obj };
};

/** A hogmem pfn of the image, read from the guest's own pfnmap, outside the kernel image. */
function hogmemPfn(run: string): number {
  const text = execFileSync('xz', ['-dc', fixturePath(`kernel-images/runs/${run}/pfnmap.txt.xz`)]).toString();
  for (const l of text.split('\n')) {
    const m = /^(\d+)\s+([0-9a-f]+)$/i.exec(l.trim());
    if (m && Number.parseInt(m[2]!, 16) > 0x3000) return Number.parseInt(m[2]!, 16);
  }
  throw new Error('no pfn');
}

describe('hiblab resume: the shipped images on their own boots', () => {
  for (const image of ['612-lzo', 'tiny612-lz4', 'tiny612-lzo', 'tiny612-nocompress']) {
    it(`${image}: resumed, like the same-layout boot`, { timeout: 300_000 }, async () => {
      const run = image;
      expect(readFixtureText(`kernel-images/runs/${run}/console-resume-same-layout.log`)).toContain(
        'Hibernation image restored successfully',
      );
      const { code, j } = await resume(image, log(run, 'same-layout'));
      expect(j.verdict).toBe('resumed');
      expect(code).toBe(0);
    });
  }
});

describe('hiblab resume --threads', () => {
  it('more host workers decompress the image: the same report, byte for byte; a bad count is refused', {
    timeout: 300_000,
  }, async () => {
    const args = ['resume', swapImagePath('612-lzo'), '--e820', log('612-lzo', 'same-layout'), '--json'];
    const one = await cli(args);
    const two = await cli([...args, '--threads', '2']);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.out).toBe(one.out);
    // The modelled kernel's own thread rule is what the console reports (1 CPU: 1 thread).
    const con = (JSON.parse(two.out) as Obj).console as string[];
    expect(con.some((l) => l.endsWith('PM: Using 1 thread(s) for lzo decompression'))).toBe(true);
    const bad = await cli([...args, '--threads', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--threads expects 1..16');
  });
});

describe('hiblab resume: the recorded failing boots', () => {
  it('612-lzo on -m 512: the e820 CRC check refuses', { timeout: 300_000 }, async () => {
    const { code, j } = await resume('612-lzo', log('612-lzo', 'mem512'));
    expect(j.verdict).toBe('refused');
    expect(j.messages).toContain('Hibernate inconsistent memory map detected!');
    expect(j.messages).toContain('PM: hibernation: Image mismatch: architecture specific data');
    expect(code).toBe(1);
  });
  it('612-lzo on the 6.1 kernel: -EFAULT from the zero-flagged pfns, as the real 6.1 printed', {
    timeout: 300_000,
  }, async () => {
    const { j } = await resume('612-lzo', log('612-lzo', 'kernel-6.1'));
    expect(j.profile).toBe('linux-6.1');
    expect(j.errno).toBe(-14);
    expect(j.messages).toContain('PM: Error -14 resuming');
    expect(readFixtureText('kernel-images/runs/612-lzo/console-resume-kernel-6.1.log')).toContain(
      'PM: Error -14 resuming',
    );
  });
  it('tiny612-lzo on the tiny 6.1 kernel: -EFAULT', { timeout: 300_000 }, async () => {
    const { j } = await resume('tiny612-lzo', log('tiny612-lzo', 'kernel-tiny6.1'));
    expect(j.profile).toBe('linux-6.1/tiny');
    expect(j.errno).toBe(-14);
  });
});

describe('hiblab resume: resume command lines that take a frame of the image (6.12, check by check)', () => {
  const same = () => log('tiny612-lzo', 'same-layout');
  it('mem=256M: CRC passes (firmware table), check_header refuses on memory size', {
    timeout: 300_000,
  }, async () => {
    const { j } = await resume('tiny612-lzo', same(), '--cmdline', 'nokaslr mem=256M');
    expect(j.messages).toContain('PM: hibernation: Image mismatch: memory size');
    expect(j.messages).not.toContain('Hibernate inconsistent memory map detected!');
  });
  it('a memmap= hole over a hogmem frame, with one page added elsewhere: the loader faults storing into it', {
    timeout: 300_000,
  }, async () => {
    const pfn = hogmemPfn('tiny612-lzo');
    const cl = `nokaslr memmap=4K$0x${pfn.toString(16)}000 memmap=4K@0x18000000`;
    const { j } = await resume('tiny612-lzo', same(), '--cmdline', cl);
    expect(j.verdict).toBe('oops');
    const o = j.oops as Obj;
    expect(o.function).toBe('load_compressed_image');
    expect(o.pfn).toBe(`0x${pfn.toString(16)}`);
    // The direct map of a nokaslr 6.12 kernel starts at 0xffff888000000000.
    expect(o.address).toBe(`0x${(0xffff888000000000n + BigInt(pfn) * 4096n).toString(16)}`);
  });
  it('the same hole under the nocompress image: load_image reads by block I/O into the frame, silently', {
    timeout: 300_000,
  }, async () => {
    const pfn = hogmemPfn('tiny612-nocompress');
    const cl = `nokaslr memmap=4K$0x${pfn.toString(16)}000 memmap=4K@0x18000000`;
    const { j } = await resume('tiny612-nocompress', same(), '--cmdline', cl);
    expect(j.verdict).toBe('silent-corruption');
    expect((j.silentWrites as Obj[]).map((w) => w.imagePfn)).toContain(`0x${pfn.toString(16)}`);
  });
  it('a hole inside the kernel image is undone by e820_add_kernel_range: the image resumes', {
    timeout: 300_000,
  }, async () => {
    // pfn 0x17ec: tiny612-lzo's hogmem page 0, in the rodata/data gap free_initmem gave back.
    const { j } = await resume('tiny612-lzo', same(), '--cmdline', 'nokaslr memmap=4K$0x17ec000');
    expect(j.verdict).toBe('resumed');
    expect(
      (j.console as string[]).some((l) => l.includes('.text .data .bss are not marked as E820_TYPE_RAM!')),
    ).toBe(true);
  });
});
