/**
 * The engine at codec speed (issue 14): hibernate + resume of a synthetic
 * N GiB model (linux-6.12, ~45% of RAM saved: page cache, slab and anonymous
 * memory with generated contents — the bytes are produced when written and
 * verified, never held), an LZO image in a sparse temp file, 2 compression
 * workers; then, in the same process, native liblzo2 on ONE thread over the
 * data pages of the image that run wrote (bench/native-image.ts). Prints wall
 * times, the ratios against native, and peak RSS.
 *
 *   npx tsx bench/engine.ts [GiB ...]     # default: 4   (e.g. `4 16 64`)
 *   npx tsx bench/engine.ts same-map      # `hiblab run same-map` end to end vs native
 *
 * Ratios (targets of issue 14):
 *   hibernate       native compress time / the hibernate phase (bitmaps,
 *                   preallocation, swsusp_save, image write)      ≥ 0.8×
 *   resume+verify   native decompress time / the resume phase (swsusp_check,
 *                   load, restore_image, verify of every page)    ≥ 0.8×
 *   run same-map    wall time of the whole run (both boots, worker start-up
 *                   included) / (native compress + decompress)   ≤ 1.25×
 */
import { readdirSync, readFileSync } from 'node:fs';
import { NodeChunkPool } from '../src/node/compress-pool.js';
import { FileSource } from '../src/node/image-file.js';
import '../src/node/install-fast-paths.js';
import { FileSwapDevice } from '../src/node/swap-file.js';
import type { EngineEvent } from '../src/power/events.js';
import { builtinReader, getBuiltin } from '../src/scenario/index.js';
import { loadScenario } from '../src/scenario/load.js';
import { runScenario } from '../src/scenario/run.js';
import type { Scenario } from '../src/scenario/types.js';
import { mibPerS, nativeOnImage } from './native-image.js';
import { e820For, fillScenario } from './rss-shapes.js';

export { e820For };

export function engineScenario(gib: number): Scenario {
  // ~45% of RAM saved: the copy frames need the other half (swsusp_save needs free > saved + PAGES_FOR_IO).
  return loadScenario(fillScenario(gib, `bench-${gib}g`), `bench-${gib}g.yaml`);
}

/**
 * CPU seconds (user + system) of this process's threads from /proc: the main
 * thread, the threads started with the worker pool (`workers`: the two
 * compression workers; tids not in `before`) and the rest (`v8`: V8's GC and
 * compiler helpers of the main isolate, libuv). `other` = workers + v8. On a
 * shared machine wall time includes waiting for a core; CPU time says what
 * each side costs. null off Linux.
 */
/** `mainSys`: the main thread's system time alone (mostly pwrite/pread into the page cache, which varies a lot on a VM). */
type ThreadCpu = { main: number; mainSys: number; other: number; workers: number; v8: number };
function threadCpu(before?: Set<string>): ThreadCpu | null {
  try {
    const tick = 100; // USER_HZ
    let main = 0;
    let mainSys = 0;
    let workers = 0;
    let v8 = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) / tick;
      if (Number(tid) === process.pid) {
        main += cpu;
        mainSys += Number(f[12]) / tick;
      } else if (before && !before.has(tid)) workers += cpu;
      else v8 += cpu;
    }
    return { main, mainSys, other: workers + v8, workers, v8 };
  } catch {
    return null;
  }
}

