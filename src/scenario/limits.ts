/**
 * How big a machine `hiblab run` models by default.
 *
 * The model's host memory grows with the machine, not with the scenario's
 * text: a table of a few lines can describe tens of TiB, and the snapshot
 * core then holds bitmaps over the whole zone span (memory_bm_create() makes
 * a leaf per 128 MiB), a struct page for every present frame and — since a
 * real image holds the kernel's memmap — ~16k image pages per GiB of RAM.
 * So a run refuses a boot whose physical address space (max_pfn × 4 KiB)
 * is above a limit, before it hibernates or resumes anything: that keeps any
 * input, hostile or not, within the memory budget measured for the limit
 * (bench/README.md, "Model size"). A caller that means it raises the limit
 * (`hiblab run --max-ram`, RunIo.maxModelBytes).
 */
import { ScenarioError } from '../errors.js';
import { humanBytes } from '../util/hex.js';

/** Default limit on max_pfn × 4096 (bytes of physical address space up to the last RAM page). */
export const DEFAULT_MAX_MODEL_BYTES = 2 * 2 ** 40;

/**
 * Default host-memory budget of a run (`hiblab run --max-mem`, RunIo.maxHostBytes):
 * what the model's per-page state and working arrays may take (mm/host-budget.ts).
 * The machine size above bounds what grows with the address space; this bounds
 * what grows with how a workload scatters its pages, and with the bytes of a
 * real image (restored frames hold them). The count includes what the host pays
 * for each typed array beyond its elements and the placement's working arrays,
 * so a run's peak RSS is the count plus up to ~220 MiB (the process, the worker,
 * freed working arrays the allocator keeps): at 224 MiB the largest scattered
 * fill that fits (24 GiB) peaks at 385–425 MiB RSS in full mode, and runs
 * refused at the budget peak below 370 MiB — under issue 11's 512 MiB for any
 * input (bench/rss.ts; README.md, "Model size"). 256 MiB let a 28 GiB fill
 * reach 463 MiB: too close.
 */
export const DEFAULT_HOST_BUDGET_BYTES = 224 * 2 ** 20;

/** Refuse a booted machine whose address space is above `limit`. */
export function checkModelSize(
  scenario: string,
  which: string,
  maxPfn: number,
  limit: number,
  command = 'hiblab run',
): void {
  const bytes = maxPfn * 4096;
  if (bytes <= limit) return;
  throw new ScenarioError(
    'MODEL_TOO_LARGE',
    `${scenario}: the ${which} boot's memory reaches ${humanBytes(bytes)} (max_pfn 0x${maxPfn.toString(16)}); ` +
      `${command} models up to ${humanBytes(limit)} of physical address space unless told more ` +
      `(--max-ram SIZE; host memory grows with the machine, see "Model size" in bench/README.md)`,
  );
}
