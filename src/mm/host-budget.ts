/**
 * The host memory a run's model may hold in per-page state, counted, not measured.
 *
 * The structures that grow with how a workload scatters pages — not with the
 * machine's size, which limits.ts bounds — charge the bytes they allocate
 * (typed arrays, materialised frames) and release them when they drop them:
 *   struct pages  — struct-page.ts chunk pages (palette, index, free-list nodes)
 *   free lists    — buddy.ts free-list node arrays (sized by free blocks)
 *   content map   — content-map.ts per-section descriptor columns
 *   frames        — phys-mem.ts materialised 4 KiB frames and partner leaves
 *   working arrays — the placed groups' pfn lists and the scattered
 *                   placement's draws and free-page bitmap (place.ts), the
 *                   buddy's bulk-take arrays (buddy.ts takePagesSorted/allocBulk)
 * A charge past the limit stops the run with MODEL_HOST_MEMORY (exit 2),
 * before the allocation. The count is the model's own, so the verdict is the
 * same on every host; the limit is what keeps a hostile scenario's peak RSS
 * bounded (README.md, "Model size"). One budget per run, shared by its boots.
 */
import { ScenarioError } from '../errors.js';
import { humanBytes } from '../util/hex.js';

/**
 * Host bytes one typed array costs beyond its elements, measured on Node 20
 * (V8 11.3, x86-64): ~200 B of heap for the view and its ArrayBuffer object,
 * plus the backing store's malloc header and the heap pages' slack — a
 * Uint8Array(16) raises RSS by ~390 B, an Int32Array(32) by ~540 B, a
 * Uint8Array(1024) by ~1410 B. Structures made of many small typed arrays
 * (a struct-page chunk, a content-map section) charge it per array, so the
 * count follows RSS rather than the elements alone.
 */
export const TYPED_ARRAY_HOST_BYTES = 352;
/** Host bytes of a small JS object (a chunk or section header, its slot in a table). */
export const OBJECT_HOST_BYTES = 128;

export type BudgetStructure = 'struct pages' | 'free lists' | 'content map' | 'frames' | 'working arrays';

const STRUCTURES: readonly BudgetStructure[] = [
  'struct pages',
  'free lists',
  'content map',
  'frames',
  'working arrays',
];
/** Each structure's slot in `held` (charge() runs on per-frame paths: no search). */
const SLOT: Readonly<Record<BudgetStructure, number>> = {
  'struct pages': 0,
  'free lists': 1,
  'content map': 2,
  frames: 3,
  'working arrays': 4,
};

export class HostBudget {
  /** Bytes held now, per structure (STRUCTURES order). */
  private readonly held = [0, 0, 0, 0, 0];
  private total = 0;
  /** Largest total held so far. */
  peak = 0;
  /** What the model is doing (named in the error): e.g. "the suspend boot". */
  stage = 'the model';

  /**
   * @param limit bytes the charges may add up to
   * @param scenario the scenario's name (the error names it)
   * @param raiseHint how a user raises the limit (the error says it)
   */
  constructor(
    readonly limit: number,
    readonly scenario = 'model',
    readonly raiseHint = 'hiblab run --max-mem SIZE',
  ) {}

  /** Bytes held now by all structures. */
  get used(): number {
    return this.total;
  }

  /** Bytes held now by one structure. */
  heldBy(s: BudgetStructure): number {
    return this.held[SLOT[s]]!;
  }

  /** Take `bytes` for `s`; throws MODEL_HOST_MEMORY (nothing taken) when the total would pass the limit. */
  charge(s: BudgetStructure, bytes: number): void {
    const k = SLOT[s];
    const t = this.total + bytes;
    if (t > this.limit) {
      const parts = STRUCTURES.map((n, i) => `${n} ${humanBytes(this.held[i]! + (i === k ? bytes : 0))}`);
      throw new ScenarioError(
        'MODEL_HOST_MEMORY',
        `${this.scenario}: modelling ${this.stage} needs more than ${humanBytes(this.limit)} of host memory ` +
          `for its per-page state (${parts.join(', ')} when the ${s} grew); ` +
          `${this.raiseHint} raises the budget (see "Model size" in README.md)`,
      );
    }
    this.held[k]! += bytes;
    this.total = t;
    if (t > this.peak) this.peak = t;
  }

  /** Give back bytes `s` charged. */
  release(s: BudgetStructure, bytes: number): void {
    this.held[SLOT[s]]! -= bytes;
    this.total -= bytes;
  }
}
