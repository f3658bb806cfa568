/**
 * Every fuzz target (fuzz/targets) for a short, fixed number of mutated inputs
 * with a fixed seed, so `npm test` keeps what the long runs (`npm run fuzz`)
 * found fixed. A failure prints the shrunk input and what broke the contract
 * (fuzz/lib/contract.ts).
 */
import { describe, expect, it } from 'vitest';
import { describeFinding, fuzzTarget } from '../../fuzz/lib/engine.js';
import { TARGETS } from '../../fuzz/targets/index.js';

/** Mutated inputs per target: about 30 s for all of them on a loaded 2-core box. */
const RUNS: Record<string, number> = { scenario: 120, image: 120, dump: 120 };

describe('fuzz targets hold the contract (short run)', () => {
  for (const t of TARGETS) {
    it(`${t.name}: ${t.description}`, async () => {
      const r = await fuzzTarget(t, { runs: RUNS[t.name] ?? 300, seed: 20261206 });
      expect(r.findings.map(describeFinding)).toEqual([]);
      expect(r.inputs).toBeGreaterThan(RUNS[t.name] ?? 300);
    }, 120_000);
  }
});
