/**
 * PhysMem's run forms against discard() / isMaterialised() frame by frame:
 * discardRange() (which visits only the frames the tables hold),
 * discardStrided() (steps ±1 and 3) and unmaterialisedRun(), over two leaves
 * with materialised frames (sparse and dense leaves), buffers shared by
 * copyFrame() and synthesised frames.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FrameSource, PhysMem } from '../../src/mm/phys-mem.js';

const LEAF = 4096;
const LO = 0x3ff * LEAF + LEAF - 200;
const HI = 0x400 * LEAF + 200;

const source: FrameSource = { fill: (_pfn, dst) => dst.fill(7, 0, 16) };

const setup = fc.array(
  fc.record({
    op: fc.constantFrom('write', 'copy', 'synth'),
    pfn: fc.integer({ min: LO, max: HI - 1 }),
    other: fc.integer({ min: LO, max: HI - 1 }),
  }),
  { maxLength: 300 },
);

function build(ops: { op: string; pfn: number; other: number }[]): PhysMem {
  const mem = new PhysMem();
  for (const o of ops) {
    if (o.op === 'write') mem.frame(o.pfn)[o.pfn % 4096] = (o.other % 255) + 1;
    else if (o.op === 'synth') mem.synthesise(o.pfn, source);
    else if (o.other !== o.pfn && mem.isMaterialised(o.other) && mem.sourceOf(o.other) === undefined)
      mem.copyFrame(o.pfn, o.other);
  }
  return mem;
}

/** What each frame holds and reads. */
function state(mem: PhysMem): unknown {
  const out: unknown[] = [mem.materialisedCount, mem.bufferCount, mem.synthesisedCount];
  for (let p = LO; p < HI; p++) {
    if (!mem.isMaterialised(p)) continue;
    out.push(p, mem.sourceOf(p) !== undefined, mem.u8(p * 4096 + (p % 4096)), mem.u8(p * 4096));
  }
  return out;
}

describe('PhysMem run forms', () => {
  it('discardRange / discardStrided = discard() per frame; unmaterialisedRun = isMaterialised() per frame', () => {
    fc.assert(
      fc.property(
        setup,
        fc.integer({ min: LO, max: HI - 1 }),
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom(1, -1, 3),
        (ops, start, n0, step) => {
          const a = build(ops);
          const b = build(ops);
          const n =
            step === 1
              ? Math.min(n0, HI - start)
              : step === -1
                ? Math.min(n0, start - LO + 1)
                : Math.min(n0, Math.floor((HI - 1 - start) / 3) + 1);
          if (step === 1) {
            const m = Math.min(n, HI - start);
            let want = 0;
            while (want < m && !b.isMaterialised(start + want)) want++;
            expect(a.unmaterialisedRun(start, m)).toBe(want);
          }
          a.discardStrided(start, step, n);
          for (let i = 0; i < n; i++) b.discard(start + i * step);
          expect(state(a)).toEqual(state(b));
          // A shared buffer left behind is still copy-on-write: writing it does not change its partner.
          for (let p = LO; p < HI; p++) if (a.isMaterialised(p)) a.frame(p)[1] = 9;
          for (let p = LO; p < HI; p++) if (b.isMaterialised(p)) b.frame(p)[1] = 9;
          expect(state(a)).toEqual(state(b));
        },
      ),
      { numRuns: 300 },
    );
  });
});
