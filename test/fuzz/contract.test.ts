/** The fuzz harness itself: it must catch what it is for (so a green fuzz run means something). */
import { describe, expect, it } from 'vitest';
import { fuzzTarget } from '../../fuzz/lib/engine.js';
import type { FuzzTarget } from '../../fuzz/lib/types.js';
import { ParseError } from '../../src/errors.js';

const seeds = () => [new TextEncoder().encode('BIOS-e820: [mem 0x0-0x1000] usable\n')];

function target(run: (b: Uint8Array) => void, extra: Partial<FuzzTarget> = {}): FuzzTarget {
  return { name: 'fake', description: 'fake', seeds, run, ...extra };
}

describe('fuzz contract', () => {
  it('a non-HiblabError (what the CLI turns into exit 70) is found and shrunk', async () => {
    const r = await fuzzTarget(
      target((b) => {
        if (b.includes(0x7b)) throw new TypeError('boom'); // any '{' anywhere
      }),
      { runs: 2000, seed: 1 },
    );
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]!.kind).toBe('exception');
    expect(r.findings[0]!.input.includes(0x7b)).toBe(true);
  });

  it('errors without a file, with raw control characters, and slow inputs are findings', async () => {
    const noFile = await fuzzTarget(
      target(() => {
        throw new ParseError('X', 'bad');
      }),
      { runs: 5, seed: 1 },
    );
    expect(noFile.findings[0]?.kind).toBe('no-location');
    const ctl = await fuzzTarget(
      target(() => {
        const e = new ParseError('X', 'bad', { file: 'f' });
        (e as { message: string }).message = 'raw \u001b[2J';
        throw e;
      }),
      { runs: 5, seed: 1 },
    );
    expect(ctl.findings[0]?.kind).toBe('bad-error');
    const slow = await fuzzTarget(
      target(
        () => {
          const t = Date.now();
          while (Date.now() - t < 30);
        },
        { timeLimitMs: 10 },
      ),
      { runs: 1, seed: 1 },
    );
    expect(slow.findings[0]?.kind).toBe('slow');
  });
});
