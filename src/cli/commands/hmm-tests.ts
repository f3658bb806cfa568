/**
 * `hiblab hmm-tests [--variant private|coherent] [--filter GLOB] [--profile ID] [--json]`:
 * the port of the kernel's tools/testing/selftests/mm/hmm-tests.c run against
 * the model (dmirror driver, migrate_vma, ZONE_DEVICE), printed as kselftest
 * TAP. Exit 1 when any test fails. JSON keys: see src/report/hmm-tests.ts.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { getProfile } from '../../profiles/index.js';
import { hmmTestsJson, hmmTestsTap } from '../../report/hmm-tests.js';
import { runHmmTests } from '../../selftests/hmm-tests/run.js';
import { type CliIo, toJson } from '../io.js';

/** Shell-style glob (`*`, `?`) over the whole test name. */
export function globMatcher(glob: string): (name: string) => boolean {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return (name) => re.test(name);
}

export function register(program: Command, io: CliIo): void {
  program
    .command('hmm-tests')
    .description("run the port of the kernel's hmm-tests (dmirror, migrate_vma) as kselftest TAP")
    .option('--variant <v>', 'private | coherent (default: both)')
    .option('--filter <glob>', "only tests whose full name matches, e.g. 'hmm.*.migrate*'")
    .option('--profile <id>', 'kernel profile', 'linux-6.12')
    .option('--json', 'print JSON (keys documented in src/report/hmm-tests.ts)')
    .action((o: { variant?: string; filter?: string; profile: string; json?: boolean }) => {
      if (o.variant !== undefined && o.variant !== 'private' && o.variant !== 'coherent')
        throw new UsageError('BAD_OPTION', `--variant expects private or coherent, got '${o.variant}'`);
      const variant = o.variant as 'private' | 'coherent' | undefined;
      const profile = getProfile(o.profile);
      const results = runHmmTests(profile, {
        variant,
        filter: o.filter ? globMatcher(o.filter) : undefined,
      });
      if (results.length === 0) throw new UsageError('NO_TESTS', `--filter '${o.filter}' matches no test`);
      io.out(o.json ? toJson(hmmTestsJson(profile.id, variant ?? null, results)) : hmmTestsTap(results));
      if (results.some((r) => r.result === 'fail')) io.exitCode = 1;
    });
}
