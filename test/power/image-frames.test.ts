/**
 * Restored frames of a real image read their bytes back from the image
 * (src/power/image-frames.ts) instead of holding 4 KiB each: every frame of
 * the resumed machine must read exactly what the byte-holding resume leaves,
 * on real kernels' images — compressed with PBEs copied by restore_image, a
 * loader oops part way, block I/O of an uncompressed image — and cost no page
 * of host memory.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../src/node/image-file.js';
import { ImageFrameSource } from '../../src/power/image-frames.js';
import { type ResumeImageResult, resumeImage } from '../../src/scenario/resume-image.js';
import { fixturePath, swapImagePath } from '../helpers/fixtures.js';

type Case = { image: string; log: string; cmdline?: string; expect: string };

const CASES: Case[] = [
  // 30,595 data pages, 11,714 of them loaded into safe frames and copied by restore_image.
  { image: '612-lzo', log: '612-lzo/console-resume-same-layout.log', expect: 'resumed' },
  // A memmap= hole in the image's pfn set: the loader oopses part way through.
  {
    image: 'tiny612-lzo',
    log: 'tiny612-lzo/console-resume-same-layout.log',
    cmdline: 'nokaslr memmap=4K$0x17fcf000 memmap=4K@0x18000000',
    expect: 'oops',
  },
  // load_image(): bios into the frames (block I/O), no decompression.
  {
    image: 'tiny612-nocompress',
    log: 'tiny612-nocompress/console-resume-same-layout.log',
    expect: 'resumed',
  },
];

async function resumeBoth(
  c: Case,
): Promise<{ bytes: ResumeImageResult; frames: ResumeImageResult; src: FileSource }> {
  const logPath = fixturePath(`kernel-images/runs/${c.log}`);
  const text = readFileSync(logPath, 'utf8');
  const o = {
    e820: { text, name: logPath },
    ...(c.cmdline ? { cmdline: c.cmdline } : {}),
    // Large enough for the byte-holding resume of the biggest image here.
    maxHostBytes: 1024 * 2 ** 20,
  };
  const a = new FileSource(swapImagePath(c.image));
  let bytes: ResumeImageResult;
  try {
    bytes = await resumeImage(a, { ...o, framesFromImage: false });
  } finally {
    a.close();
  }
  const src = new FileSource(swapImagePath(c.image));
  const frames = await resumeImage(src, o);
  return { bytes, frames, src };
}

describe('restored frames that read from the image', () => {
  for (const c of CASES) {
    it(`${c.image}${c.cmdline ? ` (${c.cmdline})` : ''}: every frame reads as the byte-holding resume's`, {
      timeout: 120_000,
    }, async () => {
      const { bytes, frames, src } = await resumeBoth(c);
      try {
        expect(frames.result.outcome).toBe(c.expect);
        expect(frames.console).toEqual(bytes.console);
        expect(frames.result.stats).toEqual(bytes.result.stats);
        const mb = bytes.machine.mem;
        const mf = frames.machine.mem;
        // The same frames hold bytes of their own (synthesised ones count), read alike.
        const pfns = mb.materialisedPfns();
        expect(mf.materialisedPfns()).toEqual(pfns);
        const x = new Uint8Array(4096);
        const y = new Uint8Array(4096);
        let fromImage = 0;
        let differ = 0;
        for (const p of pfns) {
          if (mf.sourceOf(p) instanceof ImageFrameSource) fromImage++;
          mb.readPageInto(p, x);
          mf.readPageInto(p, y);
          if (Buffer.compare(x, y) !== 0) differ++;
        }
        expect(differ).toBe(0);
        // Most restored data pages are image references, not buffers.
        const loaded = frames.result.stats.loaded - frames.result.stats.nrMetaPages;
        expect(fromImage).toBeGreaterThan(loaded * 0.5);
        expect(mf.bufferCount).toBeLessThan(mb.bufferCount - fromImage * 0.9);
        const peak = (r: ResumeImageResult) => r.machine.mem.budget!.peak;
        expect(peak(frames)).toBeLessThan(peak(bytes) - fromImage * 4096 * 0.9);
      } finally {
        src.close();
      }
    });
  }

  it('a write into a frame that reads from the image keeps the rest of its bytes', {
    timeout: 120_000,
  }, async () => {
    const { frames, src } = await resumeBoth(CASES[0]!);
    try {
      const mem = frames.machine.mem;
      const p = mem.materialisedPfns().find((q) => mem.sourceOf(q) instanceof ImageFrameSource)!;
      const before = new Uint8Array(4096);
      mem.readPageInto(p, before);
      mem.frame(p)[100] = before[100]! ^ 0xff;
      expect(mem.sourceOf(p)).toBeUndefined();
      const after = new Uint8Array(4096);
      mem.readPageInto(p, after);
      expect(after[100]).toBe(before[100]! ^ 0xff);
      after[100] = before[100]!;
      expect(Buffer.compare(after, before)).toBe(0);
    } finally {
      src.close();
    }
  });
});
