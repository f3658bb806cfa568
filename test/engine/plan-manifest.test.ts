/**
 * The image manifest in plan mode: the pfn list as runs and no per-page
 * digests (plan verification compares descriptors with the copy frames, so a
 * digest array would be 4 bytes per image page for nothing: 200 MB on the
 * 12 TiB Superdome table). A full run keeps the digests of what it wrote.
 */
import { describe, expect, it } from 'vitest';
import { withProfile } from '../../src/cli/commands/run.js';
import { builtinReader, getBuiltin } from '../../src/scenario/index.js';
import { planScenario } from '../../src/scenario/run.js';
import { runBuiltin } from './helpers.js';

describe('plan-mode manifest', () => {
  it('holds runs and no digests; the full run digests every page', async () => {
    const sc = withProfile(getBuiltin('same-map'), 'linux-6.12');
    const p = await planScenario(sc, { readFile: builtinReader, baseDir: 'data/scenarios' });
    const pm = p.suspend.hibernate!.manifest;
    expect(pm.digest).toBeNull();
    expect(pm.pfns.count).toBe(pm.count);
    // 6.12 on this map saves zero pages (scattered: most runs are short ones); the runs are maximal.
    expect(pm.pfns.zeroCount).toBeGreaterThan(0);
    const pfns = Array.from(pm.pfns);
    const zero = Array.from(pm.zero);
    let maximal = 0;
    for (let i = 0; i < pfns.length; i++) {
      if (i === 0 || pfns[i] !== pfns[i - 1]! + 1 || zero[i] !== zero[i - 1]) maximal++;
    }
    expect(pm.pfns.runs).toBe(maximal);
    expect(p.resume!.result.verify!.checked).toBe(pm.count);

    const f = await runBuiltin('same-map', (s) => withProfile(s, 'linux-6.12'));
    const fm = f.suspend.hibernate!.manifest;
    expect(fm.digest).toBeInstanceOf(Uint32Array);
    expect(fm.digest!.length).toBe(fm.count);
    expect(Array.from(fm.pfns)).toEqual(pfns);
    expect(Array.from(fm.zero)).toEqual(zero);
    expect(f.resume!.result.verify!.checked).toBe(fm.count);
  }, 120_000);
});
