/**
 * ContentMap against a plain per-frame oracle: random set (own or foreign src
 * pfns), copy, copyRange, clear and clearRange; every frame's descriptor and
 * the count must match — whether a section keeps its src column implicit
 * (src = base + index) or materialises it; and its runs (forEachRun) are the
 * oracle's maximal runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ContentKind } from '../../src/workload/content.js';
import { ContentMap } from '../../src/workload/content-map.js';

type D = { kind: number; seed: number; src: number };
const SPAN = 3 * 32768;

const op = fc.oneof(
  fc.record({
    k: fc.constant('set' as const),
    pfn: fc.nat(SPAN - 1),
    kind: fc.constantFrom(ContentKind.TEXT, ContentKind.RANDOM, ContentKind.ZERO),
    seed: fc.nat(2),
    srcOff: fc.integer({ min: -40000, max: 40000 }),
    own: fc.boolean(),
  }),
  fc.record({
    k: fc.constant('setRun' as const),
    pfn: fc.nat(SPAN - 1),
    n: fc.integer({ min: 1, max: 40000 }),
    srcOff: fc.integer({ min: 0, max: 1 << 20 }),
  }),
  fc.record({ k: fc.constant('copy' as const), from: fc.nat(SPAN - 1), to: fc.nat(SPAN - 1) }),
  fc.record({
    k: fc.constant('copyRange' as const),
    from: fc.nat(SPAN - 1),
    to: fc.nat(SPAN - 1),
    n: fc.integer({ min: 1, max: 40000 }),
  }),
  fc.record({ k: fc.constant('clear' as const), pfn: fc.nat(SPAN - 1) }),
  fc.record({
    k: fc.constant('clearRange' as const),
    pfn: fc.nat(SPAN - 1),
    n: fc.integer({ min: 1, max: 40000 }),
  }),
);

describe('ContentMap descriptors', () => {
  it('equal a per-frame oracle under random sets, copies and clears', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const m = new ContentMap();
        const o = new Map<number, D>();
        for (const x of ops) {
          if (x.k === 'set') {
            const src = x.own ? x.pfn : Math.max(0, x.pfn + x.srcOff);
            m.set(x.pfn, x.kind, x.seed + 1, src);
            o.set(x.pfn, { kind: x.kind, seed: x.seed + 1, src });
          } else if (x.k === 'setRun') {
            for (let i = 0; i < x.n; i++) {
              m.set(x.pfn + i, ContentKind.TEXT, 7, x.srcOff + i);
              o.set(x.pfn + i, { kind: ContentKind.TEXT, seed: 7, src: x.srcOff + i });
            }
          } else if (x.k === 'copy' || x.k === 'copyRange') {
            const n = x.k === 'copy' ? 1 : x.n;
            if (x.k === 'copy') m.copy(x.from, x.to);
            else m.copyRange(x.from, x.to, n);
            for (let i = 0; i < n; i++) {
              const d = o.get(x.from + i);
              if (d) o.set(x.to + i, { ...d });
              else o.delete(x.to + i);
            }
          } else {
            const n = x.k === 'clear' ? 1 : x.n;
            if (x.k === 'clear') m.clear(x.pfn);
            else m.clearRange(x.pfn, n);
            for (let i = 0; i < n; i++) o.delete(x.pfn + i);
          }
        }
        expect(m.size).toBe(o.size);
        for (let p = 0; p < SPAN + 80000; p += 1 + (p % 7)) {
          const got = m.get(p);
          const want = o.get(p);
          expect(got ? { kind: got.kind, seed: got.seed, src: got.src } : undefined, `pfn ${p}`).toEqual(
            want,
          );
        }
        for (const [p, d] of o) expect(m.get(p)).toEqual(d);
        // forEachRun (the dump's DESC): maximal runs of consecutive frames, one kind and seed, consecutive src.
        const want: number[][] = [];
        for (const p of [...o.keys()].sort((a, b) => a - b)) {
          const d = o.get(p)!;
          const r = want.at(-1);
          if (r && r[0]! + r[1]! === p && r[2] === d.kind && r[3] === d.seed && r[4]! + r[1]! === d.src)
            r[1]!++;
          else want.push([p, 1, d.kind, d.seed, d.src]);
        }
        const seeds = m.seedTable();
        const got: number[][] = [];
        m.forEachRun((pfn, n, kind, seed, src) => got.push([pfn, n, kind, seeds[seed]!, src]));
        expect(got).toEqual(want);
      }),
      { numRuns: 25 },
    );
  });
});

describe('ContentMap.copyFromMap', () => {
  it('is setDescriptor(to, other.get(from)) for generated, ZERO, KDATA and kernel-source frames', () => {
    // A kernel-data provider covering pfns [1000, 2000) of the source map, and a second one
    // that KDATA descriptors name.
    const kernel = { covers: (p: number) => p >= 1000 && p < 2000, fill: () => undefined };
    const other = { covers: () => true, fill: () => undefined };
    const setup = fc.array(
      fc.record({
        pfn: fc.nat(4000),
        kind: fc.constantFrom(
          ContentKind.TEXT,
          ContentKind.RANDOM,
          ContentKind.ZERO,
          ContentKind.KDATA,
          ContentKind.NONE,
        ),
        seed: fc.nat(3),
        src: fc.nat(1 << 20),
      }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(
        setup,
        fc.array(fc.tuple(fc.nat(4000), fc.nat(4000)), { minLength: 1, maxLength: 40 }),
        (sets, copies) => {
          const from = new ContentMap();
          from.setKernelSource(kernel);
          for (const x of sets)
            from.set(x.pfn, x.kind, x.seed + 1, x.src, x.kind === ContentKind.KDATA ? other : undefined);
          const a = new ContentMap();
          const b = new ContentMap();
          for (const [f, t] of copies) {
            // The reference: a descriptor object, as PlanPageStore did.
            const d = from.get(f);
            const ref = d !== undefined && d.kind !== ContentKind.ZERO;
            if (ref) a.setDescriptor(t, d!);
            expect(b.copyFromMap(from, f, t)).toBe(ref);
          }
          for (const [, t] of copies) expect(b.get(t)).toEqual(a.get(t));
          expect(b.size).toBe(a.size);
        },
      ),
      { numRuns: 200 },
    );
  }, 60_000);
});
