/** Deterministic page-like test data for the codec tests (not a test file). */
import fc from 'fast-check';
import { CALIBRATED_LEVELS, ContentKind, generatePage } from '../../src/workload/content.js';

/** fast-check arbitrary of buffers made of runs that compress in different ways. */
export const structuredBytes = (maxLength: number) =>
  fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant('zero' as const), n: fc.integer({ min: 1, max: 5000 }) }),
        fc.record({
          kind: fc.constant('byte' as const),
          n: fc.integer({ min: 1, max: 600 }),
          v: fc.nat(255),
        }),
        fc.record({
          kind: fc.constant('rand' as const),
          bytes: fc.uint8Array({ minLength: 1, maxLength: 400 }),
        }),
        fc.record({
          kind: fc.constant('repeat' as const),
          period: fc.integer({ min: 1, max: 70 }),
          n: fc.integer({ min: 1, max: 3000 }),
        }),
        fc.record({
          kind: fc.constant('far' as const),
          back: fc.integer({ min: 1, max: 65536 }),
          n: fc.integer({ min: 3, max: 300 }),
        }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => {
      const out: number[] = [];
      for (const p of parts) {
        if (out.length >= maxLength) break;
        if (p.kind === 'zero') for (let i = 0; i < p.n; i++) out.push(0);
        else if (p.kind === 'byte') for (let i = 0; i < p.n; i++) out.push(p.v);
        else if (p.kind === 'rand') out.push(...p.bytes);
        else if (p.kind === 'repeat') {
          for (let i = 0; i < p.n; i++)
            out.push(out.length >= p.period ? out[out.length - p.period]! : (i * 37) & 0xff);
        } else {
          // copy from far back (exercises M3/M4 and long LZ4 offsets)
          for (let i = 0; i < p.n; i++) out.push(out.length >= p.back ? out[out.length - p.back]! : 0x5a);
        }
      }
      return Uint8Array.from(out.slice(0, maxLength));
    });

/** A page mix like hibernation data: zero, text, pointer-like and random pages. */
export function pageMix(pages: number, seed: number): Uint8Array {
  const buf = new Uint8Array(pages * 4096);
  const dv = new DataView(buf.buffer);
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const words = ['swsusp ', 'hibernate ', 'page ', 'kernel ', 'memory ', '\n', 'zone ', 'pfn '];
  for (let p = 0; p < pages; p++) {
    const off = p * 4096;
    const kind = rnd() % 4;
    if (kind === 0) continue;
    if (kind === 1) {
      let o = off;
      while (o < off + 4096) {
        const w = words[rnd() % words.length]!;
        for (let i = 0; i < w.length && o < off + 4096; i++) buf[o++] = w.charCodeAt(i);
      }
    } else if (kind === 2) {
      for (let i = 0; i < 4096; i += 8) {
        dv.setUint32(off + i, 0x81000000 + (rnd() & 0xfff8), true);
        dv.setUint32(off + i + 4, 0xffff8880, true);
      }
    } else {
      for (let i = 0; i < 4096; i += 4) dv.setUint32(off + i, rnd(), true);
    }
  }
  return buf;
}

/** `dst` of `len` bytes inside a larger buffer with guard bytes on both sides. */
export function guarded(len: number, guard = 64): { dst: Uint8Array; intact: () => boolean } {
  const whole = new Uint8Array(len + 2 * guard).fill(0xa5);
  const dst = whole.subarray(guard, guard + len);
  return {
    dst,
    intact: () => {
      for (let i = 0; i < guard; i++) if (whole[i] !== 0xa5 || whole[guard + len + i] !== 0xa5) return false;
      return true;
    },
  };
}

/** Byte equality without vitest's slow element-wise diff on large arrays. */
export function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.length),
      Buffer.from(b.buffer, b.byteOffset, b.length),
    ) === 0
  );
}

/** Every generated content kind (workload/content.ts), the calibrated levels included. */
export const ALL_KINDS: readonly number[] = [
  ContentKind.ZERO,
  ContentKind.TEXT,
  ContentKind.POINTER,
  ContentKind.RANDOM,
  ContentKind.KERNEL,
  ContentKind.PATTERN,
  ...Array.from({ length: CALIBRATED_LEVELS + 1 }, (_, l) => ContentKind.CALIBRATED + l),
];

/** Generated pages of the given kinds (workload/content.ts), one after another, as the pool makes them. */
export function generated(kinds: number[], seed: number): Uint8Array {
  const out = new Uint8Array(kinds.length * 4096);
  kinds.forEach((k, p) => {
    generatePage(k, seed, 0x10000 + p * 7, 0, out.subarray(p * 4096, (p + 1) * 4096));
  });
  return out;
}
