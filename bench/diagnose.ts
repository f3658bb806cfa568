/**
 * diagnose benchmark: `hiblab diagnose` of a two-log pair, in process (parse
 * both logs, set up both kernels — memblock, direct-map page tables, nosave,
 * zones — run the checks, format the text report). Budgets (issue 12): a 16 GiB
 * laptop map under 200 ms, the 12 TiB table under 2 s.
 *
 * Pairs: the same log as both boots (the firmware map did not change), and the
 * log with one RAM page turned reserved on the resume side (the Framework
 * firmware-drift case: both kernels set up, one pfn to walk). Prints the median
 * of 5 timed runs after one warm-up. Run: npx tsx bench/diagnose.ts
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { diagnose, readBootLog } from '../src/diagnose/index.js';
import { formatDiagnoseText } from '../src/report/diagnose.js';
import { SHARED_DIR } from './shared-dir.js';

const shared = SHARED_DIR;
const enc = new TextEncoder();

function time(suspend: string, resume: string): { ms: number; verdict: string } {
  const a = enc.encode(suspend);
  const b = enc.encode(resume);
  let verdict = '';
  const once = (): number => {
    const t0 = performance.now();
    const r = diagnose({ suspend: readBootLog(a, 'suspend.log'), resume: readBootLog(b, 'resume.log') });
    formatDiagnoseText(r);
    verdict = r.cases.map((c) => `${c.label}: ${c.verdict}`).join(', ');
    return performance.now() - t0;
  };
  once();
  const runs = Array.from({ length: 5 }, once).sort((x, y) => x - y);
  return { ms: runs[2]!, verdict };
}

/** Move the end of a usable entry down one page and the start of the next reserved entry with it. */
function onePageReserved(text: string, usableEnd: string, nextStart: string): string {
  const end = BigInt(usableEnd);
  const out = text
    .replace(`-${usableEnd}] usable`, `-0x${(end - 0x1000n).toString(16).padStart(16, '0')}] usable`)
    .replace(`[mem ${nextStart}-`, `[mem 0x${(BigInt(nextStart) - 0x1000n).toString(16).padStart(16, '0')}-`);
  if (out === text) throw new Error('bench pair: the table lines to change were not found');
  return out;
}

const cases: [string, string, string, string, number][] = [
  [
    'framework-laptop-11th-gen 16 GiB',
    'fixtures/e820/framework-laptop-11th-gen-insyde-uefi-16g.txt',
    '0x00000000434aefff',
    '0x00000000434af000',
    200,
  ],
  [
    'hp-superdome2 12 TiB',
    'fixtures/e820/hp-superdome2-16s-12tib-uefi-unusable-efimap.txt',
    '0x000000006d00bfff',
    '0x000000006d00c000',
    2000,
  ],
];
for (const [name, rel, usableEnd, nextStart, budget] of cases) {
  const text = readFileSync(resolve(shared, rel), 'utf8');
  const same = time(text, text);
  console.log(
    `${name.padEnd(34)} same map      ${same.ms.toFixed(0).padStart(6)} ms (budget ${budget} ms) ${same.verdict}`,
  );
  if (usableEnd) {
    const moved = time(text, onePageReserved(text, usableEnd, nextStart));
    console.log(
      `${name.padEnd(34)} 1 page moved  ${moved.ms.toFixed(0).padStart(6)} ms (budget ${budget} ms) ${moved.verdict}`,
    );
  }
}
