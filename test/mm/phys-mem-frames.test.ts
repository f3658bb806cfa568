/**
 * PhysMem's frame table keeps a 4096-pfn leaf sparse (a few scattered frames)
 * until it holds more than 64 frames, then dense. Whatever the form, a frame
 * reads back the bytes written to it, a discarded frame reads zero, and
 * materialisedPfns() lists exactly the materialised frames, ascending —
 * checked against a Map under random sequences of materialise / discard over
 * pfns of two leaves (fast-check), so both forms and the switch are covered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhysMem } from '../../src/mm/phys-mem.js';

const LEAF = 4096;

describe('PhysMem frame table (sparse and dense leaves)', () => {
  it('reads back every written frame; discards read zero; materialisedPfns() is the written set, ascending', () => {
    // pfns of leaf 0x3ff and leaf 0x400 (so a leaf boundary is crossed), a range wide enough for
    // >64 distinct frames per leaf in long runs.
    const pfnArb = fc.integer({ min: 0x3ff * LEAF + LEAF - 300, max: 0x400 * LEAF + 299 });
    const opArb = fc.record({ write: fc.boolean(), pfn: pfnArb, v: fc.integer({ min: 1, max: 255 }) });
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 600 }), (ops) => {
        const mem = new PhysMem();
        const want = new Map<number, number>();
        for (const o of ops) {
          if (o.write) {
            mem.frame(o.pfn)[o.pfn % 4096] = o.v;
            mem.frame(o.pfn)[4095] = o.v;
            want.set(o.pfn, o.v);
          } else {
            mem.discard(o.pfn);
            want.delete(o.pfn);
          }
        }
        expect(mem.materialisedCount).toBe(want.size);
        expect(mem.materialisedPfns()).toEqual([...want.keys()].sort((a, b) => a - b));
        for (const o of ops) {
          const v = want.get(o.pfn);
          expect(mem.isMaterialised(o.pfn)).toBe(v !== undefined);
          expect(mem.u8(o.pfn * 4096 + 4095)).toBe(v ?? 0);
          expect(mem.u8(o.pfn * 4096 + (o.pfn % 4096))).toBe(v ?? 0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('lookups interleaved with writes over five leaves (the two-leaf cache, misses included) = a Map', () => {
    // Leaves that exist, leaves that do not yet: every op checks a pfn right away, so a cached
    // miss is followed by a write to that leaf, and lookups alternate between leaves.
    const pfnArb = fc
      .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 80 }))
      .map(([l, i]) => (0x100 + 3 * l) * LEAF + i * 7);
    const opArb = fc.record({
      op: fc.constantFrom('write', 'discard', 'check', 'check'),
      pfn: pfnArb,
      v: fc.integer({ min: 1, max: 255 }),
    });
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 400 }), (ops) => {
        const mem = new PhysMem();
        const want = new Map<number, number>();
        for (const o of ops) {
          if (o.op === 'write') {
            mem.frame(o.pfn)[0] = o.v;
            want.set(o.pfn, o.v);
          } else if (o.op === 'discard') {
            mem.discard(o.pfn);
            want.delete(o.pfn);
          }
          expect(mem.isMaterialised(o.pfn)).toBe(want.has(o.pfn));
          expect(mem.u8(o.pfn * 4096)).toBe(want.get(o.pfn) ?? 0);
        }
        expect(mem.materialisedPfns()).toEqual([...want.keys()].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });

  it('a leaf that passes 64 frames keeps every frame (the switch to the dense form)', () => {
    const mem = new PhysMem();
    const base = 7 * LEAF;
    // Descending and interleaved, so the sparse form inserts in the middle before it switches.
    const order: number[] = [];
    for (let k = 0; k < 100; k++) order.push(base + ((k * 37) % 100) * 13);
    for (const p of order) mem.frame(p)[1] = (p % 251) + 1;
    for (const p of order) expect(mem.u8(p * 4096 + 1)).toBe((p % 251) + 1);
    expect(mem.materialisedCount).toBe(100);
    for (const p of order.slice(0, 50)) mem.discard(p);
    expect(mem.materialisedCount).toBe(50);
    expect(mem.materialisedPfns()).toEqual(order.slice(50).sort((a, b) => a - b));
  });
});