/** The tids of this process's threads now (to tell the pool's workers from V8's threads). */
function threadIds(): Set<string> {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

export interface EngineBenchResult {
  name: string;
  verdict: string;
  dataPages: number;
  /** Phase wall times (s). */
  hibernateS: number;
  resumeS: number;
  totalS: number;
  nativeCompressS: number;
  nativeDecompressS: number;
  hibernateRatio: number;
  resumeRatio: number;
  /** total / (native compress + decompress). */
  runRatio: number;
  peakRssMiB: number;
}

/** Run `sc` with 2 workers and a file device, then native liblzo on its image's data pages. */
export async function runEngineCase(
  name: string,
  sc: Scenario,
  log: (s: string) => void = console.log,
): Promise<EngineBenchResult> {
  let dev: FileSwapDevice | undefined;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const phase = new Map<string, number>();
  const cpu = new Map<string, ThreadCpu | null>();
  let before: Set<string> | undefined;
  // HIBLAB_BENCH_MARKS=1: print each phase edge as CLOCK_MONOTONIC µs (the
  // clock of `node --cpu-prof` profiles), to cut a profile into phases.
  const marks = process.env.HIBLAB_BENCH_MARKS === '1';
  const events = (e: EngineEvent) => {
    if (e.type === 'phase-start' || e.type === 'phase-end') {
      const edge = `${e.phase}${e.type === 'phase-start' ? '<' : '>'}`;
      phase.set(edge, performance.now());
      cpu.set(edge, threadCpu(before));
      if (marks) log(`  mark ${edge} ${process.hrtime.bigint() / 1000n}`);
    }
  };
  const span = (p: string) =>
    ((phase.get(`${p}>`) ?? Number.NaN) - (phase.get(`${p}<`) ?? Number.NaN)) / 1000;
  const cpuOf = (p: string) => {
    const a = cpu.get(`${p}<`);
    const b = cpu.get(`${p}>`);
    return a && b
      ? {
          main: b.main - a.main,
          mainSys: b.mainSys - a.mainSys,
          other: b.other - a.other,
          workers: b.workers - a.workers,
          v8: b.v8 - a.v8,
        }
      : null;
  };
  const t0 = performance.now();
  before = threadIds();
  const pool = new NodeChunkPool({ threads: 2 });
  try {
    const r = await runScenario(
      sc,
      {
        readFile: builtinReader,
        baseDir: 'data/scenarios',
        // The 64 GiB model is above the default host-memory budget (src/scenario/limits.ts).
        maxHostBytes: 2 ** 40,
        pool,
        device: (n) => {
          dev = new FileSwapDevice(n);
          return dev;
        },
        // The file keeps the image as written (resume's writes go to an overlay), for the native pass.
        onImageWritten: () => dev?.seal(),
      },
      events,
    );
    const totalS = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage.rss());
    clearInterval(timer);
    if (!r.suspend.hibernate) throw new Error(`hibernation failed: ${r.reason}`);
    const h = r.suspend.hibernate;
    const src = new FileSource(dev!.path);
    const nat = await nativeOnImage(src);
    src.close();
    const hibernateS = span('hibernate');
    const resumeS = span('resume');
    const res: EngineBenchResult = {
      name,
      verdict: r.verdict,
      dataPages: nat.pages,
      hibernateS,
      resumeS,
      totalS,
      nativeCompressS: nat.compressS,
      nativeDecompressS: nat.decompressS,
      hibernateRatio: nat.compressS / hibernateS,
      resumeRatio: nat.decompressS / resumeS,
      runRatio: totalS / (nat.compressS + nat.decompressS),
      peakRssMiB: peak / 2 ** 20,
    };
    const dataMiB = (nat.pages * 4096) / 2 ** 20;
    log(
      `${name}: ${r.verdict}; ${h.save.nrCopyPages} pages copied + ${h.save.nrZeroPages} zero; ` +
        `${dataMiB.toFixed(0)} MiB of data pages, ${(h.write.compressedBytes / 2 ** 20).toFixed(0)} MiB compressed; ` +
        `verify ${r.resume?.result.verify?.ok}/${r.resume?.result.verify?.checked}; peak RSS ${res.peakRssMiB.toFixed(0)} MiB`,
    );
    log(
      `  native liblzo 1 thread: compress ${nat.compressS.toFixed(2)} s (${mibPerS(nat.pages, nat.compressS).toFixed(0)} MiB/s), ` +
        `decompress ${nat.decompressS.toFixed(2)} s (${mibPerS(nat.pages, nat.decompressS).toFixed(0)} MiB/s)`,
    );
    log(
      `  hibernate phase ${hibernateS.toFixed(2)} s (${mibPerS(nat.pages, hibernateS).toFixed(0)} MiB/s) = ${res.hibernateRatio.toFixed(2)}× native compress; ` +
        `resume+verify phase ${resumeS.toFixed(2)} s (${mibPerS(nat.pages, resumeS).toFixed(0)} MiB/s) = ${res.resumeRatio.toFixed(2)}× native decompress`,
    );
    // CPU view (load-independent): each phase's main-thread and other-thread CPU
    // seconds, and what they would take on 2 idle cores — max(main, all / 2),
    // as the main thread and the 2 workers overlap — against native CPU seconds.
    for (const [p, natCpu, what] of [
      ['hibernate', nat.compressCpuS, 'compress'],
      ['resume', nat.decompressCpuS, 'decompress'],
    ] as const) {
      const c = cpuOf(p);
      if (!c) continue;
      const idle2 = Math.max(c.main, (c.main + c.other) / 2);
      log(
        `  ${p} CPU: main thread ${c.main.toFixed(2)} s (sys ${c.mainSys.toFixed(2)}), other threads ${c.other.toFixed(2)} s ` +
          `(workers ${c.workers.toFixed(2)}, V8/libuv ${c.v8.toFixed(2)}) ` +
          `→ on 2 idle cores ≥ ${idle2.toFixed(2)} s = ${(natCpu / idle2).toFixed(2)}× native ${what} CPU (${natCpu.toFixed(2)} s)`,
      );
    }
    // Where each phase's CPU goes (main thread / pool workers / V8 helpers, s).
    const sub = ['save', 'write-image', 'load-image', 'restore', 'verify']
      .map((p) => {
        const c = cpuOf(p);
        return c ? `${p} ${c.main.toFixed(2)}/${c.workers.toFixed(2)}/${c.v8.toFixed(2)}` : '';
      })
      .filter((x) => x)
      .join(', ');
    if (sub) log(`  sub-phase CPU main/workers/V8 (s): ${sub}`);
    log(
      `  whole run ${totalS.toFixed(2)} s (boots ${span('suspend-boot').toFixed(2)} + ${span('resume-boot').toFixed(2)} s) = ` +
        `${res.runRatio.toFixed(2)}× native compress+decompress (${(nat.compressS + nat.decompressS).toFixed(2)} s)`,
    );
    return res;
  } finally {
    clearInterval(timer);
    await pool.close();
    dev?.remove();
  }
}

export async function runEngineBench(
  gib: number,
  log: (s: string) => void = console.log,
): Promise<EngineBenchResult> {
  return runEngineCase(`${gib} GiB model`, engineScenario(gib), log);
}

const args = process.argv.slice(2);
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const a of args.length ? args : ['4']) {
    if (Number(a) > 0) await runEngineBench(Number(a));
    else await runEngineCase(`run ${a}`, getBuiltin(a));
  }
}
