/**
 * The same session on seed-000-6.12 (6.12 layouts, rtree bitmaps): the
 * resume kernel refuses the image ("Hibernate inconsistent memory map
 * detected!") and boots on, so there is no panic task and the snapshot
 * bitmaps are gone; every other command reads the 6.12 kernel's memory
 * through the 6.12 struct tables. Pinned in a golden file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InspectSession } from '../../src/inspect/session.js';
import { runBuiltin } from '../engine/helpers.js';
import { expectBaseline } from '../helpers/baseline.js';
import { runTarget } from './run-target.js';
import { type Step, seed000Story, storyText } from './seed000-story.js';

describe('seed-000-6.12 on the model', () => {
  let steps: Step[];
  beforeAll(async () => {
    const r = await runBuiltin('seed-000-6.12');
    steps = seed000Story(new InspectSession(runTarget(r, 'seed-000-6.12')));
  }, 600_000);

  it('runs the commands with the 6.12 layouts; only what a refused resume lacks fails', () => {
    const failed = steps.filter((s) => s.error).map((s) => s.error);
    expect(failed).toContain('bt: no panic task in this dump (the machine did not oops)');
    const vt = steps.find((s) => s.cmd.startsWith('vtop 0xffff9263fe142000'))!;
    expect(vt.lines[0]).toBe('VIRTUAL           PHYSICAL');
    expect(steps.find((s) => s.cmd === 'p nr_meta_pages')).toBeDefined();
    expect(steps.find((s) => s.cmd.startsWith('list nosave_region.list'))!.error).toBeUndefined();
    expectBaseline('crash', 'seed-000-6.12.txt', storyText(steps));
  });
});
