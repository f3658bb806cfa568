/**
 * The contract of every fuzz target (see types.ts): a result or one clean
 * HiblabError, bounded time, bounded memory. checkInput() returns a Finding
 * when the contract is broken, undefined when it holds.
 */
import { HiblabError } from '../../src/errors.js';
import type { FuzzTarget } from './types.js';

export type FindingKind =
  | 'exception' // not a HiblabError: the CLI would print "internal error" and exit 70
  | 'model-error' // a HiblabError with exit 70 (ModelError): an invariant broke
  | 'bad-error' // a HiblabError without a code, on several lines, with raw control characters
  | 'no-location' // a HiblabError that does not say which file / line / offset
  | 'slow' // over the target's time bound
  | 'memory'; // the process grew past the memory bound

export interface Finding {
  readonly target: string;
  readonly kind: FindingKind;
  readonly detail: string;
  readonly input: Uint8Array;
}

/** Peak RSS allowed while fuzzing (the acceptance bound for any command). */
export const RSS_LIMIT_BYTES = 512 * 1024 * 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for exactly these
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Is this error the clean, one-line HiblabError the CLI prints? Returns what is wrong, or ''. */
export function errorProblem(
  e: unknown,
  mustNameFile: boolean,
): { kind: FindingKind; detail: string } | undefined {
  if (!(e instanceof HiblabError)) {
    const err = e as Error;
    return { kind: 'exception', detail: `${err?.name ?? typeof e}: ${err?.stack ?? String(e)}` };
  }
  if (e.exitCode === 70) return { kind: 'model-error', detail: e.oneLine() };
  const line = e.oneLine();
  if (!/^[A-Z][A-Z0-9_]*$/.test(e.code)) return { kind: 'bad-error', detail: `code '${e.code}': ${line}` };
  if (RAW_CONTROL.test(line))
    return { kind: 'bad-error', detail: `raw control character in: ${JSON.stringify(line)}` };
  if (mustNameFile && e.location.file === undefined)
    return { kind: 'no-location', detail: `error does not name the file: ${line}` };
  return undefined;
}

/** Run one input through a target and check the contract. */
export async function checkInput(t: FuzzTarget, input: Uint8Array): Promise<Finding | undefined> {
  const t0 = performance.now();
  let problem: { kind: FindingKind; detail: string } | undefined;
  try {
    await t.run(input);
  } catch (e) {
    problem = errorProblem(e, t.errorsNameFile ?? true);
  }
  const ms = performance.now() - t0;
  const limit = t.timeLimitMs ?? 2000;
  if (!problem && ms > limit) problem = { kind: 'slow', detail: `${ms.toFixed(0)} ms > ${limit} ms` };
  return problem ? { target: t.name, ...problem, input } : undefined;
}

/** Memory check, done every few hundred inputs (RSS is a syscall). */
export function memoryFinding(t: FuzzTarget, input: Uint8Array): Finding | undefined {
  const rss = process.memoryUsage.rss();
  if (rss <= RSS_LIMIT_BYTES) return undefined;
  return {
    target: t.name,
    kind: 'memory',
    detail: `RSS ${(rss / 2 ** 20).toFixed(0)} MiB > ${RSS_LIMIT_BYTES / 2 ** 20} MiB`,
    input,
  };
}
