/**
 * copy_highpage in the model (PhysMem.copyFrame) shares the source's buffer
 * with a fresh destination instead of copying it. Whatever happens next, every
 * frame must read the bytes it would have read with a real copy: checked
 * against a model of plain per-frame byte arrays under random sequences of
 * copies, writes (all writing accessors), zeroing, discards and frees
 * (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, PhysMem } from '../../src/mm/phys-mem.js';

type Op =
  | { k: 'copy'; dst: number; src: number }
  | { k: 'frame'; pfn: number; off: number; v: number }
  | { k: 'write'; pfn: number; off: number; v: number }
  | { k: 'u8'; pfn: number; off: number; v: number }
  | { k: 'u64'; pfn: number; off: number; v: number }
  | { k: 'zero'; pfn: number }
  | { k: 'discard'; pfn: number }
  | { k: 'recycle'; pfn: number }
  | { k: 'fresh'; pfn: number; v: number };

const N = 6;
const zero = new Uint8Array(PAGE_SIZE);
const pfn = fc.integer({ min: 0, max: N - 1 });
const off = fc.integer({ min: 0, max: PAGE_SIZE - 8 });
const byte = fc.integer({ min: 1, max: 255 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('copy' as const), dst: pfn, src: pfn }),
  fc.record({ k: fc.constant('frame' as const), pfn, off, v: byte }),
  fc.record({ k: fc.constant('write' as const), pfn, off, v: byte }),
  fc.record({ k: fc.constant('u8' as const), pfn, off, v: byte }),
  fc.record({ k: fc.constant('u64' as const), pfn, off, v: byte }),
  fc.record({ k: fc.constant('zero' as const), pfn }),
  fc.record({ k: fc.constant('discard' as const), pfn }),
  fc.record({ k: fc.constant('recycle' as const), pfn }),
  fc.record({ k: fc.constant('fresh' as const), pfn: fc.integer({ min: N, max: N + 3 }), v: byte }),
);

describe('PhysMem.copyFrame shares buffers copy-on-write', () => {
  it('every frame reads what a byte-for-byte copy would give (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const mem = new PhysMem();
        const ref = new Map<number, Uint8Array>();
        const refFrame = (p: number): Uint8Array => {
          let f = ref.get(p);
          if (!f) {
            f = new Uint8Array(PAGE_SIZE);
            ref.set(p, f);
          }
          return f;
        };
        for (const o of ops) {
          switch (o.k) {
            case 'copy':
              // ctx.copyPage(): copy_highpage of a materialised frame, else the destination reads zero.
              if (mem.isMaterialised(o.src)) {
                mem.copyFrame(o.dst, o.src);
                refFrame(o.dst).set(refFrame(o.src));
              } else {
                mem.discard(o.dst);
                ref.delete(o.dst);
              }
              break;
            case 'frame':
              mem.frame(o.pfn)[o.off] = o.v;
              refFrame(o.pfn)[o.off] = o.v;
              break;
            case 'write':
              mem.write(o.pfn * PAGE_SIZE + o.off, Uint8Array.of(o.v, o.v));
              refFrame(o.pfn).set([o.v, o.v], o.off);
              break;
            case 'u8':
              mem.setU8(o.pfn * PAGE_SIZE + o.off, o.v);
              refFrame(o.pfn)[o.off] = o.v;
              break;
            case 'u64':
              mem.setU64(o.pfn * PAGE_SIZE + o.off, BigInt(o.v) * 0x0101010101n);
              new DataView(refFrame(o.pfn).buffer).setBigUint64(o.off, BigInt(o.v) * 0x0101010101n, true);
              break;
            case 'zero':
              mem.zeroPage(o.pfn);
              refFrame(o.pfn).fill(0);
              break;
            case 'discard':
              mem.discard(o.pfn);
              ref.delete(o.pfn);
              break;
            case 'recycle':
              // A freed frame: its buffer may be handed to the next frame that materialises.
              mem.recycle(o.pfn);
              ref.delete(o.pfn);
              break;
            case 'fresh':
              // A new frame materialises (possibly on a recycled buffer) and is written all over.
              mem.frame(o.pfn).fill(o.v);
              refFrame(o.pfn).fill(o.v);
              break;
          }
          for (let p = 0; p < N + 4; p++) {
            const got = mem.read(p * PAGE_SIZE, PAGE_SIZE);
            const want = ref.get(p) ?? zero;
            let i = 0;
            while (i < PAGE_SIZE && got[i] === want[i]) i++;
            if (i < PAGE_SIZE)
              expect(`frame ${p} byte ${i}: ${got[i]}`).toBe(`frame ${p} byte ${i}: ${want[i]}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('a copy into a fresh frame copies no bytes until one side is written', () => {
    const mem = new PhysMem();
    mem.frame(1).fill(7);
    mem.copyFrame(2, 1);
    expect(mem.sharedBuffers).toBe(1);
    mem.recycle(1);
    expect(mem.sharedBuffers).toBe(0);
    expect(mem.read(2 * PAGE_SIZE, PAGE_SIZE).every((b) => b === 7)).toBe(true);
    // The freed source's buffer was not handed out while frame 2 still holds it.
    mem.frame(3).fill(9);
    expect(mem.read(2 * PAGE_SIZE, PAGE_SIZE).every((b) => b === 7)).toBe(true);
  });
});
