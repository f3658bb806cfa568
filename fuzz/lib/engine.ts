/**
 * Drives one target with fast-check: first every seed as is, then mutated
 * seeds (mutate.ts) until a number of runs or a time budget is spent. A broken
 * contract is shrunk by fast-check to a small input and returned as a Finding.
 * Shared by the vitest suite (short, fixed runs) and fuzz/run.ts (long runs).
 */
import fc from 'fast-check';
import { checkInput, type Finding, memoryFinding } from './contract.js';
import { inputArbitrary } from './mutate.js';
import type { FuzzTarget } from './types.js';

export interface FuzzOptions {
  /** Mutated inputs to run (after the seeds). */
  runs?: number;
  /** Or: stop after this many ms. */
  timeMs?: number;
  /** fast-check seed (runs are reproducible per seed). */
  seed?: number;
  /** Called before each input (the long runner's watchdog keeps it). */
  onInput?: (input: Uint8Array) => void;
  /** Check RSS every this many inputs (default 128). */
  rssEvery?: number;
}

export interface FuzzResult {
  target: string;
  /** Inputs run, seeds and shrink steps included. */
  inputs: number;
  ms: number;
  /** Slowest single input (ms). */
  slowestMs: number;
  findings: Finding[];
}

export async function fuzzTarget(t: FuzzTarget, opts: FuzzOptions = {}): Promise<FuzzResult> {
  const t0 = performance.now();
  const seeds = await t.seeds();
  const findings: Finding[] = [];
  let inputs = 0;
  let slowestMs = 0;
  const rssEvery = opts.rssEvery ?? 128;
  const one = async (input: Uint8Array): Promise<Finding | undefined> => {
    inputs++;
    opts.onInput?.(input);
    const s = performance.now();
    const f = (await checkInput(t, input)) ?? (inputs % rssEvery === 0 ? memoryFinding(t, input) : undefined);
    slowestMs = Math.max(slowestMs, performance.now() - s);
    return f;
  };
  for (const s of seeds) {
    const f = await one(s);
    if (f) findings.push(f);
  }
  let last: Finding | undefined;
  const params: fc.Parameters<[Uint8Array]> = {
    numRuns: opts.runs ?? Number.MAX_SAFE_INTEGER,
    markInterruptAsFailure: false,
    // Shrink a failure for at most 20 s: a slow input makes every shrink step slow.
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  if (opts.timeMs !== undefined) params.interruptAfterTimeLimit = opts.timeMs;
  const res = await fc.check(
    fc.asyncProperty(inputArbitrary(t, seeds), async (input) => {
      const f = await one(input);
      if (f) last = f;
      return f === undefined;
    }),
    params,
  );
  if (res.failed) {
    const input = res.counterexample?.[0];
    const f = input ? ((await checkInput(t, input)) ?? last) : last;
    if (f) findings.push(f);
    else if (res.errorInstance) {
      findings.push({
        target: t.name,
        kind: 'exception',
        detail: String(res.errorInstance),
        input: new Uint8Array(0),
      });
    }
  }
  return { target: t.name, inputs, ms: performance.now() - t0, slowestMs, findings };
}

/** A finding as one printable block (input shown as JSON text when short, else its size). */
export function describeFinding(f: Finding): string {
  const shown =
    f.input.length <= 512
      ? JSON.stringify(new TextDecoder('latin1').decode(f.input))
      : `<${f.input.length} bytes>`;
  return `[${f.target}] ${f.kind}: ${f.detail.split('\n').slice(0, 8).join('\n  ')}\n  input: ${shown}`;
}
