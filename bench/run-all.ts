/**
 * `npm run bench`: every benchmark, one after the other, each in its own
 * process (so one's heap does not slow the next). Prints numbers; never fails
 * a build. Sizes can be raised with HIBLAB_BENCH_MIB (codec/image MiB);
 * HIBLAB_BENCH_HMM_MIB sizes the HMM region (default 1024).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const runs: [string, string[]][] = [
  ['codecs.js', [process.env.HIBLAB_BENCH_MIB ?? '64']],
  ['image-io.js', [process.env.HIBLAB_BENCH_MIB ?? '256']],
  ['boot.js', []],
  ['diagnose.js', []],
  ['engine.js', ['4', 'same-map']],
  ['plan.js', ['seed-000', 'seed-000-6.12', '4g', '64g', 'superdome']],
  ['hmm.js', [process.env.HIBLAB_BENCH_HMM_MIB ?? '1024']],
  ['rss.js', []],
];
for (const [file, args] of runs) {
  console.log(`\n### ${file.replace(/\.js$/, '')}`);
  const r = spawnSync(process.execPath, ['--expose-gc', join(here, file), ...args], { stdio: 'inherit' });
  if (r.status !== 0) console.log(`(${file} exited with ${r.status ?? r.signal})`);
}
