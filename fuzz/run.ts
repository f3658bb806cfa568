/**
 * Long fuzz runs: `npm run fuzz -- [--target NAME]... [--time SECONDS] [--slice SECONDS]
 * [--seed N] [--out DIR] [--hang-ms MS]`.
 *
 * Round robin over the targets (all by default) in slices of --slice seconds
 * until --time is spent; each slice is a fresh fast-check run with its own seed.
 * A broken contract is shrunk, saved under --out (default /tmp/hiblab-fuzz) as
 * <target>-<kind>-<n>.bin, printed, and the run goes on. A hang is caught by a
 * watchdog thread, which saves the input and kills the process. The last line is
 * a JSON summary: inputs and findings per target, peak RSS. Exit 1 if anything
 * was found.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFinding, fuzzTarget } from './lib/engine.js';
import { Watchdog } from './lib/watchdog.js';
import { getTarget, TARGETS } from './targets/index.js';

interface Args {
  targets: string[];
  time: number;
  slice: number;
  seed: number;
  out: string;
  hangMs: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    targets: [],
    time: 60,
    slice: 20,
    seed: Date.now() % 2 ** 31,
    out: '/tmp/hiblab-fuzz',
    hangMs: 30_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    const num = () => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${k} expects a number, got '${v}'`);
      i++;
      return n;
    };
    if (k === '--target') {
      if (!v) throw new Error('--target expects a name');
      a.targets.push(...v.split(','));
      i++;
    } else if (k === '--time') a.time = num();
    else if (k === '--slice') a.slice = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--hang-ms') a.hangMs = num();
    else if (k === '--out') {
      a.out = v ?? a.out;
      i++;
    } else if (k === '--help' || k === '-h') {
      process.stdout.write(
        `usage: npm run fuzz -- [--target NAME[,NAME]] [--time S] [--slice S] [--seed N] [--out DIR] [--hang-ms MS]\ntargets: ${TARGETS.map((t) => t.name).join(', ')}\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown argument '${k}' (see --help)`);
  }
  if (a.targets.length === 0 || a.targets.includes('all')) a.targets = TARGETS.map((t) => t.name);
  return a;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const targets = args.targets.map(getTarget);
  const names = targets.map((t) => t.name);
  mkdirSync(args.out, { recursive: true });
  const dog = new Watchdog(names, args.hangMs, args.out);
  const stats = new Map(names.map((n) => [n, { inputs: 0, ms: 0, slowestMs: 0, findings: 0 }]));
  const end = Date.now() + args.time * 1000;
  let round = 0;
  let peakRss = process.memoryUsage.rss();
  let found = 0;
  process.stdout.write(
    `fuzz: ${names.join(', ')} for ${args.time} s, seed ${args.seed}, findings to ${args.out}\n`,
  );
  while (Date.now() < end) {
    for (let ti = 0; ti < targets.length && Date.now() < end; ti++) {
      const t = targets[ti]!;
      const slice = Math.min(args.slice * 1000, end - Date.now());
      const seed = (args.seed + round * 7919 + ti * 104729) % 2 ** 31;
      const r = await fuzzTarget(t, { timeMs: slice, seed, onInput: (inp) => dog.beat(ti, inp) });
      dog.idle();
      const s = stats.get(t.name)!;
      s.inputs += r.inputs;
      s.ms += r.ms;
      s.slowestMs = Math.max(s.slowestMs, r.slowestMs);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      for (const f of r.findings) {
        const file = join(args.out, `${t.name}-${f.kind}-${++found}.bin`);
        writeFileSync(file, f.input);
        s.findings++;
        process.stdout.write(`${describeFinding(f)}\n  saved: ${file} (seed ${seed})\n`);
      }
      process.stdout.write(
        `round ${round} ${t.name}: ${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s (${Math.round(r.inputs / (r.ms / 1000))}/s), slowest ${r.slowestMs.toFixed(0)} ms, total ${s.inputs}, RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB\n`,
      );
    }
    round++;
  }
  await dog.stop();
  const total = [...stats.values()].reduce((n, s) => n + s.inputs, 0);
  process.stdout.write(
    `${JSON.stringify({ done: true, seed: args.seed, seconds: args.time, totalInputs: total, findings: found, peakRssMiB: Math.round(peakRss / 2 ** 20), targets: Object.fromEntries(stats) })}\n`,
  );
  return found > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
