/**
 * The engine's structured events (src/power/events.ts): phases in the
 * kernel's order and properly nested, progress counts that only grow and
 * reach the phase's page total, console events that are exactly the printed
 * consoles, one verdict, the oops where the run died (the loader's oops: seed-000.test.ts).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/power/events.js';
import { ProgressPrinter } from '../../src/power/image/log.js';
import type { RunResult } from '../../src/scenario/run.js';
import { consoleOf, expectNested, phaseTrail, progressOf } from './event-checks.js';
import { runBuiltin } from './helpers.js';

async function runWithEvents(name: string): Promise<{ r: RunResult; ev: EngineEvent[] }> {
  const ev: EngineEvent[] = [];
  const r = await runBuiltin(name, undefined, undefined, (e) => ev.push(e));
  return { r, ev };
}

describe('events of a resumed run (seed-001-fixmap)', () => {
  let r: RunResult;
  let ev: EngineEvent[];
  beforeAll(async () => {
    ({ r, ev } = await runWithEvents('seed-001-fixmap'));
  }, 120_000);

  it('phases in the order hibernate() and software_resume() run them, properly nested', () => {
    expect(r.verdict).toBe('resumed');
    expect(phaseTrail(ev)).toEqual([
      '+suspend-boot',
      '-suspend-boot',
      '+hibernate',
      '+save',
      '-save',
      '+write-image',
      '-write-image',
      '-hibernate',
      '+resume-boot',
      '-resume-boot',
      '+resume',
      '+load-image',
      '-load-image',
      '+restore',
      '-restore',
      '+verify',
      '-verify',
      '-resume',
    ]);
    expectNested(ev);
  });

  it('write and load progress grow to the stream page counts the image and the loader report', () => {
    const w = progressOf(ev, 'write-image');
    const l = progressOf(ev, 'load-image');
    // Stream pages = every page after the header page: swsusp_info.pages - 1.
    expect(w.at(-1)).toEqual({
      done: r.suspend.hibernate!.write.pages - 1,
      total: r.suspend.hibernate!.write.pages - 1,
    });
    const st = r.resume!.result.stats;
    expect(l.at(-1)).toEqual({ done: st.loaded, total: st.streamPages });
    expect(st.loaded).toBe(st.streamPages);
    // Finer than the kernel's 10% lines.
    expect(w.length).toBeGreaterThan(10);
    expect(l.length).toBeGreaterThan(10);
  });

  it('console events are the printed consoles, boot by boot; one verdict, last', () => {
    expect(consoleOf(ev, 'suspend')).toEqual(r.suspend.console);
    expect(consoleOf(ev, 'resume')).toEqual(r.resume!.console);
    expect(consoleOf(ev, 'restored')).toEqual(r.restoredConsole);
    expect(r.restoredConsole.length).toBeGreaterThan(0);
    const verdicts = ev.filter((e) => e.type === 'verdict');
    expect(verdicts).toEqual([{ type: 'verdict', verdict: r.verdict, reason: r.reason }]);
    expect(ev.at(-1)).toBe(verdicts[0]);
    expect(ev.some((e) => e.type === 'oops')).toBe(false);
  });
});

describe('events of a run that dies while saving', () => {
  it('seed-001: an oops while saving — the suspend boot reports it, nothing resumes', async () => {
    const { r, ev } = await runWithEvents('seed-001');
    expect(r.verdict).toBe('hibernate-failed');
    expectNested(ev);
    expect(phaseTrail(ev)).toEqual([
      '+suspend-boot',
      '-suspend-boot',
      '+hibernate',
      '+save',
      '-save',
      '-hibernate',
    ]);
    expect(ev.filter((e) => e.type === 'oops')).toEqual([
      { type: 'oops', boot: 'suspend', oops: r.suspend.oops },
    ]);
    expect(consoleOf(ev, 'suspend')).toEqual(r.suspend.console);
    expect(ev.at(-1)).toEqual({ type: 'verdict', verdict: 'hibernate-failed', reason: r.reason });
  }, 120_000);
});

describe('ProgressPrinter counts (shared by the writer and the loaders)', () => {
  it('reports a non-decreasing count that ends at the total, and the kernel lines are unchanged by it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), (total) => {
        const seen: number[] = [];
        const withSink: string[] = [];
        const plain: string[] = [];
        const p = new ProgressPrinter(
          total,
          'loading',
          (l) => withSink.push(l),
          (done, t) => {
            expect(t).toBe(total);
            seen.push(done);
          },
        );
        const q = new ProgressPrinter(total, 'loading', (l) => plain.push(l));
        for (let i = 0; i < total; i++) {
          p.tick();
          q.tick();
        }
        expect(withSink).toEqual(plain);
        expect(seen.at(-1)).toBe(total);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
        // At most one report per 1% (plus the last one).
        expect(seen.length).toBeLessThanOrEqual(Math.min(total, 101));
      }),
      { numRuns: 200 },
    );
  });
});
