/**
 * The compressed loader's PBE runs (get_buffer() for a run of PBE loads at
 * once, then their stores: swap-read.ts loadCompressedImage(),
 * SnapshotRestore.peekPbeRun()/takePbeRun(), PbeChain.addRun()) against the
 * per-page loop, on random firmware-map changes, full and plan mode, 6.12 and
 * 3.10: the same outcome, console, counts, oops, silent writes and
 * verification, and the same resume machine afterwards — every materialised
 * (or synthesised) frame's bytes, which hold the PBE chain, restore_pblist
 * and the bitmaps, and every frame's content descriptor.
 */
import { describe, expect, it } from 'vitest';
import { loaderRuns } from '../../src/power/swap-read.js';
import { expectRunFormSameStories } from '../engine/run-form-stories.js';

describe('loader PBE runs = per-page loads', () => {
  it('on random map changes (full and plan, 6.12 and 3.10)', async () => {
    const taken = await expectRunFormSameStories(
      { set: (on) => (loaderRuns.pbe = on), taken: () => loaderRuns.pbeRuns },
      Number(process.env.HIBLAB_LOADER_RUNS_PROPERTY ?? 24),
      0x5eed7,
    );
    // The stories took the run path (else the comparison proves nothing).
    expect(taken).toBeGreaterThan(0);
  }, 300_000);
});
