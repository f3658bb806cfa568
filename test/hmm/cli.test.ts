/** `hiblab hmm-tests`: kselftest TAP shape, filters, JSON, exit codes. */
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../src/cli/commands/hmm-tests.js';
import { hmmTestsTap } from '../../src/report/hmm-tests.js';
import { cli } from '../helpers/cli.js';

describe('hiblab hmm-tests', () => {
  it('prints TAP in kselftest_harness order (fixture → variant → test) with the totals line', async () => {
    const r = await cli(['hmm-tests', '--filter', 'hmm*.migrate*']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('TAP version 13');
    const plan = /^1\.\.(\d+)$/.exec(lines[1] ?? '');
    expect(plan).not.toBeNull();
    const results = lines.filter((l) => /^(not )?ok \d+ /.test(l));
    expect(results).toHaveLength(Number(plan![1]));
    // Numbered 1..N in order; every private hmm test before the coherent ones, hmm2 last.
    for (const [i, l] of results.entries()) expect(l).toMatch(new RegExp(`^ok ${i + 1} `));
    const names = results.map((l) => l.split(' ')[2]!);
    const firstCoherent = names.findIndex((n) => n.startsWith('hmm.hmm_device_coherent.'));
    const lastPrivate = names.map((n) => n.startsWith('hmm.hmm_device_private.')).lastIndexOf(true);
    expect(lastPrivate).toBeLessThan(firstCoherent);
    expect(names.at(-1)).toMatch(/^hmm2\.hmm2_device_coherent\./);
    expect(r.out).toMatch(
      new RegExp(`# Totals: pass:${results.length} fail:0 xfail:0 xpass:0 skip:0 error:0\\n$`),
    );
  });

  it('--variant and --json select and describe the runs', async () => {
    const r = await cli(['hmm-tests', '--variant', 'coherent', '--filter', '*.anon_read*', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.profile).toBe('linux-6.12');
    expect(j.variant).toBe('coherent');
    expect(j.tests.length).toBeGreaterThan(0);
    for (const t of j.tests) expect(t.name).toMatch(/^hmm2?\.hmm2?_device_coherent\.anon_read/);
    expect(j.totals.pass + j.totals.fail + j.totals.skip).toBe(j.tests.length);
  });

  it('bad options are one-line usage errors', async () => {
    expect((await cli(['hmm-tests', '--variant', 'gpu'])).code).toBe(2);
    const none = await cli(['hmm-tests', '--filter', 'no.such.test']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/matches no test \[NO_TESTS\]\n$/);
  });

  it('a failing test is "not ok" with its message, FAILED and fail:1 in the totals', () => {
    const tap = hmmTestsTap([
      { name: 'hmm.hmm_device_private.open_close', result: 'pass' },
      { name: 'hmm.hmm_device_private.anon_read', result: 'fail', message: 'ASSERT_EQ(ret, 0)\nat line 3' },
      {
        name: 'hmm.hmm_device_coherent.open_close',
        result: 'skip',
        message: 'DEVICE_COHERENT not available',
      },
    ]);
    expect(tap).toContain('not ok 2 hmm.hmm_device_private.anon_read\n');
    expect(tap).toContain('# ASSERT_EQ(ret, 0) at line 3\n');
    expect(tap).toContain('ok 3 hmm.hmm_device_coherent.open_close # SKIP DEVICE_COHERENT not available\n');
    expect(tap).toMatch(/# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:1 error:0\n$/);
  });

  it('globs match whole names', () => {
    expect(globMatcher('hmm.*.migrate')('hmm.hmm_device_private.migrate')).toBe(true);
    expect(globMatcher('hmm.*.migrate')('hmm.hmm_device_private.migrate_fault')).toBe(false);
    expect(globMatcher('hmm?.*')('hmm2.hmm2_device_private.double_map')).toBe(true);
  });
});
