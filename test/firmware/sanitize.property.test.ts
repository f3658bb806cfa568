/** sanitizeE820 against a brute-force oracle: at every address the highest covering type wins. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changePoints } from '../../src/firmware/e820-table.js';
import { type E820Entry, sanitizeE820 } from '../../src/firmware/index.js';

const entry = fc.record({
  addr: fc.integer({ min: 0, max: 64 }).map((x) => BigInt(x) * 0x800n),
  size: fc.integer({ min: 0, max: 24 }).map((x) => BigInt(x) * 0x800n),
  type: fc.constantFrom(1, 2, 3, 4, 5, 12, 128),
});

/** Highest type among entries covering x, 0 if none (the kernel's change-point rule, brute force). */
function oracle(entries: readonly E820Entry[], x: bigint): number {
  let t = 0;
  for (const e of entries) if (e.size > 0n && e.addr <= x && x < e.addr + e.size && e.type > t) t = e.type;
  return t;
}
const typeAt = (entries: readonly E820Entry[], x: bigint): number =>
  entries.find((e) => e.addr <= x && x < e.addr + e.size)?.type ?? 0;

describe('sanitizeE820', () => {
  it('sorted, non-overlapping, merged, highest type wins, idempotent', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 2, maxLength: 12 }), (input) => {
        const out = sanitizeE820(input);
        for (let i = 1; i < out.length; i++) {
          const p = out[i - 1]!;
          const c = out[i]!;
          expect(p.addr + p.size <= c.addr).toBe(true);
          if (p.addr + p.size === c.addr) expect(p.type).not.toBe(c.type);
        }
        for (const e of out) expect(e.size > 0n).toBe(true);
        for (let x = 0n; x < 90n * 0x800n; x += 0x400n) expect(typeAt(out, x)).toBe(oracle(input, x));
        expect(sanitizeE820(out)).toEqual(out);
      }),
      { numRuns: 300 },
    );
  });
  it('sorted, disjoint tables (the one-pass path) give what the change-point loop gives', () => {
    // Gaps of 0 make touching neighbours (merged when the type repeats); sizes of 0 are dropped.
    const piece = fc.record({
      gap: fc.integer({ min: 0, max: 3 }).map((x) => BigInt(x) * 0x1000n),
      size: fc.integer({ min: 0, max: 4 }).map((x) => BigInt(x) * 0x1000n),
      type: fc.constantFrom(1, 2, 3, 4, 128),
    });
    fc.assert(
      fc.property(fc.array(piece, { minLength: 2, maxLength: 30 }), (pieces) => {
        let at = 0n;
        const input: E820Entry[] = pieces.map((p) => {
          const e = { addr: at + p.gap, size: p.size, type: p.type };
          at = e.addr + e.size;
          return e;
        });
        const out = sanitizeE820(input);
        expect(out).toEqual(changePoints(input));
        for (let x = 0n; x < at; x += 0x800n) expect(typeAt(out, x)).toBe(oracle(input, x));
      }),
      { numRuns: 500 },
    );
    // One overlap anywhere sends the table through the change-point loop (higher type wins).
    const t = [
      { addr: 0n, size: 0x3000n, type: 1 },
      { addr: 0x2000n, size: 0x2000n, type: 2 },
    ];
    expect(sanitizeE820(t)).toEqual([
      { addr: 0n, size: 0x2000n, type: 1 },
      { addr: 0x2000n, size: 0x2000n, type: 2 },
    ]);
  });
  it('fewer than 2 entries: returned unchanged, as the kernel bails out', () => {
    expect(sanitizeE820([{ addr: 0n, size: 0n, type: 1 }])).toEqual([{ addr: 0n, size: 0n, type: 1 }]);
  });
});
