/**
 * Plan mode (issue 14 item 3): on every builtin — and the variants that take
 * the other loader and the zero-page paths — a plan run reaches the full
 * run's verdict with the same consoles (but the estimated size line), counts,
 * PBE assignment, oops, silent writes and verification.
 */
import { describe, expect, it } from 'vitest';
import { withProfile } from '../../src/cli/commands/run.js';
import { BUILTIN_NAMES, builtinReader, getBuiltin, type Scenario } from '../../src/scenario/index.js';
import { planScenario } from '../../src/scenario/run.js';
import { runBuiltin } from './helpers.js';
import { expectPlanAgrees } from './plan-compare.js';

const plan = (name: string, edit?: (sc: Scenario) => Scenario) => {
  let sc = getBuiltin(name);
  if (edit) sc = edit(sc);
  return planScenario(sc, { readFile: builtinReader, baseDir: 'data/scenarios' });
};

const cases: [string, string, ((sc: Scenario) => Scenario)?][] = [
  // HMM stories read and write page bytes in their steps: plan mode refuses them (below).
  ...BUILTIN_NAMES.filter((n) => !getBuiltin(n).hmm).map((n): [string, string] => [n, n]),
  // nocompress: load_image()'s block I/O overwrites the ACPI page silently.
  [
    'seed-000 nocompress',
    'seed-000',
    (sc) => ({ ...sc, hibernate: { ...sc.hibernate, compressor: 'none' } }),
  ],
  // 6.12 on the same map: zero pages (zero_bm), the 6.x writer lines, LZ4's estimate table.
  [
    'same-map on linux-6.12, lz4',
    'same-map',
    (sc) => {
      const s = withProfile(sc, 'linux-6.12');
      return { ...s, hibernate: { ...s.hibernate, compressor: 'lz4' } };
    },
  ],
];

describe('plan mode agrees with the full run', () => {
  for (const [label, name, edit] of cases) {
    it(label, async () => {
      const full = await runBuiltin(name, edit);
      const p = await plan(name, edit);
      expectPlanAgrees(full, p);
    }, 240_000);
  }
});

describe('plan mode is a plan', () => {
  it('refuses an HMM story (PLAN_HMM): its steps need page bytes', async () => {
    const e = await plan('seed-002-pagemap').catch((x) => x);
    expect(e.code).toBe('PLAN_HMM');
  });
  it('writes no device and generates no page: the planned image has only page 0 and the header page', async () => {
    const p = await plan('seed-000');
    expect(p.verdict).toBe('oops');
    const dev = p.device!;
    expect(dev.size).toBeLessThan(4 * 4096);
    expect(() => dev.readAt(3 * 4096, 4096)).toThrow(/holds no bytes/);
    // The hibernated machine's workload frames stayed descriptors (nothing materialised them).
    const img = p.suspend.hibernate!;
    expect(img.write.crc32).toBe(0);
    expect(img.write.estimated).toBe(true);
  }, 120_000);
});
