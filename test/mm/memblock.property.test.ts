/**
 * memblock_find_in_range() against a brute-force oracle over random sequences of
 * add / reserve / alloc / remove. Repeated same-shape allocations exercise the
 * search hint (Memblock keeps the last answer of a top-down search and restarts
 * below it); frees and memory adds in between must invalidate it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memblock } from '../../src/mm/memblock.js';

const U = 0x100; // address unit: small numbers keep the oracle's byte scan cheap
const SPACE = 64 * U;

/** Highest (or lowest) aligned a with [a, a+size) all memory, none reserved, inside [max(start, 4K), end). */
function oracle(
  free: (x: number) => boolean,
  start: number,
  end: number,
  size: number,
  align: number,
  up: boolean,
) {
  const lo = Math.max(start, 0x1000); // memblock never returns the first page
  const cands: number[] = [];
  for (let a = Math.ceil(lo / align) * align; a + size <= end; a += align) {
    let ok = true;
    for (let x = a; x < a + size && ok; x++) ok = free(x);
    if (ok) cands.push(a);
  }
  if (cands.length === 0) return 0;
  return up ? cands[0]! : cands[cands.length - 1]!;
}

const op = fc.oneof(
  fc.record({
    k: fc.constant('add' as const),
    a: fc.integer({ min: 0, max: 63 }),
    n: fc.integer({ min: 1, max: 16 }),
  }),
  fc.record({
    k: fc.constant('reserve' as const),
    a: fc.integer({ min: 0, max: 63 }),
    n: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    k: fc.constant('free' as const),
    a: fc.integer({ min: 0, max: 63 }),
    n: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    k: fc.constant('remove' as const),
    a: fc.integer({ min: 0, max: 63 }),
    n: fc.integer({ min: 1, max: 8 }),
  }),
  fc.record({
    k: fc.constant('alloc' as const),
    // Few shapes, so the same search often repeats across frees and adds.
    size: fc.constantFrom(0x40, 0x100),
    align: fc.constant(0x40),
    end: fc.constantFrom(SPACE, 40 * U),
    repeat: fc.integer({ min: 1, max: 12 }),
    up: fc.boolean(),
    // A bare find (no reserve) must give the same answer again.
    reserve: fc.boolean(),
  }),
);

describe('memblock find/alloc', () => {
  it('a repeated search sees space freed or added above its last answer', () => {
    const mb = new Memblock();
    mb.add(0, 0x10000);
    mb.reserve(0xf000, 0x1000);
    expect(mb.alloc(0x40, 0x40, 'a')).toBe(0xefc0);
    mb.reserved.removeRange(0xf000, 0x1000); // memblock_free() of the top page
    expect(mb.alloc(0x40, 0x40, 'b')).toBe(0xffc0);
    mb.add(0x10000, 0x1000); // memblock_add() above
    expect(mb.alloc(0x40, 0x40, 'c')).toBe(0x10fc0);
    mb.memory.removeRange(0x10000, 0x1000);
    expect(mb.alloc(0x40, 0x40, 'd')).toBe(0xff80);
    // A bare find returns the same block until it is reserved.
    expect(mb.findInRange(0, mb.currentLimit, 0x40, 0x40)).toBe(0xff40);
    expect(mb.findInRange(0, mb.currentLimit, 0x40, 0x40)).toBe(0xff40);
  });

  it('agrees with a byte-level oracle, hint included', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
        const mb = new Memblock();
        const mem = new Uint8Array(SPACE);
        const res = new Uint8Array(SPACE);
        const set = (arr: Uint8Array, a: number, n: number, v: number) =>
          arr.fill(v, a, Math.min(SPACE, a + n));
        const free = (x: number) => mem[x] === 1 && res[x] === 0;
        for (const o of ops) {
          if (o.k === 'add') {
            mb.add(o.a * U, o.n * U);
            set(mem, o.a * U, o.n * U, 1);
          } else if (o.k === 'reserve') {
            mb.reserve(o.a * U, o.n * U);
            set(res, o.a * U, o.n * U, 1);
          } else if (o.k === 'free') {
            mb.reserved.removeRange(o.a * U, o.n * U);
            set(res, o.a * U, o.n * U, 0);
          } else if (o.k === 'remove') {
            mb.memory.removeRange(o.a * U, o.n * U);
            set(mem, o.a * U, o.n * U, 0);
          } else {
            mb.bottomUp = o.up;
            for (let i = 0; i < o.repeat; i++) {
              const want = oracle(free, 0, o.end, o.size, o.align, o.up);
              const got = mb.findInRange(0, o.end, o.size, o.align);
              expect(got).toBe(want);
              if (got === 0 || !o.reserve) continue;
              mb.reserve(got, o.size);
              set(res, got, o.size, 1);
            }
          }
          mb.check();
        }
      }),
      { numRuns: 600 },
    );
  });
});
