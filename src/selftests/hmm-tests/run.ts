/** Runs the hmm-tests port: every TEST_F × its fixture's variants, kselftest results. */
import type { KernelProfile } from '../../profiles/types.js';
import { AssertionFailed, bootHmmSystem, hmm_open, newProcess, Skipped, type TestCtx } from './harness.js';
import { TESTS } from './tests.js';

export interface HmmTestResult {
  name: string;
  result: 'pass' | 'fail' | 'skip';
  message?: string;
}

export function runHmmTests(
  profile: KernelProfile,
  opts: { variant?: 'private' | 'coherent'; filter?: (name: string) => boolean } = {},
): HmmTestResult[] {
  const out: HmmTestResult[] = [];
  const { sys, driver } = bootHmmSystem(profile);
  // kselftest_harness.h order: fixture → variant → test (every hmm test for the private
  // variant, then for the coherent one, then the hmm2 fixture).
  const fixtures = [...new Set(TESTS.map((t) => t.fixture))];
  const order = fixtures.flatMap((f) =>
    (['private', 'coherent'] as const).flatMap((variant) =>
      TESTS.filter((t) => t.fixture === f).map((test) => ({ test, variant })),
    ),
  );
  for (const { test, variant } of order) {
    {
      if (opts.variant && opts.variant !== variant) continue;
      const name = `${test.fixture}.${test.fixture}_device_${variant}.${test.name}`;
      if (opts.filter && !opts.filter(name)) continue;
      const s = newProcess(sys);
      const [d0, d1] = variant === 'private' ? [0, 1] : [2, 3];
      const t: TestCtx = {
        s,
        sys,
        driver,
        fd: -1,
        fd0: -1,
        fd1: -1,
        page_size: 4096,
        page_shift: 12,
        variant,
        device_number: d0,
        device_number0: d0,
        device_number1: d1,
        failures: [],
      };
      let r: HmmTestResult;
      try {
        if (test.fixture === 'hmm') {
          t.fd = hmm_open(s, d0);
          if (t.fd < 0 && variant === 'coherent') throw new Skipped('DEVICE_COHERENT not available');
          if (t.fd < 0) throw new AssertionFailed('ASSERT_GE(fd, 0)');
        } else {
          t.fd0 = hmm_open(s, d0);
          if (t.fd0 < 0 && variant === 'coherent') throw new Skipped('DEVICE_COHERENT not available');
          t.fd1 = hmm_open(s, d1);
          if (t.fd0 < 0 || t.fd1 < 0) throw new AssertionFailed('ASSERT_GE(fd, 0)');
        }
        test.body(t);
        for (const fd of [t.fd, t.fd0, t.fd1])
          if (fd >= 0 && s.close(fd) !== 0) throw new AssertionFailed('close');
        r = t.failures.length
          ? { name, result: 'fail', message: t.failures.join('; ') }
          : { name, result: 'pass' };
      } catch (e) {
        if (e instanceof Skipped) r = { name, result: 'skip', message: e.message };
        else r = { name, result: 'fail', message: [...t.failures, (e as Error).message].join('; ') };
      }
      // The test process ends: its threads (a failed anon_teardown's unmap_buffer) die with it.
      sys.ctx.cancelThreads();
      sys.tasks.exit(s.task, 0);
      sys.tasks.waitpid(s.task.pid);
      out.push(r);
    }
  }
  return out;
}
