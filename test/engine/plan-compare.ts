/**
 * Compare a plan-mode run with the full run of the same story: everything but
 * the lines and numbers plan mode marks as estimates must be identical.
 */
import { expect } from 'vitest';
import type { RunResult } from '../../src/scenario/run.js';

/** The console line that carries the compressed size (6.x): an estimate in plan mode. */
export const SIZE_LINE = /PM: Image size after compression: /;

/** Relative tolerance of the compressed-size estimate against the real size. */
export const ESTIMATE_TOLERANCE = 0.2;

export function expectPlanAgrees(full: RunResult, plan: RunResult): void {
  expect(plan.plan).toBe(true);
  expect(plan.verdict).toBe(full.verdict);
  expect(plan.reason).toBe(full.reason);
  // Suspend console: identical but for the estimated size line, which says so.
  const fs = full.suspend.console;
  const ps = plan.suspend.console;
  expect(ps.length).toBe(fs.length);
  for (let i = 0; i < fs.length; i++) {
    if (SIZE_LINE.test(fs[i]!)) {
      expect(ps[i]).toMatch(/PM: Image size after compression: ~\d+ kbytes \(estimate\)$/);
      const real = Number(/(\d+) kbytes/.exec(fs[i]!)![1]);
      const est = Number(/~(\d+) kbytes/.exec(ps[i]!)![1]);
      expect(Math.abs(est - real) / real).toBeLessThan(ESTIMATE_TOLERANCE);
    } else expect(ps[i]).toBe(fs[i]);
  }
  expect(plan.resume?.console).toEqual(full.resume?.console);
  expect(plan.restoredConsole).toEqual(full.restoredConsole);
  expect(plan.suspend.oops).toEqual(full.suspend.oops);
  const fh = full.suspend.hibernate;
  const ph = plan.suspend.hibernate;
  expect(Boolean(ph)).toBe(Boolean(fh));
  if (fh && ph) {
    expect(ph.save).toEqual(fh.save);
    expect(ph.prealloc).toEqual(fh.prealloc);
    expect(Array.from(ph.manifest.pfns)).toEqual(Array.from(fh.manifest.pfns));
    expect(Array.from(ph.manifest.zero)).toEqual(Array.from(fh.manifest.zero));
    const { flags, imagePages, zeroPages, nrMetaPages, pages, chunks, threads, firstMapPage } = fh.write;
    expect(ph.write).toMatchObject({
      flags,
      imagePages,
      zeroPages,
      nrMetaPages,
      pages,
      chunks,
      threads,
      firstMapPage,
    });
    expect(ph.write.estimated).toBe(true);
    if (fh.write.compressedBytes > 0) {
      const rel = Math.abs(ph.write.compressedBytes - fh.write.compressedBytes) / fh.write.compressedBytes;
      expect(rel).toBeLessThan(ESTIMATE_TOLERANCE);
    } else expect(ph.write.compressedBytes).toBe(0);
  }
  const fr = full.resume?.result;
  const pr = plan.resume?.result;
  expect(Boolean(pr)).toBe(Boolean(fr));
  if (fr && pr) {
    expect(pr.outcome).toBe(fr.outcome);
    expect(pr.errno).toBe(fr.errno);
    expect(pr.stats).toEqual(fr.stats);
    expect(pr.oops).toEqual(fr.oops);
    expect(pr.silentWrites).toEqual(fr.silentWrites);
    expect(pr.verify).toEqual(fr.verify);
    expect(pr.afterRestore).toEqual(fr.afterRestore);
  }
  expect(plan.expectation).toEqual(full.expectation);
}
