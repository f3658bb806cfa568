/**
 * The kselftest output of `hiblab hmm-tests`: TAP version 13 as
 * tools/testing/selftests/kselftest_harness.h prints it (a `1..N` plan, one
 * `ok N name` / `not ok N name` line per test, `# SKIP reason` on skips, and
 * the `# Totals:` line of ksft_print_cnts()).
 *
 * JSON keys (stable): { profile, variant (null = both), tests[{n, name, result
 * ('pass'|'fail'|'skip'), message?}], totals {pass, fail, skip} }
 */
import type { HmmTestResult } from '../selftests/hmm-tests/run.js';

export interface HmmTestsTotals {
  pass: number;
  fail: number;
  skip: number;
}

export function hmmTestsTotals(results: readonly HmmTestResult[]): HmmTestsTotals {
  const t = { pass: 0, fail: 0, skip: 0 };
  for (const r of results) t[r.result]++;
  return t;
}

/** One-line message text: TAP directives must not span lines. */
const oneLine = (s: string): string => s.replace(/[\r\n]+/g, ' ').trim();

export function hmmTestsTap(results: readonly HmmTestResult[]): string {
  const L = ['TAP version 13', `1..${results.length}`];
  results.forEach((r, i) => {
    const n = i + 1;
    L.push(`# RUN           ${r.name} ...`);
    if (r.result === 'pass') {
      L.push(`#            OK  ${r.name}`);
      L.push(`ok ${n} ${r.name}`);
    } else if (r.result === 'skip') {
      L.push(`#      SKIP      ${oneLine(r.message ?? '')}`);
      L.push(`#            OK  ${r.name}`);
      L.push(`ok ${n} ${r.name} # SKIP ${oneLine(r.message ?? '')}`);
    } else {
      if (r.message) L.push(`# ${oneLine(r.message)}`);
      L.push(`#          FAIL  ${r.name}`);
      L.push(`not ok ${n} ${r.name}`);
    }
  });
  const t = hmmTestsTotals(results);
  L.push(`# ${t.fail ? 'FAILED' : 'PASSED'}: ${t.pass} / ${results.length} tests passed.`);
  L.push(`# Totals: pass:${t.pass} fail:${t.fail} xfail:0 xpass:0 skip:${t.skip} error:0`);
  return `${L.join('\n')}\n`;
}

export function hmmTestsJson(profile: string, variant: string | null, results: readonly HmmTestResult[]) {
  return {
    profile,
    variant,
    tests: results.map((r, i) => ({
      n: i + 1,
      name: r.name,
      result: r.result,
      ...(r.message ? { message: r.message } : {}),
    })),
    totals: hmmTestsTotals(results),
  };
}
