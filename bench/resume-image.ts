/**
 * `hiblab resume` of a big image: what a real image's resume costs the host.
 * A synthetic N GiB model (bench/engine.ts's) is hibernated into an LZO image
 * file; then, each in a fresh process, `resumeImage()` (the library call behind
 * `hiblab resume`, 1 worker as the CLI) resumes it on the same map, with the
 * restored data pages
 *   frames — read back from the image file on demand (power/image-frames.ts, the default)
 *   bytes  — held as 4 KiB host buffers (framesFromImage: false; what it did before)
 * and prints wall and CPU time, peak RSS, the host budget's count at its peak,
 * and native liblzo decompression of the same data pages on one thread (the
 * floor of a 1-thread resume).
 *
 *   npm run -s build && node dist/bench/resume-image.js [GiB]     # default 4
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NodeChunkPool } from '../src/node/compress-pool.js';
import { FileSource } from '../src/node/image-file.js';
import '../src/node/install-fast-paths.js';
import { FileSwapDevice } from '../src/node/swap-file.js';
import { builtinReader } from '../src/scenario/index.js';
import { resumeImage } from '../src/scenario/resume-image.js';
import { runScenario } from '../src/scenario/run.js';
import { e820For, engineScenario } from './engine.js';
import { nativeOnImage } from './native-image.js';

const MIB = 2 ** 20;

interface ChildResult {
  mode: string;
  outcome: string;
  wallS: number;
  cpuS: number;
  peakRss: number;
  counted: number;
}

async function child(mode: string, image: string, e820: string): Promise<void> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const src = new FileSource(image);
  const pool = new NodeChunkPool({ threads: 1 });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const r = await resumeImage(src, {
      e820: { text: readFileSync(e820, 'utf8'), name: e820 },
      profile: 'linux-6.12',
      pool,
      framesFromImage: mode === 'frames',
      maxHostBytes: 2 ** 40,
    });
    const wallS = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    peak = Math.max(peak, process.memoryUsage.rss());
    const out: ChildResult = {
      mode,
      outcome: r.result.outcome,
      wallS,
      // The main thread and the worker (process.cpuUsage counts every thread).
      cpuS: (c.user + c.system) / 1e6,
      peakRss: peak,
      counted: r.machine.mem.budget?.peak ?? 0,
    };
    console.log(JSON.stringify(out));
  } finally {
    clearInterval(timer);
    await pool.close();
    src.close();
  }
}

async function main(gib: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hiblab-bench-resume-'));
  try {
    const image = join(dir, 'swap.img');
    const e820 = join(dir, 'e820.txt');
    writeFileSync(e820, e820For(gib));
    let dev: FileSwapDevice | undefined;
    const pool = new NodeChunkPool({ threads: 2 });
    try {
      const r = await runScenario(engineScenario(gib), {
        readFile: builtinReader,
        baseDir: 'data/scenarios',
        maxHostBytes: 2 ** 40,
        pool,
        device: (n) => {
          dev = new FileSwapDevice(n, image);
          return dev;
        },
        onImageWritten: () => dev?.seal(),
      });
      if (!r.suspend.hibernate) throw new Error(`hibernation failed: ${r.reason}`);
      dev!.close();
    } finally {
      await pool.close();
    }
    const src = new FileSource(image);
    const nat = await nativeOnImage(src);
    src.close();
    const self = fileURLToPath(import.meta.url);
    const rows: ChildResult[] = [];
    for (const mode of ['frames', 'bytes']) {
      const line = execFileSync(process.execPath, [self, '--child', mode, image, e820], { encoding: 'utf8' });
      rows.push(JSON.parse(line.trim().split('\n').pop()!) as ChildResult);
    }
    console.log(
      `${gib} GiB model image: ${nat.pages} data pages (${((nat.pages * 4096) / MIB).toFixed(0)} MiB), ` +
        `${(nat.compressedBytes / MIB).toFixed(0)} MiB compressed; native liblzo decompress, 1 thread: ${nat.decompressS.toFixed(2)} s`,
    );
    for (const r of rows) {
      console.log(
        `  ${r.mode.padEnd(6)} ${r.outcome}: ${r.wallS.toFixed(2)} s wall (native/wall ${(nat.decompressS / r.wallS).toFixed(2)}×), ` +
          `${r.cpuS.toFixed(2)} s CPU, peak RSS ${(r.peakRss / MIB).toFixed(0)} MiB, counted ${(r.counted / MIB).toFixed(1)} MiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await child(argv[1]!, argv[2]!, argv[3]!);
else await main(Number.parseInt(argv[0] ?? '4', 10) || 4);
