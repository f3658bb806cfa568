/**
 * The `crash>` commands of seed 000's transcript (shared/seeds/000_*.txt: the
 * real crash session on the RHEL 7.9 vmcore) with the output crash printed,
 * as golden references for the inspector. The transcript is a write-up, so
 * some blocks are abridged ("...", only the first line of an `eval`, a
 * fragment of a long array) and some carry the author's notes (`^^^^`, CJK
 * comments): notes are dropped and abridged blocks are marked `partial`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../helpers/fixtures.js';

export interface SeedCommand {
  /** 1-based line of the `crash>` prompt in the transcript. */
  line: number;
  cmd: string;
  expected: string[];
  /** The block shows only part of crash's output (compare as an ordered subset). */
  partial: boolean;
}

const NOTE = /^\s*\^+|[\u3000-\u9fff\uff00-\uffef]/;

export function seed000Commands(): SeedCommand[] {
  const dir = sharedPath('seeds');
  const file = readdirSync(dir).find((f) => f.startsWith('000_'));
  if (!file) throw new Error(`seed 000 transcript not found in ${dir}`);
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const out: SeedCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^crash> ?(.*)$/.exec(lines[i]!);
    if (!m || !m[1]!.trim()) continue;
    const expected: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.startsWith('crash>') || l.startsWith('```')) break;
      if (NOTE.test(l)) continue;
      expected.push(l.replace(/\s+$/, ''));
    }
    while (expected.length && expected[expected.length - 1] === '') expected.pop();
    const cmd = m[1]!.trim();
    const partial =
      expected.includes('...') ||
      expected[0]?.startsWith('  }') === true ||
      (cmd.startsWith('eval') && expected.length < 4);
    out.push({ line: i + 1, cmd, expected: expected.filter((l) => l !== '...'), partial });
  }
  return out;
}

/** gdb's history numbers differ between sessions: compare `$N`. */
export const normalizeHistory = (s: string): string => s.replace(/\$\d+/g, '$N');

/** Expand tabs to 8-column stops (the transcript was pasted from a terminal). */
export function expandTabs(line: string): string {
  let out = '';
  for (const c of line) {
    if (c === '\t') out += ' '.repeat(8 - (out.length % 8));
    else out += c;
  }
  return out;
}

export const comparable = (lines: string[]): string[] =>
  lines.map((l) => normalizeHistory(expandTabs(l)).replace(/\s+$/, ''));

/** Is `sub` an in-order subsequence of `all`? */
export function isSubsequence(sub: string[], all: string[]): boolean {
  let k = 0;
  for (const l of all) if (k < sub.length && l === sub[k]) k++;
  return k === sub.length;
}
