/**
 * The inspector against seed 000's objects at seed 000's addresses (a fake
 * KernelMemory): each command of the real crash session must print what
 * crash printed — formats, spellings, columns, and the values the inspector
 * computes (pointer arithmetic, gdb's int overflow, list walks, page-table
 * walks).
 */
import { describe, expect, it } from 'vitest';
import { InspectSession } from '../../src/inspect/session.js';
import { comparable, isSubsequence, seed000Commands } from './seed-transcript.js';
import { seed000Fake } from './seed000-fake.js';
import { seed000Story } from './seed000-story.js';

/** Commands the fake cannot serve (they need the whole memmap of a real dump). */
const NEEDS_DUMP = new Set([
  "kmem -p |grep -E ' 800000 | 80b000 | 810000 | be142000 | be1e8000 | bf36d000 | bf37f000 | bfb80000 '",
]);

describe('seed 000 transcript on the fake kernel memory', () => {
  const { target } = seed000Fake();
  const session = new InspectSession(target);
  const cmds = seed000Commands();

  it('finds the ~50 commands of the transcript', () => {
    expect(cmds.length).toBeGreaterThanOrEqual(60);
    expect(cmds[0]!.cmd).toBe('bt');
  });

  for (const c of cmds) {
    if (NEEDS_DUMP.has(c.cmd)) continue;
    it(`line ${c.line}: crash> ${c.cmd}`, () => {
      const r = session.execute(c.cmd);
      expect(r.error).toBeUndefined();
      const actual = comparable(r.lines);
      const expected = comparable(c.expected);
      if (c.partial) expect(isSubsequence(expected, actual), actual.join('\n')).toBe(true);
      else expect(actual).toEqual(expected);
    });
  }
});

describe('the seed 000 story script', () => {
  it('re-enacts the transcript: on the seed objects it types the same commands and gets the same outputs', () => {
    const steps = seed000Story(new InspectSession(seed000Fake().target));
    const seed = seed000Commands();
    const norm = (c: string) => c.replace(/\s+/g, ' ');
    expect(steps.map((s) => norm(s.cmd))).toEqual(seed.map((c) => norm(c.cmd)));
    const failed = steps.filter((s) => s.error && !NEEDS_DUMP.has(s.cmd)).map((s) => `${s.cmd}: ${s.error}`);
    expect(failed).toEqual([]);
  });
});
