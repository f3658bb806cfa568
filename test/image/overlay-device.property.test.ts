/**
 * OverlayDevice (src/power/image/source.ts): the resume path's view of a
 * real image — writes land in memory, reads see them over the file. readInto()
 * (the loader's chunk runs) must read exactly what readAt() reads, with or
 * without a base that has readInto(), at any offset and length, short at the end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySource, OverlayDevice, type ReadSource } from '../../src/power/image/source.js';

/** A base with readInto() over the same bytes. */
class IntoSource implements ReadSource {
  constructor(private readonly b: Uint8Array) {}
  get size(): number {
    return this.b.length;
  }
  readAt(offset: number, length: number): Uint8Array {
    return new MemorySource(this.b).readAt(offset, length);
  }
  readInto(offset: number, dst: Uint8Array): number {
    const r = this.readAt(offset, dst.length);
    dst.set(r);
    return r.length;
  }
}

describe('OverlayDevice.readInto', () => {
  it('reads what readAt() reads: the base bytes with the written pages over them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.uniqueArray(fc.nat(15), { maxLength: 4 }),
        fc.nat(16 * 4096),
        fc.nat(5 * 4096),
        fc.boolean(),
        fc.nat(255),
        (pages, written, offset, length, into, seed) => {
          const base = new Uint8Array(pages * 4096);
          for (let i = 0; i < base.length; i++) base[i] = (i * 31 + seed) & 0xff;
          const dev = new OverlayDevice(into ? new IntoSource(base) : new MemorySource(base));
          for (const w of written) dev.writePage(w, new Uint8Array(4096).fill(w + 1));
          const want = dev.readAt(offset, length);
          const dst = new Uint8Array(length).fill(0xee);
          const n = dev.readInto(offset, dst);
          expect(n).toBe(want.length);
          expect(Buffer.compare(dst.subarray(0, n), want)).toBe(0);
          // Past what was read, dst is untouched.
          expect(dst.subarray(n).every((b) => b === 0xee)).toBe(true);
          // The overlay really shows: a written page inside the read reads as its fill.
          for (const w of written) {
            const at = w * 4096 - offset;
            if (at >= 0 && at < n) expect(dst[at]).toBe(w + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
