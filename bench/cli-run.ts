/**
 * A whole `hiblab run` end to end against native liblzo (issue 14): the CLI
 * (`node dist/src/cli/main.js run <scenario> --image TMP --quiet`, so process
 * start, module loading, both boots, worker start-up, hibernate, resume and
 * verify) timed as a child process, then, in this process, native liblzo2 on
 * ONE thread compressing and decompressing the data pages of the image that
 * run wrote (bench/native-image.ts). Target: run ≤ 1.25× native compress +
 * decompress.
 *
 *   npm run build && npx tsx bench/cli-run.ts [scenario] [threads ...]
 *   # default: same-map, the CLI's default thread count and --threads 2
 *   HIBLAB_CLI=/other/tree/dist/src/cli/main.js npx tsx bench/cli-run.ts   # another build
 *
 * Each case prints the run's wall time and CPU time (user + system of the
 * child and all its threads, from /usr/bin/time when present, else wall
 * only), the native times of the same run (wall and process CPU), and the
 * ratios. On this shared 2-vCPU VM wall time follows the load; the CPU ratio
 * (run CPU / native CPU) does not depend on it, but a run on 2 cores can
 * overlap its threads, so the wall ratio on an idle machine lies between
 * CPU / 2 and CPU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileSource } from '../src/node/image-file.js';
import { nativeOnImage } from './native-image.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI: dist/src/cli/main.js from bench/ (tsx) or from dist/bench/ (built). */
function cliPath(): string {
  // HIBLAB_CLI: another build's main.js (to compare builds back to back).
  if (process.env.HIBLAB_CLI) return process.env.HIBLAB_CLI;
  for (const p of [join(here, '../dist/src/cli/main.js'), join(here, '../src/cli/main.js')])
    if (existsSync(p)) return p;
  throw new Error('no built CLI: run `npm run build` first');
}

export interface CliRunResult {
  scenario: string;
  threads: string;
  wallS: number;
  cpuS: number | null;
  maxRssMiB: number | null;
  pages: number;
  nativeS: number;
  nativeCpuS: number;
}

export async function runCliCase(
  scenario: string,
  threads: string | undefined,
  log: (s: string) => void = console.log,
): Promise<CliRunResult> {
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hiblab-cli-run-'));
  const img = join(dir, 'swap.img');
  const times = join(dir, 'time.txt');
  try {
    const args = [cliPath(), 'run', scenario, '--image', img, '--quiet'];
    if (threads) args.push('--threads', threads);
    const useTime = existsSync('/usr/bin/time');
    const cmd = useTime ? '/usr/bin/time' : process.execPath;
    const argv = useTime ? ['-f', '%e %U %S %M', '-o', times, process.execPath, ...args] : args;
    const t0 = performance.now();
    const r = spawnSync(cmd, argv, { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0 && r.status !== 1)
      throw new Error(`hiblab run ${scenario} exited with ${r.status ?? r.signal}: ${r.stderr}`);
    let cpuS: number | null = null;
    let maxRssMiB: number | null = null;
    let wallS = wall;
    if (useTime) {
      const f = readFileSync(times, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      wallS = f[0]!;
      cpuS = f[1]! + f[2]!;
      maxRssMiB = f[3]! / 1024;
    }
    const src = new FileSource(img);
    const nat = await nativeOnImage(src);
    src.close();
    const nativeS = nat.compressS + nat.decompressS;
    const nativeCpuS = nat.compressCpuS + nat.decompressCpuS;
    const res: CliRunResult = {
      scenario,
      threads: threads ?? 'default',
      wallS,
      cpuS,
      maxRssMiB,
      pages: nat.pages,
      nativeS,
      nativeCpuS,
    };
    log(
      `hiblab run ${scenario} (--threads ${res.threads}): ${r.stdout.trim().split('\n').pop()}; ` +
        `${((nat.pages * 4096) / 2 ** 20).toFixed(0)} MiB of data pages` +
        (maxRssMiB !== null ? `; max RSS ${maxRssMiB.toFixed(0)} MiB` : ''),
    );
    log(
      `  run wall ${wallS.toFixed(2)} s` +
        (cpuS !== null ? `, CPU ${cpuS.toFixed(2)} s` : '') +
        `; native liblzo 1 thread compress + decompress ${nativeS.toFixed(2)} s wall ` +
        `(${nat.compressS.toFixed(2)} + ${nat.decompressS.toFixed(2)}), ${nativeCpuS.toFixed(2)} s CPU`,
    );
    log(
      `  ratio (target ≤ 1.25×): wall ${(wallS / nativeS).toFixed(2)}×` +
        (cpuS !== null
          ? `, CPU ${(cpuS / nativeCpuS).toFixed(2)}× (on 2 idle cores ≥ ${(cpuS / 2 / nativeCpuS).toFixed(2)}×)`
          : ''),
    );
    return res;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [scenario = 'same-map', ...threads] = process.argv.slice(2);
  for (const t of threads.length ? threads : ['', '2']) await runCliCase(scenario, t || undefined);
}
