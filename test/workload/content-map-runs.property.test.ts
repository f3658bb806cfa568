/**
 * ContentMap's run forms against their per-frame forms: copyRunFromMap()
 * (plan mode's store of a run of loaded pages) against copyFromMap() — or
 * clear() where it returns false — frame by frame, and copyRange() against
 * copy() frame by frame and countKinds() against kind(), over frames holding none, ZERO, generated pages and
 * kernel-data frames (a map's own kernel source, or copies naming another
 * machine's provider), across a section boundary, with steps ±1 and 2.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostBudget } from '../../src/mm/host-budget.js';
import type { PageContentProvider } from '../../src/mm/phys-mem.js';
import { ContentKind } from '../../src/workload/content.js';
import { ContentMap } from '../../src/workload/content-map.js';
import { type Frame, frameArb, provider, runProvider } from './frame-arb.js';

/** Frames base … base + SPAN - 1 straddle the section boundary at 32768. */
const BASE = 32768 - 40;
const SPAN = 80;

const frame = frameArb(1 << 20);

/**
 * Frames in runs of 1–24 that repeat one descriptor with consecutive src (what copies leave);
 * a run may go on from the last one's src with another seed or provider (a run must break there).
 */
function runFrames(count: number) {
  const seg = fc.tuple(frame, fc.integer({ min: 1, max: 24 }), fc.boolean());
  return fc.array(seg, { minLength: 1, maxLength: count }).map((segs) => {
    const out: Frame[] = [];
    let next = 0;
    for (const [f, len, cont] of segs) {
      const src0 =
        (f.t === 'gen' || f.t === 'kdata') && cont ? next : f.t === 'gen' || f.t === 'kdata' ? f.src : 0;
      for (let j = 0; j < len && out.length < count; j++)
        out.push(f.t === 'gen' || f.t === 'kdata' ? { ...f, src: src0 + j } : f);
      next = src0 + len;
    }
    while (out.length < count) out.push({ t: 'none' });
    return out;
  });
}

/** A map with its own kernel source over [BASE + lo, BASE + hi) and the given frames from BASE on. */
function makeMap(
  frames: Frame[],
  own: PageContentProvider,
  provs: PageContentProvider[],
  budget: HostBudget | null = null,
): ContentMap {
  const m = new ContentMap(budget);
  m.setKernelSource(own);
  frames.forEach((f, i) => {
    const p = BASE + i;
    if (f.t === 'zero') m.set(p, ContentKind.ZERO, 0, p);
    else if (f.t === 'gen') m.set(p, f.kind, f.seed, f.src);
    else if (f.t === 'kdata') m.set(p, ContentKind.KDATA, 0, f.src, provs[f.prov]!);
  });
  return m;
}

/** Every frame's descriptor (a provider named by its index in provs), the count and the runs. */
function dump(m: ContentMap, provs: PageContentProvider[]): unknown {
  const frames: unknown[] = [];
  for (let p = BASE - 4; p < BASE + 3 * SPAN; p++) {
    const d = m.get(p);
    frames.push(d ? { ...d, source: d.source ? provs.indexOf(d.source) : undefined } : null);
  }
  return { size: m.size, frames, runs: m.runs() };
}

