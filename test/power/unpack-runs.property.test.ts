/**
 * unpack_orig_pfns() taking entries that name the next pfns as one stretch
 * (SnapshotRestore, `unpackRuns`) against entry by entry, on random
 * firmware-map changes (pfns that left the map or lost pfn_valid: the
 * errors and the FW_BUG line), full and plan mode, 6.12 and 3.10: the same
 * outcome, console, counts, oops and verification, and the same resume
 * machine afterwards (bitmaps and positions are in its frames).
 */
import { describe, expect, it } from 'vitest';
import { unpackRuns } from '../../src/power/snapshot/restore.js';
import { expectRunFormSameStories } from '../engine/run-form-stories.js';

describe('unpack_orig_pfns() stretches = entry by entry', () => {
  it('on random map changes (full and plan, 6.12 and 3.10)', async () => {
    const joined = await expectRunFormSameStories(
      { set: (on) => (unpackRuns.on = on), taken: () => unpackRuns.joined },
      Number(process.env.HIBLAB_UNPACK_RUNS_PROPERTY ?? 16),
      0x0a9c4,
    );
    // The stories took the stretch path (else the comparison proves nothing).
    expect(joined).toBeGreaterThan(0);
  }, 300_000);
});
