/** Checks on an engine event stream, shared by the event tests. */
import { expect } from 'vitest';
import type { EngineEvent, Phase, ProgressPhase } from '../../src/power/events.js';

export const phaseTrail = (ev: EngineEvent[]) =>
  ev.flatMap((e) =>
    e.type === 'phase-start' ? [`+${e.phase}`] : e.type === 'phase-end' ? [`-${e.phase}`] : [],
  );

/** Every start has its end, inner phases end before outer ones. */
export function expectNested(ev: EngineEvent[]): void {
  const open: Phase[] = [];
  for (const e of ev) {
    if (e.type === 'phase-start') open.push(e.phase);
    else if (e.type === 'phase-end') expect(open.pop()).toBe(e.phase);
  }
  expect(open).toEqual([]);
}

/** Progress of `phase`: inside the phase, total fixed, done never decreasing. Returns the events. */
export function progressOf(ev: EngineEvent[], phase: ProgressPhase) {
  let inside = false;
  const got: { done: number; total: number }[] = [];
  for (const e of ev) {
    if (e.type === 'phase-start' && e.phase === phase) inside = true;
    if (e.type === 'phase-end' && e.phase === phase) inside = false;
    if (e.type === 'progress' && e.phase === phase) {
      expect(inside).toBe(true);
      got.push({ done: e.done, total: e.total });
    }
  }
  for (let i = 1; i < got.length; i++) {
    expect(got[i]!.total).toBe(got[0]!.total);
    expect(got[i]!.done).toBeGreaterThanOrEqual(got[i - 1]!.done);
  }
  return got;
}

export function consoleOf(ev: EngineEvent[], boot: 'suspend' | 'resume' | 'restored'): string[] {
  return ev.flatMap((e) => (e.type === 'console' && e.boot === boot ? [e.line] : []));
}
