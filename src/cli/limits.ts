/**
 * The model-size options shared by the commands that boot a machine from a user's input
 * (`run`, `resume`): --max-ram bounds the physical address space a boot may model, --max-mem
 * the host memory its per-page state and working arrays may take (src/scenario/limits.ts has
 * the defaults and why).
 */
import { UsageError } from '../errors.js';
import { DEFAULT_HOST_BUDGET_BYTES, DEFAULT_MAX_MODEL_BYTES } from '../scenario/limits.js';
import { humanBytes, parseNumber } from '../util/hex.js';

/** --max-ram: a size as users write it (bytes, 0x…, or with K/M/G/T/P), at least 1 GiB. */
export function parseMaxRam(v: string): number {
  const r = parseNumber(v);
  const n = r === undefined ? Number.NaN : Number(r);
  if (!Number.isSafeInteger(n) || n < 2 ** 30) {
    throw new UsageError('BAD_ARGUMENT', `--max-ram expects a size of at least 1G (e.g. 16T), got '${v}'`);
  }
  return n;
}

/** --max-mem: host memory for the model's per-page state, at least 16 MiB. */
export function parseMaxMem(v: string): number {
  const r = parseNumber(v);
  const n = r === undefined ? Number.NaN : Number(r);
  if (!Number.isSafeInteger(n) || n < 16 * 2 ** 20) {
    throw new UsageError('BAD_ARGUMENT', `--max-mem expects a size of at least 16M (e.g. 2G), got '${v}'`);
  }
  return n;
}

export const MAX_RAM_HELP = `model machines whose physical address space (max_pfn x 4 KiB) reaches up to this size (default ${humanBytes(DEFAULT_MAX_MODEL_BYTES)}; host memory grows with it)`;

export const MAX_MEM_HELP = `host memory the model may take for per-page state and working arrays (struct pages, free lists, content map, frames, working arrays), counted by the model; a run that needs more stops with MODEL_HOST_MEMORY (default ${humanBytes(DEFAULT_HOST_BUDGET_BYTES)}: every run stays under 512 MiB)`;
