/**
 * Plan mode (issue 14 item 3): runs per second of `runScenario(…, {plan: true})`
 * on seed-000 and on bigger models, with the wall time of one run and peak RSS.
 * Budgets: seed-000 < 300 ms, a 64 GiB model < 2 s, the 12 TiB HP Superdome 2
 * table booted and planned < 5 s and < 1 GiB RSS.
 *
 *   npx tsx bench/plan.ts [what ...]     # seed-000 | seed-000-6.12 | 4g | 64g | superdome (default: all)
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { builtinReader, getBuiltin } from '../src/scenario/index.js';
import { loadScenario } from '../src/scenario/load.js';
import { planScenario } from '../src/scenario/run.js';
import type { Scenario } from '../src/scenario/types.js';
import { fillScenario } from './rss-shapes.js';
import { SHARED_DIR } from './shared-dir.js';

const shared = SHARED_DIR;

/** The engine bench's synthetic model (bench/engine.ts): ~45% of RAM saved. */
function model(gib: number): Scenario {
  return loadScenario(fillScenario(gib, `plan-${gib}g`), `plan-${gib}g.yaml`);
}

/** The 12 TiB HP Superdome 2 table on both boots, an 8 GiB workload. */
function superdome(): Scenario {
  const sc = loadScenario(
    `
name: plan-superdome
seed: 7
profile: linux-6.12
suspend:
  e820: { file: superdome.txt }
  workload:
    groups:
      - { kind: pagecache, size: 2G, placement: compact }
      - { kind: anon, size: 6G, placement: compact }
resume:
  e820: { file: superdome.txt }
hibernate: { compressor: lzo }
`,
    'plan-superdome.yaml',
  );
  return sc;
}

const superdomeText = () =>
  readFileSync(resolve(shared, 'fixtures/e820/hp-superdome2-16s-12tib-uefi-unusable-efimap.txt'), 'utf8');

interface Budget {
  ms: number;
  rssMiB?: number;
  label: string;
}

/** Issue 14's plan-mode budgets (wall time of one run on the 2-core machine). */
const BUDGETS: Record<string, Budget> = {
  'seed-000': { ms: 300, label: '300 ms' },
  '64g': { ms: 2000, label: '2 s' },
  superdome: { ms: 5000, rssMiB: 1024, label: '5 s and 1 GiB' },
};

export async function runPlanBench(what: string, log: (s: string) => void = console.log): Promise<void> {
  const make = (): Scenario =>
    what === 'seed-000'
      ? getBuiltin('seed-000')
      : what === 'seed-000-6.12'
        ? getBuiltin('seed-000-6.12')
        : what === 'superdome'
          ? superdome()
          : model(Number.parseInt(what, 10));
  const readFile = what === 'superdome' ? () => superdomeText() : builtinReader;
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const times: number[] = [];
    const cpus: number[] = [];
    // Small models: a warm-up run, then 8 timed runs; big ones: cold runs (the first is the
    // budget), HIBLAB_BENCH_PLAN_ROUNDS of them (default 1). The machine is shared: CPU time
    // (process.cpuUsage, this process) is reported next to wall time, medians of the rounds.
    const big = Number.parseInt(process.env.HIBLAB_BENCH_PLAN_ROUNDS ?? '1', 10) || 1;
    const rounds = what === 'seed-000' || what === 'seed-000-6.12' ? 8 : big;
    const warm = rounds > 1 && (what === 'seed-000' || what === 'seed-000-6.12');
    let verdict = '';
    let saved = 0;
    for (let i = 0; i < rounds + (warm ? 1 : 0); i++) {
      const sc = make();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      // The 12 TiB table is above `hiblab run`'s default model size, and the 64 GiB and 12 TiB
      // models above its default host-memory budget (src/scenario/limits.ts): the bench lifts both.
      const r = await planScenario(sc, {
        readFile,
        baseDir: '.',
        maxModelBytes: 2 ** 50,
        maxHostBytes: 2 ** 40,
      });
      const ms = performance.now() - t0;
      const c = process.cpuUsage(c0);
      if (warm && i === 0) continue;
      times.push(ms);
      cpus.push((c.user + c.system) / 1000);
      verdict = r.verdict;
      saved = (r.suspend.hibernate?.save.nrCopyPages ?? 0) + (r.suspend.hibernate?.save.nrZeroPages ?? 0);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    const med = median(times);
    // Issue 14's budget for this run, where it sets one: wall time (and RSS for the 12 TiB table).
    const budget = BUDGETS[what];
    const verdictOf = (b: Budget): string =>
      `; budget < ${b.label}: ${med < b.ms && (b.rssMiB === undefined || peak / 2 ** 20 < b.rssMiB) ? 'PASS' : 'MISS'}`;
    log(
      `plan ${what.padEnd(13)} ${verdict.padEnd(17)} ${saved} pages saved; ${med.toFixed(0)} ms wall, ` +
        `${median(cpus).toFixed(0)} ms CPU per run (${(1000 / med).toFixed(2)} runs/s, median of ${times.length}); ` +
        `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB${budget ? verdictOf(budget) : ''}`,
    );
  } finally {
    clearInterval(timer);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  for (const w of args.length ? args : ['seed-000', 'seed-000-6.12', '4g', '64g', 'superdome']) {
    // Each model in its own process keeps the RSS figures apart; here they run in turn.
    await runPlanBench(w);
    (globalThis as { gc?: () => void }).gc?.();
  }
}
