/**
 * Where a `hiblab run` spends its time outside the codec loops (issue 14): a
 * fresh process does what `hiblab run <scenario> --image TMP --quiet` does —
 * loads the CLI's modules (src/cli/program.js and the run command's), parses
 * the builtin, starts the worker pool, runs the scenario, prints the report,
 * closes the pool and removes the device — and prints each step's wall time
 * and CPU time: the main thread's (/proc/self/task/<pid>/stat) and all
 * threads' (workers, V8's compiler and GC threads: process.cpuUsage()).
 * "node start" is the time from process start to this file's first line.
 *
 *   npm run build && node dist/bench/cli-split.js [scenario] [threads]   # default: same-map, 1 (the CLI's default on 2 CPUs)
 *
 * No static import of the model: every module it loads is one the CLI loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TICK_MS = 10; // USER_HZ 100

function mainCpuMs(): number {
  try {
    const s = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}
function allCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const edges: [string, number, number, number][] = [['node start', 0, 0, 0]];
const mark = (name: string) => edges.push([name, performance.now(), mainCpuMs(), allCpuMs()]);
mark('(this file)');

const [scenario = 'same-map', threadsArg = '1'] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const src = [join(here, '../src'), join(here, '../dist/src')].find((p) =>
  existsSync(join(p, 'cli/program.js')),
);
if (!src) throw new Error('no built CLI: run `npm run build` and run dist/bench/cli-split.js');

// The modules `hiblab run` loads (main.ts → program.ts → commands/run.ts).
await import(`${src}/node/install-fast-paths.js`);
await import(`${src}/cli/program.js`);
await import(`${src}/cli/commands/run.js`);
const { getBuiltinEntry, builtinReader } = await import(`${src}/scenario/index.js`);
const { runScenario } = await import(`${src}/scenario/run.js`);
const { NodeChunkPool } = await import(`${src}/node/compress-pool.js`);
const { FileSwapDevice } = await import(`${src}/node/swap-file.js`);
const { runTextChunks } = await import(`${src}/report/run.js`);
mark('modules');
const sc = getBuiltinEntry(scenario).scenario;
mark('scenario parsed');
const pool = new NodeChunkPool({ threads: Number(threadsArg) });
const path = join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), `hiblab-cli-split-${process.pid}.img`);
let dev: InstanceType<typeof FileSwapDevice> | undefined;
mark('pool started');
const r = await runScenario(
  sc,
  {
    readFile: builtinReader,
    baseDir: 'data/scenarios',
    pool,
    device: (n: number) => {
      dev = new FileSwapDevice(n, path);
      return dev;
    },
    onImageWritten: () => dev?.seal(),
  },
  (e: { type: string; phase?: string }) => {
    if (e.type === 'phase-start' || e.type === 'phase-end')
      mark(`${e.phase}${e.type === 'phase-start' ? ' <' : ' >'}`);
  },
);
mark('runScenario returned');
let out = '';
for (const c of runTextChunks(r, { quiet: true })) out += c;
mark('report');
await pool.close();
dev?.remove();
mark('pool closed, device removed');

console.log(`hiblab run ${scenario} --threads ${threadsArg}, split (ms): ${out.trim().split('\n')[0]}`);
console.log(
  `${'step (from the previous line)'.padEnd(40)}${'wall'.padStart(7)}${'main'.padStart(7)}${'all'.padStart(7)}`,
);
for (let i = 1; i < edges.length; i++) {
  const [n, t, c, a] = edges[i]!;
  const [, pt, pc, pa] = edges[i - 1]!;
  // node start: the process's own bootstrap, before any CPU clock is read here
  const first = i === 1;
  console.log(
    `${n.padEnd(40)}${(t - pt).toFixed(0).padStart(7)}${(first ? c : c - pc).toFixed(0).padStart(7)}${(first ? a : a - pa).toFixed(0).padStart(7)}`,
  );
}
const [, tl, cl, al] = edges[edges.length - 1]!;
console.log(
  `${'total'.padEnd(40)}${tl.toFixed(0).padStart(7)}${cl.toFixed(0).padStart(7)}${al.toFixed(0).padStart(7)}`,
);
