/**
 * The compressed loader's runs in image order (get_buffer() for the next
 * orig_bm pfns across gaps, in place or through PBEs into any safe frames:
 * swap-read.ts loadCompressedImage(), SnapshotRestore.peekDirectList() /
 * takeDirectList() / peekPbeList() / takePbeList(), PbeChain.addList(), the
 * stores' cpuDirectList() / cpuPbeList()) against the per-page loop (every
 * run form off), on random firmware-map changes, full and plan mode, 6.12
 * and 3.10: the same outcome, console, counts, oops, silent writes and
 * verification, and the same resume machine afterwards.
 */
import { describe, expect, it } from 'vitest';
import { loaderRuns } from '../../src/power/swap-read.js';
import { expectRunFormSameStories } from '../engine/run-form-stories.js';

describe('loader runs in image order = per-page loads', () => {
  it('on random map changes (full and plan, 6.12 and 3.10)', async () => {
    const taken = await expectRunFormSameStories(
      {
        set: (on) => {
          loaderRuns.image = on;
          loaderRuns.pbe = on;
          loaderRuns.direct = on;
        },
        taken: () => loaderRuns.imageRuns,
      },
      Number(process.env.HIBLAB_LOADER_RUNS_PROPERTY ?? 24),
      Number(process.env.HIBLAB_LOADER_RUNS_SEED ?? 0x1a9e0),
    );
    // The stories took runs with gaps (else the comparison proves nothing new).
    expect(taken).toBeGreaterThan(0);
  }, 300_000);
});