describe('ContentMap run forms', () => {
  it('copyRunFromMap() equals copyFromMap()/clear() frame by frame', () => {
    fc.assert(
      fc.property(
        fc.oneof(runFrames(SPAN), fc.array(frame, { minLength: SPAN, maxLength: SPAN })),
        fc.oneof(runFrames(3 * SPAN), fc.array(frame, { minLength: SPAN, maxLength: SPAN })),
        fc.nat(SPAN - 1),
        fc.integer({ min: 1, max: SPAN }),
        fc.constantFrom(1, -1, 2),
        fc.nat(SPAN),
        fc.tuple(fc.nat(SPAN), fc.nat(SPAN)),
        fc.boolean(),
        (fa, fb, from0, n0, step, to0, [lo, hi], withRun) => {
          const provs = [
            (withRun ? runProvider : provider)(BASE + lo, BASE + hi),
            provider(BASE, BASE + SPAN / 2),
            provider(0, 1 << 30),
          ];
          const src = makeMap(fa, provs[0]!, provs);
          const ba = new HostBudget(2 ** 40);
          const bb = new HostBudget(2 ** 40);
          const a = makeMap(fb, provs[1]!, provs, ba);
          const b = makeMap(fb, provs[1]!, provs, bb);
          const n = Math.min(n0, SPAN - from0);
          const from = BASE + from0;
          // Targets inside [BASE, BASE + 3·SPAN) whatever the step.
          const to = BASE + SPAN + (step === -1 ? to0 + n : to0);
          a.copyRunFromMap(src, from, to, step, n);
          for (let i = 0; i < n; i++) {
            if (!b.copyFromMap(src, from + i, to + i * step)) b.clear(to + i * step);
          }
          expect(dump(a, provs)).toEqual(dump(b, provs));
          expect(ba.used).toBe(bb.used);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('copyRange()/copyStrided() equal copy() frame by frame: runs, steps ±1, filled or overlapping targets, budget charges', () => {
    fc.assert(
      fc.property(
        runFrames(3 * SPAN),
        fc.array(
          fc.tuple(
            fc.nat(3 * SPAN - 1),
            fc.integer({ min: 1, max: 2 * SPAN }),
            fc.nat(3 * SPAN),
            fc.constantFrom(1, -1),
            fc.constantFrom(1, -1),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        fc.tuple(fc.nat(3 * SPAN), fc.nat(3 * SPAN)),
        fc.boolean(),
        (fa, ops, [lo, hi], withRun) => {
          const provs = [
            (withRun ? runProvider : provider)(BASE + lo, BASE + hi),
            provider(0, 1 << 30),
            provider(0, 1 << 30),
          ];
          const ba = new HostBudget(2 ** 40);
          const bb = new HostBudget(2 ** 40);
          const a = makeMap(fa, provs[0]!, provs, ba);
          const b = makeMap(fa, provs[0]!, provs, bb);
          // Any source and target in [BASE - 4, BASE + 3·SPAN): overlapping either way, into
          // frames with descriptors or without, across the section boundary.
          for (const [from0, n0, to0, fs, ts] of ops) {
            // Every frame inside [BASE - 4, BASE + 3·SPAN) whatever the steps.
            const n = Math.min(
              n0,
              fs > 0 ? 3 * SPAN - from0 : from0 + 1,
              ts > 0 ? 3 * SPAN - to0 + 4 : to0 + 1,
            );
            const from = BASE + from0;
            const to = BASE - 4 + to0;
            if (fs === 1 && ts === 1) a.copyRange(from, to, n);
            else a.copyStrided(from, fs, to, ts, n);
            for (let i = 0; i < n; i++) b.copy(from + i * fs, to + i * ts);
            expect(dump(a, provs)).toEqual(dump(b, provs));
            expect(ba.used).toBe(bb.used);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('nonZeroRun() = the stretch of kind()/kdataIsZero() frame by frame that is known not zero', () => {
    fc.assert(
      fc.property(
        runFrames(3 * SPAN),
        fc.tuple(fc.nat(3 * SPAN), fc.nat(3 * SPAN)),
        fc.integer({ min: -8, max: 3 * SPAN }),
        fc.nat(3 * SPAN + 16),
        fc.boolean(),
        fc.integer({ min: 2, max: 40 }),
        (fa, [lo, hi], from0, n, withRun, every) => {
          // Zero tests: a frame every `every` is zero, a few can't tell, the rest are not zero.
          const zero = (p: number): boolean | undefined =>
            p % every === 0 ? true : p % 37 === 5 ? undefined : false;
          const withZero = (pr: PageContentProvider): PageContentProvider => {
            const q: PageContentProvider = { covers: pr.covers, fill: pr.fill, isZeroFrame: zero };
            if (withRun)
              q.nonZeroRun = (p, k) => {
                let r = 0;
                while (r < k && pr.covers(p + r) && zero(p + r) === false) r++;
                return r;
              };
            return q;
          };
          const provs = [
            withZero(provider(BASE + lo, BASE + hi)),
            withZero(provider(0, 1 << 30)),
            provider(0, 1 << 30),
          ];
          const m = makeMap(fa, provs[0]!, provs);
          const pfn = BASE + from0;
          let want = 0;
          for (; want < n; want++) {
            const k = m.kind(pfn + want);
            if (k === ContentKind.NONE || k === ContentKind.ZERO) break;
            if (k === ContentKind.KDATA && m.kdataIsZero(pfn + want) !== false) break;
          }
          expect(m.nonZeroRun(pfn, n)).toBe(want);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('countKinds() counts kind() frame by frame', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: SPAN, maxLength: SPAN }),
        fc.integer({ min: -8, max: SPAN }),
        fc.integer({ min: 0, max: SPAN + 16 }),
        fc.tuple(fc.nat(SPAN), fc.nat(SPAN)),
        (fa, from0, n, [lo, hi]) => {
          const provs = [provider(BASE + lo, BASE + hi), provider(0, 1 << 30), provider(0, 1 << 30)];
          const m = makeMap(fa, provs[0]!, provs);
          const got = new Float64Array(256);
          m.countKinds(BASE + from0, n, got);
          const want = new Float64Array(256);
          for (let p = BASE + from0; p < BASE + from0 + n; p++) want[m.kind(p)]!++;
          expect(Array.from(got)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('copyRange() equals copy() frame by frame, kernel-data frames included', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: SPAN, maxLength: SPAN }),
        fc.nat(SPAN - 1),
        fc.integer({ min: 1, max: SPAN }),
        fc.nat(2 * SPAN),
        fc.tuple(fc.nat(SPAN), fc.nat(SPAN)),
        (fa, from0, n0, to0, [lo, hi]) => {
          const provs = [provider(BASE + lo, BASE + hi), provider(0, 1 << 30), provider(0, 1 << 30)];
          const a = makeMap(fa, provs[0]!, provs);
          const b = makeMap(fa, provs[0]!, provs);
          const n = Math.min(n0, SPAN - from0);
          const from = BASE + from0;
          // Disjoint from the source frames (a snapshot copies into other frames).
          const to = BASE + SPAN + to0;
          a.copyRange(from, to, n);
          for (let i = 0; i < n; i++) b.copy(from + i, to + i);
          expect(dump(a, provs)).toEqual(dump(b, provs));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('clearRange()/clearStrided() equal clear() frame by frame: steps ±1 and 2, budget charges', () => {
    fc.assert(
      fc.property(
        runFrames(3 * SPAN),
        fc.array(
          fc.tuple(fc.nat(3 * SPAN - 1), fc.integer({ min: 1, max: 2 * SPAN }), fc.constantFrom(1, -1, 2)),
          { minLength: 1, maxLength: 3 },
        ),
        fc.tuple(fc.nat(3 * SPAN), fc.nat(3 * SPAN)),
        fc.constantFrom('run', 'plain', 'none'),
        (fa, ops, [lo, hi], ks) => {
          const own = ks === 'run' ? runProvider(BASE + lo, BASE + hi) : provider(BASE + lo, BASE + hi);
          const provs = [own, provider(0, 1 << 30), provider(0, 1 << 30)];
          const ba = new HostBudget(2 ** 40);
          const bb = new HostBudget(2 ** 40);
          const a = makeMap(fa, own, provs, ba);
          const b = makeMap(fa, own, provs, bb);
          if (ks === 'none') {
            a.setKernelSource(null);
            b.setKernelSource(null);
          }
          for (const [at0, n0, step] of ops) {
            // Every frame inside [BASE - 4, BASE + 3·SPAN) whatever the step.
            const at = BASE - 4 + at0;
            const n = Math.max(
              1,
              Math.min(n0, step > 0 ? Math.floor((3 * SPAN - at0 - 1) / step) + 1 : at0 + 1),
            );
            if (step === 1 && n0 % 2 === 0) a.clearRange(at, n);
            else a.clearStrided(at, step, n);
            for (let i = 0; i < n; i++) b.clear(at + i * step);
            expect(dump(a, provs)).toEqual(dump(b, provs));
            expect(ba.used).toBe(bb.used);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
