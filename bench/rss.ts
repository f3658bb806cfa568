/**
 * Peak RSS of `hiblab run` at its default limits on the shapes that push host memory
 * hardest (bench/rss-shapes.ts), measured through the built CLI in child processes with
 * scripts/maxrss-hook.mjs. Issue 11: every command on any input stays under 512 MiB.
 *
 *   npm run build && npx tsx bench/rss.ts [quick]     # quick: plan mode only
 *
 * Each line: the shape, plan or full, the exit code (0 ran; 2 refused by the budget, with
 * what it held), the child's peak RSS and its margin under 512 MiB. Numbers, never a failure;
 * test/hostile/rss-bound.test.ts checks the fast shapes in `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fillScenario, wideScenario } from './rss-shapes.js';

const here = dirname(fileURLToPath(import.meta.url));
// From bench/ (tsx) or dist/bench/ (npm run bench): the repo root holds dist/ and scripts/.
const root = existsSync(join(here, '..', 'scripts')) ? resolve(here, '..') : resolve(here, '..', '..');
const main = join(root, 'dist', 'src', 'cli', 'main.js');
const hook = join(root, 'scripts', 'maxrss-hook.mjs');

export function runRssBench(quick: boolean, log: (s: string) => void = console.log): void {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const tmp = mkdtempSync(join(tmpdir(), 'hiblab-rss-bench-'));
  try {
    const shapes: [string, string][] = [
      ['2 TiB, 20k pages scattered', wideScenario(20_000)],
      ['2 TiB, 60k pages scattered', wideScenario(60_000)],
      ['2 TiB, compact only', wideScenario(0)],
      ['20 GiB scattered fill', fillScenario(20)],
      ['24 GiB scattered fill', fillScenario(24)],
      ['26 GiB scattered fill', fillScenario(26)],
      ['28 GiB scattered fill', fillScenario(28)],
    ];
    for (const [name, yaml] of shapes) {
      const file = join(tmp, 'shape.yaml');
      writeFileSync(file, yaml);
      // A 2 TiB image of the kernel's memmap takes minutes to compress: full mode for the fills.
      const modes = quick || name.includes('compact') ? [['--plan']] : [['--plan'], []];
      for (const extra of modes) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, ['--import', hook, main, 'run', file, '--quiet', ...extra], {
          encoding: 'utf8',
          maxBuffer: 64 * 2 ** 20,
        });
        const s = ((performance.now() - t0) / 1000).toFixed(1);
        const kib = Number(/maxrss-kib (\d+)\s*$/.exec(r.stderr)?.[1] ?? Number.NaN);
        const mib = kib / 1024;
        const held = /\((struct pages .*) when/.exec(r.stderr)?.[1];
        log(
          `rss ${name.padEnd(28)} ${(extra.length ? 'plan' : 'full').padEnd(4)} exit ${r.status} ` +
            `peak ${mib.toFixed(0).padStart(4)} MiB (${(512 - mib).toFixed(0)} MiB under 512) ${s} s` +
            (held ? `; refused holding ${held}` : ''),
        );
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runRssBench(process.argv[2] === 'quick');
