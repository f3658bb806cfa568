/** kernel_randomize_memory(): sizes, alignment, ordering and determinism. */
import { expect, test } from 'vitest';
import { kaslrRegionSizesTb, kernelRandomizeMemory } from '../../src/arch/x86/kaslr.js';
import { linux310, linux612 } from '../../src/profiles/index.js';

test('region sizes follow the TB arithmetic', () => {
  // 5 GiB of RAM: 1 TB + 10 TB padding; vmemmap = 11 TB × 2^28 × 64 B / 1 TB = 11 × 16 GiB → 1 TB
  expect(kaslrRegionSizesTb(linux310, 0x140000)).toEqual([11, 32, 1]);
  // 12 TiB: capped at 2^(46-40) = 64? 13 + 10 = 23 TB
  expect(kaslrRegionSizesTb(linux612, 0xc2000000)).toEqual([23, 32, 1]);
});

test('random bases are 1 GiB aligned, ordered, inside the window, deterministic', () => {
  for (const p of [linux310, linux612]) {
    for (let seed = 0; seed < 20; seed++) {
      const a = kernelRandomizeMemory(p, 0x140000, { seed });
      const b = kernelRandomizeMemory(p, 0x140000, { seed });
      expect(a).toEqual(b);
      const [d, v, m] = [a.pageOffsetBase, a.vmallocBase, a.vmemmapBase];
      for (const x of [d, v, m]) expect(x % (1n << 30n)).toBe(0n);
      expect(d >= p.paging.kaslrVaddrStart).toBe(true);
      expect(v >= d + (11n << 40n)).toBe(true);
      expect(m >= v + (32n << 40n)).toBe(true);
      expect(m + (1n << 40n) <= p.paging.kaslrVaddrEnd).toBe(true);
    }
  }
});

test('nokaslr and explicit bases', () => {
  expect(kernelRandomizeMemory(linux612, 0x1000, { nokaslr: true }).pageOffsetBase).toBe(0xffff888000000000n);
  const e = kernelRandomizeMemory(linux310, 0x140000, { pageOffsetBase: 0xffff926340000000n });
  expect(e.pageOffsetBase).toBe(0xffff926340000000n);
  expect(e.source).toBe('explicit');
});
